/**
 * nnU-Net v2's resampling (nnunetv2/preprocessing/resampling/default_resampling.py), on top of
 * the scipy-compatible kernels in src/volume/spline.ts.
 *
 * Arrays are one channel of nnU-Net's (c, x, y, z) array: flat, last axis fastest, `shape` in
 * nnU-Net's axis order (after transpose_forward; for images read the SimpleITK way that is
 * z, y, x = voxseg's k, j, i, so a voxseg buffer is shape [nk, nj, ni]). Spacings are in the
 * same order. Logits for several channels are stored channel after channel.
 *
 * The rules, as nnU-Net applies them:
 * - New shape: int(round(old_spacing / new_spacing * old_shape)) per axis; Python's round (half
 *   to even).
 * - "Separate z" (determine_do_sep_z_and_axis): with force_separate_z set, it decides and the
 *   axis is the largest-spacing axis of the CURRENT spacing; otherwise anisotropy (max/min >
 *   threshold, 3) of the current spacing, else of the new spacing, picks the largest-spacing
 *   axes of that spacing. When two or three axes share the largest spacing, nothing is separate.
 * - Not separate: skimage.transform.resize(order, mode='edge', anti_aliasing=False) of the whole
 *   channel, i.e. scipy.ndimage.zoom(grid_mode=True, mode='nearest') of the float64 data, then
 *   clipped to the channel's [min, max] (skimage's default clip=True), stored as float32.
 * - Separate along axis a: every slice along a is resized in 2-D the same way (clipped to THAT
 *   slice's [min, max]); then, when the size along a changes, map_coordinates(order_z,
 *   mode='nearest') at the coordinates scale*(k+0.5)-0.5 along every axis (in-plane they are the
 *   integers, so only axis a moves). With order_z 0 that picks slice floor(x+0.5), clamped.
 * - Unchanged shape: the data is returned as it is.
 * The data path uses order 3 / order_z 0; probabilities (logits on the way back) order 1 / 0.
 * nnU-Net resamples in float64 and stores float32; so do we. Bit-identical to nnU-Net (tested
 * against skimage 0.19 / scipy 1.10): order 0/1 everywhere, order 3 per slice (separate z, where
 * scipy's exact operation order costs no memory) and order 3 on the whole volume with `exact`.
 * The default whole-volume order 3 is separable: equal up to float64 rounding, which changes the
 * float32 result on a few voxels in 1e5 at most (none in the tests), by one float32 step, and
 * needs a float64 intermediate of about half the volume instead of a padded float64 copy.
 * Not done here, as in nnU-Net's preprocessing the caller normalizes BEFORE resampling.
 *
 * `resampleLogitsArgmax` takes nnU-Net's way back to the input grid (resample the logits,
 * softmax, argmax) without materialising the resampled logits: per output voxel it interpolates
 * every channel exactly as resample_data_or_seg_to_shape would (float64, nnU-Net's clip, rounded
 * to float32) and keeps the largest (ties: the lowest channel, like numpy's argmax). Softmax is
 * monotonic, so the argmax is the same, except where nnU-Net's float32 softmax maps two different
 * float32 logits to the same probability (then nnU-Net takes the lower channel). Shortcut: where
 * every source voxel the output voxel interpolates from has the same argmax label L, the answer
 * is L — the interpolation is a positive combination computed in the same floating-point order
 * for every channel, and IEEE rounding is monotonic, so no channel can exceed L; only an exact
 * float32 tie with a lower channel could change it (`exact: true` turns the shortcut off).
 * Work: one pass over the logits for the source labels (2 bytes per source voxel) and the clip
 * bounds, then per output voxel 4 (separate z) or 8 label reads, and channels x taps
 * multiply-adds only where the labels differ. Output slices along axis 0 can be produced in any
 * ranges (`range`), e.g. to stream and report progress; each call repeats the first pass.
 */
import { VoxsegError } from '../../core/errors';
import { roundHalfEven } from '../../volume/resample';
import { resampleAxes, zoomArray, zoomCoordinates, type Shape3 } from '../../volume/spline';
import type { NnunetResampling } from './types';

export type Vec3Like = readonly [number, number, number];

