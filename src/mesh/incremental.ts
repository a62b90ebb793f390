/**
 * Keeps the meshes of a label map up to date as it changes: after an edit (or a new result
 * written over part of it) only the labels whose voxels changed are meshed again.
 *
 * Two ways to tell which labels an edit touched, chosen by where the voxels live:
 * - a plain array: a copy of the voxels as last meshed (`seen`) is compared with the live ones
 *   inside the edited box, and each label's extent is adjusted voxel by voxel;
 * - a shared array (the page's live labels, see volume/buffers.ts): no copy is kept. The caller
 *   names the values the edit wrote or overwrote (it knows them from the edit's diff); without
 *   them every label present in the box or whose extent reaches into it is taken. Each such
 *   label's extent is measured again over its old extent joined with the box.
 */
import type { IndexBox, ProgressCallback, Vec3, Volume } from '../core/types';
import { isShared } from '../volume/buffers';
import { labelExtents, meshExtents, meshLabel, type LabelExtent } from './mesher';
import type { LabelMesh, MeshOptions } from './types';

export type { IndexBox } from '../core/types';

export class IncrementalMesher {
  /** The voxels as last meshed, to tell which labels an edit touched; null for shared labels. */
  private readonly seen: Volume['voxels'] | null;
  private extents = new Map<number, LabelExtent>();

  /** `labels.voxels` is the live label map: edit it in place, then call `update`. */
  constructor(
    readonly labels: Volume,
    private readonly opts: MeshOptions = {},
  ) {
    this.seen = isShared(labels.voxels) ? null : labels.voxels.slice();
  }

  /** Whether this mesher reads shared labels (and keeps no copy of them). */
  get live(): boolean {
    return this.seen === null;
  }

  /** Mesh every label (or `opts.labels`). */
  meshAll(onProgress?: ProgressCallback): LabelMesh[] {
    this.seen?.set(this.labels.voxels);
    this.extents = labelExtents(this.labels);
    const which = this.opts.labels ? [...this.opts.labels] : [...this.extents.keys()].sort((a, b) => a - b);
    return meshExtents(this.labels, this.extents, which, this.opts, onProgress);
  }

  /**
   * The voxels inside `box` may have changed: mesh again the labels that gained or lost voxels
   * there. A label that vanished comes back with an empty mesh. `values` (shared labels only):
   * the label values the edit wrote or overwrote, when the caller knows them.
   */
  update(box: IndexBox, values?: Iterable<number>): LabelMesh[] {
    const [nx, ny, nz] = this.labels.header.dims;
    const lo = box.lo.map((v) => Math.max(0, Math.floor(v))) as Vec3;
    const hi = box.hi.map((v, a) => Math.min([nx, ny, nz][a], Math.ceil(v))) as Vec3;
    if (hi.some((v, a) => v <= lo[a])) return [];
    const changed = this.seen ? this.compare(lo, hi, this.seen) : this.remeasure(lo, hi, values);
    const wanted = this.opts.labels ? new Set(this.opts.labels) : null;
    const out: LabelMesh[] = [];
    for (const label of [...changed].sort((a, b) => a - b)) {
      if (wanted && !wanted.has(label)) continue;
      const e = this.extents.get(label) ?? { lo: [0, 0, 0] as Vec3, hi: [0, 0, 0] as Vec3, count: 0 };
      if (e.count === 0) this.extents.delete(label);
      out.push(meshLabel(this.labels, label, e, this.opts));
    }
    return out;
  }

  /** Copy path: compare the box with `seen`, adjust extents voxel by voxel, return the labels touched. */
  private compare(lo: Vec3, hi: Vec3, seen: Volume['voxels']): Set<number> {
    const [nx, ny] = this.labels.header.dims;
    const now = this.labels.voxels;
    const changed = new Set<number>();
    for (let z = lo[2]; z < hi[2]; z++) {
      for (let y = lo[1]; y < hi[1]; y++) {
        for (let x = lo[0], i = lo[0] + y * nx + z * nx * ny; x < hi[0]; x++, i++) {
          const before = seen[i],
            after = now[i];
          if (before === after) continue;
          seen[i] = after;
          if (before !== 0) {
            changed.add(before);
            this.extents.get(before)!.count--;
          }
          if (after !== 0) {
            changed.add(after);
            const e = this.extents.get(after);
            if (!e) this.extents.set(after, { lo: [x, y, z], hi: [x, y, z], count: 1 });
            else {
              e.count++;
              for (const [a, v] of [x, y, z].entries()) {
                if (v < e.lo[a]) e.lo[a] = v;
                if (v > e.hi[a]) e.hi[a] = v;
              }
            }
          }
        }
      }
    }
    return changed;
  }

  /** Shared path: the labels the edit may have touched, each with its extent measured again. */
  private remeasure(lo: Vec3, hi: Vec3, values?: Iterable<number>): Set<number> {
    const [nx, ny] = this.labels.header.dims;
    const v = this.labels.voxels;
    let changed: Set<number>;
    if (values) changed = new Set([...values].filter((x) => x !== 0));
    else {
      changed = new Set();
      for (const [label, e] of this.extents)
        if (e.lo.every((l, a) => l < hi[a] && e.hi[a] >= lo[a])) changed.add(label);
      for (let z = lo[2]; z < hi[2]; z++)
        for (let y = lo[1]; y < hi[1]; y++)
          for (let i = lo[0] + y * nx + z * nx * ny, end = i + hi[0] - lo[0]; i < end; i++)
            if (v[i] !== 0) changed.add(v[i]);
    }
    for (const label of changed) {
      const old = this.extents.get(label);
      const a = old ? (old.lo.map((l, k) => Math.min(l, lo[k])) as Vec3) : lo;
      const b = old ? (old.hi.map((h, k) => Math.max(h + 1, hi[k])) as Vec3) : hi;
      this.extents.set(label, extentIn(this.labels, label, a, b));
    }
    return changed;
  }

  /** Take extents measured by the caller, which meshed the current voxels itself. */
  adopt(extents: Map<number, LabelExtent>): void {
    this.seen?.set(this.labels.voxels);
    this.extents = extents;
  }

  /** Label values present now. */
  get present(): number[] {
    return [...this.extents.keys()].sort((a, b) => a - b);
  }
}

/** Bounding box and count of `label` within index box [lo, hi) (count 0: absent there). */
function extentIn(labels: Volume, label: number, lo: Readonly<Vec3>, hi: Readonly<Vec3>): LabelExtent {
  const [nx, ny] = labels.header.dims;
  const v = labels.voxels;
  const e: LabelExtent = { lo: [hi[0], hi[1], hi[2]], hi: [-1, -1, -1], count: 0 };
  for (let z = lo[2]; z < hi[2]; z++)
    for (let y = lo[1]; y < hi[1]; y++)
      for (let x = lo[0], i = lo[0] + y * nx + z * nx * ny; x < hi[0]; x++, i++) {
        if (v[i] !== label) continue;
        e.count++;
        if (x < e.lo[0]) e.lo[0] = x;
        if (x > e.hi[0]) e.hi[0] = x;
        if (y < e.lo[1]) e.lo[1] = y;
        if (y > e.hi[1]) e.hi[1] = y;
        if (z < e.lo[2]) e.lo[2] = z;
        e.hi[2] = z;
      }
  return e;
}
