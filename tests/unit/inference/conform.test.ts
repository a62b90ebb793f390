import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../../src/core/types';
import { readNifti } from '../../../src/io/nifti/index';
import {
  conformGrid,
  conformVolume,
  freesurferCentre,
  uint8ScaleRange,
  type ConformSpec,
} from '../../../src/inference/conform';
import { directionFromAxes, indexToWorld, orientationCode, worldToIndex } from '../../../src/volume/geometry';
import { gridOf } from '../../../src/volume/resample';
import { reorientToCode } from '../../../src/volume/reorient';
import { createVolume } from '../../../src/volume/volume';
import { describeShared, sharedPath } from '../helpers/shared';

const SPEC: ConformSpec = { dims: [256, 256, 256], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' };
const LIA = directionFromAxes([1, 0, 0], [0, 0, -1], [0, -1, 0]);

const load = (rel: string): Volume => readNifti(readFileSync(sharedPath(rel)), rel);

/** Trilinear sample of `v` at continuous index p; within half a voxel of the edge the edge voxel is used; null further out. */
function trilinear(v: Volume, p: Vec3): number | null {
  const [nx, ny, nz] = v.header.dims;
  const n = [nx, ny, nz];
  if (p.some((x, a) => x < -0.5 || x > n[a] - 0.5)) return null;
  const q = p.map((x, a) => Math.min(Math.max(x, 0), n[a] - 1));
  const i0 = q.map((x, a) => Math.min(Math.floor(x), n[a] - 2 < 0 ? 0 : n[a] - 2));
  const f = q.map((x, a) => x - i0[a]);
  const at = (i: number, j: number, k: number) => v.voxels[i + j * nx + k * nx * ny];
  let sum = 0;
  for (let c = 0; c < 8; c++) {
    const d = [c & 1, (c >> 1) & 1, (c >> 2) & 1];
    const w = d.reduce((acc, b, a) => acc * (b ? f[a] : 1 - f[a]), 1);
    if (w) sum += w * at(i0[0] + d[0], i0[1] + d[1], i0[2] + d[2]);
  }
  return sum;
}

describeShared('nifti/mr/t1_crop.nii.gz', 'conform on a conformed volume (t1_crop: 256^3, 1 mm, LIA, uint8)', () => {
  it('is an exact no-op: same grid, identical voxels', () => {
    const t1 = load('nifti/mr/t1_crop.nii.gz');
    const g = conformGrid(t1.header, SPEC);
    expect(g).toEqual(gridOf(t1.header));
    const c = conformVolume(t1, SPEC);
    expect(c.header.dtype).toBe('uint8');
    expect(c.header.dims).toEqual([256, 256, 256]);
    expect(c.header.origin).toEqual(t1.header.origin);
    expect(c.header.direction).toEqual(t1.header.direction);
    expect(Buffer.compare(Buffer.from(c.voxels.buffer), Buffer.from(t1.voxels.buffer))).toBe(0);
  });

  it('the FreeSurfer centre (voxel dims/2) of the input is voxel 128 of the conformed grid', () => {
    const t1 = load('nifti/mr/t1_crop.nii.gz');
    const centre = indexToWorld(t1.header, [128, 128, 128]);
    expect(freesurferCentre(t1.header)).toEqual(centre);
    // with the (dims-1)/2 convention the same input would not map onto itself
    const g = conformGrid(t1.header, SPEC);
    const mid = indexToWorld(g, [128, 128, 128]);
    for (let a = 0; a < 3; a++) expect(mid[a]).toBeCloseTo(centre[a], 6);
  });

  it('a RAS copy conforms back by exact copying, one voxel off along the two flipped axes (FreeSurfer c_ras)', () => {
    const t1 = load('nifti/mr/t1_crop.nii.gz');
    const ras = reorientToCode(t1, 'RAS');
    const c = conformVolume(ras, SPEC);
    expect(orientationCode(c.header.direction)).toBe('LIA');
    // LIA index (i, j, k) of the output holds t1 voxel (i - 1, j - 1, k): i and j run along RAS's flipped axes
    const w = indexToWorld(c.header, [1, 1, 0]);
    const back = worldToIndex(t1.header, w);
    for (let a = 0; a < 3; a++) expect(back[a]).toBeCloseTo([0, 0, 0][a], 6);
    const n = 256;
    let mismatches = 0;
    for (let k = 0; k < n; k++)
      for (let j = 0; j < n; j++)
        for (let i = 0; i < n; i++) {
          const expected = i === 0 || j === 0 ? 0 : t1.voxels[i - 1 + (j - 1) * n + k * n * n];
          if (c.voxels[i + j * n + k * n * n] !== expected) mismatches++;
        }
    expect(mismatches).toBe(0);
  });
});

describeShared('nifti/mr/bet.nii.gz', 'conform of an oblique RAS volume (bet: 142x178x142)', () => {
  it('gives 256^3 1 mm LIA centred on the input, sampled by trilinear interpolation', () => {
    const bet = load('nifti/mr/bet.nii.gz');
    expect(bet.header.dtype).toBe('uint8');
    const c = conformVolume(bet, SPEC);
    const h = c.header;
    expect(h.dims).toEqual([256, 256, 256]);
    expect(h.spacing).toEqual([1, 1, 1]);
    expect(h.direction).toEqual(LIA);
    expect(orientationCode(h.direction)).toBe('LIA');
    expect(h.dtype).toBe('uint8');
    // FreeSurfer c_ras: input voxel (71, 89, 71) is output voxel (128, 128, 128)
    const centre = indexToWorld(bet.header, [71, 89, 71]);
    const mid = indexToWorld(h, [128, 128, 128]);
    for (let a = 0; a < 3; a++) expect(mid[a]).toBeCloseTo(centre[a], 6);

    let s = 12345;
    const rand = (n: number) => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n;
    let brain = 0;
    let outside = 0;
    for (let tries = 0; tries < 20000 && (brain < 300 || outside < 50); tries++) {
      const ijk: Vec3 = [rand(256), rand(256), rand(256)];
      const ref = trilinear(bet, worldToIndex(bet.header, indexToWorld(h, ijk)));
      const got = c.voxels[ijk[0] + ijk[1] * 256 + ijk[2] * 65536];
      if (ref === null) {
        expect(got).toBe(0);
        outside++;
      } else {
        expect(Math.abs(got - ref)).toBeLessThanOrEqual(0.5 + 1e-6);
        if (ref > 20) brain++;
      }
    }
    expect(brain).toBeGreaterThanOrEqual(300);
    expect(outside).toBeGreaterThanOrEqual(50);

    // 1 mm in, 1 mm out: the total intensity is kept (up to rounding and interpolation blur)
    let sumIn = 0;
    let sumOut = 0;
    for (const v of bet.voxels) sumIn += v;
    for (const v of c.voxels) sumOut += v;
    expect(Math.abs(sumOut / sumIn - 1)).toBeLessThan(0.005);
  });
});

describe('conform intensities (uint8)', () => {
  /** A volume already on the conformed grid of `dims`, so only the intensity rule acts. */
  function onConformedGrid(values: Float32Array, dims: Vec3): Volume {
    const h = { dims, spacing: [1, 1, 1] as Vec3, origin: [0, 0, 0] as Vec3, direction: LIA };
    const g = conformGrid(h, { dims, spacing: [1, 1, 1], orientation: 'LIA' });
    return createVolume({
      ...g,
      voxels: values,
      metadata: { windowCenter: 40, windowWidth: 400, unit: 'HU', modality: 'MR' },
    });
  }

  it('scales float32 to 0..255 from 0 to the 99.9% histogram cut of the non-zero voxels (conform.py rule)', () => {
    // 998 zeros, the values 1..1000 twice each, two outliers at 10000: nnz 2002, the top 2 may saturate;
    // 1000 bins of width 10 over [0, 10000]; the 2000th non-zero voxel (1000) lies in bin 100,
    // so edge 101 is the first with 2000 voxels below it and upper = edge 99 = 990.
    const v = new Float32Array(3000);
    let o = 998;
    for (let x = 1; x <= 1000; x++) {
      v[o++] = x;
      v[o++] = x;
    }
    v[o++] = 10000;
    v[o] = 10000;
    expect(uint8ScaleRange(v)).toEqual({ lower: 0, upper: 990 });
    const c = conformVolume(onConformedGrid(v, [10, 15, 20]), {
      dims: [10, 15, 20],
      spacing: [1, 1, 1],
      orientation: 'LIA',
      dtype: 'uint8',
    });
    expect(c.header.dtype).toBe('uint8');
    // correctly rounded (ties may go either way: uint8 rounds half to even, like conform.py's np.rint)
    for (let i = 0; i < 3000; i++)
      expect(Math.abs(c.voxels[i] - Math.min(255, (v[i] * 255) / 990))).toBeLessThanOrEqual(0.5 + 1e-9);
    expect([c.voxels[998], c.voxels[998 + 2 * 499], c.voxels[2998]]).toEqual([0, 129, 255]); // 1, 500, 10000
    expect(c.header.metadata).toEqual({ modality: 'MR' }); // window and unit no longer apply
  });

  it('negative minimum: lower is the minimum, which maps to 0', () => {
    const v = Float32Array.from({ length: 1000 }, (_, i) => i - 200); // -200..799, one zero
    const { lower, upper } = uint8ScaleRange(v);
    expect(lower).toBe(-200);
    // 999 non-zero voxels, none may saturate (floor(0.999) = 0): the max is in the last bin, edge 1000 -> upper = edge 998
    expect(upper).toBeCloseTo(-200 + 998 * 0.999, 9);
    const c = conformVolume(onConformedGrid(v, [10, 10, 10]), {
      dims: [10, 10, 10],
      spacing: [1, 1, 1],
      orientation: 'LIA',
      dtype: 'uint8',
    });
    expect(c.voxels[0]).toBe(0);
    expect(c.voxels[200]).toBe(Math.round((200 * 255) / (upper + 200))); // the value 0 is not forced to 0
    expect(c.voxels[999]).toBe(255);
  });

  it('float values already within 0..255 are still scaled; constant volumes; float32 dtype keeps values', () => {
    const spec: ConformSpec = { dims: [10, 10, 10], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' };
    const v = Float32Array.from({ length: 1000 }, (_, i) => (i % 100) / 10); // 0..9.9
    const c = conformVolume(onConformedGrid(v, [10, 10, 10]), spec);
    expect(Math.max(...c.voxels)).toBe(255);
    expect(c.voxels[50]).toBe(Math.round((5 * 255) / uint8ScaleRange(v).upper));
    // lower is 0 for non-negative data, so a positive constant saturates; all zeros stay zeros
    const seven = conformVolume(onConformedGrid(new Float32Array(1000).fill(7), [10, 10, 10]), spec);
    expect(seven.voxels.every((x) => x === 255)).toBe(true);
    const zeros = conformVolume(onConformedGrid(new Float32Array(1000), [10, 10, 10]), spec);
    expect(zeros.voxels.every((x) => x === 0)).toBe(true);
    const negative = conformVolume(onConformedGrid(new Float32Array(1000).fill(-3), [10, 10, 10]), spec);
    expect(negative.voxels.every((x) => x === 0)).toBe(true);
    const f = conformVolume(onConformedGrid(v, [10, 10, 10]), {
      dims: [10, 10, 10],
      spacing: [1, 1, 1],
      orientation: 'LIA',
      dtype: 'float32',
    });
    expect(f.header.dtype).toBe('float32');
    expect(f.voxels).toEqual(v);
  });

  it('uint8 input keeps its values; the conformed grid outside the input is 0', () => {
    const v = createVolume({
      dims: [4, 4, 4],
      spacing: [1, 1, 1],
      direction: LIA,
      voxels: Uint8Array.from({ length: 64 }, (_, i) => 100 + i),
    });
    const c = conformVolume(v, { dims: [6, 6, 6], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' });
    // even dims on both sides, same axes: centres align, a one-voxel border of zeros
    let o = 0;
    for (let k = 0; k < 6; k++)
      for (let j = 0; j < 6; j++)
        for (let i = 0; i < 6; i++, o++) {
          const inner = i >= 1 && i <= 4 && j >= 1 && j <= 4 && k >= 1 && k <= 4;
          expect(c.voxels[o]).toBe(inner ? v.voxels[i - 1 + (j - 1) * 4 + (k - 1) * 16] : 0);
        }
  });

  it('a conformed grid stored with float noise below 1e-4 mm is kept exactly (header and voxels)', () => {
    const dims: Vec3 = [16, 16, 16];
    const noisy = createVolume({
      dims,
      spacing: [1.0000001, 0.9999999, 1],
      origin: [-7.99998, 8.00003, 7.99999],
      direction: [1, 2e-8, 0, 0, -1e-8, -1, -3e-8, -1, 0],
      voxels: Uint8Array.from({ length: 16 ** 3 }, (_, i) => (i * 37) % 251),
    });
    const spec: ConformSpec = { dims, spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' };
    const g = conformGrid(noisy.header, spec);
    expect(g).toEqual(gridOf(noisy.header));
    const c = conformVolume(noisy, spec);
    expect(c.header.origin).toEqual(noisy.header.origin);
    expect(c.header.spacing).toEqual(noisy.header.spacing);
    expect(c.header.direction).toEqual(noisy.header.direction);
    expect(c.voxels).toEqual(noisy.voxels);
  });

  it('rejects bad specs', () => {
    const h = gridOf(createVolume({ dims: [2, 2, 2], voxels: new Uint8Array(8) }).header);
    expect(() => conformGrid(h, { dims: [0, 2, 2], spacing: [1, 1, 1], orientation: 'LIA' })).toThrow(/dims/);
    expect(() => conformGrid(h, { dims: [2, 2, 2], spacing: [1, 0, 1], orientation: 'LIA' })).toThrow(/spacing/);
    expect(() => conformGrid(h, { dims: [2, 2, 2], spacing: [1, 1, 1], orientation: 'LIX' })).toThrow(/orientation/);
  });
});