/** nnU-Net's compute_new_shape: round(old_spacing / new_spacing * old_shape) per axis. */
export function computeNewShape(
  shape: readonly number[],
  spacing: readonly number[],
  newSpacing: readonly number[],
): number[] {
  if (shape.length !== spacing.length || shape.length !== newSpacing.length) {
    throw new VoxsegError(
      'usage',
      `shape, spacing and new spacing must have the same length (${shape.length}, ${spacing.length}, ${newSpacing.length})`,
    );
  }
  return shape.map((n, i) => roundHalfEven((spacing[i] / newSpacing[i]) * n));
}

/** Axes whose spacing is the largest (nnU-Net's get_lowres_axis: max / s == 1). */
export function lowResAxes(spacing: readonly number[]): number[] {
  const max = Math.max(...spacing);
  const axes: number[] = [];
  spacing.forEach((s, i) => {
    if (max / s === 1) axes.push(i);
  });
  return axes;
}

function anisotropic(spacing: readonly number[], threshold: number): boolean {
  return Math.max(...spacing) / Math.min(...spacing) > threshold;
}

/** nnU-Net's determine_do_sep_z_and_axis; `axis` is set when `separate` is true. */
export function separateZPlan(
  currentSpacing: readonly number[],
  newSpacing: readonly number[],
  kwargs: Pick<NnunetResampling, 'forceSeparateZ' | 'anisotropyThreshold'>,
): { separate: boolean; axis?: number } {
  let separate: boolean;
  let axes: number[] | null;
  const threshold = kwargs.anisotropyThreshold;
  if (kwargs.forceSeparateZ !== null && kwargs.forceSeparateZ !== undefined) {
    separate = kwargs.forceSeparateZ;
    axes = separate ? lowResAxes(currentSpacing) : null;
  } else if (anisotropic(currentSpacing, threshold)) {
    separate = true;
    axes = lowResAxes(currentSpacing);
  } else if (anisotropic(newSpacing, threshold)) {
    separate = true;
    axes = lowResAxes(newSpacing);
  } else {
    separate = false;
    axes = null;
  }
  if (axes && axes.length !== 1) separate = false;
  return separate && axes ? { separate, axis: axes[0] } : { separate: false };
}

/**
 * One channel resampled like nnU-Net's resample_data_or_seg_to_shape with is_seg=False (the
 * image data, `kwargs` = the plan's resampling_fn_data_kwargs), float32 out. `exact` (order 3):
 * scipy's operation order, bit-identical; default on for the per-slice (separate z) resizing,
 * where it costs nothing but time, off for the whole-volume zoom, where it would need a float64
 * copy of the padded volume (the separable result differs by float64 rounding, which survives
 * the rounding to float32 on about 1e-8 of the voxels).
 */
