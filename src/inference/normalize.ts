/**
 * Intensity normalization of a model's input image (see `Normalization` in manifest.ts).
 *
 * - Statistics are accumulated in float64 (sums shifted by a sample value, so the variance keeps
 *   its precision on large offsets); the standard deviation is the population one (numpy's
 *   default, as nnU-Net uses); a zero std is replaced by 1e-8, as nnU-Net does.
 * - 'zscore' with `foreground`: mean/std over voxels > threshold (default 0); every voxel, the
 *   background included, is then normalized with those statistics. Without foreground voxels the
 *   statistics fall back to all voxels.
 * - 'minmax': a constant volume gives zeros.
 * - 'quantile': exact quantiles with numpy's default rule (linear between the order statistics
 *   at (n - 1) * q), or with brainchop's (the order statistic at floor(n * q) for the lower and
 *   ceil(n * q) - 1 for the upper quantile); 8/16-bit integer inputs use a counting histogram of
 *   every value, others an O(n) selection on a copy. The image is clipped to [q_lower, q_upper]
 *   (unless `clip` is false) and mapped to [0, 1]; equal quantiles give zeros.
 * - NaN voxels are left out of every statistic and written as 0.
 */
import type { Normalization } from './manifest';
import { valueRange } from '../volume/volume';

const MIN_STD = 1e-8;

/**
 * Normalize `voxels` as `spec` says into `out` (a new Float32Array by default). `out` may be
 * `voxels` itself when that is a Float32Array the caller owns: every kind reads its statistics
 * first and then maps voxel by voxel, so in place is safe (and saves a volume-sized copy).
 */
export function normalizeIntensity(
  voxels: ArrayLike<number>,
  spec: Normalization,
  out: Float32Array = new Float32Array(voxels.length),
): Float32Array {
  if (out.length !== voxels.length)
    throw new RangeError(`normalizeIntensity: out has ${out.length} values for ${voxels.length} voxels`);
  switch (spec.kind) {
    case 'none':
      return affine(voxels, out, 1, 0, -Infinity, Infinity);
    case 'ct': {
      const std = Math.max(spec.std, MIN_STD);
      return affine(voxels, out, 1 / std, -spec.mean / std, spec.clip[0], spec.clip[1]);
    }
    case 'zscore': {
      const threshold = spec.threshold ?? 0;
      let s = spec.foreground ? meanStd(voxels, threshold) : null;
      if (!s || s.count === 0) s = meanStd(voxels, -Infinity);
      if (s.count === 0) return out.fill(0);
      const std = Math.max(s.std, MIN_STD);
      return affine(voxels, out, 1 / std, -s.mean / std, -Infinity, Infinity);
    }
    case 'minmax': {
      const [lo, hi] = valueRange(voxels);
      if (!(hi > lo)) return out.fill(0);
      return affine(voxels, out, 1 / (hi - lo), -lo / (hi - lo), -Infinity, Infinity);
    }
    case 'quantile': {
      const [lo, hi] =
        spec.rule === 'brainchop'
          ? rankQuantiles(voxels, spec.lower, spec.upper)
          : quantiles(voxels, spec.lower, spec.upper);
      if (!(hi > lo)) return out.fill(0);
      return spec.clip === false
        ? affine(voxels, out, 1 / (hi - lo), -lo / (hi - lo), -Infinity, Infinity)
        : affine(voxels, out, 1 / (hi - lo), -lo / (hi - lo), lo, hi);
    }
  }
}

/** out = clamp(v, lo, hi) * scale + offset; NaN -> 0. */
function affine(
  voxels: ArrayLike<number>,
  out: Float32Array,
  scale: number,
  offset: number,
  lo: number,
  hi: number,
): Float32Array {
  const n = voxels.length;
  if (scale === 1 && offset === 0 && lo === -Infinity && hi === Infinity) {
    for (let i = 0; i < n; i++) {
      const v = voxels[i];
      out[i] = v === v ? v : 0;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = voxels[i];
    if (v !== v) {
      out[i] = 0;
      continue;
    }
    out[i] = (v < lo ? lo : v > hi ? hi : v) * scale + offset;
  }
  return out;
}

/** Mean and population std (float64, shifted sums) of the voxels > threshold. */
export function meanStd(voxels: ArrayLike<number>, threshold: number): { mean: number; std: number; count: number } {
  const n = voxels.length;
  let shift = NaN;
  let count = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const v = voxels[i];
    if (!(v > threshold)) continue; // also skips NaN
    if (count === 0) shift = v;
    const d = v - shift;
    sum += d;
    sum2 += d * d;
    count++;
  }
  if (count === 0) return { mean: 0, std: 0, count };
  const m = sum / count;
  return { mean: shift + m, std: Math.sqrt(Math.max(0, sum2 / count - m * m)), count };
}

