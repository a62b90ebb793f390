/**
 * scipy.ndimage-compatible resampling of 3-D arrays: `zoom` (both `grid_mode`s) and the separable
 * coordinate grids nnU-Net hands to `map_coordinates`, with spline orders 0, 1 and 3 and the
 * boundary modes 'nearest' and 'constant'. It is the kernel under nnU-Net's and TotalSegmentator's
 * resampling (src/inference/nnunet), whose results must match the Python tools voxel for voxel.
 *
 * Axis order: a 3-D array is stored flat with the LAST axis fastest, like a C-ordered numpy array.
 * `shape` is [n0, n1, n2] = numpy's shape, slowest first. A voxseg voxel buffer (i fastest, then
 * j, then k) is therefore shape [nk, nj, ni]; index [a][b][c] lives at (a*n1 + b)*n2 + c.
 *
 * What scipy does (read from scipy >= 1.6 `_interpolation.py`, `ni_interpolation.c`,
 * `ni_splines.c`), and what this file reproduces:
 * - Sample positions per axis: zoom factor z = nIn/nOut with grid_mode=True, (nIn-1)/(nOut-1)
 *   otherwise (1 when nOut == 1); output index k samples input coordinate (k+0.5)*z-0.5 or k*z.
 *   When no axis changes size, zoom returns the input (scipy >= 1.13; older ones evaluate the
 *   spline there and differ by rounding).
 * - Order 0 takes the voxel floor(x+0.5) (half up); orders 1 and 3 are B-splines whose weights
 *   are computed with scipy's formulas, in its operation order.
 * - Mode 'nearest': taps outside the array repeat the edge. For order > 1 scipy first pads the
 *   input by 12 edge voxels per side, prefilters the padded array with the 'reflect' boundary
 *   initialisation and samples at x+12 (taps beyond the padded array clamp).
 * - Mode 'constant': a sample whose coordinate lies outside [0, n-1] on any axis is `cval`,
 *   exactly as computed (k*z can exceed n-1 by one rounding step, e.g. 8 -> 26 without grid
 *   mode, and the last sample is then cval, as in scipy). Inside, taps beyond the edge are
 *   mirrored and the prefilter uses the mirror boundary; no padding.
 * - Prefilter (order 3): gain, then the causal/anticausal recursions with the pole sqrt(3)-2, in
 *   float64, along axis 0, 1, 2 in turn; lines of length 1 are left as they are.
 *
 * How:
 * - Orders 0 and 1: per output voxel, the tensor product over the taps in scipy's tap order
 *   (first axis outer) and multiplication order ((v*w0)*w1)*w2, accumulated from 0.0, so for the
 *   same float64 input the float64 result is bit-identical to scipy's (taps of weight 1, or of
 *   axes that are not resampled, are multiplied by 1 or skipped: both exact). No intermediate.
 * - Order 3, default: separable. Prefilter + evaluate axis 0, then the two in-plane axes plane by
 *   plane (or the reverse, whichever float64 intermediate is smaller), 64 lines at a time so the
 *   tile stays in cache. Prefiltering and evaluating are linear maps acting on one axis each, so
 *   they commute with those of the other axes: the result equals scipy's tensor-product
 *   evaluation up to float64 rounding (measured: <= 1e-12 of the input magnitude, and identical
 *   after rounding to float32 on every voxel of the tests).
 * - Order 3, `exact`: scipy's own sequence (pad, prefilter the whole float64 array along each
 *   axis, 64-tap tensor product), bit-identical to scipy in float64 as long as the array's axes
 *   are scipy's axes in the same order (`axisOrder`). Needed when results are truncated to
 *   integers: in a flat region (air at exactly -1024) the float64 rounding of scipy's evaluation
 *   decides between -1024 and -1023.
 * - Results are stored by plain assignment into the output typed array (Float32Array by default:
 *   round to nearest even, like numpy's astype(float32); Int32Array truncates like
 *   astype(int32)). `clip` clamps the float64 value first (skimage's resize clips to the input
 *   range); `post` maps it last (TotalSegmentator's "negative to 0").
 *
 * Memory: orders 0/1 need nothing besides input and output. Order 3 separable: one float64
 * intermediate of min(m0*n1*n2, n0*m1*m2) voxels plus plane and tile scratch; a 512x512x300
 * float32 input zoomed by 0.5 (to 256x256x150) takes 315 MB input + 157 MB intermediate + 39 MB
 * output (measured peak +190 MB over the input). `exact`: a float64 copy of the (padded) input,
 * e.g. 745 MB more for that input in mode 'nearest' (measured +777 MB), 629 MB in 'constant'.
 * Inputs are assumed finite (scipy multiplies zero-weight taps, so an Inf/NaN neighbour could
 * differ there).
 */
