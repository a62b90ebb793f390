/**
 * Local edits for the re-mesh measurement: a ball of one label painted (in place, as the brush
 * does) across that label's border, so it grows into the neighbouring region: background, or
 * another organ that loses voxels.
 */
import type { Vec3, Volume } from '../../src/core/types';
import { labelExtents } from '../../src/mesh/index';

export interface EditSite {
  label: number;
  /** Voxel index of the ball's centre: a border voxel of `label`. */
  centre: Vec3;
}

/**
 * One site per label (up to `count`, labels in ascending order): the label's border voxel (one of
 * its 6 neighbours is another value) nearest, in mm, to the centre of its bounding box.
 */
export function editSites(labels: Volume, count: number): EditSite[] {
  const [nx, ny, nz] = labels.header.dims;
  const [sx, sy, sz] = labels.header.spacing;
  const extents = labelExtents(labels);
  const centre = new Map([...extents].map(([l, e]) => [l, e.lo.map((lo, a) => (lo + e.hi[a]) / 2)]));
  const best = new Map<number, { d: number; at: Vec3 }>();
  const v = labels.voxels;
  const sxy = nx * ny;
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const l = v[i];
        if (l === 0) continue;
        const border =
          (x > 0 && v[i - 1] !== l) ||
          (x < nx - 1 && v[i + 1] !== l) ||
          (y > 0 && v[i - nx] !== l) ||
          (y < ny - 1 && v[i + nx] !== l) ||
          (z > 0 && v[i - sxy] !== l) ||
          (z < nz - 1 && v[i + sxy] !== l);
        if (!border) continue;
        const c = centre.get(l)!;
        const d = ((x - c[0]) * sx) ** 2 + ((y - c[1]) * sy) ** 2 + ((z - c[2]) * sz) ** 2;
        const b = best.get(l);
        if (!b || d < b.d) best.set(l, { d, at: [x, y, z] });
      }
  return [...best.keys()]
    .sort((a, b) => a - b)
    .slice(0, count)
    .map((label) => ({ label, centre: best.get(label)!.at }));
}

/**
 * Paint a ball of `radius` voxels (index space) of `label` around `centre`, in place. Returns the
 * index box [lo, hi) it covers (clipped to the grid) and how many voxels changed value.
 */
export function paintBall(
  labels: Volume,
  site: EditSite,
  radius: number,
): { box: { lo: Vec3; hi: Vec3 }; changed: number } {
  const dims = labels.header.dims;
  const [nx, ny] = dims;
  const lo = site.centre.map((c) => Math.max(0, c - radius)) as Vec3;
  const hi = site.centre.map((c, a) => Math.min(dims[a], c + radius + 1)) as Vec3;
  const v = labels.voxels;
  let changed = 0;
  for (let z = lo[2]; z < hi[2]; z++)
    for (let y = lo[1]; y < hi[1]; y++)
      for (let x = lo[0]; x < hi[0]; x++) {
        if ((x - site.centre[0]) ** 2 + (y - site.centre[1]) ** 2 + (z - site.centre[2]) ** 2 > radius * radius)
          continue;
        const i = x + nx * (y + ny * z);
        if (v[i] !== site.label) {
          v[i] = site.label;
          changed++;
        }
      }
  return { box: { lo, hi }, changed };
}
