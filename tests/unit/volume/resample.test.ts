import { describe, expect, it } from 'vitest';
import type { Grid, Mat3, Vec3, Volume, VoxelArray } from '../../../src/core/types';
import { directionFromAxes, indexToWorld, worldToIndex } from '../../../src/volume/geometry';
import { gridOf, gridWithSpacing, resampleToGrid } from '../../../src/volume/resample';
import { reorientToCode } from '../../../src/volume/reorient';
import { createVolume } from '../../../src/volume/volume';
import { dice } from '../../../src/volume/metrics';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rotation(ax: number, ay: number, az: number): Mat3 {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  // Rz * Ry * Rx, row-major
  return [
    cz * cy,
    cz * sy * sx - sz * cx,
    cz * sy * cx + sz * sx,
    sz * cy,
    sz * sy * sx + cz * cx,
    sz * sy * cx - cz * sx,
    -sy,
    cy * sx,
    cy * cx,
  ];
}

const OBLIQUE = rotation(0.3, -0.2, 0.15);

function vol(dims: Vec3, voxels: VoxelArray, direction: Mat3 = OBLIQUE): Volume {
  return createVolume({
    dims,
    spacing: [0.9, 1.3, 2.1],
    origin: [-30.5, 12.25, 40],
    direction,
    voxels,
    metadata: { modality: 'MR', valueRange: [0, 1] },
  });
}

function randomFloat(dims: Vec3, seed = 1): Volume {
  const r = rng(seed);
  return vol(
    dims,
    Float32Array.from({ length: dims[0] * dims[1] * dims[2] }, () => r() * 1000 - 300),
  );
}

/** f(i, j, k) = linear ramp in source index space. */
const ramp = (i: number, j: number, k: number) => 2 * i + 3 * j - 5 * k + 7;

function rampVolume(dims: Vec3, direction: Mat3 = OBLIQUE): Volume {
  const v = new Float32Array(dims[0] * dims[1] * dims[2]);
  let o = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) v[o++] = ramp(i, j, k);
  return vol(dims, v, direction);
}

function shifted(g: Grid, ijk: Vec3): Grid {
  return { ...g, origin: indexToWorld(g, ijk) };
}

