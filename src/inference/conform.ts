/**
 * FreeSurfer-style conform (mri_convert --conform; FastSurfer conform.py, brainchop and niivue
 * port the same rules): an axis-aligned grid of given dims, spacing and orientation centred on
 * the input, linear interpolation, and optionally intensities scaled robustly to uint8.
 *
 * Geometry (FreeSurfer c_ras): the centre of a volume is the world position of voxel index
 * dims / 2 (for even dims the voxel just past the middle, as MRI c_r/c_a/c_s and nibabel's
 * MGHHeader use). The conformed grid puts its own voxel dims / 2 at the input's centre, so a
 * volume that already is the conformed grid maps onto itself. Like FreeSurfer, an input that is
 * a flipped copy of the conformed grid (e.g. a conformed volume stored RAS) comes out shifted by
 * one voxel along each flipped even axis; values are still copied exactly, without interpolation.
 * When the computed grid is within 1e-4 voxel of the input's own grid (`gridMismatch` with the
 * resampler's SNAP), the input's grid is used as is, so conforming a conformed volume is an exact
 * no-op.
 *
 * Intensities for dtype 'uint8' (FastSurfer conform.py getscale/scalecrop, which mirrors
 * mri_convert): uint8 inputs keep their values (interpolated, rounded). Any other input, float
 * data already within 0..255 included, is mapped linearly with `lower` -> 0 and `upper` -> 255,
 * then clamped to 0..255 and rounded (half to even, as conform.py's np.rint), where
 * - lower = min of the voxels, or 0 when that min is >= 0;
 * - upper comes from a 1000-bin histogram over [lower, max] of the non-zero voxels: with
 *   k = nnz - floor(0.001 * nnz) (the top 0.1% of non-zero voxels are let saturate), e is the
 *   first bin edge with at least k voxels below it, and upper = edge e - 2, one bin below the bin
 *   that holds the k-th voxel (exactly conform.py's choice; if that edge is not above lower,
 *   edge e is used instead). When max equals lower (all zeros, a negative constant) the output
 *   is 0; a positive constant saturates at 255 (lower is 0 for it).
 * The scale is computed on the input voxels and applied after interpolation (conform.py's order).
 * Outside the input's field of view the output is 0. Unlike conform.py, exact zeros of an input
 * with negative values are not forced to 0.
 */
import { VoxsegError } from '../core/errors';
import type { Grid, Mat3, Vec3, Volume, VolumeMetadata } from '../core/types';
import { indexToWorld } from '../volume/geometry';
import { gridMismatch } from '../volume/grid';
import { parseOrientationCode } from '../volume/reorient';
import { gridOf, resampleToGrid, SNAP } from '../volume/resample';
import { createVolume } from '../volume/volume';
import type { WholeVolumePreprocessing } from './manifest';

export type ConformSpec = WholeVolumePreprocessing['conform'];

/** World position (LPS mm) of the FreeSurfer centre: voxel index dims / 2. */
export function freesurferCentre(h: Grid): Vec3 {
  return indexToWorld(h, [h.dims[0] / 2, h.dims[1] / 2, h.dims[2] / 2]);
}

export function conformGrid(header: Grid, spec: { dims: Vec3; spacing: Vec3; orientation: string }): Grid {
  const { dims, spacing } = spec;
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new VoxsegError('usage', `conform dims must be 3 positive integers, got ${JSON.stringify(dims)}`);
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s)))
    throw new VoxsegError('usage', `conform spacing must be 3 positive numbers, got ${JSON.stringify(spacing)}`);
  const { axis, sign } = parseOrientationCode(spec.orientation);
  const direction: Mat3 = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let t = 0; t < 3; t++) direction[3 * axis[t] + t] = sign[t];
  const centre = freesurferCentre(header);
  const origin = [0, 1, 2].map((r) => {
    let v = centre[r];
    for (let t = 0; t < 3; t++) v -= (direction[3 * r + t] * spacing[t] * dims[t]) / 2;
    return v;
  }) as Vec3;
  const grid: Grid = { dims: [...dims] as Vec3, spacing: [...spacing] as Vec3, origin, direction };
  // Within the resampler's snap of the input's own grid, resampling would copy the voxels anyway:
  // keep the input's grid exactly (a stricter tolerance than the default on purpose).
  return gridMismatch(grid, header, SNAP) === null ? gridOf(header) : grid;
}

/** conform.py's robust intensity range for the uint8 mapping (see the module comment). */
export function uint8ScaleRange(voxels: ArrayLike<number>): { lower: number; upper: number } {
  let min = Infinity;
  let max = -Infinity;
  let nonZero = 0;
  const n = voxels.length;
  for (let i = 0; i < n; i++) {
    const v = voxels[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v !== 0 && v === v) nonZero++;
  }
  if (!(min <= max)) return { lower: 0, upper: 0 };
  const lower = min < 0 ? min : 0;
  if (!(max > lower)) return { lower, upper: lower };
  const bins = 1000;
  const width = (max - lower) / bins;
  const hist = new Float64Array(bins);
  const toBin = bins / (max - lower);
  for (let i = 0; i < n; i++) {
    const v = voxels[i];
    if (v === 0 || v !== v) continue;
    const b = Math.floor((v - lower) * toBin);
    hist[b >= bins ? bins - 1 : b]++;
  }
  const k = nonZero - Math.floor(0.001 * nonZero);
  let edge = 0; // first edge with >= k voxels below it
  for (let cum = 0; edge < bins && cum < k; edge++) cum += hist[edge];
  const upper = edge - 2 >= 1 ? lower + (edge - 2) * width : lower + Math.max(edge, 1) * width;
  return { lower, upper };
}

function scaledMetadata(m: Readonly<VolumeMetadata>): VolumeMetadata {
  const { windowCenter: _c, windowWidth: _w, unit: _u, valueRange: _r, ...rest } = m;
  return rest;
}

/** Conform `volume` to `spec` (see the module comment for the exact rules). */
export function conformVolume(volume: Volume, spec: ConformSpec): Volume {
  const grid = conformGrid(volume.header, spec);
  if (spec.dtype === 'float32')
    return resampleToGrid(volume, grid, { interpolation: 'linear', dtype: 'float32', fill: 0 });
  if (spec.dtype !== 'uint8')
    throw new VoxsegError('usage', `conform dtype must be uint8 or float32, got ${JSON.stringify(spec.dtype)}`);
  if (volume.header.dtype === 'uint8')
    return resampleToGrid(volume, grid, { interpolation: 'linear', dtype: 'uint8', fill: 0 });
  const { lower, upper } = uint8ScaleRange(volume.voxels);
  const scale = upper > lower ? 255 / (upper - lower) : 0;
  const out = resampleToGrid(volume, grid, {
    interpolation: 'linear',
    dtype: 'uint8',
    fill: 0,
    valueMap: { scale, offset: -lower * scale },
  });
  const h = out.header;
  return createVolume({ ...h, voxels: out.voxels, metadata: scaledMetadata(h.metadata) });
}
