/**
 * Agreement between two label maps on the same grid: Dice overlap per label (and, in the same
 * module, surface distances and the 95% Hausdorff distance). Pure functions on voxel arrays; the
 * grid is the caller's.
 */
import { EDT_FAR, edt3d } from './edt';

/**
 * Dice = 2|A∩B| / (|A|+|B|) of the voxels where `a` equals `aValue` and `b` equals `bValue`.
 * Both empty: 1 (nothing to find, nothing found). The arrays must have the same length.
 */
export function dice(a: ArrayLike<number>, aValue: number, b: ArrayLike<number>, bValue: number): number {
  if (a.length !== b.length) throw new Error(`dice: arrays of ${a.length} and ${b.length} voxels`);
  let na = 0;
  let nb = 0;
  let both = 0;
  for (let i = 0; i < a.length; i++) {
    const inA = a[i] === aValue;
    const inB = b[i] === bValue;
    if (inA) na++;
    if (inB) nb++;
    if (inA && inB) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}

// ---------------------------------------------------------------------------------------------
// Surface distances (MONAI's definition)
// ---------------------------------------------------------------------------------------------

type Dims = Readonly<[number, number, number]>;

/** Counts and the bounding box (lo inclusive, hi exclusive) of A ∪ B, from one pass. */
interface PairScan {
  na: number;
  nb: number;
  both: number;
  lo: [number, number, number];
  hi: [number, number, number];
}

function scanPair(a: ArrayLike<number>, aValue: number, b: ArrayLike<number>, bValue: number, dims: Dims): PairScan {
  const [nx, ny, nz] = dims;
  if (a.length !== nx * ny * nz || b.length !== a.length)
    throw new Error(`surface distances: arrays of ${a.length} and ${b.length} voxels for dims ${dims.join('x')}`);
  let na = 0;
  let nb = 0;
  let both = 0;
  const lo: [number, number, number] = [nx, ny, nz];
  const hi: [number, number, number] = [0, 0, 0];
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const inA = a[i] === aValue;
        const inB = b[i] === bValue;
        if (!inA && !inB) continue;
        if (inA) na++;
        if (inB) nb++;
        if (inA && inB) both++;
        if (x < lo[0]) lo[0] = x;
        if (x >= hi[0]) hi[0] = x + 1;
        if (y < lo[1]) lo[1] = y;
        if (y >= hi[1]) hi[1] = y + 1;
        if (z < lo[2]) lo[2] = z;
        if (z >= hi[2]) hi[2] = z + 1;
      }
  return { na, nb, both, lo, hi };
}

/**
 * Surface voxels of `value` inside the box (1 = surface): voxels of the value with at least one
 * 6-neighbour outside it. A neighbour outside the box is outside the value (the box holds all of
 * its voxels) or outside the volume, so voxels at the volume border count as surface, as in
 * MONAI (scipy's binary erosion with border value 0).
 */
function surfaceMask(labels: ArrayLike<number>, value: number, dims: Dims, lo: Dims, bd: Dims): Uint8Array {
  const [nx, ny] = dims;
  const [bx, by, bz] = bd;
  const sy = nx;
  const sz = nx * ny;
  const out = new Uint8Array(bx * by * bz);
  for (let z = 0, p = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      let i = lo[0] + (lo[1] + y) * sy + (lo[2] + z) * sz;
      for (let x = 0; x < bx; x++, p++, i++) {
        if (labels[i] !== value) continue;
        out[p] =
          x === 0 ||
          x === bx - 1 ||
          y === 0 ||
          y === by - 1 ||
          z === 0 ||
          z === bz - 1 ||
          labels[i - 1] !== value ||
          labels[i + 1] !== value ||
          labels[i - sy] !== value ||
          labels[i + sy] !== value ||
          labels[i - sz] !== value ||
          labels[i + sz] !== value
            ? 1
            : 0;
      }
    }
  return out;
}

/** Distances (mm) from each voxel of `from` to the nearest voxel of `to` (masks on the box grid). */
function directed(from: Uint8Array, to: Uint8Array, bd: Dims, spacing: Dims, g: Float64Array): Float64Array {
  let count = 0;
  for (let p = 0; p < to.length; p++) g[p] = to[p] ? 0 : EDT_FAR;
  for (let p = 0; p < from.length; p++) count += from[p];
  edt3d(g, bd, spacing);
  const out = new Float64Array(count);
  for (let p = 0, k = 0; p < from.length; p++) if (from[p]) out[k++] = Math.sqrt(g[p]);
  return out;
}

