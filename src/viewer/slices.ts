/**
 * What a 2D view's slice counter shows, and which way "next slice" goes; pure (no Cornerstone).
 *
 * Cornerstone numbers a view's slices along its camera's view-plane normal (the axial view from
 * the top of the head down). A PACS numbers images by DICOM InstanceNumber, which may run either
 * way. The view whose plane is the acquired image plane (normal within ~30° of the volume's k
 * axis) shows "Im N": the InstanceNumber of the acquired image nearest the view's focal point,
 * and its counter runs the way the instance numbers do (`flipped` when that is against
 * Cornerstone's order), so "next" raises both. Other views, and series without instance
 * numbers, keep Cornerstone's order.
 */
import type { Grid, Vec3 } from '../core/types';

export interface SliceDisplay {
  /** 1-based position in the view's own order, as shown. */
  index: number;
  total: number;
  /** DICOM InstanceNumber of the image on screen (the acquired plane only). */
  instance?: number;
  /** True when the shown order runs against Cornerstone's slice index. */
  flipped: boolean;
}

/** |cos| of the largest angle between a view's normal and the k axis for it to be the acquired plane. */
const ACQUIRED_PLANE_COS = 0.866;

/** Continuous k index of a world point (LPS mm) on `grid` (any invertible direction matrix). */
export function sliceCoordinate(grid: Grid, p: Readonly<Vec3>): number {
  const d = grid.direction;
  const v = [p[0] - grid.origin[0], p[1] - grid.origin[1], p[2] - grid.origin[2]];
  // Third row of the inverse of the direction matrix (Cramer's rule), applied to v.
  const det =
    d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) + d[2] * (d[3] * d[7] - d[4] * d[6]);
  const inv = [d[3] * d[7] - d[4] * d[6], d[1] * d[6] - d[0] * d[7], d[0] * d[4] - d[1] * d[3]];
  return (inv[0] * v[0] + inv[1] * v[1] + inv[2] * v[2]) / det / grid.spacing[2];
}

/** Direction of increasing instance number along k: +1, -1, or 0 when unknown. */
function numberTrend(numbers: readonly number[]): number {
  const set = numbers.filter((n) => n > 0);
  if (set.length < 2) return set.length ? 1 : 0;
  return set[set.length - 1] >= set[0] ? 1 : -1;
}

/**
 * The counter of one view. `csIndex`/`total`: Cornerstone's 0-based slice index and count;
 * `normal`/`focalPoint`: the view's camera (LPS); `instanceNumbers`: the volume's, by k.
 */
export function sliceDisplay(
  grid: Grid,
  instanceNumbers: readonly number[] | undefined,
  csIndex: number,
  total: number,
  normal: Readonly<Vec3>,
  focalPoint: Readonly<Vec3>,
): SliceDisplay {
  const d = grid.direction;
  const kAxis: Vec3 = [d[2], d[5], d[8]];
  const len = Math.hypot(...kAxis) * Math.hypot(...normal) || 1;
  const cos = (kAxis[0] * normal[0] + kAxis[1] * normal[1] + kAxis[2] * normal[2]) / len;
  // Numbers that do not match the k slices (a volume resampled since) are not used.
  const trend = instanceNumbers?.length === grid.dims[2] ? numberTrend(instanceNumbers) : 0;
  if (Math.abs(cos) < ACQUIRED_PLANE_COS || trend === 0) return { index: csIndex + 1, total, flipped: false };
  // Cornerstone's index grows along the normal; the numbers grow along k times `trend`.
  const flipped = Math.sign(cos) !== trend;
  const k = Math.round(sliceCoordinate(grid, focalPoint));
  const n = k >= 0 && k < grid.dims[2] ? instanceNumbers![k] : 0;
  return { index: flipped ? total - csIndex : csIndex + 1, total, flipped, ...(n > 0 ? { instance: n } : {}) };
}

/** Cornerstone's 0-based index for a shown 1-based `index` (the inverse of `sliceDisplay`'s). */
export function cornerstoneIndex(shown: number, total: number, flipped: boolean): number {
  const i = Math.min(total, Math.max(1, Math.round(shown)));
  return flipped ? total - i : i - 1;
}
