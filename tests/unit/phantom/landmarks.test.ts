/**
 * The analytic landmarks agree with the rasterised phantom: the centroid of the aorta's label
 * and of the spinal canal's CSF voxels (noise and blur off, so values are exact) on the slice.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_CASE, generatePhantom } from '../../../src/phantom/index';
import { phantomLandmarks } from '../../../src/phantom/landmarks';

describe('phantom landmarks', () => {
  const opts = { seed: 1, dims: DEMO_CASE.dims, spacing: DEMO_CASE.spacing };
  const p = generatePhantom({ ...opts, noise: 0, blur: false });
  const [nx, ny] = opts.dims;
  const [sx, sy] = opts.spacing;
  const x0 = -((nx - 1) / 2) * sx;
  const y0 = -((ny - 1) / 2) * sy;

  /** Centroid (mm) of the pixels of slice k passing `keep`, within `r` mm of `near`. */
  function centroid(k: number, keep: (i: number) => boolean, near: number[], r: number) {
    let n = 0;
    let mx = 0;
    let my = 0;
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const x = x0 + i * sx;
        const y = y0 + j * sy;
        if (Math.hypot(x - near[0], y - near[1]) > r || !keep(i + j * nx + k * nx * ny)) continue;
        n++;
        mx += x;
        my += y;
      }
    return { n, x: mx / n, y: my / n };
  }

  for (const k of [30, 50, 70])
    it(`slice ${k}: aorta and canal centres`, () => {
      const l = phantomLandmarks(opts, k);
      expect(l.aorta).not.toBeNull();
      expect(l.canal[2]).toBeCloseTo(-((opts.dims[2] - 1) / 2) * opts.spacing[2] + k * opts.spacing[2], 9);
      const ao = centroid(k, (i) => p.labels.voxels[i] === 5, l.aorta!, 2 * l.aortaRadius);
      expect(ao.n).toBeGreaterThan(50);
      expect(Math.abs(ao.x - l.aorta![0])).toBeLessThan(0.3);
      expect(Math.abs(ao.y - l.aorta![1])).toBeLessThan(0.3);
      const canal = centroid(k, (i) => p.ct.voxels[i] === 15, l.canal, 12);
      expect(canal.n).toBeGreaterThan(20);
      expect(Math.abs(canal.x - l.canal[0])).toBeLessThan(0.3);
      expect(Math.abs(canal.y - l.canal[1])).toBeLessThan(0.3);
    });
});