/** Exact quantiles q1 <= q2 (numpy 'linear') of the non-NaN voxels. */
export function quantiles(voxels: ArrayLike<number>, q1: number, q2: number): [number, number] {
  const order = orderOf(voxels);
  const at = (q: number): number => {
    if (order.n === 0) return 0;
    const h = (order.n - 1) * q;
    const k = Math.floor(h);
    const f = h - k;
    const [a, b] = order.pair(k);
    return f === 0 ? a : a + f * (b - a);
  };
  if (q1 <= q2) {
    const a = at(q1);
    return [a, at(q2)];
  }
  const b = at(q2);
  return [at(q1), b];
}

/** brainchop's quantiles q1 <= q2 of the non-NaN voxels: order statistics floor(n q1) and ceil(n q2) - 1. */
export function rankQuantiles(voxels: ArrayLike<number>, q1: number, q2: number): [number, number] {
  const order = orderOf(voxels);
  if (order.n === 0) return [0, 0];
  const clamp = (k: number) => Math.max(0, Math.min(order.n - 1, k));
  const k1 = clamp(Math.floor(order.n * q1));
  const k2 = clamp(Math.ceil(order.n * q2) - 1);
  if (k1 <= k2) {
    const a = order.pair(k1)[0];
    return [a, order.pair(k2)[0]];
  }
  const b = order.pair(k2)[0];
  return [order.pair(k1)[0], b];
}

function orderOf(voxels: ArrayLike<number>): Order {
  const small =
    voxels instanceof Uint8Array ||
    voxels instanceof Int8Array ||
    voxels instanceof Uint16Array ||
    voxels instanceof Int16Array;
  return small ? countingOrder(voxels) : selectionOrder(voxels);
}

/** Order statistics k and k+1 (0-based; k+1 capped at n-1). Calls must come with non-decreasing k. */
interface Order {
  n: number;
  pair(k: number): [number, number];
}

function countingOrder(voxels: Uint8Array | Int8Array | Uint16Array | Int16Array): Order {
  const base = voxels instanceof Int8Array ? -128 : voxels instanceof Int16Array ? -32768 : 0;
  const size = voxels instanceof Uint8Array || voxels instanceof Int8Array ? 256 : 65536;
  const counts = new Float64Array(size);
  for (let i = 0; i < voxels.length; i++) counts[voxels[i] - base]++;
  const valueAt = (k: number): number => {
    let cum = 0;
    for (let b = 0; b < size; b++) {
      cum += counts[b];
      if (cum > k) return b + base;
    }
    return size - 1 + base;
  };
  const n = voxels.length;
  return { n, pair: (k) => [valueAt(k), valueAt(Math.min(k + 1, n - 1))] };
}

function selectionOrder(voxels: ArrayLike<number>): Order {
  const wide = !(
    voxels instanceof Float32Array ||
    voxels instanceof Uint8Array ||
    voxels instanceof Int8Array ||
    voxels instanceof Uint16Array ||
    voxels instanceof Int16Array
  );
  const a = wide ? new Float64Array(voxels.length) : new Float32Array(voxels.length);
  let n = 0;
  for (let i = 0; i < voxels.length; i++) {
    const v = voxels[i];
    if (v === v) a[n++] = v;
  }
  let left = 0; // everything left of `left` is <= the last selected value
  return {
    n,
    pair(k) {
      const first = select(a, k, left, n - 1);
      left = k;
      let next = first;
      if (k + 1 < n) {
        next = Infinity;
        for (let i = k + 1; i < n; i++) if (a[i] < next) next = a[i];
      }
      return [first, next];
    },
  };
}

/** Put the k-th smallest of a[left..right] at a[k] (Hoare partition; smaller left, larger right). */
function select(a: Float32Array | Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const x = median3(a[left], a[(left + right) >> 1], a[right]);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < x) i++;
      while (x < a[j]) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (j < k) left = i;
    if (k < i) right = j;
    if (j < k && k < i) break; // a[j+1..i-1] all equal the pivot
  }
  return a[k];
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
