/**
 * Sliding-window inference engine (nnU-Net style), independent of any runtime: the model is a
 * `Predictor` and the result streams out slice by slice through a `SlabSink`.
 *
 * Conventions:
 * - Grid axes i, j, k (i fastest); patch sizes and starts are (i, j, k).
 * - Where the image is smaller than the patch along an axis it is zero-padded to the patch size,
 *   centred as nnU-Net does: floor(diff / 2) voxels before, the rest after. Outputs cover the real
 *   image only (padded voxels are never accumulated).
 * - Gaussian blending weights are centred on voxel floor(P / 2) of each axis (nnU-Net's centre).
 * - Patches run in k-major order; with mirroring, each patch is followed by its mirrored variants,
 *   and a predictor call takes up to `batch` of those (patch, mirror) items, possibly spanning two
 *   layers of patches. Outputs are blended into a RollingAccumulator that holds only patch-k slices,
 *   so memory is about channels x nx x ny x patch_k x (4 or 2) bytes.
 */
import { VoxsegError, errorMessage } from '../core/errors';
import type { Vec3 } from '../core/types';
import { roundHalfEven } from '../volume/resample';
import { RollingAccumulator, accumulatorBytes, type AccumulatorStorage, type SlabSink } from './accumulator';
import { extractPatch, packPatch, tensorSpatialDims, unpackPatch, type Predictor, type Tensor } from './tensor';

export type { SlabSink } from './accumulator';

export interface WindowOptions {
  /** Patch size (i, j, k). */
  patch: Vec3;
  /** 0 <= overlap < 1. */
  overlap: number;
  blending: 'gaussian' | 'constant';
  /** Gaussian sigma as a fraction of the patch size, per axis (default 1/8). */
  sigmaScale?: number;
  /** Test-time augmentation: also run every non-empty combination of mirrors along these grid axes. */
  mirrorAxes?: number[];
  /** Items (patch or mirrored patch) per predictor call, upper bound. */
  batch: number;
  /** Output channels expected from the predictor. */
  channels: number;
  layout: 'NCDHW' | 'NCWHD';
  /** Bytes allowed for the accumulation storage: float32 when it fits, else float16, else 'out-of-memory'. */
  memoryBudget?: number;
}

export interface WindowResult {
  patches: number;
  predictorCalls: number;
  storage: AccumulatorStorage;
  /** Accumulation storage + batch input/output tensors + engine scratch, in bytes. */
  peakBytes: number;
  /** Seconds spent inside the predictor. */
  inferenceSeconds: number;
}