import { VoxsegError } from '../core/errors';

export type SplineOrder = 0 | 1 | 3;
export type BoundaryMode = 'nearest' | 'constant';
export type Shape3 = readonly [number, number, number];
export type OutputArray = Float32Array | Float64Array | Int32Array | Int16Array | Uint16Array | Uint8Array;

export interface ResampleOptions<T extends OutputArray = Float32Array> {
  order: SplineOrder;
  mode: BoundaryMode;
  /** Value of samples outside the array in mode 'constant' (0). */
  cval?: number;
  /** Clamp every result (float64) to [lo, hi] before it is stored. */
  clip?: readonly [number, number];
  /** Applied to every (clipped) float64 result just before it is stored. */
  post?: (v: number) => number;
  /** Where to write; a new Float32Array when absent. Its length must be the output size. */
  out?: T;
  /**
   * Order 3 only: follow scipy's own operation order (pad and prefilter the whole array along
   * every axis, then the 64-tap tensor product) so that the float64 results are bit-identical,
   * not just equal to rounding. Costs a float64 copy of the padded input and 2-3x the time;
   * worth it when the result is truncated to integers (a flat region then truncates the same way).
   */
  exact?: boolean;
  /**
   * The axes of the array scipy works on, as axes of this one (default [0, 1, 2]). scipy filters
   * and sums axis by axis in its own axis order, so only with the same order are the float64
   * results bit-identical (orders 0/1, and 3 with `exact`): TotalSegmentator's nibabel array
   * [x, y, z] of a voxseg buffer (shape [nk, nj, ni]) is [2, 1, 0].
   */
  axisOrder?: Shape3;
}

export interface ZoomOptions<T extends OutputArray = Float32Array> extends ResampleOptions<T> {
  /** scipy's `grid_mode` (skimage's resize uses true; ndimage.zoom's default is false). */
  gridMode: boolean;
  /** Which axes are resampled (default all); the others must keep their size and are copied. */
  axes?: readonly boolean[];
}

/** scipy's spline prefilter pole for order 3: sqrt(3) - 2. */
const POLE3 = -0.267949192431122706472553658494127633;
/** Edge voxels scipy adds per side before prefiltering in mode 'nearest'. */
const NEAREST_PAD = 12;
/** Lines resampled together (the tile is (length + 24) x LANES float64). */
const LANES = 64;

/** Input coordinates that scipy.ndimage.zoom samples along one axis. */
export function zoomCoordinates(nIn: number, nOut: number, gridMode: boolean): Float64Array {
  const nominator = gridMode ? nIn : nIn - 1;
  const divisor = gridMode ? nOut : nOut - 1;
  const zoom = divisor !== 0 ? nominator / divisor : 1;
  const coords = new Float64Array(nOut);
  for (let k = 0; k < nOut; k++) coords[k] = gridMode ? (k + 0.5) * zoom - 0.5 : k * zoom;
  return coords;
}

/**
 * scipy.ndimage.zoom of a 3-D array to `outShape` (numpy order, last axis fastest). The output
 * shape is given explicitly (zoom derives it as round(n * factor); callers do that rounding).
 */
export function zoomArray<T extends OutputArray = Float32Array>(
  src: ArrayLike<number>,
  shape: Shape3,
  outShape: Shape3,
  opts: ZoomOptions<T>,
): T {
  checkShape(shape, 'shape');
  checkShape(outShape, 'outShape');
  const coords: (Float64Array | null)[] = [];
  for (let a = 0; a < 3; a++) {
    const resample = opts.axes ? opts.axes[a] !== false : true;
    if (!resample && outShape[a] !== shape[a]) {
      throw new VoxsegError('usage', `axis ${a} is not resampled but its size changes (${shape[a]} -> ${outShape[a]})`);
    }
    // Same size: scipy samples exactly at the integers, which returns the input (order 3: up to
    // rounding, so `exact` keeps the axis in the computation as scipy does).
    const keep = resample && (outShape[a] !== shape[a] || (opts.exact === true && opts.order === 3));
    coords.push(keep ? zoomCoordinates(shape[a], outShape[a], opts.gridMode) : null);
  }
  // No axis changes size: scipy (>= 1.13) returns the input as it is.
  const unchanged = [0, 1, 2].every((a) => outShape[a] === shape[a]);
  if (unchanged) return resampleAxes(src, shape, [null, null, null], { ...opts, exact: false });
  return resampleAxes(src, shape, coords, opts);
}