describe('resampleToGrid', () => {
  it('identity grid returns identical voxels (linear and nearest, float and integer)', () => {
    const f = randomFloat([9, 7, 5]);
    const i16 = vol(
      [9, 7, 5],
      Int16Array.from(f.voxels, (x) => Math.round(x)),
    );
    for (const v of [f, i16]) {
      for (const interpolation of ['linear', 'nearest'] as const) {
        const r = resampleToGrid(v, gridOf(v.header), { interpolation });
        expect(r.header.dtype).toBe(v.header.dtype);
        expect(r.voxels).toEqual(v.voxels);
        expect(r.header.origin).toEqual(v.header.origin);
        expect(r.header.metadata).toEqual({ modality: 'MR' }); // copied, less the stale valueRange
      }
    }
  });

  it('a grid within 1e-6 voxel of the source (tiny rotation: the per-voxel path) reproduces the voxels exactly', () => {
    const v = randomFloat([12, 10, 8], 2);
    const tilt = rotation(2e-7, -1e-7, 3e-7);
    const d = v.header.direction;
    const dir = [0, 1, 2].flatMap((r) =>
      [0, 1, 2].map((c) => [0, 1, 2].reduce((s, m) => s + tilt[3 * r + m] * d[3 * m + c], 0)),
    ) as Mat3;
    const g = { ...gridOf(v.header), direction: dir };
    expect(resampleToGrid(v, g, { interpolation: 'linear' }).voxels).toEqual(v.voxels);
  });

  it('a permuted/flipped equivalent grid gives exactly the permuted voxels', () => {
    const v = randomFloat([6, 5, 4], 3);
    for (const code of ['RAS', 'LPS', 'LIA', 'SAR', 'IPL', 'AIR']) {
      const p = reorientToCode(v, code);
      for (const interpolation of ['linear', 'nearest'] as const) {
        const r = resampleToGrid(v, gridOf(p.header), { interpolation });
        expect(r.header.dims).toEqual(p.header.dims);
        expect(r.voxels).toEqual(p.voxels);
      }
    }
  });

  it('half-voxel shifted grid on a linear ramp gives the analytic values; the edge replicates', () => {
    const dims: Vec3 = [8, 6, 5];
    const v = rampVolume(dims);
    const g = shifted(gridOf(v.header), [0.5, 0.5, 0.5]);
    const r = resampleToGrid(v, g, { interpolation: 'linear' });
    let o = 0;
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++, o++) {
          // the last target voxel sits on the outer edge (n - 0.5): inside, clamped to the edge voxel
          const x = Math.min(i + 0.5, dims[0] - 1);
          const y = Math.min(j + 0.5, dims[1] - 1);
          const z = Math.min(k + 0.5, dims[2] - 1);
          expect(r.voxels[o]).toBeCloseTo(ramp(x, y, z), 4);
        }
    // (0.5, 0.5, 0.5) sits between 8 voxels: their mean
    expect(r.voxels[0]).toBeCloseTo(ramp(0.5, 0.5, 0.5), 5);
  });

  it('rotated and rescaled grid on a ramp: exact inside, edge values clamped, fill beyond half a voxel', () => {
    const dims: Vec3 = [10, 9, 7];
    const v = rampVolume(dims);
    const target: Grid = {
      dims: [14, 13, 11],
      spacing: [0.8, 1.1, 1.4],
      origin: [-32, 10, 35],
      direction: rotation(-0.1, 0.4, 0.7),
    };
    const r = resampleToGrid(v, target, { interpolation: 'linear', fill: -999 });
    let inside = 0;
    let outside = 0;
    let o = 0;
    for (let k = 0; k < 11; k++)
      for (let j = 0; j < 13; j++)
        for (let i = 0; i < 14; i++, o++) {
          const s = worldToIndex(v.header, indexToWorld(target, [i, j, k]));
          const margin = Math.min(...s.map((x, c) => Math.min(x + 0.5, dims[c] - 0.5 - x)));
          if (margin < -1e-3) {
            expect(r.voxels[o]).toBe(-999);
            outside++;
          } else if (margin > 1e-3) {
            const c = s.map((x, a) => Math.min(Math.max(x, 0), dims[a] - 1));
            expect(r.voxels[o]).toBeCloseTo(ramp(c[0], c[1], c[2]), 3);
            inside++;
          }
        }
    expect(inside).toBeGreaterThan(300);
    expect(outside).toBeGreaterThan(300);
  });

  it('a slightly rotated grid (1e-3 voxel across it) is not treated as axis-aligned', () => {
    const dims: Vec3 = [12, 10, 8];
    const v = rampVolume(dims);
    const tilt = rotation(2e-4, -3e-4, 2.5e-4);
    const d = v.header.direction;
    const dir = [0, 1, 2].flatMap((r) =>
      [0, 1, 2].map((c) => [0, 1, 2].reduce((s, m) => s + tilt[3 * r + m] * d[3 * m + c], 0)),
    ) as Mat3;
    const g = shifted({ ...gridOf(v.header), direction: dir }, [0.3, 0.3, 0.3]);
    const r = resampleToGrid(v, g, { interpolation: 'linear' });
    let o = 0;
    let checked = 0;
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++, o++) {
          const s = worldToIndex(v.header, indexToWorld(g, [i, j, k]));
          if (s.some((x, a) => x < 0 || x > dims[a] - 1)) continue;
          expect(Math.abs(r.voxels[o] - ramp(s[0], s[1], s[2]))).toBeLessThan(2e-4);
          checked++;
        }
    expect(checked).toBeGreaterThan(500);
  });

  it('2x upsampling of a ramp: analytic inside, the outer half voxels replicate the edge (no fill)', () => {
    const dims: Vec3 = [6, 5, 4];
    const v = rampVolume(dims);
    const h = v.header;
    const g = gridWithSpacing(h, [h.spacing[0] / 2, h.spacing[1] / 2, h.spacing[2] / 2]);
    expect(g.dims).toEqual([12, 10, 8]);
    const r = resampleToGrid(v, g, { interpolation: 'linear', fill: -1000 });
    let o = 0;
    for (let k = 0; k < 8; k++)
      for (let j = 0; j < 10; j++)
        for (let i = 0; i < 12; i++, o++) {
          // target centre t sits at source index t / 2 - 0.25: -0.25 at the first, n - 0.75 at the last
          const c = [i, j, k].map((t, a) => Math.min(Math.max(t / 2 - 0.25, 0), dims[a] - 1));
          expect(r.voxels[o]).toBeCloseTo(ramp(c[0], c[1], c[2]), 4);
        }
  });

  it('nearest on a label volume never invents labels and picks the voxel the centre falls in', () => {
    const dims: Vec3 = [12, 11, 9];
    const r0 = rng(4);
    const labels = [0, 3, 7, 200];
    const v = vol(
      dims,
      Uint8Array.from({ length: 12 * 11 * 9 }, () => labels[Math.floor(r0() * 4)]),
    );
    const target: Grid = {
      dims: [20, 19, 17],
      spacing: [0.61, 0.77, 1.3],
      origin: [-31, 11, 39],
      direction: rotation(0.5, 0.1, -0.3),
    };
    const r = resampleToGrid(v, target, { interpolation: 'nearest', fill: 0 });
    expect(new Set(r.voxels)).toEqual(new Set(labels));
    let checked = 0;
    let o = 0;
    for (let k = 0; k < 17; k++)
      for (let j = 0; j < 19; j++)
        for (let i = 0; i < 20; i++, o++) {
          const s = worldToIndex(v.header, indexToWorld(target, [i, j, k]));
          if (s.some((x) => Math.abs(x - Math.round(x)) > 0.49)) continue; // near a tie
          const n = s.map(Math.round);
          const inside = n.every((x, a) => x >= 0 && x < dims[a]);
          expect(r.voxels[o]).toBe(inside ? v.voxels[n[0] + n[1] * 12 + n[2] * 132] : 0);
          checked++;
        }
    expect(checked).toBeGreaterThan(3000);
    // and a mere upsampling (no rotation) of a label map, also only existing labels
    const up = resampleToGrid(v, gridWithSpacing(v.header, [0.35, 0.5, 0.8]), { interpolation: 'nearest' });
    expect(new Set(up.voxels)).toEqual(new Set(labels));
  });

  it('outside -> fill (default 0), rounded and clamped for integer outputs', () => {
    const v = vol(
      [4, 4, 4],
      Int16Array.from({ length: 64 }, (_, i) => i + 100),
    );
    const far = shifted(gridOf(v.header), [10, 0, 0]);
    expect(resampleToGrid(v, far, { interpolation: 'linear' }).voxels.every((x) => x === 0)).toBe(true);
    expect(resampleToGrid(v, far, { interpolation: 'nearest', fill: -7.4 }).voxels.every((x) => x === -7)).toBe(true);
    expect(
      resampleToGrid(v, far, { interpolation: 'nearest', fill: -7, dtype: 'uint8' }).voxels.every((x) => x === 0),
    ).toBe(true);
    // two voxels along i: the first 2 target columns are inside, the rest outside
    const part = resampleToGrid(v, shifted(gridOf(v.header), [2, 0, 0]), { interpolation: 'nearest', fill: 1 });
    for (let o = 0; o < 64; o++) expect(part.voxels[o]).toBe(o % 4 < 2 ? v.voxels[o + 2] : 1);
  });

  it('integer outputs are rounded and clamped; valueMap applies before', () => {
    const v = vol([2, 1, 1], Float32Array.from([-3.7, 300.2]));
    const id = gridOf(v.header);
    expect(Array.from(resampleToGrid(v, id, { interpolation: 'linear', dtype: 'uint8' }).voxels)).toEqual([0, 255]);
    expect(Array.from(resampleToGrid(v, id, { interpolation: 'linear', dtype: 'int16' }).voxels)).toEqual([-4, 300]);
    expect(Array.from(resampleToGrid(v, id, { interpolation: 'linear', dtype: 'int8' }).voxels)).toEqual([-4, 127]);
    const m = resampleToGrid(v, id, { interpolation: 'linear', dtype: 'float32', valueMap: { scale: 2, offset: 1 } });
    expect(m.voxels[0]).toBeCloseTo(-6.4, 5);
    expect(m.voxels[1]).toBeCloseTo(601.4, 3);
  });

  it('rejects bad grids', () => {
    const v = randomFloat([3, 3, 3]);
    expect(() => resampleToGrid(v, { ...gridOf(v.header), dims: [0, 3, 3] }, { interpolation: 'linear' })).toThrow(
      /dims/,
    );
    expect(() => resampleToGrid(v, { ...gridOf(v.header), spacing: [1, -1, 1] }, { interpolation: 'linear' })).toThrow(
      /spacing/,
    );
  });
});