export function resampleDataToShape(
  data: ArrayLike<number>,
  shape: Vec3Like,
  newShape: Vec3Like,
  currentSpacing: readonly number[],
  newSpacing: readonly number[],
  kwargs: NnunetResampling,
  options: { exact?: boolean } = {},
): Float32Array {
  checkOrder(kwargs.order, 'order');
  checkOrder(kwargs.orderZ, 'order_z');
  const size = shape[0] * shape[1] * shape[2];
  if (data.length !== size)
    throw new VoxsegError('usage', `data has ${data.length} values, shape ${shape.join('x')} needs ${size}`);
  if (shape.every((n, i) => n === newShape[i])) return Float32Array.from(data);
  const order = kwargs.order as 0 | 1 | 3;
  const plan = separateZPlan(currentSpacing, newSpacing, kwargs);
  if (!plan.separate) {
    const [lo, hi] = minMax(data, 0, size);
    return zoomArray(data, shape, newShape, {
      order,
      mode: 'nearest',
      gridMode: true,
      clip: [lo, hi],
      exact: options.exact ?? false,
    });
  }
  const a = plan.axis!;
  const [p, q] = a === 0 ? [1, 2] : a === 1 ? [0, 2] : [0, 1];
  const inPlane: Shape3 = [1, shape[p], shape[q]];
  const outPlane: Shape3 = [1, newShape[p], newShape[q]];
  const planeIn = new Float64Array(shape[p] * shape[q]);
  const sliceView = slicer(shape, a);
  const outView = slicer(newShape, a);
  const na = shape[a];
  const ma = newShape[a];
  const resizeSlice = <T extends Float32Array | Float64Array>(s: number, out: T): T => {
    sliceView.gather(data, s, planeIn);
    const [lo, hi] = minMax(planeIn, 0, planeIn.length);
    return zoomArray(planeIn, inPlane, outPlane, {
      order,
      mode: 'nearest',
      gridMode: true,
      axes: [false, true, true],
      clip: [lo, hi],
      out,
      exact: options.exact ?? true,
    });
  };
  const planeOut = outPlane[1] * outPlane[2];
  const result = new Float32Array(newShape[0] * newShape[1] * newShape[2]);
  if (na === ma || kwargs.orderZ === 0) {
    // order_z 0 only picks slices: resize each slice that is used once, copy it where it goes.
    const pick = na === ma ? Int32Array.from({ length: ma }, (_, k) => k) : nearestIndices(na, ma);
    const tmp = new Float32Array(planeOut);
    for (let s = 0; s < na; s++) {
      let resized = false;
      for (let o = 0; o < ma; o++) {
        if (pick[o] !== s) continue;
        if (!resized) resizeSlice(s, tmp);
        resized = true;
        outView.scatter(tmp, o, result);
      }
    }
    return result;
  }
  // order_z 1 or 3: the in-plane results (float64, as nnU-Net keeps them), then axis a.
  const midShape: [number, number, number] = [newShape[0], newShape[1], newShape[2]];
  midShape[a] = na;
  const mid = new Float64Array(midShape[0] * midShape[1] * midShape[2]);
  const midView = slicer(midShape, a);
  const tmp = new Float64Array(planeOut);
  for (let s = 0; s < na; s++) midView.scatter(resizeSlice(s, tmp), s, mid);
  // map_coordinates is 3-D: in-plane the coordinates are the integers (kept for `exact`, where
  // scipy's order 3 prefilters those axes too).
  const exact = options.exact ?? true;
  const coords = [0, 1, 2].map((x) =>
    x === a ? zoomCoordinates(na, ma, true) : exact ? zoomCoordinates(midShape[x], midShape[x], true) : null,
  );
  return resampleAxes(mid, midShape, coords, { order: kwargs.orderZ as 1 | 3, mode: 'nearest', out: result, exact });
}

/**
 * For each output voxel, the argmax over `channels` logits resampled from `shape` to `outShape`
 * as nnU-Net resamples probabilities (`kwargs` = resampling_fn_probabilities_kwargs: order 1,
 * order_z 0 by default; orders 0 and 1 are supported). `logits` holds the channels one after the
 * other (channel slowest). Writes channelLabels[c] (default c) into `out` (size of outShape);
 * `range` limits the work to output slices [start, end) along axis 0.
 */
export function resampleLogitsArgmax(
  logits: Float32Array,
  channels: number,
  shape: Vec3Like,
  outShape: Vec3Like,
  currentSpacing: readonly number[],
  newSpacing: readonly number[],
  kwargs: NnunetResampling,
  out: Uint8Array | Uint16Array,
  channelLabels?: readonly number[],
  options: { range?: readonly [number, number]; exact?: boolean } = {},
): void {
  const run = logitsArgmax(
    logits,
    channels,
    shape,
    outShape,
    currentSpacing,
    newSpacing,
    kwargs,
    channelLabels,
    options,
  );
  const [start, end] = options.range ?? [0, outShape[0]];
  run(out, start, end);
}

/**
 * resampleLogitsArgmax in two steps: the pass over the logits (source labels, clip bounds) once,
 * then `run(out, start, end)` for output slices [start, end) along axis 0, as often as wanted
 * (to stream the output and report progress).
 */