/**
 * Resample a 3-D array axis by axis at the given input coordinates (scipy.ndimage.map_coordinates
 * with a coordinate grid that is separable: output [a][b][c] samples (x0[a], x1[b], x2[c])). A
 * null axis is kept as is. Spline prefiltering, padding and boundaries as scipy's.
 */
export function resampleAxes<T extends OutputArray = Float32Array>(
  src: ArrayLike<number>,
  shape: Shape3,
  coords: readonly (Float64Array | null)[],
  opts: ResampleOptions<T>,
): T {
  checkShape(shape, 'shape');
  const n = shape[0] * shape[1] * shape[2];
  if (src.length !== n)
    throw new VoxsegError('usage', `array has ${src.length} values, shape ${shape.join('x')} needs ${n}`);
  const { order, mode } = opts;
  if (order !== 0 && order !== 1 && order !== 3)
    throw new VoxsegError('unsupported', `spline order ${order} (0, 1 or 3 are supported)`);
  if (mode !== 'nearest' && mode !== 'constant') throw new VoxsegError('unsupported', `boundary mode '${mode}'`);
  const tables = [0, 1, 2].map((a) => (coords[a] ? buildAxisTable(shape[a], coords[a]!, order, mode) : null));
  const outShape = [0, 1, 2].map((a) => (tables[a] ? tables[a]!.nOut : shape[a])) as [number, number, number];
  const m = outShape[0] * outShape[1] * outShape[2];
  const out = (opts.out ?? new Float32Array(m)) as T;
  if (out.length !== m)
    throw new VoxsegError('usage', `output has ${out.length} values, shape ${outShape.join('x')} needs ${m}`);
  const store = makeStore(opts);
  const perm = opts.axisOrder ?? [0, 1, 2];
  if ([...perm].sort().join() !== '0,1,2')
    throw new VoxsegError('usage', `axisOrder must be a permutation of 0, 1, 2, got [${perm.join(', ')}]`);
  if (order === 3 && opts.exact) scipyOrder(src, shape, tables, out, opts.cval ?? 0, store, perm);
  else if (order === 3) separable(src, shape, tables, out, opts.cval ?? 0, store);
  else tensorProduct(src, shape, tables, out, opts.cval ?? 0, store, perm);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-axis tables

interface AxisTable {
  nIn: number;
  nOut: number;
  /** Spline order of this axis (0, 1 or 3). */
  order: number;
  /** Taps per output sample (order + 1). */
  taps: number;
  /** Edge voxels added on each side before prefiltering (12 for order 3 'nearest', else 0). */
  pad: number;
  /** Tap indices into the padded line, nOut * taps. */
  idx: Int32Array;
  /** Tap weights, nOut * taps (unused for order 0). */
  w: Float64Array;
  /** 1 where the sample is outside the array in mode 'constant' (the output is cval). */
  outside: Uint8Array;
}

function buildAxisTable(nIn: number, coords: Float64Array, order: number, mode: BoundaryMode): AxisTable {
  const pad = order > 1 && mode === 'nearest' ? NEAREST_PAD : 0;
  const len = nIn + 2 * pad;
  const taps = order + 1;
  const nOut = coords.length;
  if (nOut < 1) throw new VoxsegError('usage', 'an output axis must have at least one sample');
  const idx = new Int32Array(nOut * taps);
  const w = new Float64Array(nOut * taps);
  const outside = new Uint8Array(nOut);
  const weights = new Float64Array(4);
  for (let o = 0; o < nOut; o++) {
    let cc = coords[o];
    if (!Number.isFinite(cc)) throw new VoxsegError('usage', `sample coordinate ${cc} is not finite`);
    cc += pad;
    if (mode === 'constant' && (cc < 0 || cc > len - 1)) {
      outside[o] = 1;
      continue;
    }
    const start = (order & 1 ? Math.floor(cc) : Math.floor(cc + 0.5)) - (order >> 1);
    for (let t = 0; t < taps; t++) {
      let i = start + t;
      if (i < 0 || i >= len) i = mode === 'nearest' ? (i < 0 ? 0 : len - 1) : mirrorIndex(i, len);
      idx[o * taps + t] = i;
    }
    if (order > 0) {
      splineWeights(cc, order, weights);
      for (let t = 0; t < taps; t++) w[o * taps + t] = weights[t];
    }
  }
  return { nIn, nOut, order, taps, pad, idx, w, outside };
}

/** scipy's map_coordinate for NI_EXTEND_MIRROR on an integer index. */
function mirrorIndex(i: number, len: number): number {
  if (len <= 1) return 0;
  const sz2 = 2 * len - 2;
  if (i < 0) {
    i = sz2 * Math.trunc(-i / sz2) + i;
    return i <= 1 - len ? i + sz2 : -i;
  }
  i -= sz2 * Math.trunc(i / sz2);
  return i >= len ? sz2 - i : i;
}

/** scipy's get_spline_interpolation_weights for orders 1 and 3 (same operations, same order). */
function splineWeights(x: number, order: number, weights: Float64Array): void {
  x -= Math.floor(order & 1 ? x : x + 0.5);
  if (order === 1) {
    weights[0] = 1.0 - x;
  } else {
    const y = x;
    const z = 1.0 - x;
    weights[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
    weights[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
    weights[0] = (z * z * z) / 6.0;
  }
  let last = 1.0;
  for (let i = 0; i < order; i++) last -= weights[i];
  weights[order] = last;
}

// ---------------------------------------------------------------------------------------------
// Storing results

type Store = (out: OutputArray, index: number, v: number) => void;

/** Plain assignment (the typed array converts: float32 rounds to nearest, integers truncate). */
const plainStore: Store = (out, i, v) => {
  out[i] = v;
};

function makeStore(opts: ResampleOptions<OutputArray>): Store {
  const clip = opts.clip;
  const post = opts.post;
  if (clip && !(clip[0] <= clip[1])) throw new VoxsegError('usage', `clip range [${clip[0]}, ${clip[1]}] is empty`);
  if (!clip && !post) return plainStore;
  const lo = clip ? clip[0] : -Infinity;
  const hi = clip ? clip[1] : Infinity;
  return (out, i, v) => {
    if (v < lo) v = lo;
    else if (v > hi) v = hi;
    out[i] = post ? post(v) : v;
  };
}

// ---------------------------------------------------------------------------------------------
// Orders 0 and 1: tensor product per output voxel, scipy's tap and multiplication order

function tensorProduct(
  src: ArrayLike<number>,
  shape: Shape3,
  tables: (AxisTable | null)[],
  out: OutputArray,
  cval: number,
  store: Store,
  perm: Shape3,
): void {
  const [n0, n1, n2] = shape;
  // Identity axes get one tap of weight 1 (scipy's second tap has weight 0 and adds nothing).
  const ax = [axisTaps(tables[0], n0, n1 * n2), axisTaps(tables[1], n1, n2), axisTaps(tables[2], n2, 1)];
  tapSum(src, ax, perm, outSize(shape, tables), out, cval, store);
}

/**
 * out[o] = sum over the taps of ((v * wX) * wY) * wZ, accumulated from 0.0 in scipy's order: the
 * taps of the array's axis perm[0] outermost, perm[2] innermost; cval where any axis is outside.
 */
function tapSum(
  arr: ArrayLike<number>,
  ax: Taps[],
  perm: Shape3,
  [m0, m1, m2]: Shape3,
  out: OutputArray,
  cval: number,
  store: Store,
): void {
  // Unweighted axes carry weight 1: multiplying by 1 is exact, so the sums equal scipy's, which
  // skips those multiplications.
  const [pX, pY, pZ] = perm;
  const { taps: TX, off: Xoff, w: Xw } = ax[pX];
  const { taps: TY, off: Yoff, w: Yw } = ax[pY];
  const { taps: TZ, off: Zoff, w: Zw } = ax[pZ];
  const [out0, out1, out2] = [ax[0].outside, ax[1].outside, ax[2].outside];
  const oo = new Int32Array(3);
  let p = 0;
  for (let o0 = 0; o0 < m0; o0++) {
    oo[0] = o0;
    for (let o1 = 0; o1 < m1; o1++) {
      oo[1] = o1;
      for (let o2 = 0; o2 < m2; o2++, p++) {
        if (out0[o0] || out1[o1] || out2[o2]) {
          store(out, p, cval);
          continue;
        }
        oo[2] = o2;
        const x = oo[pX] * TX;
        const y = oo[pY] * TY;
        const z = oo[pZ] * TZ;
        let t = 0.0;
        for (let a = 0; a < TX; a++) {
          const offA = Xoff[x + a];
          const wA = Xw[x + a];
          for (let b = 0; b < TY; b++) {
            const offB = offA + Yoff[y + b];
            const wB = Yw[y + b];
            if (TZ === 4) {
              t += arr[offB + Zoff[z]] * wA * wB * Zw[z];
              t += arr[offB + Zoff[z + 1]] * wA * wB * Zw[z + 1];
              t += arr[offB + Zoff[z + 2]] * wA * wB * Zw[z + 2];
              t += arr[offB + Zoff[z + 3]] * wA * wB * Zw[z + 3];
            } else {
              for (let c = 0; c < TZ; c++) t += arr[offB + Zoff[z + c]] * wA * wB * Zw[z + c];
            }
          }
        }
        store(out, p, t);
      }
    }
  }
}

function outSize(shape: Shape3, tables: (AxisTable | null)[]): Shape3 {
  return [
    tables[0] ? tables[0].nOut : shape[0],
    tables[1] ? tables[1].nOut : shape[1],
    tables[2] ? tables[2].nOut : shape[2],
  ];
}

interface Taps {
  taps: number;
  /** Element offsets (index * stride), nOut * taps. */
  off: Int32Array;
  w: Float64Array;
  outside: Uint8Array;
}

function axisTaps(table: AxisTable | null, n: number, stride: number): Taps {
  if (!table) {
    const off = new Int32Array(n);
    for (let i = 0; i < n; i++) off[i] = i * stride;
    return { taps: 1, off, w: new Float64Array(n).fill(1), outside: new Uint8Array(n) };
  }
  const off = new Int32Array(table.idx.length);
  for (let i = 0; i < off.length; i++) off[i] = table.idx[i] * stride;
  const w = table.order > 0 ? table.w : new Float64Array(off.length).fill(1);
  return { taps: table.taps, off, w, outside: table.outside };
}

// ---------------------------------------------------------------------------------------------
// Order 3 in scipy's operation order (`exact`)

function scipyOrder(
  src: ArrayLike<number>,
  shape: Shape3,
  tables: (AxisTable | null)[],
  out: OutputArray,
  cval: number,
  store: Store,
  perm: Shape3,
): void {
  const [n0, n1, n2] = shape;
  const pads = tables.map((t) => (t ? t.pad : 0));
  const [d0, d1, d2] = [n0 + 2 * pads[0], n1 + 2 * pads[1], n2 + 2 * pads[2]];
  // The input padded with its edge values (np.pad mode 'edge'), float64.
  const P = new Float64Array(d0 * d1 * d2);
  for (let i0 = 0; i0 < d0; i0++) {
    const s0 = Math.min(n0 - 1, Math.max(0, i0 - pads[0]));
    for (let i1 = 0; i1 < d1; i1++) {
      const s1 = Math.min(n1 - 1, Math.max(0, i1 - pads[1]));
      const from = (s0 * n1 + s1) * n2;
      const to = (i0 * d1 + i1) * d2;
      for (let i2 = 0; i2 < d2; i2++) P[to + i2] = src[from + Math.min(n2 - 1, Math.max(0, i2 - pads[2]))];
    }
  }
  // spline_filter: every line along scipy's axis 0, then 1, then 2, in place.
  const kernel = new LineKernel(cval);
  const dims = [d0, d1, d2];
  const strides = [d1 * d2, d2, 1];
  for (const a of perm) {
    const t = tables[a];
    if (!t || dims[a] <= 1) continue;
    const boundary = t.pad > 0 ? 'reflect' : 'mirror';
    if (a === 0) for (let i1 = 0; i1 < d1; i1++) kernel.filterInPlace(P, i1 * d2, strides[0], 1, d0, d2, boundary);
    else if (a === 1) for (let i0 = 0; i0 < d0; i0++) kernel.filterInPlace(P, i0 * strides[0], d2, 1, d1, d2, boundary);
    else for (let i0 = 0; i0 < d0; i0++) kernel.filterInPlace(P, i0 * strides[0], 1, d2, d2, d1, boundary);
  }
  // Tensor product over the taps, in scipy's order.
  const ax = [axisTaps(tables[0], d0, strides[0]), axisTaps(tables[1], d1, strides[1]), axisTaps(tables[2], d2, 1)];
  tapSum(P, ax, perm, outSize(shape, tables), out, cval, store);
}

// ---------------------------------------------------------------------------------------------
// Order 3: separable prefilter + evaluation

function separable(
  src: ArrayLike<number>,
  shape: Shape3,
  tables: (AxisTable | null)[],
  out: OutputArray,
  cval: number,
  store: Store,
): void {
  const [n0, n1, n2] = shape;
  const [t0, t1, t2] = tables;
  const m0 = t0 ? t0.nOut : n0;
  const m1 = t1 ? t1.nOut : n1;
  const m2 = t2 ? t2.nOut : n2;
  const kernel = new LineKernel(cval);
  const storeF64 = plainStore;
  if (!t0) {
    for (let a = 0; a < n0; a++) inPlane(kernel, src, a * n1 * n2, n1, n2, t1, t2, out, a * m1 * m2, store);
    return;
  }
  if (!t1 && !t2) {
    alongAxis0(kernel, src, n1, n2, t0, out, store);
    return;
  }
  if (m0 * n1 * n2 <= n0 * m1 * m2) {
    // Axis 0 first, then the planes.
    const buf = new Float64Array(m0 * n1 * n2);
    alongAxis0(kernel, src, n1, n2, t0, buf, storeF64);
    for (let a = 0; a < m0; a++) inPlane(kernel, buf, a * n1 * n2, n1, n2, t1, t2, out, a * m1 * m2, store);
  } else {
    const buf = new Float64Array(n0 * m1 * m2);
    for (let a = 0; a < n0; a++) inPlane(kernel, src, a * n1 * n2, n1, n2, t1, t2, buf, a * m1 * m2, storeF64);
    alongAxis0(kernel, buf, m1, m2, t0, out, store);
  }
}

/** Axis 0 of an [n0, p1, p2] array, one row of planes (p2 lanes) at a time. */
function alongAxis0(
  kernel: LineKernel,
  src: ArrayLike<number>,
  p1: number,
  p2: number,
  t0: AxisTable,
  dst: OutputArray,
  store: Store,
): void {
  const plane = p1 * p2;
  for (let r = 0; r < p1; r++) kernel.run(src, r * p2, plane, 1, t0, p2, dst, r * p2, plane, 1, store);
}

/** The two in-plane axes of one [p1, p2] plane at srcBase, written to dst at dstBase. */
function inPlane(
  kernel: LineKernel,
  src: ArrayLike<number>,
  srcBase: number,
  p1: number,
  p2: number,
  t1: AxisTable | null,
  t2: AxisTable | null,
  dst: OutputArray,
  dstBase: number,
  store: Store,
): void {
  const q1 = t1 ? t1.nOut : p1;
  const q2 = t2 ? t2.nOut : p2;
  if (!t1 && !t2) {
    for (let i = 0; i < p1 * p2; i++) store(dst, dstBase + i, src[srcBase + i]);
    return;
  }
  if (!t1) {
    kernel.run(src, srcBase, 1, p2, t2!, p1, dst, dstBase, 1, q2, store);
    return;
  }
  if (!t2) {
    kernel.run(src, srcBase, p2, 1, t1, p2, dst, dstBase, q2, 1, store);
    return;
  }
  const tmp = kernel.plane(Math.min(p1 * q2, q1 * p2));
  const keep = plainStore;
  if (p1 * q2 <= q1 * p2) {
    // Axis 2 first: [p1, p2] -> [p1, q2], then axis 1 -> [q1, q2].
    kernel.run(src, srcBase, 1, p2, t2, p1, tmp, 0, 1, q2, keep);
    kernel.run(tmp, 0, q2, 1, t1, q2, dst, dstBase, q2, 1, store);
  } else {
    // Axis 1 first: [p1, p2] -> [q1, p2], then axis 2 -> [q1, q2].
    kernel.run(src, srcBase, p2, 1, t1, p2, tmp, 0, p2, 1, keep);
    kernel.run(tmp, 0, 1, p2, t2, q1, dst, dstBase, 1, q2, store);
  }
}

/**
 * Resamples W parallel lines at once: line w, element l is src[base + l*strideL + w*strideW].
 * The lines are gathered into a float64 tile [L + 2*pad, W] (lanes contiguous), prefiltered
 * along L and evaluated at the table's samples into dst[dstBase + o*dstStrideL + w*dstStrideW].
 */
class LineKernel {
  private tile = new Float64Array(0);
  private acc = new Float64Array(0);
  private line = new Float64Array(0);
  private planeBuf = new Float64Array(0);

  constructor(private readonly cval: number) {}

  plane(size: number): Float64Array {
    if (this.planeBuf.length < size) this.planeBuf = new Float64Array(size);
    return this.planeBuf;
  }

  run(
    src: ArrayLike<number>,
    base: number,
    strideL: number,
    strideW: number,
    table: AxisTable,
    W: number,
    dst: OutputArray,
    dstBase: number,
    dstStrideL: number,
    dstStrideW: number,
    store: Store,
  ): void {
    // Lanes in blocks, so that the tile stays in cache.
    for (let w0 = 0; w0 < W; w0 += LANES) {
      this.block(
        src,
        base + w0 * strideW,
        strideL,
        strideW,
        table,
        Math.min(LANES, W - w0),
        dst,
        dstBase + w0 * dstStrideW,
        dstStrideL,
        dstStrideW,
        store,
      );
    }
  }

  private block(
    src: ArrayLike<number>,
    base: number,
    strideL: number,
    strideW: number,
    table: AxisTable,
    W: number,
    dst: OutputArray,
    dstBase: number,
    dstStrideL: number,
    dstStrideW: number,
    store: Store,
  ): void {
    const { nIn, pad } = table;
    const len = nIn + 2 * pad;
    if (this.tile.length < len * W) this.tile = new Float64Array(len * W);
    if (this.acc.length < W) this.acc = new Float64Array(W);
    const c = this.tile;
    // Gather, reading along whichever stride is contiguous (typed arrays copy natively).
    const typed = ArrayBuffer.isView(src) ? (src as unknown as Float64Array) : null;
    if (strideW === 1) {
      for (let l = 0; l < nIn; l++) {
        const s = base + l * strideL;
        const d = (l + pad) * W;
        if (typed) c.set(typed.subarray(s, s + W), d);
        else for (let w = 0; w < W; w++) c[d + w] = src[s + w];
      }
    } else if (typed && strideL === 1) {
      if (this.line.length < nIn) this.line = new Float64Array(nIn);
      const line = this.line;
      for (let w = 0; w < W; w++) {
        const s = base + w * strideW;
        line.set(typed.subarray(s, s + nIn));
        for (let l = 0; l < nIn; l++) c[(l + pad) * W + w] = line[l];
      }
    } else {
      for (let w = 0; w < W; w++) {
        const s = base + w * strideW;
        for (let l = 0; l < nIn; l++) c[(l + pad) * W + w] = src[s + l * strideL];
      }
    }
    if (pad > 0) {
      const first = pad * W;
      const last = (pad + nIn - 1) * W;
      for (let l = 0; l < pad; l++) {
        c.copyWithin(l * W, first, first + W);
        c.copyWithin((pad + nIn + l) * W, last, last + W);
      }
    }
    if (table.order > 1 && len > 1) prefilter(c, len, W, pad > 0 ? 'reflect' : 'mirror', this.acc);
    this.evaluate(table, W, dst, dstBase, dstStrideL, dstStrideW, store);
  }

  /** Prefilter W lines of length len in place (lanes in blocks, as in run). */
  filterInPlace(
    arr: Float64Array,
    base: number,
    strideL: number,
    strideW: number,
    len: number,
    W: number,
    boundary: 'reflect' | 'mirror',
  ): void {
    for (let w0 = 0; w0 < W; w0 += LANES) {
      const lanes = Math.min(LANES, W - w0);
      const b = base + w0 * strideW;
      if (this.tile.length < len * lanes) this.tile = new Float64Array(len * lanes);
      if (this.acc.length < lanes) this.acc = new Float64Array(lanes);
      const c = this.tile;
      for (let l = 0; l < len; l++)
        for (let w = 0; w < lanes; w++) c[l * lanes + w] = arr[b + l * strideL + w * strideW];
      prefilter(c, len, lanes, boundary, this.acc);
      for (let l = 0; l < len; l++)
        for (let w = 0; w < lanes; w++) arr[b + l * strideL + w * strideW] = c[l * lanes + w];
    }
  }

  private evaluate(
    table: AxisTable,
    W: number,
    dst: OutputArray,
    dstBase: number,
    dstStrideL: number,
    dstStrideW: number,
    store: Store,
  ): void {
    const { nOut, taps, idx, w: weights, outside, order } = table;
    const c = this.tile;
    const acc = this.acc;
    for (let o = 0; o < nOut; o++) {
      const d = dstBase + o * dstStrideL;
      if (outside[o]) {
        for (let w = 0; w < W; w++) store(dst, d + w * dstStrideW, this.cval);
        continue;
      }
      if (order === 0) {
        const row = idx[o] * W;
        for (let w = 0; w < W; w++) store(dst, d + w * dstStrideW, c[row + w]);
        continue;
      }
      acc.fill(0, 0, W);
      for (let t = 0; t < taps; t++) {
        const row = idx[o * taps + t] * W;
        const wt = weights[o * taps + t];
        for (let w = 0; w < W; w++) acc[w] += c[row + w] * wt;
      }
      if (store === plainStore && dstStrideW === 1) dst.set(acc.subarray(0, W), d);
      else for (let w = 0; w < W; w++) store(dst, d + w * dstStrideW, acc[w]);
    }
  }
}

/**
 * scipy's spline_filter1d (order 3) on the `len` rows of a [len, W] tile, in place. 'reflect'
 * and 'mirror' are scipy's initialisations of the causal/anticausal recursions (mode 'nearest'
 * uses reflect on the padded line, 'constant' uses mirror).
 */
function prefilter(c: Float64Array, len: number, W: number, boundary: 'reflect' | 'mirror', c0: Float64Array): void {
  const z = POLE3;
  const gain = (1.0 - z) * (1.0 - 1.0 / z);
  const total = len * W;
  for (let i = 0; i < total; i++) c[i] *= gain;
  const last = (len - 1) * W;
  if (boundary === 'reflect') {
    const zn = Math.pow(z, len);
    const scale = z / (1 - zn * zn);
    for (let w = 0; w < W; w++) {
      c0[w] = c[w];
      c[w] = c[w] + zn * c[last + w];
    }
    let zi = z;
    for (let i = 1; i < len; i++) {
      // At i = len-1 scipy reads c[0] while it is being accumulated; so do we.
      const r = i * W;
      const q = (len - 1 - i) * W;
      for (let w = 0; w < W; w++) c[w] += zi * (c[r + w] + zn * c[q + w]);
      zi *= z;
    }
    for (let w = 0; w < W; w++) {
      c[w] *= scale;
      c[w] += c0[w];
    }
  } else {
    const zn1 = Math.pow(z, len - 1);
    const div = 1 - zn1 * zn1;
    for (let w = 0; w < W; w++) c[w] = c[w] + zn1 * c[last + w];
    let zi = z;
    for (let i = 1; i < len - 1; i++) {
      const r = i * W;
      const q = (len - 1 - i) * W;
      for (let w = 0; w < W; w++) c[w] += zi * (c[r + w] + zn1 * c[q + w]);
      zi *= z;
    }
    for (let w = 0; w < W; w++) c[w] /= div;
  }
  for (let i = 1; i < len; i++) {
    const r = i * W;
    const q = r - W;
    for (let w = 0; w < W; w++) c[r + w] += z * c[q + w];
  }
  if (boundary === 'reflect') {
    const f = z / (z - 1);
    for (let w = 0; w < W; w++) c[last + w] *= f;
  } else {
    const div = z * z - 1;
    const prev = last - W;
    for (let w = 0; w < W; w++) c[last + w] = ((z * c[prev + w] + c[last + w]) * z) / div;
  }
  for (let i = len - 2; i >= 0; i--) {
    const r = i * W;
    const q = r + W;
    for (let w = 0; w < W; w++) c[r + w] = z * (c[q + w] - c[r + w]);
  }
}

function checkShape(shape: Shape3, name: string): void {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new VoxsegError('usage', `${name} must be three positive integers, got [${shape.join(', ')}]`);
  }
}
