/**
 * Dice and surface distances (HD95, MONAI's definition) against analytic shapes, a brute-force
 * reference, anisotropic spacing and the empty cases; the shared 3-D EDT against brute force.
 */
import { describe, expect, it } from 'vitest';
import { EDT_FAR, edt3d } from '../../../src/volume/edt';
import { dice, hausdorff95, labelMetrics, percentile, surfaceDistances } from '../../../src/volume/metrics';

type V3 = [number, number, number];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Voxels whose centre lies within `r` mm of `c` (mm, from voxel 0's centre) get `value`. */
function sphere(out: Uint8Array, dims: V3, spacing: V3, c: V3, r: number, value = 1): Uint8Array {
  for (let z = 0, i = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, i++) {
        const d2 = (x * spacing[0] - c[0]) ** 2 + (y * spacing[1] - c[1]) ** 2 + (z * spacing[2] - c[2]) ** 2;
        if (d2 <= r * r) out[i] = value;
      }
  return out;
}

/** Reference: surface voxels and all-pairs distances (MONAI: border voxels count as surface). */
function bruteSurfaceDistances(
  a: Uint8Array,
  b: Uint8Array,
  dims: V3,
  spacing: V3,
): { aToB: number[]; bToA: number[] } {
  const surface = (m: Uint8Array): V3[] => {
    const out: V3[] = [];
    const at = (x: number, y: number, z: number) =>
      x >= 0 &&
      y >= 0 &&
      z >= 0 &&
      x < dims[0] &&
      y < dims[1] &&
      z < dims[2] &&
      m[x + dims[0] * (y + dims[1] * z)] === 1;
    for (let z = 0; z < dims[2]; z++)
      for (let y = 0; y < dims[1]; y++)
        for (let x = 0; x < dims[0]; x++)
          if (
            at(x, y, z) &&
            !(
              at(x - 1, y, z) &&
              at(x + 1, y, z) &&
              at(x, y - 1, z) &&
              at(x, y + 1, z) &&
              at(x, y, z - 1) &&
              at(x, y, z + 1)
            )
          )
            out.push([x, y, z]);
    return out;
  };
  const dist = (from: V3[], to: V3[]) =>
    from.map((p) =>
      Math.sqrt(
        Math.min(
          ...to.map(
            (q) =>
              ((p[0] - q[0]) * spacing[0]) ** 2 + ((p[1] - q[1]) * spacing[1]) ** 2 + ((p[2] - q[2]) * spacing[2]) ** 2,
          ),
        ),
      ),
    );
  const sa = surface(a);
  const sb = surface(b);
  return { aToB: dist(sa, sb), bToA: dist(sb, sa) };
}

describe('edt3d', () => {
  it('gives exact squared Euclidean distances on anisotropic voxels', () => {
    const r = rng(7);
    const dims: V3 = [13, 9, 7];
    const spacing: V3 = [0.7, 1.3, 2.9];
    const g = Float64Array.from({ length: 13 * 9 * 7 }, () => (r() < 0.03 ? 0 : EDT_FAR));
    const feats: V3[] = [];
    g.forEach((v, p) => v === 0 && feats.push([p % 13, Math.floor(p / 13) % 9, Math.floor(p / 117)]));
    expect(feats.length).toBeGreaterThan(3);
    edt3d(g, dims, spacing);
    for (let p = 0; p < g.length; p++) {
      const x = p % 13,
        y = Math.floor(p / 13) % 9,
        z = Math.floor(p / 117);
      const best = Math.min(
        ...feats.map(
          (f) => ((x - f[0]) * spacing[0]) ** 2 + ((y - f[1]) * spacing[1]) ** 2 + ((z - f[2]) * spacing[2]) ** 2,
        ),
      );
      expect(g[p]).toBeCloseTo(best, 6);
    }
  });
});

describe('percentile', () => {
  it('interpolates linearly between order statistics like numpy', () => {
    expect(percentile([1, 2, 3, 4, 5], 95)).toBeCloseTo(4.8, 12);
    expect(percentile([3], 95)).toBe(3);
    expect(percentile([10, 0], 50)).toBe(5);
    expect(percentile([], 95)).toBeNaN();
  });
});

describe('dice', () => {
  it('matches the lens-overlap formula for two offset spheres (within 2%)', () => {
    const dims: V3 = [64, 64, 64];
    const spacing: V3 = [1, 1, 1];
    const R = 14;
    for (const d of [4, 10, 18]) {
      const a = sphere(new Uint8Array(64 ** 3), dims, spacing, [31.5 - d / 2, 31.5, 31.5], R);
      const b = sphere(new Uint8Array(64 ** 3), dims, spacing, [31.5 + d / 2, 31.5, 31.5], R);
      // Lens of two spheres of radius R at distance d: π (4R + d)(2R − d)² / 12.
      const lens = (Math.PI * (4 * R + d) * (2 * R - d) ** 2) / 12;
      const analytic = lens / ((4 / 3) * Math.PI * R ** 3);
      expect(Math.abs(dice(a, 1, b, 1) - analytic), `d = ${d}`).toBeLessThan(0.02);
    }
  });

  it('is 1 for two empty masks and 0 when exactly one is empty', () => {
    const z = new Uint8Array(10);
    const one = Uint8Array.from({ length: 10 }, (_, i) => (i < 3 ? 1 : 0));
    expect(dice(z, 1, z, 1)).toBe(1);
    expect(dice(one, 1, z, 1)).toBe(0);
  });
});

describe('hausdorff95', () => {
  it('concentric spheres of 10 and 13 mm: HD95 ≈ 3 mm (within one voxel), symmetric', () => {
    const dims: V3 = [64, 64, 64];
    const spacing: V3 = [1, 1, 1];
    const a = sphere(new Uint8Array(64 ** 3), dims, spacing, [31.5, 31.5, 31.5], 10);
    const b = sphere(new Uint8Array(64 ** 3), dims, spacing, [31.5, 31.5, 31.5], 13);
    const hd = hausdorff95(a, 1, b, 1, dims, spacing);
    expect(Math.abs(hd - 3)).toBeLessThanOrEqual(1);
    expect(hausdorff95(b, 1, a, 1, dims, spacing)).toBe(hd);
    expect(hausdorff95(a, 1, a, 1, dims, spacing)).toBe(0);
  });

  it('concentric spheres on anisotropic voxels (0.8 x 0.8 x 2.5 mm): still ≈ 3 mm', () => {
    const dims: V3 = [64, 64, 24];
    const spacing: V3 = [0.8, 0.8, 2.5];
    const c: V3 = [25.2, 25.2, 28.75];
    const a = sphere(new Uint8Array(64 * 64 * 24), dims, spacing, c, 10);
    const b = sphere(new Uint8Array(64 * 64 * 24), dims, spacing, c, 13);
    const hd = hausdorff95(a, 1, b, 1, dims, spacing);
    expect(Math.abs(hd - 3)).toBeLessThanOrEqual(1);
    // The same voxels read as isotropic 1 mm (spacing ignored) give another, wrong, answer.
    expect(Math.abs(hausdorff95(a, 1, b, 1, dims, [1, 1, 1]) - hd)).toBeGreaterThan(0.3);
  });

  it('measures in mm per axis: planes three voxels apart are 3 × spacing apart', () => {
    const dims: V3 = [20, 16, 12];
    const spacing: V3 = [0.8, 0.8, 2.5];
    const n = 20 * 16 * 12;
    const plane = (axis: 0 | 1 | 2, at: number) => {
      const m = new Uint8Array(n);
      for (let z = 0, i = 0; z < 12; z++)
        for (let y = 0; y < 16; y++) for (let x = 0; x < 20; x++, i++) if ([x, y, z][axis] === at) m[i] = 1;
      return m;
    };
    expect(hausdorff95(plane(2, 4), 1, plane(2, 7), 1, dims, spacing)).toBeCloseTo(7.5, 9);
    expect(hausdorff95(plane(0, 4), 1, plane(0, 7), 1, dims, spacing)).toBeCloseTo(2.4, 9);
    expect(hausdorff95(plane(1, 4), 1, plane(1, 7), 1, dims, spacing)).toBeCloseTo(2.4, 9);
    // Ignoring the spacing would give 3 for all of them.
    expect(hausdorff95(plane(2, 4), 1, plane(2, 7), 1, dims, [1, 1, 1])).toBeCloseTo(3, 9);
  });

  it('agrees with a brute-force reference (random blobs touching the border, anisotropic)', () => {
    const r = rng(3);
    const dims: V3 = [14, 12, 9];
    const spacing: V3 = [0.9, 1.1, 2.2];
    const n = 14 * 12 * 9;
    for (let t = 0; t < 6; t++) {
      const a = new Uint8Array(n);
      const b = new Uint8Array(n);
      for (let k = 0; k < 3; k++) {
        sphere(a, dims, spacing, [r() * 13, r() * 13, r() * 20], 2 + r() * 4, 1);
        sphere(b, dims, spacing, [r() * 13, r() * 13, r() * 20], 2 + r() * 4, 1);
      }
      const ref = bruteSurfaceDistances(a, b, dims, spacing);
      const got = surfaceDistances(a, 1, b, 1, dims, spacing);
      expect([...got.aToB].map((v) => v.toFixed(9))).toEqual(ref.aToB.map((v) => v.toFixed(9)));
      expect([...got.bToA].map((v) => v.toFixed(9))).toEqual(ref.bToA.map((v) => v.toFixed(9)));
      expect(hausdorff95(a, 1, b, 1, dims, spacing)).toBeCloseTo(
        Math.max(percentile(ref.aToB, 95), percentile(ref.bToA, 95)),
        9,
      );
    }
  });

  it('a label filling the whole volume has its border as surface', () => {
    const dims: V3 = [6, 5, 4];
    const full = new Uint8Array(120).fill(1);
    const { aToB } = surfaceDistances(full, 1, full, 1, dims, [1, 1, 1]);
    expect(aToB.length).toBe(120 - 4 * 3 * 2);
    expect(hausdorff95(full, 1, full, 1, dims, [1, 1, 1])).toBe(0);
  });

  it('empty cases: both empty 0, one empty Infinity', () => {
    const dims: V3 = [8, 8, 8];
    const z = new Uint8Array(512);
    const one = sphere(new Uint8Array(512), dims, [1, 1, 1], [4, 4, 4], 2);
    expect(hausdorff95(z, 1, z, 1, dims, [1, 1, 1])).toBe(0);
    expect(hausdorff95(one, 1, z, 1, dims, [1, 1, 1])).toBe(Infinity);
    expect(hausdorff95(z, 1, one, 1, dims, [1, 1, 1])).toBe(Infinity);
    // A label value that is nowhere counts as empty even when other labels are present.
    expect(hausdorff95(one, 2, one, 1, dims, [1, 1, 1])).toBe(Infinity);
  });

  it('a small structure in a large volume stays cheap (work on the bounding box)', () => {
    const dims: V3 = [160, 160, 120];
    const spacing: V3 = [1, 1, 1];
    const a = sphere(new Uint8Array(160 * 160 * 120), dims, spacing, [80, 80, 60], 5);
    const b = sphere(new Uint8Array(160 * 160 * 120), dims, spacing, [81, 80, 60], 5);
    const t0 = performance.now();
    const hd = hausdorff95(a, 1, b, 1, dims, spacing);
    expect(hd).toBeGreaterThan(0);
    expect(hd).toBeLessThanOrEqual(1.5);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});

describe('labelMetrics', () => {
  it('pairs truth and prediction values by name, with null HD95 when one side is empty', () => {
    const dims: V3 = [32, 32, 32];
    const spacing: V3 = [1, 1, 2];
    const truth = new Uint8Array(32 ** 3);
    const pred = new Uint16Array(32 ** 3);
    sphere(truth, dims, spacing, [10, 10, 30], 6, 3);
    for (let i = 0; i < truth.length; i++) if (truth[i] === 3) pred[i] = 700; // same voxels, other value
    sphere(truth, dims, spacing, [22, 22, 20], 4, 5);
    const m = labelMetrics(
      truth,
      pred,
      [
        { name: 'organ', truth: 3, pred: 700 },
        { name: 'missed', truth: 5, pred: 9 },
        { name: 'absent', truth: 8, pred: 8 },
      ],
      dims,
      spacing,
    );
    expect(m[0]).toMatchObject({ name: 'organ', dice: 1, hd95: 0 });
    expect(m[0].truthVoxels).toBe(m[0].predVoxels);
    expect(m[0].truthVoxels).toBeGreaterThan(300);
    expect(m[1]).toMatchObject({ name: 'missed', dice: 0, hd95: null, predVoxels: 0 });
    expect(m[1].truthVoxels).toBeGreaterThan(100);
    expect(m[2]).toEqual({ name: 'absent', dice: 1, hd95: 0, truthVoxels: 0, predVoxels: 0 });
  });
});
