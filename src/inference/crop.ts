/**
 * Crop a flat voxel array (i fastest, then j, then k) to a box and paste it back, for running a
 * whole-volume model on the head only.
 */
import { VoxsegError } from '../core/errors';
import type { Vec3 } from '../core/types';

/** Voxel box: start inclusive, end exclusive, per axis (i, j, k). */
export interface Box {
  start: Vec3;
  end: Vec3;
}

export function boxDims(box: Box): Vec3 {
  return [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
}

/**
 * Bounding box of the voxels != 0, grown by `padding` voxels on every side and clamped to the
 * volume; null when every voxel is 0 (NaN counts as non-zero).
 */
export function nonZeroBox(voxels: ArrayLike<number>, dims: Readonly<Vec3>, padding: number): Box | null {
  const box = boxWhere(voxels, dims, (v) => v !== 0);
  return box && growBox(box, padding, dims);
}

/** `box` grown by `padding` voxels on every side, clamped to the volume (brainchop's crop margin). */
export function growBox(box: Box, padding: number, dims: Readonly<Vec3>): Box {
  if (!(padding >= 0) || !Number.isInteger(padding))
    throw new VoxsegError('usage', `padding must be a non-negative integer, got ${padding}`);
  return {
    start: box.start.map((s) => Math.max(0, s - padding)) as Vec3,
    end: box.end.map((e, a) => Math.min(dims[a], e + padding)) as Vec3,
  };
}

/** Bounding box of the voxels > `threshold` (brainchop's crop mask), or null when there are none. */
export function boxAbove(voxels: ArrayLike<number>, dims: Readonly<Vec3>, threshold: number): Box | null {
  return boxWhere(voxels, dims, (v) => v > threshold);
}

function boxWhere(voxels: ArrayLike<number>, dims: Readonly<Vec3>, inside: (v: number) => boolean): Box | null {
  const [nx, ny, nz] = dims;
  checkLength(voxels.length, dims, 'voxels');
  let i0 = nx;
  let i1 = -1;
  let j0 = ny;
  let j1 = -1;
  let k0 = nz;
  let k1 = -1;
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++, o += nx) {
      let first = -1;
      for (let i = 0; i < nx; i++) {
        if (inside(voxels[o + i])) {
          first = i;
          break;
        }
      }
      if (first < 0) continue;
      let last = nx - 1;
      while (!inside(voxels[o + last])) last--;
      if (first < i0) i0 = first;
      if (last > i1) i1 = last;
      if (j < j0) j0 = j;
      if (j > j1) j1 = j;
      if (k0 === nz) k0 = k;
      k1 = k;
    }
  }
  if (i1 < 0) return null;
  return { start: [i0, j0, k0], end: [i1 + 1, j1 + 1, k1 + 1] };
}

/** Typed arrays a box can be cut from and pasted into. */
export type BoxArray =
  Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** Copy of the voxels of `src` (dims `dims`) inside `box`, of the same array type. */
export function cropArray<T extends BoxArray>(src: T, dims: Readonly<Vec3>, box: Box): T {
  checkLength(src.length, dims, 'source');
  checkBox(box, dims);
  const [bx, by, bz] = boxDims(box);
  const out = new (src.constructor as new (n: number) => T)(bx * by * bz);
  const [nx, ny] = dims;
  let o = 0;
  for (let k = box.start[2]; k < box.end[2]; k++) {
    for (let j = box.start[1]; j < box.end[1]; j++, o += bx) {
      const s = box.start[0] + j * nx + k * nx * ny;
      out.set(src.subarray(s, s + bx), o);
    }
  }
  return out;
}

/** Write `src` (the box's dims) into `dst` (dims `dims`) at `box`; voxels outside are untouched. */
export function pasteArray<T extends BoxArray>(dst: T, dims: Readonly<Vec3>, box: Box, src: T): void {
  checkLength(dst.length, dims, 'destination');
  checkBox(box, dims);
  const [bx, by, bz] = boxDims(box);
  if (src.length !== bx * by * bz)
    throw new VoxsegError(
      'usage',
      `pasted array has ${src.length} voxels, the box ${bx}x${by}x${bz} needs ${bx * by * bz}`,
    );
  const [nx, ny] = dims;
  let o = 0;
  for (let k = box.start[2]; k < box.end[2]; k++) {
    for (let j = box.start[1]; j < box.end[1]; j++, o += bx) {
      dst.set(src.subarray(o, o + bx), box.start[0] + j * nx + k * nx * ny);
    }
  }
}

function checkLength(n: number, dims: Readonly<Vec3>, what: string): void {
  if (n !== dims[0] * dims[1] * dims[2])
    throw new VoxsegError(
      'usage',
      `${what} has ${n} voxels, dims ${dims.join('x')} need ${dims[0] * dims[1] * dims[2]}`,
    );
}

function checkBox(box: Box, dims: Readonly<Vec3>): void {
  for (let a = 0; a < 3; a++) {
    const s = box.start[a];
    const e = box.end[a];
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > dims[a] || e <= s)
      throw new VoxsegError('usage', `box ${JSON.stringify(box)} does not fit dims ${dims.join('x')}`);
  }
}