export function logitsArgmax(
  logits: Float32Array,
  channels: number,
  shape: Vec3Like,
  outShape: Vec3Like,
  currentSpacing: readonly number[],
  newSpacing: readonly number[],
  kwargs: NnunetResampling,
  channelLabels?: readonly number[],
  options: { exact?: boolean } = {},
): (out: Uint8Array | Uint16Array, start: number, end: number) => void {
  const n = shape[0] * shape[1] * shape[2];
  const m = outShape[0] * outShape[1] * outShape[2];
  if (!(channels >= 1 && channels <= 65535) || logits.length !== channels * n) {
    throw new VoxsegError(
      'usage',
      `logits have ${logits.length} values, ${channels} channels of ${shape.join('x')} need ${channels * n}`,
    );
  }
  if (channelLabels && channelLabels.length !== channels)
    throw new VoxsegError('usage', `${channelLabels.length} channel labels for ${channels} channels`);
  for (const [name, o] of [
    ['order', kwargs.order],
    ['order_z', kwargs.orderZ],
  ] as const) {
    if (o !== 0 && o !== 1)
      throw new VoxsegError('unsupported', `probability resampling with ${name} ${o} (0 or 1 are supported)`);
  }
  const labels = Int32Array.from({ length: channels }, (_, c) => (channelLabels ? channelLabels[c] : c));
  const same = shape.every((s, i) => s === outShape[i]);
  const plan = same ? { separate: false } : separateZPlan(currentSpacing, newSpacing, kwargs);
  const sep = plan.separate ? plan.axis! : -1;

  // Per-axis taps: in-plane (or all axes) at `order`, the separate axis at `order_z`.
  const ax = [0, 1, 2].map((a) => axisTaps(shape[a], outShape[a], a === sep ? kwargs.orderZ : kwargs.order));
  const [A0, A1, A2] = ax;
  const T0 = A0.taps;
  const T1 = A1.taps;
  const T2 = A2.taps;
  const s0 = shape[1] * shape[2];
  const s1 = shape[2];

  // Source argmax labels (ties: lowest channel) and nnU-Net's clip bounds: per channel, or per
  // channel and slice along the separate axis (each 2-D resize clips to its own slice).
  const src = new Uint16Array(n);
  {
    const bestVal = logits.slice(0, n);
    for (let c = 1; c < channels; c++) {
      const base = c * n;
      for (let v = 0; v < n; v++) {
        const x = logits[base + v];
        if (x > bestVal[v]) {
          bestVal[v] = x;
          src[v] = c;
        }
      }
    }
  }
  const groups = sep >= 0 ? shape[sep] : 1;
  const lo = new Float64Array(channels * groups).fill(Infinity);
  const hi = new Float64Array(channels * groups).fill(-Infinity);
  for (let c = 0; c < channels; c++) {
    let v = c * n;
    for (let i0 = 0; i0 < shape[0]; i0++) {
      for (let i1 = 0; i1 < shape[1]; i1++) {
        for (let i2 = 0; i2 < shape[2]; i2++, v++) {
          const g = c * groups + (sep === 0 ? i0 : sep === 1 ? i1 : sep === 2 ? i2 : 0);
          const x = logits[v];
          if (x < lo[g]) lo[g] = x;
          if (x > hi[g]) hi[g] = x;
        }
      }
    }
  }

  const exact = options.exact === true;
  // Taps of the current output row (axes 0 and 1) and voxel (all axes), axis 0 outer, axis 2
  // inner: scipy's order.
  const rowOff = new Int32Array(4);
  const rowW0 = new Float64Array(4);
  const rowW1 = new Float64Array(4);
  const rowZ = new Int32Array(4);
  const offs = new Int32Array(8);
  const wt0 = new Float64Array(8); // per-axis weights: each term is ((v * w0) * w1) * w2, as scipy's
  const wt1 = new Float64Array(8);
  const wt2 = new Float64Array(8);
  const zOf = new Int32Array(8); // which tap along the separate axis (0 or 1)
  const slice = new Int32Array(2); // source slice of z tap 0 / 1
  const zw = new Float64Array(2); // their weights
  const part = new Float64Array(2); // in-plane sums per z tap
  // Weights of the separate axis are applied after the in-plane sums; unweighted taps weigh 1.
  const one = (A: Taps, a: number): boolean => A.weighted && sep !== a;
  const use0 = one(A0, 0);
  const use1 = one(A1, 1);
  const use2 = one(A2, 2);
  const idx2 = A2.idx;
  const w2 = A2.w;
  const zTaps = sep >= 0 ? ax[sep].taps : 1;
  const maxLabel = Math.max(...labels);
  return (out, start, end) => {
    if (out.length !== m)
      throw new VoxsegError('usage', `output has ${out.length} values, shape ${outShape.join('x')} needs ${m}`);
    if (out instanceof Uint8Array && maxLabel > 255)
      throw new VoxsegError('usage', `label ${maxLabel} does not fit a Uint8Array output`);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= outShape[0] && start <= end)) {
      throw new VoxsegError('usage', `slice range [${start}, ${end}) outside 0..${outShape[0]}`);
    }
    for (let o0 = start; o0 < end; o0++) {
      for (let o1 = 0; o1 < outShape[1]; o1++) {
        let nb = 0;
        for (let a = 0; a < T0; a++) {
          for (let b = 0; b < T1; b++) {
            rowOff[nb] = A0.idx[o0 * T0 + a] * s0 + A1.idx[o1 * T1 + b] * s1;
            rowW0[nb] = A0.w[o0 * T0 + a];
            rowW1[nb] = A1.w[o1 * T1 + b];
            rowZ[nb] = sep === 0 ? a : sep === 1 ? b : 0;
            if (sep === 0) slice[a] = A0.idx[o0 * T0 + a];
            else if (sep === 1) slice[b] = A1.idx[o1 * T1 + b];
            if (sep === 0) zw[a] = rowW0[nb];
            else if (sep === 1) zw[b] = rowW1[nb];
            nb++;
          }
        }
        let p = (o0 * outShape[1] + o1) * outShape[2];
        for (let o2 = 0; o2 < outShape[2]; o2++, p++) {
          const c2 = o2 * T2;
          if (!exact) {
            // Shortcut: every source voxel involved has the same label.
            const first = src[rowOff[0] + idx2[c2]];
            let agree = true;
            for (let j = 0; j < nb && agree; j++)
              for (let c = 0; c < T2 && agree; c++) agree = src[rowOff[j] + idx2[c2 + c]] === first;
            if (agree) {
              out[p] = labels[first];
              continue;
            }
          }
          let k = 0;
          for (let j = 0; j < nb; j++) {
            for (let c = 0; c < T2; c++) {
              offs[k] = rowOff[j] + idx2[c2 + c];
              wt0[k] = use0 ? rowW0[j] : 1;
              wt1[k] = use1 ? rowW1[j] : 1;
              wt2[k] = use2 ? w2[c2 + c] : 1;
              zOf[k] = sep === 2 ? c : rowZ[j];
              k++;
            }
          }
          if (sep === 2) {
            for (let c = 0; c < T2; c++) {
              slice[c] = idx2[c2 + c];
              zw[c] = w2[c2 + c];
            }
          }
          const best =
            sep < 0
              ? argmax3d(logits, n, channels, k, offs, wt0, wt1, wt2, lo, hi)
              : argmaxSeparate(
                  logits,
                  n,
                  channels,
                  k,
                  offs,
                  wt0,
                  wt1,
                  wt2,
                  zOf,
                  zTaps,
                  slice,
                  zw,
                  lo,
                  hi,
                  groups,
                  part,
                );
          out[p] = labels[best];
        }
      }
    }
  };
}

