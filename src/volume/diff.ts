/**
 * Run-length voxel diffs: what an edit changed in a label map, small enough to keep hundreds of
 * them for undo. A run is a stretch of consecutive flat offsets whose voxels all went from one
 * value to another; unchanged voxels cost nothing, so a brush dab costs a few runs per row it
 * touched and a whole-map replace costs a few runs per row an organ crosses.
 *
 * Flat offsets follow src/core/types.ts: i + j*nx + k*nx*ny. Boxes are `IndexBox`es.
 */
import { VoxsegError } from '../core/errors';
import type { IndexBox, Vec3 } from '../core/types';
import { boxVoxels, emptyBox } from './box';

/** Label maps the editor works on (segment values 1..65535, 0 = background). */
export type LabelArray = Uint8Array | Uint16Array;

/**
 * Run r covers flat offsets [start[r], start[r]+length[r]); every voxel in it had before[r] and
 * now has after[r]. Runs sorted by start, non-overlapping. `box` bounds the changed voxels
 * (all zeros when nothing changed); `voxels` is the number of changed voxels.
 */
export interface VoxelDiff {
  start: Uint32Array;
  length: Uint32Array;
  before: Uint16Array;
  after: Uint16Array;
  box: IndexBox;
  voxels: number;
}

/** Collects runs in increasing order, joining a run to the previous one when they touch with equal values. */
export class RunBuilder {
  private start = new Uint32Array(64);
  private length = new Uint32Array(64);
  private before = new Uint16Array(64);
  private after = new Uint16Array(64);
  private n = 0;
  private end = -1;

  get count(): number {
    return this.n;
  }

  push(start: number, length: number, before: number, after: number): void {
    const n = this.n;
    if (start === this.end && this.before[n - 1] === before && this.after[n - 1] === after) {
      this.length[n - 1] += length;
      this.end += length;
      return;
    }
    if (n === this.start.length) this.grow();
    this.start[n] = start;
    this.length[n] = length;
    this.before[n] = before;
    this.after[n] = after;
    this.n = n + 1;
    this.end = start + length;
  }

  /** The runs as a diff (exact-size copies); `clip` tightens the box (the region the runs came from). */
  finish(dims: Readonly<Vec3>, clip?: IndexBox): VoxelDiff {
    const n = this.n;
    const d: VoxelDiff = {
      start: this.start.slice(0, n),
      length: this.length.slice(0, n),
      before: this.before.slice(0, n),
      after: this.after.slice(0, n),
      box: emptyBox(),
      voxels: 0,
    };
    for (let r = 0; r < n; r++) d.voxels += d.length[r];
    d.box = runsBox(d.start, d.length, dims, clip);
    return d;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const s = new Uint32Array(cap),
      l = new Uint32Array(cap),
      b = new Uint16Array(cap),
      a = new Uint16Array(cap);
    s.set(this.start);
    l.set(this.length);
    b.set(this.before);
    a.set(this.after);
    [this.start, this.length, this.before, this.after] = [s, l, b, a];
  }
}

export function emptyDiff(): VoxelDiff {
  return {
    start: new Uint32Array(0),
    length: new Uint32Array(0),
    before: new Uint16Array(0),
    after: new Uint16Array(0),
    box: emptyBox(),
    voxels: 0,
  };
}

/** Bounding box of runs; a run crossing rows widens x (and y) to the whole row (slice), then `clip` applies. */
export function runsBox(start: Uint32Array, length: Uint32Array, dims: Readonly<Vec3>, clip?: IndexBox): IndexBox {
  if (start.length === 0) return emptyBox();
  const [nx, ny, nz] = dims;
  const nxy = nx * ny;
  let x0 = nx,
    y0 = ny,
    z0 = nz,
    x1 = 0,
    y1 = 0,
    z1 = 0;
  for (let r = 0; r < start.length; r++) {
    const s = start[r],
      e = s + length[r] - 1;
    const zs = Math.floor(s / nxy),
      ze = Math.floor(e / nxy);
    const ys = Math.floor((s - zs * nxy) / nx),
      ye = Math.floor((e - ze * nxy) / nx);
    if (zs < z0) z0 = zs;
    if (ze + 1 > z1) z1 = ze + 1;
    if (zs !== ze) ((y0 = 0), (y1 = ny), (x0 = 0), (x1 = nx));
    else {
      if (ys < y0) y0 = ys;
      if (ye + 1 > y1) y1 = ye + 1;
      if (ys !== ye) ((x0 = 0), (x1 = nx));
      else {
        const xs = s - zs * nxy - ys * nx;
        if (xs < x0) x0 = xs;
        if (xs + length[r] > x1) x1 = xs + length[r];
      }
    }
  }
  const box: IndexBox = { lo: [x0, y0, z0], hi: [x1, y1, z1] };
  if (clip)
    for (let a = 0; a < 3; a++)
      ((box.lo[a] = Math.max(box.lo[a], clip.lo[a])), (box.hi[a] = Math.min(box.hi[a], clip.hi[a])));
  return box;
}