export interface WindowControl {
  /** Called after each predictor call with patches finished (all their mirrors) and the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

function stepsAlong(size: number, patch: number, overlap: number): number[] {
  if (patch >= size) return [0];
  const range = size - patch;
  // nnU-Net's compute_steps_for_sliding_window in float64: target step patch * tile_step_size
  // (tile_step_size = 1 - overlap), n = ceil(range / target) + 1 evenly spaced starts, each
  // np.round(actual_step * s) (ties to even).
  const target = Math.max(1, patch * (1 - overlap)); // below 1 only for 1-voxel patches
  const n = Math.ceil(range / target) + 1;
  const actual = range / (n - 1);
  const out: number[] = [];
  for (let s = 0; s < n; s++) out.push(roundHalfEven(actual * s));
  return out;
}

/**
 * Patch start indices over a grid of `dims` (already padded to at least the patch), k-major
 * (k, then j, then i). Per axis, as nnU-Net: n = ceil((size - patch) / (patch * (1 - overlap))) + 1
 * starts evenly spaced from 0 to size - patch, rounded half to even; a single start 0 when patch >= size.
 */
export function tilePositions(dims: Readonly<Vec3>, patch: Readonly<Vec3>, overlap: number): Vec3[] {
  if (!(overlap >= 0 && overlap < 1))
    throw new VoxsegError('invalid-model', `sliding-window overlap must be in [0, 1), got ${overlap}`);
  const si = stepsAlong(dims[0], patch[0], overlap);
  const sj = stepsAlong(dims[1], patch[1], overlap);
  const sk = stepsAlong(dims[2], patch[2], overlap);
  const out: Vec3[] = [];
  for (const k of sk) for (const j of sj) for (const i of si) out.push([i, j, k]);
  return out;
}

/**
 * Gaussian importance map over a patch (flat, i fastest): exp(-sum_a (p_a - c_a)^2 / (2 sigma_a^2))
 * with c_a = floor(P_a / 2) and sigma_a = P_a * sigmaScale, so the maximum is 1 at the centre.
 * Values that underflow float32 (zero or subnormal) are raised to the smallest normal value in the
 * map, so every voxel has a weight > 0.
 */
export function gaussianWeights(patch: Readonly<Vec3>, sigmaScale: number): Float32Array {
  if (!(sigmaScale > 0 && Number.isFinite(sigmaScale)))
    throw new VoxsegError('invalid-model', `Gaussian sigmaScale must be > 0, got ${sigmaScale}`);
  const axis = (a: number): Float64Array => {
    const n = patch[a];
    const c = Math.floor(n / 2);
    const s = n * sigmaScale;
    const g = new Float64Array(n);
    for (let p = 0; p < n; p++) g[p] = Math.exp(-((p - c) * (p - c)) / (2 * s * s));
    return g;
  };
  const gi = axis(0);
  const gj = axis(1);
  const gk = axis(2);
  const [pi, pj, pk] = patch;
  const out = new Float32Array(pi * pj * pk);
  const FLT_MIN = 2 ** -126;
  let min = Infinity;
  let o = 0;
  for (let k = 0; k < pk; k++) {
    for (let j = 0; j < pj; j++) {
      const jk = gj[j] * gk[k];
      for (let i = 0; i < pi; i++, o++) {
        const v = (out[o] = gi[i] * jk);
        if (v >= FLT_MIN && v < min) min = v;
      }
    }
  }
  if (min === Infinity) min = FLT_MIN;
  for (let p = 0; p < out.length; p++) if (out[p] < FLT_MIN) out[p] = min;
  return out;
}

/** Mirror bit masks (bit a = flip grid axis a) for TTA: identity first, then every non-empty subset. */
export function mirrorMasks(axes: readonly number[] | undefined): number[] {
  const uniq: number[] = [];
  for (const a of axes ?? []) {
    if (a !== 0 && a !== 1 && a !== 2)
      throw new VoxsegError('invalid-model', `mirror axis must be 0, 1 or 2, got ${a}`);
    if (!uniq.includes(a)) uniq.push(a);
  }
  const masks: number[] = [];
  for (let s = 0; s < 1 << uniq.length; s++) {
    let m = 0;
    for (let b = 0; b < uniq.length; b++) if (s & (1 << b)) m |= 1 << uniq[b];
    masks.push(m);
  }
  return masks;
}

/** Voxels of zero padding before the image along each axis (centred padding up to the patch). */
export function padBefore(dims: Readonly<Vec3>, patch: Readonly<Vec3>): Vec3 {
  return [0, 1, 2].map((a) => Math.max(0, Math.floor((patch[a] - dims[a]) / 2))) as Vec3;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB (${bytes} bytes)`;
}

function validate(image: Float32Array, dims: Readonly<Vec3>, o: WindowOptions): void {
  const posInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
  if (dims.length !== 3 || !dims.every(posInt))
    throw new VoxsegError('invalid-volume', `sliding window: bad grid dims [${dims.join(', ')}]`);
  if (image.length !== dims[0] * dims[1] * dims[2])
    throw new VoxsegError(
      'invalid-volume',
      `sliding window: image has ${image.length} voxels, grid ${dims.join('x')} needs ${dims[0] * dims[1] * dims[2]}`,
    );
  if (o.patch.length !== 3 || !o.patch.every(posInt))
    throw new VoxsegError(
      'invalid-model',
      `sliding-window patch must be 3 positive integers, got [${o.patch.join(', ')}]`,
    );
  if (!posInt(o.batch))
    throw new VoxsegError('invalid-model', `sliding-window batch must be a positive integer, got ${o.batch}`);
  if (!posInt(o.channels))
    throw new VoxsegError('invalid-model', `model channels must be a positive integer, got ${o.channels}`);
  if (o.layout !== 'NCDHW' && o.layout !== 'NCWHD')
    throw new VoxsegError('invalid-model', `tensor layout must be NCDHW or NCWHD, got ${String(o.layout)}`);
  if (o.memoryBudget !== undefined && !(o.memoryBudget >= 0))
    throw new VoxsegError('invalid-model', `memory budget must be >= 0 bytes, got ${o.memoryBudget}`);
}

function chooseStorage(
  channels: number,
  dims: Readonly<Vec3>,
  slices: number,
  budget: number | undefined,
): AccumulatorStorage {
  const need32 = accumulatorBytes(channels, dims, slices, 'float32');
  if (budget === undefined || need32 <= budget) return 'float32';
  const need16 = accumulatorBytes(channels, dims, slices, 'float16');
  if (need16 <= budget) return 'float16';
  throw new VoxsegError(
    'out-of-memory',
    `sliding-window accumulation of ${channels} channels over ${dims[0]}x${dims[1]}x${slices} voxels needs ${mib(need32)} in float32 ` +
      `or ${mib(need16)} in float16, but the memory budget is ${mib(budget)}`,
  );
}

function cancelled(cause?: unknown): VoxsegError {
  return new VoxsegError('cancelled', 'inference cancelled', { cause });
}

/**
 * Run `predictor` over `image` (one normalized channel, dims nx x ny x nz) patch by patch and stream
 * the blended logits to `sink` in increasing k (see SlabSink for the layout and lifetime).
 */
export async function slidingWindow(
  image: Float32Array,
  dims: Vec3,
  opts: WindowOptions,
  predictor: Predictor,
  sink: SlabSink,
  ctl: WindowControl = {},
): Promise<WindowResult> {
  validate(image, dims, opts);
  const { patch, channels, layout } = opts;
  const signal = ctl.signal;
  if (signal?.aborted) throw cancelled(signal.reason);

  const pad = padBefore(dims, patch);
  const padded: Vec3 = [Math.max(dims[0], patch[0]), Math.max(dims[1], patch[1]), Math.max(dims[2], patch[2])];
  const positions = tilePositions(padded, patch, opts.overlap);
  const weights =
    opts.blending === 'gaussian'
      ? gaussianWeights(patch, opts.sigmaScale ?? 0.125)
      : new Float32Array(patch[0] * patch[1] * patch[2]).fill(1);
  const masks = mirrorMasks(opts.mirrorAxes);
  const variants = masks.length;
  const totalItems = positions.length * variants;
  const patchVoxels = patch[0] * patch[1] * patch[2];
  const batch = Math.min(opts.batch, totalItems);
  const spatial = tensorSpatialDims(patch, layout);
  const direct = layout === 'NCDHW';

  const storage = chooseStorage(channels, dims, Math.min(patch[2], dims[2]), opts.memoryBudget);
  let acc: RollingAccumulator;
  let input: Float32Array;
  let gridPatch: Float32Array;
  let chanPatch: Float32Array | null;
  try {
    acc = new RollingAccumulator(channels, dims, patch, storage, sink);
    input = new Float32Array(batch * patchVoxels);
    gridPatch = new Float32Array(patchVoxels);
    chanPatch = direct && variants === 1 ? null : new Float32Array(patchVoxels);
  } catch (err) {
    if (err instanceof RangeError) {
      const need = accumulatorBytes(channels, dims, Math.min(patch[2], dims[2]), storage) + 4 * batch * patchVoxels;
      throw new VoxsegError(
        'out-of-memory',
        `cannot allocate ${mib(need)} for sliding-window inference (${errorMessage(err)})`,
        { cause: err },
      );
    }
    throw err;
  }
  const peakBytes =
    acc.bytes +
    acc.scratchBytes +
    4 * batch * patchVoxels * (1 + channels) +
    4 * patchVoxels * (chanPatch ? 2 : 1) +
    4 * weights.length;

  let predictorCalls = 0;
  let inferenceSeconds = 0;
  let extracted = -1;
  for (let item = 0; item < totalItems; item += batch) {
    if (signal?.aborted) throw cancelled(signal.reason);
    const n = Math.min(batch, totalItems - item);
    for (let b = 0; b < n; b++) {
      const p = Math.floor((item + b) / variants);
      const pos = positions[p];
      if (p !== extracted) {
        extractPatch(image, dims, [pos[0] - pad[0], pos[1] - pad[1], pos[2] - pad[2]], patch, gridPatch);
        extracted = p;
      }
      packPatch(gridPatch, 0, patch, layout, masks[(item + b) % variants], input, b * patchVoxels);
    }
    const expected = [n, channels, spatial[0], spatial[1], spatial[2]];
    const tensor: Tensor = {
      data: n === batch ? input : input.subarray(0, n * patchVoxels),
      dims: [n, 1, spatial[0], spatial[1], spatial[2]],
    };
    const t0 = performance.now();
    let out: Tensor;
    try {
      out = await predictor(tensor, signal);
    } catch (err) {
      if (signal?.aborted) throw cancelled(err);
      if (err instanceof VoxsegError) throw err;
      throw new VoxsegError('inference-failed', `model run failed on a batch of ${n} patch(es): ${errorMessage(err)}`, {
        cause: err,
      });
    }
    inferenceSeconds += (performance.now() - t0) / 1000;
    predictorCalls++;
    if (signal?.aborted) throw cancelled(signal.reason);
    const got = out?.dims;
    if (
      !Array.isArray(got) ||
      got.length !== 5 ||
      got.some((d, a) => d !== expected[a]) ||
      !(out.data instanceof Float32Array) ||
      out.data.length !== n * channels * patchVoxels
    ) {
      throw new VoxsegError(
        'invalid-model',
        `model output has dims [${Array.isArray(got) ? got.join(', ') : String(got)}] (${out?.data?.length ?? 0} float32 values), ` +
          `expected [${expected.join(', ')}] (batch, ${channels} channels, ${layout} patch)`,
      );
    }
    const data = out.data;
    for (let b = 0; b < n; b++) {
      const p = Math.floor((item + b) / variants);
      const mask = masks[(item + b) % variants];
      const pos = positions[p];
      acc.begin([pos[0] - pad[0], pos[1] - pad[1], pos[2] - pad[2]], weights);
      for (let c = 0; c < channels; c++) {
        const off = (b * channels + c) * patchVoxels;
        if (direct && mask === 0) {
          acc.add(c, data, off);
        } else {
          const scratch = chanPatch as Float32Array;
          unpackPatch(data, off, patch, layout, mask, scratch, 0);
          acc.add(c, scratch, 0);
        }
      }
    }
    ctl.onProgress?.(Math.floor((item + n) / variants), positions.length);
  }
  acc.finish();
  return { patches: positions.length, predictorCalls, storage, peakBytes, inferenceSeconds };
}
