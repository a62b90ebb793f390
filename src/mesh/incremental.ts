/**
 * Keeps the meshes of a label map up to date as it changes: after an edit (or a new result
 * written over part of it) only the labels whose voxels changed are meshed again.
 */
import type { IndexBox, ProgressCallback, Vec3, Volume } from '../core/types';
import { labelExtents, meshExtents, meshLabel, type LabelExtent } from './mesher';
import type { LabelMesh, MeshOptions } from './types';

export type { IndexBox } from '../core/types';

export class IncrementalMesher {
  /** The voxels as last meshed, to tell which labels an edit touched. */
  private readonly seen: Volume['voxels'];
  private extents = new Map<number, LabelExtent>();

  /** `labels.voxels` is the live label map: edit it in place, then call `update`. */
  constructor(
    readonly labels: Volume,
    private readonly opts: MeshOptions = {},
  ) {
    this.seen = labels.voxels.slice();
  }

  /** Mesh every label (or `opts.labels`). */
  meshAll(onProgress?: ProgressCallback): LabelMesh[] {
    this.seen.set(this.labels.voxels);
    this.extents = labelExtents(this.labels);
    const which = this.opts.labels ? [...this.opts.labels] : [...this.extents.keys()].sort((a, b) => a - b);
    return meshExtents(this.labels, this.extents, which, this.opts, onProgress);
  }

  /**
   * The voxels inside `box` may have changed: mesh again the labels that gained or lost voxels
   * there. A label that vanished comes back with an empty mesh.
   */
  update(box: IndexBox): LabelMesh[] {
    const [nx, ny, nz] = this.labels.header.dims;
    const lo = box.lo.map((v) => Math.max(0, Math.floor(v))) as Vec3;
    const hi = box.hi.map((v, a) => Math.min([nx, ny, nz][a], Math.ceil(v))) as Vec3;
    const now = this.labels.voxels, seen = this.seen;
    const changed = new Set<number>();
    for (let z = lo[2]; z < hi[2]; z++) {
      for (let y = lo[1]; y < hi[1]; y++) {
        for (let x = lo[0], i = lo[0] + y * nx + z * nx * ny; x < hi[0]; x++, i++) {
          const before = seen[i], after = now[i];
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
    const wanted = this.opts.labels ? new Set(this.opts.labels) : null;
    const out: LabelMesh[] = [];
    for (const label of [...changed].sort((a, b) => a - b)) {
      if (wanted && !wanted.has(label)) continue;
      const e = this.extents.get(label)!;
      if (e.count === 0) this.extents.delete(label);
      out.push(meshLabel(this.labels, label, e, this.opts));
    }
    return out;
  }

  /** Take extents measured by the caller, which meshed the current voxels itself. */
  adopt(extents: Map<number, LabelExtent>): void {
    this.seen.set(this.labels.voxels);
    this.extents = extents;
  }

  /** Label values present now. */
  get present(): number[] {
    return [...this.extents.keys()].sort((a, b) => a - b);
  }
}
