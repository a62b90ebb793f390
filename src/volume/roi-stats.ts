/**
 * Statistics of a planar region of interest (an ellipse or a rectangle drawn on a 2D view) over
 * the voxels of a volume. Pure; the app uses it for the ROI measurements, never the viewer's own
 * cached figures.
 *
 * Decisions:
 * - A ROI is a centre and two in-plane half-axis vectors U and V (LPS mm, perpendicular): the
 *   ellipse with those semi-axes, or the rectangle centre ± U ± V.
 * - The voxels counted are those whose centres lie inside the shape and on the ROI's slice: within
 *   half a voxel of the plane, measured along the plane normal with the voxel's extent along it
 *   (Σ |n·axis_c| · spacing_c), half-open so that a plane exactly between two slices takes one.
 *   A point exactly on the ellipse or rectangle edge counts as inside.
 * - `areaMm2` is the area of the drawn shape (π·|U|·|V| or 4·|U|·|V|), not count × pixel area.
 * - Only the index box around the shape is visited: time grows with the ROI, not the volume.
 */
import type { Vec3, Volume } from '../core/types';
import { cross, dot, indexToWorld, norm, worldToIndex } from './geometry';

export type RoiShape = 'ellipse' | 'rectangle';

export interface PlanarRoi {
  shape: RoiShape;
  /** LPS mm. */
  centre: Vec3;
  /** Half-axis vectors in the plane, LPS mm (perpendicular to each other). */
  u: Vec3;
  v: Vec3;
}

export interface RoiStats {
  /** Voxels counted. */
  count: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  /** Area of the drawn shape, mm². */
  areaMm2: number;
}

/** Area of the drawn shape in mm². */
export function roiArea(roi: PlanarRoi): number {
  const a = norm(roi.u);
  const b = norm(roi.v);
  return roi.shape === 'ellipse' ? Math.PI * a * b : 4 * a * b;
}

/** The test every voxel centre goes through: a function of its world position. */
export function roiContains(volume: Volume, roi: PlanarRoi): (p: Readonly<Vec3>) => boolean {
  const { spacing, direction: d } = volume.header;
  const a2 = dot(roi.u, roi.u);
  const b2 = dot(roi.v, roi.v);
  const n0 = cross(roi.u, roi.v);
  const nl = norm(n0) || 1;
  const n: Vec3 = [n0[0] / nl, n0[1] / nl, n0[2] / nl];
  let thickness = 0;
  for (let c = 0; c < 3; c++) thickness += Math.abs(n[0] * d[c] + n[1] * d[3 + c] + n[2] * d[6 + c]) * spacing[c];
  const half = thickness / 2;
  const eps = 1e-9;
  return (p) => {
    const q: Vec3 = [p[0] - roi.centre[0], p[1] - roi.centre[1], p[2] - roi.centre[2]];
    const h = dot(q, n);
    if (h < -half - eps || h >= half - eps) return false;
    const s = a2 > 0 ? dot(q, roi.u) / a2 : Infinity;
    const t = b2 > 0 ? dot(q, roi.v) / b2 : Infinity;
    return roi.shape === 'ellipse' ? s * s + t * t <= 1 + eps : Math.abs(s) <= 1 + eps && Math.abs(t) <= 1 + eps;
  };
}

/** Statistics of the voxels of `volume` inside `roi` (count 0 and NaN values when none is). */
export function roiStats(volume: Volume, roi: PlanarRoi): RoiStats {
  const { dims } = volume.header;
  const inside = roiContains(volume, roi);
  // Index box of the shape's corners (± U ± V), one voxel of margin for the slab.
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const su of [-1, 1])
    for (const sv of [-1, 1]) {
      const corner: Vec3 = [0, 1, 2].map((c) => roi.centre[c] + su * roi.u[c] + sv * roi.v[c]) as Vec3;
      const ijk = worldToIndex(volume.header, corner);
      for (let c = 0; c < 3; c++) {
        lo[c] = Math.min(lo[c], ijk[c]);
        hi[c] = Math.max(hi[c], ijk[c]);
      }
    }
  const from = lo.map((x) => Math.max(0, Math.floor(x) - 1));
  const to = hi.map((x, c) => Math.min(dims[c] - 1, Math.ceil(x) + 1));
  const [nx, ny] = dims;
  const voxels = volume.voxels;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const values: number[] = [];
  for (let k = from[2]; k <= to[2]; k++)
    for (let j = from[1]; j <= to[1]; j++)
      for (let i = from[0]; i <= to[0]; i++) {
        if (!inside(indexToWorld(volume.header, [i, j, k]))) continue;
        const x = voxels[i + j * nx + k * nx * ny];
        values.push(x);
        count++;
        sum += x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
  const areaMm2 = roiArea(roi);
  if (!count) return { count, mean: NaN, std: NaN, min: NaN, max: NaN, areaMm2 };
  const mean = sum / count;
  let ss = 0;
  for (const x of values) ss += (x - mean) * (x - mean);
  return { count, mean, std: Math.sqrt(ss / count), min, max, areaMm2 };
}
