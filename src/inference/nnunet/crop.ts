/**
 * nnU-Net v2's crop_to_nonzero (nnunetv2/preprocessing/cropping/cropping.py) and its way back.
 *
 * - Mask: voxels where any channel is != 0 (NaN counts as non-zero, as `data != 0` does).
 * - Holes filled as scipy.ndimage.binary_fill_holes with its default structure (6-connectivity
 *   in 3-D): a background voxel stays background only if a 6-connected path of background voxels
 *   leads from it to the array border (outside the array counts as background).
 * - Bounding box of the filled mask as acvl_utils' get_bbox_from_mask: per axis [min, max + 1).
 *   An all-zero image gives the whole image (that function starts from the full extent and only
 *   narrows when it finds a non-empty slice; the older np.where version raised instead).
 * - nnU-Net also returns the filled mask inside the box (as its `seg`: 0 inside, -1 outside), used
 *   by normalizations with use_mask_for_norm; here it is `mask` (1 inside, 0 outside).
 * - Going back, nnU-Net pastes the prediction into an array of the pre-crop shape filled with 0
 *   (background); `uncropArray` does that with any fill value.
 *
 * Arrays are flat with the last axis fastest, `shape` in numpy order (see src/volume/spline.ts);
 * a bounding box is given in the same axis order. The hole filling floods the outside background
 * run by run (6-connected, one stack entry per run of voxels along the last axis), so its memory is
 * the mask (1 byte per voxel) plus a stack that is far smaller than the volume.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3 } from '../../core/types';
import { cropArray as cropBoxArray, pasteArray, type Box } from '../crop';

/** [start, end) per axis, numpy axis order. */
export type BBox3 = [[number, number], [number, number], [number, number]];
export type Shape3 = readonly [number, number, number];
type Typed = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

export interface NonzeroCrop<T> {
  bbox: BBox3;
  /** Shape of the cropped arrays. */
  shape: [number, number, number];
  /** Every channel cropped to the box (same array type as given; plain arrays become Float32Array). */
  channels: T[];
  /** The filled non-zero mask inside the box: 1 = inside (nnU-Net seg 0), 0 = outside (seg -1). */
  mask: Uint8Array;
}

/** nnU-Net's crop_to_nonzero for one image (one or more channels of the same shape). */
export function cropToNonzero<T extends ArrayLike<number>>(
  channels: readonly T[],
  shape: Shape3,
): NonzeroCrop<T extends Typed ? T : Float32Array> {
  const mask = nonzeroMask(channels, shape);
  fillHoles(mask, shape);
  const bbox = bboxFromMask(mask, shape);
  const cropped = channels.map((c) => cropArray(c, shape, bbox));
  return {
    bbox,
    shape: bboxShape(bbox),
    channels: cropped as (T extends Typed ? T : Float32Array)[],
    mask: cropArray(mask, shape, bbox),
  };
}

/** 1 where any channel is != 0. */
export function nonzeroMask(channels: readonly ArrayLike<number>[], shape: Shape3): Uint8Array {
  const n = checkShape(shape);
  if (channels.length === 0) throw new VoxsegError('usage', 'crop to non-zero needs at least one channel');
  const mask = new Uint8Array(n);
  for (const c of channels) {
    if (c.length !== n)
      throw new VoxsegError('usage', `a channel has ${c.length} values, shape ${shape.join('x')} needs ${n}`);
    for (let i = 0; i < n; i++) if (c[i] !== 0) mask[i] = 1;
  }
  return mask;
}

/**
 * scipy.ndimage.binary_fill_holes(mask) in place (default structure: 6-connectivity): background
 * (0) voxels not 6-connected to the border become 1. Returns the same array.
 */
export function fillHoles(mask: Uint8Array, shape: Shape3): Uint8Array {
  const n = checkShape(shape);
  if (mask.length !== n)
    throw new VoxsegError('usage', `mask has ${mask.length} values, shape ${shape.join('x')} needs ${n}`);
  const [n0, n1, n2] = shape;
  const REACHED = 2;
  for (let i = 0; i < n; i++) if (mask[i] !== 0) mask[i] = 1;
  // Stack of runs (row, first, last) along the last axis; row = i0 * n1 + i1.
  let stack = new Int32Array(3 * 1024);
  let top = 0;
  const push = (row: number, a: number, b: number): void => {
    if (top + 3 > stack.length) {
      const bigger = new Int32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack[top++] = row;
    stack[top++] = a;
    stack[top++] = b;
  };
  /** Mark the whole background run through voxel x of `row` and push it. */
  const claimRun = (row: number, x: number): number => {
    const base = row * n2;
    let a = x;
    let b = x;
    while (a > 0 && mask[base + a - 1] === 0) a--;
    while (b < n2 - 1 && mask[base + b + 1] === 0) b++;
    mask.fill(REACHED, base + a, base + b + 1);
    push(row, a, b);
    return b;
  };
  // Seeds: every background run of a border row (first/last along axes 0 and 1), and in other
  // rows the runs at both ends of the last axis.
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      const row = i0 * n1 + i1;
      const base = row * n2;
      if (i0 === 0 || i0 === n0 - 1 || i1 === 0 || i1 === n1 - 1) {
        for (let x = 0; x < n2; x++) if (mask[base + x] === 0) x = claimRun(row, x);
      } else {
        if (mask[base] === 0) claimRun(row, 0);
        if (mask[base + n2 - 1] === 0) claimRun(row, n2 - 1);
      }
    }
  }
  // Flood: each run reaches the background voxels next to it in the 4 neighbouring rows.
  while (top > 0) {
    const b = stack[--top];
    const a = stack[--top];
    const row = stack[--top];
    const i0 = Math.floor(row / n1);
    const i1 = row - i0 * n1;
    const neighbours = [
      i0 > 0 ? row - n1 : -1,
      i0 < n0 - 1 ? row + n1 : -1,
      i1 > 0 ? row - 1 : -1,
      i1 < n1 - 1 ? row + 1 : -1,
    ];
    for (const r of neighbours) {
      if (r < 0) continue;
      const base = r * n2;
      for (let x = a; x <= b; x++) if (mask[base + x] === 0) x = claimRun(r, x);
    }
  }
  for (let i = 0; i < n; i++) mask[i] = mask[i] === REACHED ? 0 : 1;
  return mask;
}

