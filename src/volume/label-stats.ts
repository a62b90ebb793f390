/**
 * Per-value bounding boxes and statistics of a label map, each in one pass over a box (the whole
 * map by default). Row runs keep the box pass cheap: a value's box is updated once per run.
 */
import type { IndexBox, Vec3, VoxelArray } from '../core/types';
import { fullBox } from './box';
import type { LabelArray } from './diff';

/** Bounding box of every non-zero value inside `box`. */
export function valueBoxes(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox = fullBox(dims),
): Map<number, IndexBox> {
  const [nx, ny] = dims;
  const out = new Map<number, IndexBox>();
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++) {
      const base = y * nx + z * nx * ny;
      for (let x = box.lo[0]; x < box.hi[0];) {
        const v = labels[base + x];
        const s = x++;
        while (x < box.hi[0] && labels[base + x] === v) x++;
        if (v === 0) continue;
        const b = out.get(v);
        if (!b) out.set(v, { lo: [s, y, z], hi: [x, y + 1, z + 1] });
        else {
          if (s < b.lo[0]) b.lo[0] = s;
          if (x > b.hi[0]) b.hi[0] = x;
          if (y < b.lo[1]) b.lo[1] = y;
          if (y + 1 > b.hi[1]) b.hi[1] = y + 1;
          b.hi[2] = z + 1; // z only grows in scan order
        }
      }
    }
  return out;
}

export interface SegmentStatistics {
  voxels: number;
  /** Volume in millilitres. */
  ml: number;
  /** Intensity statistics of `image` over the segment (when an image was given and the segment is not empty). */
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  /** Tight bounding box, null when empty. */
  box: IndexBox | null;
}

/** Voxels, volume and (with `image` on the same grid) intensity statistics of `value` inside `box`. */
export function valueStatistics(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  spacing: Readonly<Vec3>,
  box: IndexBox,
  value: number,
  image?: VoxelArray,
): SegmentStatistics {
  const [nx, ny] = dims;
  // Sums are taken about the first value seen (`ref`) so the variance keeps its precision.
  let n = 0,
    sum = 0,
    sum2 = 0,
    min = Infinity,
    max = -Infinity,
    ref = NaN;
  const lo: Vec3 = [Infinity, Infinity, Infinity],
    hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++) {
      const base = y * nx + z * nx * ny;
      const before = n;
      for (let x = box.lo[0]; x < box.hi[0]; x++) {
        const i = base + x;
        if (labels[i] !== value) continue;
        if (x < lo[0]) lo[0] = x;
        if (x >= hi[0]) hi[0] = x + 1;
        n++;
        if (image) {
          const g = image[i];
          if (ref !== ref) ref = g;
          sum += g - ref;
          sum2 += (g - ref) * (g - ref);
          if (g < min) min = g;
          if (g > max) max = g;
        }
      }
      if (n > before) {
        if (y < lo[1]) lo[1] = y;
        if (y + 1 > hi[1]) hi[1] = y + 1;
        if (z < lo[2]) lo[2] = z;
        hi[2] = z + 1;
      }
    }
  const ml = (n * spacing[0] * spacing[1] * spacing[2]) / 1000;
  const stats: SegmentStatistics = { voxels: n, ml, box: n ? { lo, hi } : null };
  if (image && n) {
    const d = sum / n;
    stats.mean = ref + d;
    stats.std = Math.sqrt(Math.max(0, sum2 / n - d * d));
    stats.min = min;
    stats.max = max;
  }
  return stats;
}