describe('gridWithSpacing', () => {
  /** World position of the outer corner of voxel corner (0 or 1 per axis) of a grid. */
  const outerCorner = (g: Grid, corner: number) =>
    indexToWorld(g, [0, 1, 2].map((a) => ((corner >> a) & 1 ? g.dims[a] - 0.5 : -0.5)) as Vec3);

  it('keeps the outer edges of the field of view on an oblique grid', () => {
    const v = randomFloat([40, 31, 17]);
    const h = v.header; // spacing 0.9, 1.3, 2.1
    const g = gridWithSpacing(h, [1.5, 1, 0.7]);
    // round(0.9/1.5*40 = 24), round(1.3*31 = 40.3) = 40, round(2.1/0.7*17 = 51)
    expect(g.dims).toEqual([24, 40, 51]);
    expect(g.spacing[0]).toBe(1.5); // whole number of voxels: the requested spacing
    expect(g.spacing[1]).toBeCloseTo((1.3 * 31) / 40, 12); // 40.3 voxels: stretched to keep both edges
    expect(g.spacing[2]).toBe(0.7);
    expect(g.direction).toEqual([...h.direction]);
    const hg = gridOf(h);
    for (let corner = 0; corner < 8; corner++) {
      const a = outerCorner(hg, corner);
      const b = outerCorner(g, corner);
      for (let c = 0; c < 3; c++) expect(b[c]).toBeCloseTo(a[c], 9);
    }
    // first voxel centre, analytically: origin + D * (newSpacing - oldSpacing) / 2
    const d = h.direction;
    const delta = [(1.5 - 0.9) / 2, ((1.3 * 31) / 40 - 1.3) / 2, (0.7 - 2.1) / 2];
    for (let r = 0; r < 3; r++)
      expect(g.origin[r]).toBeCloseTo(
        h.origin[r] + d[3 * r] * delta[0] + d[3 * r + 1] * delta[1] + d[3 * r + 2] * delta[2],
        9,
      );
  });

  it('rounds half to even like numpy (nnU-Net) and never goes below one voxel', () => {
    const v = createVolume({ dims: [5, 7, 1], spacing: [1, 1, 1], voxels: new Uint8Array(35) });
    expect(gridWithSpacing(v.header, [2, 2, 5]).dims).toEqual([2, 4, 1]); // 2.5 -> 2, 3.5 -> 4, 0.2 -> 1
  });

  it('same spacing gives the same grid, and the resampled volume is unchanged', () => {
    const v = randomFloat([5, 6, 7]);
    const g = gridWithSpacing(v.header, [...v.header.spacing] as Vec3);
    expect(g.dims).toEqual([5, 6, 7]);
    for (let c = 0; c < 3; c++) expect(g.origin[c]).toBeCloseTo(v.header.origin[c], 12);
    expect(resampleToGrid(v, g, { interpolation: 'linear' }).voxels).toEqual(v.voxels);
  });

  it('2x downsampling of a ramp averages voxel pairs (voxel centres fall between source voxels)', () => {
    const v = rampVolume([8, 6, 4], directionFromAxes([0, 1, 0], [-1, 0, 0], [0, 0, 1]));
    const h = v.header;
    const g = gridWithSpacing(h, [h.spacing[0] * 2, h.spacing[1] * 2, h.spacing[2] * 2]);
    expect(g.dims).toEqual([4, 3, 2]);
    const r = resampleToGrid(v, g, { interpolation: 'linear' });
    let o = 0;
    for (let k = 0; k < 2; k++)
      for (let j = 0; j < 3; j++)
        for (let i = 0; i < 4; i++) expect(r.voxels[o++]).toBeCloseTo(ramp(2 * i + 0.5, 2 * j + 0.5, 2 * k + 0.5), 4);
  });
});

