/**
 * Test helpers comparing a loaded volume with the analytic phantom of helpers/tilted-series.ts:
 * voxel values at their world positions, object centroids in world mm.
 */
import { expect } from 'vitest';
import type { Vec3, Volume } from '../../../../../src/core/types';
import { listFiles } from '../../../../../src/cli/node-files';
import { scanFiles, type SeriesInfo } from '../../../../../src/io/dicom/index';
import { indexToWorld } from '../../../../../src/volume/geometry';
import type { Shape, TiltedSeries } from './tilted-series';

/** Scan a folder that must hold exactly one series. */
export async function scanDir(dir: string): Promise<SeriesInfo> {
  const { series } = await scanFiles(await listFiles([dir]));
  expect(series).toHaveLength(1);
  return series[0];
}

/** Distance (mm) from p to the surface of a shape. */
export function surfaceDistance(s: Shape, p: Vec3): number {
  if (s.kind === 'sphere')
    return Math.abs(Math.hypot(p[0] - s.centre[0], p[1] - s.centre[1], p[2] - s.centre[2]) - s.radius);
  const out = p.map((x, k) => Math.max(s.lo[k] - x, 0, x - s.hi[k]));
  if (out.some((d) => d > 0)) return Math.hypot(...out);
  return Math.min(...p.map((x, k) => Math.min(x - s.lo[k], s.hi[k] - x)));
}

/** Voxels farther than `margin` from every surface must hold the phantom's value exactly; all voxels: mean error. */
export function compareWithPhantom(volume: Volume, s: TiltedSeries, margin: number) {
  const [nx, ny, nz] = volume.header.dims;
  let checked = 0;
  let wrong = 0;
  let absErr = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = indexToWorld(volume.header, [i, j, k]);
        const v = volume.voxels[i + nx * (j + ny * k)];
        const want = s.valueAt(p);
        absErr += Math.abs(v - want);
        if (s.shapes.every((sh) => surfaceDistance(sh, p) > margin)) {
          checked++;
          if (Math.abs(v - want) > 0.5) wrong++;
        }
      }
  return { checked, wrong, meanAbsError: absErr / (nx * ny * nz) };
}

/** Centroid (world mm) of (value - background) within `reach` mm of a shape. */
export function centroid(volume: Volume, s: TiltedSeries, shape: Shape, reach: number): Vec3 {
  const [nx, ny, nz] = volume.header.dims;
  const acc = [0, 0, 0];
  let mass = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = indexToWorld(volume.header, [i, j, k]);
        const near =
          shape.kind === 'sphere'
            ? Math.hypot(p[0] - shape.centre[0], p[1] - shape.centre[1], p[2] - shape.centre[2]) < shape.radius + reach
            : p.every((x, a) => x > shape.lo[a] - reach && x < shape.hi[a] + reach);
        if (!near) continue;
        const m = volume.voxels[i + nx * (j + ny * k)] - s.background;
        mass += m;
        for (let a = 0; a < 3; a++) acc[a] += m * p[a];
      }
  return acc.map((x) => x / mass) as Vec3;
}

export const centreOf = (s: Shape): Vec3 =>
  s.kind === 'sphere' ? s.centre : ([0, 1, 2].map((a) => (s.lo[a] + s.hi[a]) / 2) as Vec3);
