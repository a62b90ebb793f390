/**
 * ROI statistics against brute force: every voxel of the volume visited, its centre tested in the
 * view's own 2D coordinates (the slice index by rounding, the in-plane ellipse / rectangle
 * equation), mean/std/min/max summed in float64 here.
 */
import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import { createVolume } from '../../../src/volume';
import { roiArea, roiStats, type PlanarRoi } from '../../../src/volume/roi-stats';

function noiseVolume(dims: Vec3, spacing: Vec3, origin: Vec3, direction?: Mat3): Volume {
  const n = dims[0] * dims[1] * dims[2];
  const voxels = new Int16Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    voxels[i] = ((x >>> 16) % 2000) - 1000;
  }
  return createVolume({ dims, spacing, origin, direction, voxels });
}

function reference(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { count: values.length, mean, std, min: Math.min(...values), max: Math.max(...values) };
}

function expectStats(got: ReturnType<typeof roiStats>, values: number[]) {
  const want = reference(values);
  expect(got.count).toBe(want.count);
  expect(got.mean).toBeCloseTo(want.mean, 9);
  expect(got.std).toBeCloseTo(want.std, 9);
  expect(got.min).toBe(want.min);
  expect(got.max).toBe(want.max);
}

describe('roiStats', () => {
  const vol = noiseVolume([40, 30, 12], [0.8, 0.8, 2.5], [-16, -12, -14]);
  const [nx, ny] = vol.header.dims;
  const at = (i: number, j: number, k: number) => vol.voxels[i + j * nx + k * nx * ny];

  it('axial ellipse: the voxels of the nearest slice whose centres fall inside', () => {
    // Slice k = 5 lies at z = -14 + 12.5 = -1.5; the ROI plane 0.4 mm above it still picks it.
    const roi: PlanarRoi = { shape: 'ellipse', centre: [1.3, -0.7, -1.1], u: [7.1, 0, 0], v: [0, 4.3, 0] };
    const values: number[] = [];
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const x = -16 + 0.8 * i;
        const y = -12 + 0.8 * j;
        if (((x - 1.3) / 7.1) ** 2 + ((y + 0.7) / 4.3) ** 2 <= 1) values.push(at(i, j, 5));
      }
    expect(values.length).toBeGreaterThan(100);
    const got = roiStats(vol, roi);
    expectStats(got, values);
    expect(got.areaMm2).toBeCloseTo(Math.PI * 7.1 * 4.3, 9);
    // The voxel count approximates the area in pixels.
    expect(Math.abs(got.count * 0.8 * 0.8 - got.areaMm2) / got.areaMm2).toBeLessThan(0.08);
  });

  it('coronal rectangle (x by z): one j row plane', () => {
    // y = -12 + 0.8 * 14 = -0.8 is row j = 14.
    const roi: PlanarRoi = { shape: 'rectangle', centre: [2, -0.8, 0.5], u: [0, 0, 6.2], v: [5.05, 0, 0] };
    const values: number[] = [];
    for (let k = 0; k < 12; k++)
      for (let i = 0; i < nx; i++) {
        const x = -16 + 0.8 * i;
        const z = -14 + 2.5 * k;
        if (Math.abs(x - 2) <= 5.05 && Math.abs(z - 0.5) <= 6.2) values.push(at(i, 14, k));
      }
    const got = roiStats(vol, roi);
    expectStats(got, values);
    expect(got.areaMm2).toBeCloseTo(4 * 6.2 * 5.05, 9);
  });

  it('a rotated grid: same voxels as the brute force in index space', () => {
    // Index axes i -> -x, j -> +z, k -> +y (a coronal stack); the ROI lies in the plane y = const.
    const d: Mat3 = [-1, 0, 0, 0, 0, 1, 0, 1, 0];
    const rot = noiseVolume([24, 20, 10], [1, 1.5, 2], [10, -8, -12], d);
    const [mx, my] = rot.header.dims;
    // k = 4 is y = -8 + 8 = 0.
    const roi: PlanarRoi = { shape: 'ellipse', centre: [-2, 0.3, 3], u: [3, 0, 4], v: [-8, 0, 6] };
    const values: number[] = [];
    for (let j = 0; j < my; j++)
      for (let i = 0; i < mx; i++) {
        const p = [10 - i, 0, -12 + 1.5 * j];
        const q = [p[0] + 2, p[2] - 3];
        const s = (q[0] * 3 + q[1] * 4) / 25;
        const t = (q[0] * -8 + q[1] * 6) / 100;
        if (s * s + t * t <= 1) values.push(rot.voxels[i + j * mx + 4 * mx * my]);
      }
    expectStats(roiStats(rot, roi), values);
  });

  it('a ROI outside the volume counts nothing', () => {
    const got = roiStats(vol, { shape: 'rectangle', centre: [500, 0, 0], u: [2, 0, 0], v: [0, 2, 0] });
    expect(got.count).toBe(0);
    expect(got.mean).toBeNaN();
    expect(roiArea({ shape: 'rectangle', centre: [0, 0, 0], u: [2, 0, 0], v: [0, 3, 0] })).toBe(24);
  });
});