/** Copy the voxels of `box` (row-major within the box) into `out` when it is big enough and of the same type, else a new array. */
export function snapshotBox(labels: LabelArray, dims: Readonly<Vec3>, box: IndexBox, out?: LabelArray): LabelArray {
  const n = boxVoxels(box);
  const dst =
    out && out.length >= n && out.constructor === labels.constructor
      ? out.subarray(0, n)
      : labels instanceof Uint8Array
        ? new Uint8Array(n)
        : new Uint16Array(n);
  const [nx, ny] = dims;
  const w = box.hi[0] - box.lo[0];
  let s = 0;
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++, s += w) {
      const i = box.lo[0] + y * nx + z * nx * ny;
      dst.set(labels.subarray(i, i + w), s);
    }
  return dst;
}

/** Runs where `labels` (now) differs from `snapshot` (the box's voxels before, as `snapshotBox` wrote them). O(box). */
export function diffBox(labels: LabelArray, dims: Readonly<Vec3>, box: IndexBox, snapshot: LabelArray): VoxelDiff {
  const [nx, ny] = dims;
  const nxy = nx * ny;
  const [x0, y0, z0] = box.lo;
  const [x1, y1, z1] = box.hi;
  const w = x1 - x0;
  const out = new RunBuilder();
  let s = 0,
    cs = -1,
    ce = -1,
    cb = 0,
    ca = 0;
  for (let z = z0; z < z1; z++)
    for (let y = y0; y < y1; y++) {
      for (let i = x0 + y * nx + z * nxy, end = i + w; i < end; i++, s++) {
        const b = snapshot[s],
          a = labels[i];
        if (b === a) continue;
        if (i === ce && b === cb && a === ca) ce++;
        else {
          if (cs >= 0) out.push(cs, ce - cs, cb, ca);
          ((cs = i), (ce = i + 1), (cb = b), (ca = a));
        }
      }
    }
  if (cs >= 0) out.push(cs, ce - cs, cb, ca);
  return out.finish(dims, box);
}

/** Runs where `after` differs from `before` over the whole map (null = all zeros). No copy is made. */
export function diffArrays(
  before: ArrayLike<number> | null,
  after: ArrayLike<number> | null,
  dims: Readonly<Vec3>,
): VoxelDiff {
  const out = new RunBuilder();
  const n = dims[0] * dims[1] * dims[2];
  let cs = -1,
    ce = -1,
    cb = 0,
    ca = 0;
  for (let i = 0; i < n; i++) {
    const b = before === null ? 0 : before[i],
      a = after === null ? 0 : after[i];
    if (b === a) continue;
    if (i === ce && b === cb && a === ca) ce++;
    else {
      if (cs >= 0) out.push(cs, ce - cs, cb, ca);
      ((cs = i), (ce = i + 1), (cb = b), (ca = a));
    }
  }
  if (cs >= 0) out.push(cs, ce - cs, cb, ca);
  return out.finish(dims);
}

/** Write one side of a diff into the label map: 'before' undoes it, 'after' (re)does it. */
export function applyDiff(labels: LabelArray, diff: VoxelDiff, which: 'before' | 'after'): void {
  const v = which === 'before' ? diff.before : diff.after;
  const { start, length } = diff;
  for (let r = 0; r < start.length; r++) labels.fill(v[r], start[r], start[r] + length[r]);
}

