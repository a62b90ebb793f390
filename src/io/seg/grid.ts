/**
 * Is a label map on the reference grid? Two grids are the same when they have the same dims and
 * every corner voxel lies at the same world position within a tenth of a voxel (so each voxel
 * maps to the same voxel; float round-off of a NIfTI affine passes). `alignToGrid` also accepts a
 * label map that holds the same grid with its axes permuted or flipped (e.g. a RAS NIfTI of an
 * LPS series) and reorders its voxels, without interpolation.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume, VolumeHeader } from '../../core/types';
import { indexToWorld, orientationCode } from '../../volume/geometry';
import { permuteAxes, reorientPlan } from '../../volume/reorient';

type Grid = Pick<VolumeHeader, 'dims' | 'spacing' | 'origin' | 'direction'>;

const fmt = (v: readonly number[]) => v.map((x) => String(Number(x.toFixed(4)))).join(', ');

/** Why `a` is not on grid `ref` (undefined when it is). */
export function gridMismatch(a: Grid, ref: Grid): string | undefined {
  if (a.dims.some((d, i) => d !== ref.dims[i])) return `dims ${a.dims.join('x')} vs ${ref.dims.join('x')}`;
  const tol = 0.1 * Math.min(...ref.spacing);
  let worst = 0;
  for (let c = 0; c < 8; c++) {
    const ijk = [0, 1, 2].map((ax) => ((c >> ax) & 1 ? ref.dims[ax] - 1 : 0)) as Vec3;
    const p = indexToWorld(a, ijk);
    const q = indexToWorld(ref, ijk);
    worst = Math.max(worst, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
  }
  if (worst <= tol) return undefined;
  return (
    `voxels up to ${worst.toFixed(3)} mm apart (allowed ${tol.toFixed(3)}): ` +
    `spacing ${fmt(a.spacing)} vs ${fmt(ref.spacing)}, origin ${fmt(a.origin)} vs ${fmt(ref.origin)}, ` +
    `orientation ${orientationCode(a.direction)} vs ${orientationCode(ref.direction)}`
  );
}

/**
 * `labels` on the grid of `ref`: as is, or with its axes permuted / flipped to the reference's
 * order. Throws 'invalid-volume' naming `file` and the difference when it is another grid.
 */
export function alignToGrid(labels: Volume, ref: Volume, file?: string): Volume {
  const direct = gridMismatch(labels.header, ref.header);
  if (!direct) return labels;
  const { perm, flip } = reorientPlan(labels.header.direction, orientationCode(ref.header.direction));
  if (perm.some((p, i) => p !== i) || flip.some((f) => f)) {
    const moved = permuteAxes(labels, perm, flip);
    if (!gridMismatch(moved.header, ref.header)) return moved;
  }
  throw new VoxsegError('invalid-volume', `label map is not on the grid of the reference series (${direct}); a SEG can only be written for labels on the series' own voxels`, { file });
}

/**
 * Do the reference's per-slice SOP Instance UIDs still describe its k-slices? True for a volume
 * as the DICOM loader made it: one UID per slice and k along the slice normal (row x column).
 * A reoriented or resampled copy that kept the metadata fails (wrong slices would be referenced).
 */
export function slicesMatchInstances(h: Pick<VolumeHeader, 'dims' | 'direction' | 'metadata'>): boolean {
  const uids = h.metadata.sopInstanceUids;
  if (!uids || uids.length !== h.dims[2]) return false;
  const d = h.direction;
  const n = [d[3] * d[7] - d[6] * d[4], d[6] * d[1] - d[0] * d[7], d[0] * d[4] - d[3] * d[1]];
  return n[0] * d[2] + n[1] * d[5] + n[2] * d[8] > 0.9999;
}
