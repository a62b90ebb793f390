/**
 * TotalSegmentator's own resampling around nnU-Net (totalsegmentator/resampling.py,
 * change_spacing with resample_img), used by its `--fast` (3 mm) and 1.5 mm tasks: the image is
 * resampled to the task's spacing before nnU-Net sees it and the labels are resampled back to the
 * input grid afterwards. (nnU-Net's own resampling then finds the spacing it wants and does nothing.)
 *
 * What TotalSegmentator does, step by step, and what this file reproduces:
 * - The image is nibabel's RAS-canonical array [x, y, z] (voxseg's i, j, k) read as float64
 *   (get_fdata). Its spacing is nibabel's header zooms: the affine's column norms stored as
 *   float32 pixdim (`niftiZooms`); the plan rounds any given spacing to float32 for that reason.
 * - change_spacing(img, new_spacing): zoom = spacing / new_spacing (float64); with a target shape
 *   instead (the way back): zoom = target / shape and new_spacing = spacing / zoom. If spacing
 *   equals new_spacing exactly the image is returned untouched (no resampling, no dtype cast).
 * - resample_img: scipy.ndimage.zoom(data, zoom, order) with ndimage's defaults: mode='constant',
 *   cval=0, grid_mode=False. Output size round(n * zoom) (Python round: half to even); sample k
 *   reads input coordinate k * (n-1)/(m-1) (0 when m == 1); coordinates past n-1 (rounding can
 *   overshoot on the last sample) give 0.
 * - The image goes in with order=3, dtype=np.int32 (astype truncates toward zero); the labels come
 *   back with order=0 (voxel floor(x+0.5)), target shape = the input shape, dtype=np.uint8 and
 *   force_affine = the input's affine. Some tasks use remove_negative (values < 1e-4 -> 0).
 * - New affine: each of the first three columns divided by its zoom (translation unchanged), i.e.
 *   the same origin with spacing / zoom; replaced by force_affine on the way back.
 * Order 3 runs in scipy's own operation order by default (`exact`, see spline.ts): the results
 * are truncated to integers, and in flat regions (air at exactly -1024) scipy's float64 rounding
 * decides between -1024 and -1023, so only the same operations give the same integers. That costs
 * a float64 copy of the input (8 bytes per voxel, e.g. 630 MB for 512x512x300).
 *
 * Voxel buffers are voxseg's (i fastest): dims and spacings here are (i, j, k); ndimage.zoom works
 * axis by axis, so its result does not depend on which axis is stored fastest.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3 } from '../../core/types';
import { zoomArray } from '../../volume/spline';
import { roundHalfEven } from '../../volume/resample';

export interface TotalsegPlan {
  /** Input grid size (i, j, k). */
  dims: Vec3;
  /** Output grid size (i, j, k). */
  outDims: Vec3;
  /** change_spacing's zoom per axis. */
  zoom: Vec3;
  /** Input spacing as nibabel reports it (rounded to float32). */
  spacing: Vec3;
  /** change_spacing's new_spacing (the requested one, or spacing / zoom for a target shape). */
  newSpacing: Vec3;
  /** Spacing already equal to the new one: TotalSegmentator returns the image untouched. */
  identity: boolean;
}

export type TotalsegTarget = { spacing: number | readonly number[] } | { shape: readonly number[] };

/** nibabel's header zooms of an image built from this affine: float32 column norms (4x4 row-major). */
export function niftiZooms(affine: ArrayLike<number>): Vec3 {
  if (affine.length !== 16)
    throw new VoxsegError('usage', `affine must have 16 values (4x4 row-major), got ${affine.length}`);
  const z: number[] = [];
  for (let c = 0; c < 3; c++) {
    const a = affine[c];
    const b = affine[4 + c];
    const d = affine[8 + c];
    z.push(Math.fround(Math.sqrt(a * a + b * b + d * d)));
  }
  return z as Vec3;
}