/** Two sequential diffs as one, in one merge pass over their runs. */
function compose2(a: VoxelDiff, b: VoxelDiff, dims: Readonly<Vec3>): VoxelDiff {
  const out = new RunBuilder();
  const na = a.start.length,
    nb = b.start.length;
  let i = 0,
    j = 0;
  let p = Math.min(na ? a.start[0] : Infinity, nb ? b.start[0] : Infinity);
  while (i < na || j < nb) {
    const sa = i < na ? a.start[i] : Infinity,
      ea = i < na ? sa + a.length[i] : Infinity;
    const sb = j < nb ? b.start[j] : Infinity,
      eb = j < nb ? sb + b.length[j] : Infinity;
    const inA = sa <= p,
      inB = sb <= p;
    if (!inA && !inB) {
      p = Math.min(sa, sb);
      continue;
    }
    const q = Math.min(inA ? ea : sa, inB ? eb : sb);
    const before = inA ? a.before[i] : b.before[j];
    const after = inB ? b.after[j] : a.after[i];
    if (before !== after) out.push(p, q - p, before, after);
    p = q;
    if (inA && q === ea) i++;
    if (inB && q === eb) j++;
  }
  return out.finish(dims);
}

/**
 * Sequential diffs (each applied after the previous) as one: a voxel keeps the value it had
 * before the first diff touching it and the value after the last; voxels that end where they
 * started drop out. Pairwise merges in a tree: O(runs · log diffs).
 */
export function composeDiffs(diffs: readonly VoxelDiff[], dims: Readonly<Vec3>): VoxelDiff {
  let list = diffs.filter((d) => d.start.length > 0);
  if (list.length === 0) return emptyDiff();
  while (list.length > 1) {
    const next: VoxelDiff[] = [];
    for (let k = 0; k < list.length; k += 2)
      next.push(k + 1 < list.length ? compose2(list[k], list[k + 1], dims) : list[k]);
    list = next;
  }
  return list[0];
}

/** Memory held by a diff (its arrays plus a small fixed overhead). */
export function diffBytes(d: VoxelDiff): number {
  return d.start.byteLength + d.length.byteLength + d.before.byteLength + d.after.byteLength + 96;
}

const MAGIC = [0x56, 0x58, 0x44, 0x31]; // 'VXD1'

/**
 * Compact binary form for storage: 'VXD1', then LEB128 varints: box lo/hi, run count, and per run
 * the gap from the previous run's end, the length, before and after.
 */
export function encodeDiff(d: VoxelDiff): Uint8Array {
  const n = d.start.length;
  const buf = new Uint8Array(4 + 8 * 5 + n * 16);
  buf.set(MAGIC);
  let p = 4;
  const put = (v: number): void => {
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p++] = v;
  };
  for (const v of [...d.box.lo, ...d.box.hi, n]) put(v);
  let end = 0;
  for (let r = 0; r < n; r++) {
    put(d.start[r] - end);
    put(d.length[r]);
    put(d.before[r]);
    put(d.after[r]);
    end = d.start[r] + d.length[r];
  }
  return buf.slice(0, p);
}

export function decodeDiff(bytes: Uint8Array): VoxelDiff {
  if (bytes.length < 4 || MAGIC.some((m, k) => bytes[k] !== m))
    throw new VoxsegError('unreadable', 'not an encoded voxel diff (bad magic)');
  let p = 4;
  const get = (): number => {
    let v = 0,
      scale = 1;
    for (;;) {
      if (p >= bytes.length) throw new VoxsegError('truncated', 'encoded voxel diff ends early');
      const b = bytes[p++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  const lo: Vec3 = [get(), get(), get()];
  const hi: Vec3 = [get(), get(), get()];
  const n = get();
  if (n > bytes.length)
    throw new VoxsegError('unreadable', `encoded voxel diff claims ${n} runs in ${bytes.length} bytes`);
  const d: VoxelDiff = {
    start: new Uint32Array(n),
    length: new Uint32Array(n),
    before: new Uint16Array(n),
    after: new Uint16Array(n),
    box: { lo, hi },
    voxels: 0,
  };
  let end = 0;
  for (let r = 0; r < n; r++) {
    d.start[r] = end + get();
    d.length[r] = get();
    d.before[r] = get();
    d.after[r] = get();
    end = d.start[r] + d.length[r];
    d.voxels += d.length[r];
  }
  return d;
}

/** The distinct values a diff writes (`which` side), background included. */
export function diffValues(d: VoxelDiff, which: 'before' | 'after'): Set<number> {
  const out = new Set<number>();
  for (const v of which === 'before' ? d.before : d.after) out.add(v);
  return out;
}
