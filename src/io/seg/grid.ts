/**
 * Label maps onto a reference volume's grid. Whether a grid matches is `gridMismatch`
 * (src/volume/grid.ts: same dims, every voxel within a tenth of a voxel, so float round-off of a
 * NIfTI affine or a few hundredths of a millimetre pass). `alignToGrid` also accepts a label map
 * that holds the same grid with its axes permuted or flipped (e.g. a RAS NIfTI of an LPS series)
 * and reorders its voxels, without interpolation. Either way the result carries the reference's
 * dims, spacing, origin and direction bit for bit, so every later check (a `Segmentation`, the
 * overlay, the SEG writer) sees exactly the study's grid.
 */
import { VoxsegError } from '../../core/errors';
import type { Volume, VolumeHeader } from '../../core/types';
import { orientationCode } from '../../volume/geometry';
import { gridMismatch, withGrid } from '../../volume/grid';
import { permuteAxes, reorientPlan } from '../../volume/reorient';

/**
 * `labels` on the grid of `ref`, carrying `ref`'s grid exactly: as is, or with its axes permuted /
 * flipped to the reference's order. Throws 'invalid-volume' naming `file` and the difference
 * when it is another grid.
 */
export function alignToGrid(labels: Volume, ref: Volume, file?: string): Volume {
  const direct = gridMismatch(labels.header, ref.header);
  if (!direct) return withGrid(labels, ref.header);
  const { perm, flip } = reorientPlan(labels.header.direction, orientationCode(ref.header.direction));
  if (perm.some((p, i) => p !== i) || flip.some((f) => f)) {
    const moved = permuteAxes(labels, perm, flip);
    if (!gridMismatch(moved.header, ref.header)) return withGrid(moved, ref.header);
  }
  throw new VoxsegError('invalid-volume', `label map is not on the grid of the reference series (${direct})`, { file });
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