/** Argmax over channels of the 3-D zoom at one voxel: sum of ((v*w0)*w1)*w2, clipped, as float32. */
function argmax3d(
  logits: Float32Array,
  n: number,
  channels: number,
  k: number,
  offs: Int32Array,
  wt0: Float64Array,
  wt1: Float64Array,
  wt2: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
): number {
  let best = 0;
  let bestVal = -Infinity;
  for (let ch = 0, base = 0; ch < channels; ch++, base += n) {
    let t = 0.0;
    for (let j = 0; j < k; j++) t += logits[base + offs[j]] * wt0[j] * wt1[j] * wt2[j];
    const f = Math.fround(t < lo[ch] ? lo[ch] : t > hi[ch] ? hi[ch] : t);
    if (f > bestVal) {
      bestVal = f;
      best = ch;
    }
  }
  return best;
}

/**
 * Argmax over channels with separate z: the 2-D zoom of each source slice (clipped to that
 * slice's range), then order_z along the separate axis (1 tap: pick; 2 taps: linear), as float32.
 */
function argmaxSeparate(
  logits: Float32Array,
  n: number,
  channels: number,
  k: number,
  offs: Int32Array,
  wt0: Float64Array,
  wt1: Float64Array,
  wt2: Float64Array,
  zOf: Int32Array,
  zTaps: number,
  slice: Int32Array,
  zw: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  groups: number,
  part: Float64Array,
): number {
  let best = 0;
  let bestVal = -Infinity;
  for (let ch = 0, base = 0; ch < channels; ch++, base += n) {
    part[0] = 0.0;
    part[1] = 0.0;
    for (let j = 0; j < k; j++) part[zOf[j]] += logits[base + offs[j]] * wt0[j] * wt1[j] * wt2[j];
    const g0 = ch * groups + slice[0];
    const v0 = part[0] < lo[g0] ? lo[g0] : part[0] > hi[g0] ? hi[g0] : part[0];
    let val = v0;
    if (zTaps === 2) {
      const g1 = ch * groups + slice[1];
      const v1 = part[1] < lo[g1] ? lo[g1] : part[1] > hi[g1] ? hi[g1] : part[1];
      val = 0.0 + v0 * zw[0] + v1 * zw[1];
    }
    const f = Math.fround(val);
    if (f > bestVal) {
      bestVal = f;
      best = ch;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------

interface Taps {
  taps: number;
  idx: Int32Array;
  w: Float64Array;
  weighted: boolean;
}

/**
 * Taps along one axis of skimage's resize / nnU-Net's map_coordinates (grid coordinates
 * scale*(k+0.5)-0.5, mode 'nearest': indices clamped). Unchanged axes: one tap of weight 1.
 */
function axisTaps(nIn: number, nOut: number, order: number): Taps {
  if (nIn === nOut) {
    return {
      taps: 1,
      idx: Int32Array.from({ length: nIn }, (_, i) => i),
      w: new Float64Array(nIn).fill(1),
      weighted: false,
    };
  }
  const coords = zoomCoordinates(nIn, nOut, true);
  const taps = order + 1;
  const idx = new Int32Array(nOut * taps);
  const w = new Float64Array(nOut * taps);
  for (let o = 0; o < nOut; o++) {
    const cc = coords[o];
    const start = order === 1 ? Math.floor(cc) : Math.floor(cc + 0.5);
    for (let t = 0; t < taps; t++) idx[o * taps + t] = Math.min(nIn - 1, Math.max(0, start + t));
    if (order === 1) {
      const x = cc - Math.floor(cc);
      w[o * 2] = 1.0 - x;
      w[o * 2 + 1] = 1.0 - w[o * 2];
    } else {
      w[o] = 1;
    }
  }
  return { taps, idx, w, weighted: order > 0 };
}

/** nnU-Net's order-0 z coordinate: floor(scale*(k+0.5)-0.5 + 0.5), clamped. */
function nearestIndices(nIn: number, nOut: number): Int32Array {
  const coords = zoomCoordinates(nIn, nOut, true);
  const pick = new Int32Array(nOut);
  for (let o = 0; o < nOut; o++) pick[o] = Math.min(nIn - 1, Math.max(0, Math.floor(coords[o] + 0.5)));
  return pick;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function minMax(data: ArrayLike<number>, from: number, to: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Gather / scatter the 2-D slices along one axis of a 3-D array (remaining axes keep their order). */
function slicer(shape: Vec3Like, axis: number) {
  const [, n1, n2] = shape;
  const stride = [n1 * n2, n2, 1];
  const [p, q] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  const np = shape[p];
  const nq = shape[q];
  const sp = stride[p];
  const sq = stride[q];
  return {
    gather(src: ArrayLike<number>, s: number, dst: Float64Array | Float32Array): void {
      const base = s * stride[axis];
      let i = 0;
      for (let a = 0; a < np; a++) for (let b = 0; b < nq; b++) dst[i++] = src[base + a * sp + b * sq];
    },
    scatter(src: ArrayLike<number>, s: number, dst: Float64Array | Float32Array): void {
      const base = s * stride[axis];
      let i = 0;
      for (let a = 0; a < np; a++) for (let b = 0; b < nq; b++) dst[base + a * sp + b * sq] = src[i++];
    },
  };
}

function checkOrder(order: number, name: string): void {
  if (order !== 0 && order !== 1 && order !== 3)
    throw new VoxsegError('unsupported', `nnU-Net resampling with ${name} ${order} (0, 1 or 3 are supported)`);
}