/** change_spacing's zoom, output size and new spacing for a target spacing or a target shape. */
export function totalsegPlan(
  dims: readonly number[],
  spacing: readonly number[],
  target: TotalsegTarget,
): TotalsegPlan {
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1))
    throw new VoxsegError('usage', `dims must be three positive integers, got [${dims.join(', ')}]`);
  if (spacing.length !== 3 || !spacing.every((s) => s > 0))
    throw new VoxsegError('usage', `spacing must be three positive numbers, got [${spacing.join(', ')}]`);
  const sp = spacing.map((s) => Math.fround(s)) as Vec3;
  let zoom: Vec3;
  let newSpacing: Vec3;
  if ('shape' in target) {
    const t = target.shape;
    if (t.length !== 3 || !t.every((d) => Number.isInteger(d) && d >= 1))
      throw new VoxsegError('usage', `target shape must be three positive integers, got [${t.join(', ')}]`);
    zoom = [t[0] / dims[0], t[1] / dims[1], t[2] / dims[2]];
    newSpacing = [sp[0] / zoom[0], sp[1] / zoom[1], sp[2] / zoom[2]];
  } else {
    const s = typeof target.spacing === 'number' ? [target.spacing, target.spacing, target.spacing] : target.spacing;
    if (s.length !== 3 || !s.every((v) => v > 0))
      throw new VoxsegError('usage', `target spacing must be positive, got [${s.join(', ')}]`);
    newSpacing = [s[0], s[1], s[2]];
    zoom = [sp[0] / s[0], sp[1] / s[1], sp[2] / s[2]];
  }
  const outDims = dims.map((d, i) => roundHalfEven(d * zoom[i])) as Vec3;
  if (outDims.some((d) => d < 1))
    throw new VoxsegError(
      'invalid-volume',
      `resampling ${dims.join('x')} by [${zoom.join(', ')}] leaves an empty axis`,
    );
  const identity = sp.every((s, i) => s === newSpacing[i]);
  return { dims: [dims[0], dims[1], dims[2]], outDims, zoom, spacing: sp, newSpacing, identity };
}

export type TotalsegDtype = 'int32' | 'uint8' | 'float32' | 'float64';
type Out<D extends TotalsegDtype> = D extends 'int32'
  ? Int32Array
  : D extends 'uint8'
    ? Uint8Array
    : D extends 'float32'
      ? Float32Array
      : Float64Array;

/**
 * resample_img + the dtype cast of change_spacing. `data` is a voxseg buffer of plan.dims
 * (i fastest). Image: { order: 3, dtype: 'int32' }; labels back: { order: 0, dtype: 'uint8' }.
 * An identity plan returns the values unchanged: in `dtype` when they fit it exactly, otherwise
 * as a Float64Array (TotalSegmentator skips the cast then too).
 */
export function totalsegResample<D extends TotalsegDtype>(
  data: ArrayLike<number>,
  plan: TotalsegPlan,
  opts: { order: 0 | 1 | 3; dtype: D; removeNegative?: boolean; exact?: boolean },
): Out<D> | Float64Array {
  const [ni, nj, nk] = plan.dims;
  if (data.length !== ni * nj * nk)
    throw new VoxsegError('usage', `data has ${data.length} values, dims ${plan.dims.join('x')} need ${ni * nj * nk}`);
  if (plan.identity) {
    const out = allocate(opts.dtype, data.length);
    for (let v = 0; v < data.length; v++) {
      out[v] = data[v];
      if (out[v] !== data[v]) return Float64Array.from(data);
    }
    return out as Out<D>;
  }
  const [mi, mj, mk] = plan.outDims;
  const out = allocate(opts.dtype, mi * mj * mk);
  zoomArray(data, [nk, nj, ni], [mk, mj, mi], {
    order: opts.order,
    mode: 'constant',
    cval: 0,
    gridMode: false,
    exact: opts.exact ?? true,
    axisOrder: [2, 1, 0], // scipy sees nibabel's [x, y, z] array
    post: opts.removeNegative ? (v) => (v < 1e-4 ? 0 : v) : undefined,
    out,
  });
  return out as Out<D>;
}

/** change_spacing's new affine (4x4 row-major): columns 0-2 divided by their zoom. */
export function totalsegAffine(affine: ArrayLike<number>, zoom: readonly number[]): number[] {
  if (affine.length !== 16)
    throw new VoxsegError('usage', `affine must have 16 values (4x4 row-major), got ${affine.length}`);
  const out = Array.from(affine);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 4 + c] = affine[r * 4 + c] / zoom[c];
  return out;
}

function allocate(dtype: TotalsegDtype, n: number): Int32Array | Uint8Array | Float32Array | Float64Array {
  switch (dtype) {
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    default:
      throw new VoxsegError('usage', `unknown dtype '${dtype as string}'`);
  }
}
