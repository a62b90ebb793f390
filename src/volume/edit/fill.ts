/**
 * Flood fill: the connected region of voxels holding the seed's value (and, optionally, whose
 * study intensity lies in a window) gets a new value. 6-connected in 3D, 4-connected within one
 * slice. Scanline algorithm: whole row spans are filled at once and only span starts go on an
 * explicit stack, so the cost is O(region) and memory O(spans), never a visited map of the volume.
 * The filled spans become the diff directly (every one went from the seed's value to the new one).
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, VoxelArray } from '../../core/types';
import { RunBuilder, type LabelArray, type VoxelDiff } from '../diff';
import { grown } from './grow';

export interface FillOptions {
  /** 2D fill in the slice perpendicular to this index axis through the seed; undefined = 3D. */
  plane?: 0 | 1 | 2;
  /** Study intensities on the same grid, with `threshold` [lo, hi] (inclusive). */
  intensity?: VoxelArray;
  threshold?: readonly [number, number];
}

/** Span lengths and offsets share one sortable key: offset * 2^20 + length (rows under 2^20 voxels). */
const KEY = 1 << 20;

function fillable(
  labels: LabelArray,
  img: VoxelArray | undefined,
  i: number,
  from: number,
  lo: number,
  hi: number,
): boolean {
  if (labels[i] !== from) return false;
  if (img === undefined) return true;
  const g = img[i];
  return g >= lo && g <= hi;
}

/**
 * Fill from integral `seed` with `value`; returns the change (null when the seed is off the grid,
 * already holds `value`, or fails the window). The seed's value must not be locked (the caller checks).
 */
export function floodFill(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  seed: Readonly<Vec3>,
  value: number,
  opts: FillOptions = {},
): VoxelDiff | null {
  const [nx, ny, nz] = dims;
  if (nx >= KEY) throw new VoxsegError('unsupported', `flood fill handles rows of up to ${KEY - 1} voxels, got ${nx}`);
  const nxy = nx * ny;
  const [sx, sy, sz] = seed;
  if (!(sx >= 0 && sy >= 0 && sz >= 0 && sx < nx && sy < ny && sz < nz)) return null;
  const from = labels[sx + sy * nx + sz * nxy];
  if (from === value) return null;
  const img = opts.threshold ? opts.intensity : undefined;
  const lo = opts.threshold ? opts.threshold[0] : 0,
    hi = opts.threshold ? opts.threshold[1] : 0;
  const seedOff = sx + sy * nx + sz * nxy;
  if (!fillable(labels, img, seedOff, from, lo, hi)) return null;

  // Rows run along x, except in a sagittal slice (plane 0) where they run along y.
  const plane = opts.plane;
  const alongY = plane === 0;
  const stride = alongY ? nx : 1,
    rowLen = alongY ? ny : nx;
  const stepY = plane === undefined || plane === 2,
    stepZ = plane !== 2;
  let stack = new Uint32Array(256),
    top = 0;
  let keys = new Float64Array(256),
    nk = 0;
  stack[top++] = seedOff;
  while (top > 0) {
    const off = stack[--top];
    if (!fillable(labels, img, off, from, lo, hi)) continue;
    const z = Math.floor(off / nxy),
      y = Math.floor((off - z * nxy) / nx),
      x = off - z * nxy - y * nx;
    const p = alongY ? y : x;
    let a = off,
      b = off;
    for (let pa = p; pa > 0 && fillable(labels, img, a - stride, from, lo, hi); pa--) a -= stride;
    for (let pb = p; pb < rowLen - 1 && fillable(labels, img, b + stride, from, lo, hi); pb++) b += stride;
    for (let q = a; q <= b; q += stride) labels[q] = value;
    if (alongY) {
      keys = grown(keys, nk + (b - a) / stride + 1);
      for (let q = a; q <= b; q += stride) keys[nk++] = q * KEY + 1;
    } else {
      keys = grown(keys, nk + 1);
      keys[nk++] = a * KEY + (b - a + 1);
    }
    // Seed the neighbouring rows at the start of each fillable stretch next to [a, b].
    for (let n = 0; n < 4; n++) {
      const d = n === 0 ? -nx : n === 1 ? nx : n === 2 ? -nxy : nxy;
      if (n < 2 ? !stepY || alongY || (n === 0 ? y === 0 : y === ny - 1) : !stepZ || (n === 2 ? z === 0 : z === nz - 1))
        continue;
      let prevOk = false;
      for (let q = a; q <= b; q += stride) {
        const here = fillable(labels, img, q + d, from, lo, hi);
        if (here && !prevOk) {
          stack = grown(stack, top + 1);
          stack[top++] = q + d;
        }
        prevOk = here;
      }
    }
  }
  const sorted = keys.subarray(0, nk).sort();
  const out = new RunBuilder();
  for (let k = 0; k < nk; k++) {
    const len = sorted[k] % KEY;
    out.push((sorted[k] - len) / KEY, len, from, value);
  }
  return out.finish(dims);
}