/** acvl_utils get_bbox_from_mask: [first, last + 1) of the non-zero slices per axis; all zero: whole array. */
export function bboxFromMask(mask: ArrayLike<number>, shape: Shape3): BBox3 {
  const n = checkShape(shape);
  if (mask.length !== n)
    throw new VoxsegError('usage', `mask has ${mask.length} values, shape ${shape.join('x')} needs ${n}`);
  const [n0, n1, n2] = shape;
  const lo = [n0, n1, n2];
  const hi = [-1, -1, -1];
  let i = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++, i++) {
        if (mask[i] === 0) continue;
        if (a < lo[0]) lo[0] = a;
        if (a > hi[0]) hi[0] = a;
        if (b < lo[1]) lo[1] = b;
        if (b > hi[1]) hi[1] = b;
        if (c < lo[2]) lo[2] = c;
        if (c > hi[2]) hi[2] = c;
      }
  if (hi[0] < 0)
    return [
      [0, n0],
      [0, n1],
      [0, n2],
    ];
  return [
    [lo[0], hi[0] + 1],
    [lo[1], hi[1] + 1],
    [lo[2], hi[2] + 1],
  ];
}

export function bboxShape(bbox: BBox3): [number, number, number] {
  return [bbox[0][1] - bbox[0][0], bbox[1][1] - bbox[1][0], bbox[2][1] - bbox[2][0]];
}

/** The same box as voxseg's (i, j, k) Box of src/inference/crop.ts. */
function toBox(bbox: BBox3): Box {
  return { start: [bbox[2][0], bbox[1][0], bbox[0][0]], end: [bbox[2][1], bbox[1][1], bbox[0][1]] };
}

function gridDims(shape: Shape3): Vec3 {
  return [shape[2], shape[1], shape[0]];
}

/**
 * array[box] (numpy slicing), same array type (plain arrays: Float32Array). A box covering the
 * whole array (the usual CT) returns `src` itself: no copy, the caller owns it either way.
 */
export function cropArray<T extends ArrayLike<number>>(
  src: T,
  shape: Shape3,
  bbox: BBox3,
): T extends Typed ? T : Float32Array {
  const n = checkShape(shape);
  if (src.length !== n)
    throw new VoxsegError('usage', `array has ${src.length} values, shape ${shape.join('x')} needs ${n}`);
  checkBox(bbox, shape);
  const typed = (ArrayBuffer.isView(src) ? src : Float32Array.from(src)) as unknown as Typed;
  const whole = bbox.every(([s, e], a) => s === 0 && e === shape[a]);
  return (whole ? typed : cropBoxArray(typed, gridDims(shape), toBox(bbox))) as T extends Typed ? T : Float32Array;
}

/** Paste a cropped array back into an array of `fullShape` filled with `fill` (nnU-Net: 0); a whole-array box returns `crop` itself. */
export function uncropArray<T extends Typed>(crop: T, bbox: BBox3, fullShape: Shape3, fill = 0): T {
  const n = checkShape(fullShape);
  checkBox(bbox, fullShape);
  if (fill === 0 && crop.length === n) return crop; // the box was the whole array: nothing to paste
  const out = new (crop.constructor as new (n: number) => T)(n);
  if (fill !== 0) out.fill(fill);
  pasteArray(out, gridDims(fullShape), toBox(bbox), crop);
  return out;
}

function checkShape(shape: Shape3): number {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new VoxsegError('usage', `shape must be three positive integers, got [${shape.join(', ')}]`);
  }
  return shape[0] * shape[1] * shape[2];
}

function checkBox(bbox: BBox3, shape: Shape3): void {
  for (let a = 0; a < 3; a++) {
    const [s, e] = bbox[a];
    if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e <= shape[a] && s < e)) {
      throw new VoxsegError('usage', `box [${s}, ${e}) on axis ${a} does not fit size ${shape[a]}`);
    }
  }
}