/**
 * Directed surface distances in mm between the voxels where `a` equals `aValue` and those where
 * `b` equals `bValue` (grid `dims`, x fastest, voxels of `spacing` mm): for every surface voxel of
 * A the Euclidean distance to the nearest surface voxel of B (`aToB`), and vice versa (`bToA`).
 * Surface as in `surfaceMask`. Exact (3-D squared EDT), computed over the bounding box of A ∪ B
 * only, so a small structure in a large volume costs one scan of the volume plus its box.
 * When one side is empty the other side's distances are all Infinity.
 */
export function surfaceDistances(
  a: ArrayLike<number>,
  aValue: number,
  b: ArrayLike<number>,
  bValue: number,
  dims: Dims,
  spacing: Dims,
): { aToB: Float64Array; bToA: Float64Array } {
  return surfaceDistancesOf(scanPair(a, aValue, b, bValue, dims), a, aValue, b, bValue, dims, spacing);
}

function surfaceDistancesOf(
  s: PairScan,
  a: ArrayLike<number>,
  aValue: number,
  b: ArrayLike<number>,
  bValue: number,
  dims: Dims,
  spacing: Dims,
) {
  if (s.na === 0 && s.nb === 0) return { aToB: new Float64Array(0), bToA: new Float64Array(0) };
  const bd: [number, number, number] = [s.hi[0] - s.lo[0], s.hi[1] - s.lo[1], s.hi[2] - s.lo[2]];
  const sa = surfaceMask(a, aValue, dims, s.lo, bd);
  const sb = surfaceMask(b, bValue, dims, s.lo, bd);
  if (s.na === 0 || s.nb === 0) {
    const count = (m: Uint8Array) => m.reduce((n, v) => n + v, 0);
    return { aToB: new Float64Array(count(sa)).fill(Infinity), bToA: new Float64Array(count(sb)).fill(Infinity) };
  }
  const g = new Float64Array(sa.length);
  return { aToB: directed(sa, sb, bd, spacing, g), bToA: directed(sb, sa, bd, spacing, g) };
}

/** The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const pos = (q / 100) * (n - 1);
  const k = Math.floor(pos);
  const t = pos - k;
  return k + 1 < n && t > 0 ? s[k] + (s[k + 1] - s[k]) * t : s[k];
}

function hd95Of(
  s: PairScan,
  a: ArrayLike<number>,
  aValue: number,
  b: ArrayLike<number>,
  bValue: number,
  dims: Dims,
  spacing: Dims,
): number {
  if (s.na === 0 && s.nb === 0) return 0;
  if (s.na === 0 || s.nb === 0) return Infinity;
  const { aToB, bToA } = surfaceDistancesOf(s, a, aValue, b, bValue, dims, spacing);
  return Math.max(percentile(aToB, 95), percentile(bToA, 95));
}

/**
 * 95% Hausdorff distance in mm (MONAI's `compute_hausdorff_distance(percentile=95)`): the larger
 * of the 95th percentiles of the two directed surface distances (see `surfaceDistances`).
 * Both empty: 0. Exactly one empty: Infinity (callers report it as undefined / null).
 */
export function hausdorff95(
  a: ArrayLike<number>,
  aValue: number,
  b: ArrayLike<number>,
  bValue: number,
  dims: Dims,
  spacing: Dims,
): number {
  return hd95Of(scanPair(a, aValue, b, bValue, dims), a, aValue, b, bValue, dims, spacing);
}

export interface LabelPair {
  name: string;
  /** Value of the label in the truth. */
  truth: number;
  /** Value of the label in the prediction. */
  pred: number;
}

export interface LabelMetrics {
  name: string;
  /** Dice overlap (1 when both are empty). */
  dice: number;
  /** 95% Hausdorff distance in mm; null when exactly one side is empty (0 when both are). */
  hd95: number | null;
  truthVoxels: number;
  predVoxels: number;
}

/**
 * Dice and HD95 of each label pair between a truth and a predicted label map on the same grid
 * (one scan of the volume per pair, surface distances on the pair's bounding box). In pair order.
 */
export function labelMetrics(
  truth: ArrayLike<number>,
  pred: ArrayLike<number>,
  pairs: readonly LabelPair[],
  dims: Dims,
  spacing: Dims,
): LabelMetrics[] {
  return pairs.map((pair) => {
    const s = scanPair(truth, pair.truth, pred, pair.pred, dims);
    const hd = hd95Of(s, truth, pair.truth, pred, pair.pred, dims, spacing);
    return {
      name: pair.name,
      dice: s.na + s.nb === 0 ? 1 : (2 * s.both) / (s.na + s.nb),
      hd95: Number.isFinite(hd) ? hd : null,
      truthVoxels: s.na,
      predVoxels: s.nb,
    };
  });
}