describe("resampleToGrid 'label-linear' (nnU-Net resize_segmentation, order 1)", () => {
  const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

  /** A ball of radius r mm at world c voxelized (voxel centre inside) on grid g, labelled `value`. */
  function ballOn(g: Grid, c: Vec3, r: number, value = 1): Volume {
    const [nx, ny, nz] = g.dims;
    const v = new Uint8Array(nx * ny * nz);
    for (let k = 0, n = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, n++) {
          const p = indexToWorld(g, [i, j, k]);
          if (Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= r) v[n] = value;
        }
    return createVolume({ ...g, voxels: v });
  }

  function centroid(v: Volume): Vec3 {
    const [nx, ny] = v.header.dims;
    const s = [0, 0, 0];
    let count = 0;
    v.voxels.forEach((x, n) => {
      if (!x) return;
      const p = indexToWorld(v.header, [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))]);
      for (let q = 0; q < 3; q++) s[q] += p[q];
      count++;
    });
    return s.map((x) => x / count) as Vec3;
  }

  const c: Vec3 = [19.7, 18.6, 20.1];
  const coarse: Grid = { dims: [14, 14, 14], spacing: [3, 3, 3], origin: [0, 0, 0], direction: OBLIQUE };
  const ball3 = ballOn(coarse, c, 12);
  const fine = gridWithSpacing(coarse, [1, 1, 1]);

  it('a 3 mm ball brought onto 1 mm: closer to the 1 mm ball than nearest, centroid kept', () => {
    expect(fine.dims).toEqual([42, 42, 42]);
    const truth = ballOn(fine, c, 12);
    const linear = resampleToGrid(ball3, fine, { interpolation: 'label-linear' });
    const nearest = resampleToGrid(ball3, fine, { interpolation: 'nearest' });
    expect(linear.header.dtype).toBe('uint8');
    const dl = dice(linear.voxels, 1, truth.voxels, 1);
    const dn = dice(nearest.voxels, 1, truth.voxels, 1);
    // Measured: 0.949 against 0.916 (the 3 mm voxelization itself limits both).
    expect(dl).toBeGreaterThan(0.94);
    expect(dl).toBeGreaterThan(dn + 0.02);
    const m = centroid(linear);
    for (let q = 0; q < 3; q++) expect(Math.abs(m[q] - c[q]), `centroid axis ${q}`).toBeLessThan(0.5);
  });

  it('a binary mask equals float linear interpolation thresholded at 0.5 (ties: the nearest voxel)', () => {
    // Axis-aligned (tabulated loops), rotated (per-voxel loop), and the source grid shifted by half a
    // voxel along i, where the samples fall half-way between voxel centres (exact ties), and that
    // grid tilted by 1e-6 rad (per-voxel loop; the fractions move off 0.5 by ~1e-6, no ties).
    const half = shifted(coarse, [0.5, 0, 0]);
    const tilt = rotation(1e-6, -1e-6, 1e-6);
    const tilted = [0, 1, 2].flatMap((r) =>
      [0, 1, 2].map((q) => [0, 1, 2].reduce((a, m) => a + OBLIQUE[3 * r + m] * tilt[3 * m + q], 0)),
    ) as Mat3;
    const grids = [
      { ...fine, origin: [1, 2, 0.5] as Vec3 },
      { ...fine, direction: rotation(0.5, 0.1, -0.4), origin: [1, 2, 0.5] as Vec3 },
      half,
      { ...half, direction: tilted },
    ];
    for (const [n, g] of grids.entries()) {
      const lab = resampleToGrid(ball3, g, { interpolation: 'label-linear' }).voxels;
      const lin = resampleToGrid(ball3, g, { interpolation: 'linear', dtype: 'float32', fill: 0 }).voxels;
      const near = resampleToGrid(ball3, g, { interpolation: 'nearest' }).voxels;
      let mismatches = 0;
      let ties = 0;
      for (let n = 0; n < lab.length; n++) {
        const tie = Math.abs(lin[n] - 0.5) < 1e-9;
        if (tie) ties++;
        if (lab[n] !== (tie ? near[n] : lin[n] > 0.5 ? 1 : 0)) mismatches++;
      }
      expect(mismatches, `grid ${n}`).toBe(0);
      if (n === 2) expect(ties, `grid ${n}`).toBeGreaterThan(20);
      else expect(ties, `grid ${n}`).toBeLessThan(lab.length / 100);
    }
  });

  it('identity and permuted/flipped grids: exact copies, uint8 and uint16', () => {
    const r = rng(7);
    const u8 = vol(
      [9, 7, 5],
      Uint8Array.from({ length: 315 }, () => [0, 1, 2, 255][Math.floor(r() * 4)]),
    );
    const u16 = vol(
      [9, 7, 5],
      Uint16Array.from({ length: 315 }, () => [0, 3, 300, 65535][Math.floor(r() * 4)]),
    );
    for (const v of [u8, u16]) {
      const same = resampleToGrid(v, gridOf(v.header), { interpolation: 'label-linear' });
      expect(same.header.dtype).toBe(v.header.dtype);
      expect(same.voxels).toEqual(v.voxels);
      for (const code of ['LIA', 'SAR']) {
        const p = reorientToCode(v, code);
        expect(resampleToGrid(v, gridOf(p.header), { interpolation: 'label-linear' }).voxels).toEqual(p.voxels);
      }
    }
  });

  it('a flipped/permuted target grid gives the same world-space labels as the plain one', () => {
    const plain = resampleToGrid(ball3, fine, { interpolation: 'label-linear' });
    const tied = shifted(coarse, [0.5, 0, 0.5]);
    const plainTied = resampleToGrid(ball3, tied, { interpolation: 'label-linear' });
    for (const [base, code] of [
      [plain, 'LIA'],
      [plain, 'IPL'],
      [plainTied, 'SAR'],
      [plainTied, 'AIR'],
    ] as const) {
      const want = reorientToCode(base, code);
      const got = resampleToGrid(ball3, gridOf(want.header), { interpolation: 'label-linear' });
      expect(got.header.dims).toEqual(want.header.dims);
      expect(got.voxels.constructor).toBe(want.voxels.constructor);
      // (a plain loop: toEqual on 74k-element typed arrays is slow)
      let differ = 0;
      for (let n = 0; n < got.voxels.length; n++) if (got.voxels[n] !== want.voxels[n]) differ++;
      expect(differ, code).toBe(0);
    }
  });

  it('multi-label uint16: only input values appear, and the 3|300 boundary stays within half a source voxel', () => {
    // Source 4 mm grid: label 3 on i in [2, 6), 300 on [6, 10) (boundary at i = 5.5), j, k in [2, 8).
    const dims: Vec3 = [12, 10, 10];
    const src = new Uint16Array(dims[0] * dims[1] * dims[2]);
    for (let k = 2; k < 8; k++)
      for (let j = 2; j < 8; j++) for (let i = 2; i < 10; i++) src[i + dims[0] * (j + dims[1] * k)] = i < 6 ? 3 : 300;
    const sg: Grid = { dims, spacing: [4, 4, 4], origin: [-10, 5, 3], direction: I };
    const v = createVolume({ ...sg, voxels: src });
    const boundaryX = indexToWorld(sg, [5.5, 0, 0])[0];
    // Finer, shifted target (and a rotated one: values only).
    const tg: Grid = { dims: [40, 34, 34], spacing: [1.3, 1.3, 1.3], origin: [-11.1, 3.4, 1.7], direction: I };
    for (const g of [tg, { ...tg, direction: rotation(0.2, -0.3, 0.25) }]) {
      const out = resampleToGrid(v, g, { interpolation: 'label-linear' });
      expect(out.header.dtype).toBe('uint16');
      expect(new Set(out.voxels)).toEqual(new Set([0, 3, 300]));
    }
    const out = resampleToGrid(v, tg, { interpolation: 'label-linear' }).voxels;
    const [mx, my, mz] = tg.dims;
    let rows = 0;
    for (let k = 0; k < mz; k++)
      for (let j = 0; j < my; j++) {
        const mid = indexToWorld(tg, [0, j, k]);
        // rows well inside the boxes in y and z (world = source index * 4 + origin)
        if (Math.abs(mid[1] - (5 + 4 * 4.5)) > 8 || Math.abs(mid[2] - (3 + 4 * 4.5)) > 8) continue;
        rows++;
        let last3 = -Infinity;
        let first300 = Infinity;
        for (let i = 0; i < mx; i++) {
          const x = indexToWorld(tg, [i, j, k])[0];
          const l = out[i + mx * (j + my * k)];
          if (l === 3) last3 = Math.max(last3, x);
          if (l === 300) first300 = Math.min(first300, x);
        }
        expect(last3).toBeLessThan(first300);
        expect(Math.abs(last3 - boundaryX)).toBeLessThanOrEqual(2 + tg.spacing[0]);
        expect(Math.abs((last3 + first300) / 2 - boundaryX)).toBeLessThanOrEqual(2);
      }
    expect(rows).toBeGreaterThan(50);
  });

  it('outside the source: fill; dtype changes and value maps are refused', () => {
    const g = shifted(gridOf(ball3.header), [7, 0, 0]);
    const r = resampleToGrid(ball3, g, { interpolation: 'label-linear', fill: 9 });
    const nx = g.dims[0];
    // Target i samples source index i + 7: inside up to 13.5 (half a voxel beyond the last centre).
    r.voxels.forEach((x, n) => {
      if (n % nx >= 7) expect(x).toBe(9);
    });
    expect(r.voxels.some((x, n) => n % nx < 7 && x === 1)).toBe(true);
    expect(() => resampleToGrid(ball3, fine, { interpolation: 'label-linear', dtype: 'uint16' })).toThrow(
      /label-linear/,
    );
    expect(() =>
      resampleToGrid(ball3, fine, { interpolation: 'label-linear', valueMap: { scale: 2, offset: 0 } }),
    ).toThrow(/label-linear/);
  });
});
