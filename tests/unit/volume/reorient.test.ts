import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import {
  directionFromAxes,
  indexToWorld,
  indexToWorldAffine,
  orientationCode,
  worldToIndex,
} from '../../../src/volume/geometry';
import { nearestWorldAxes, parseOrientationCode, permuteAxes, reorientToCode } from '../../../src/volume/reorient';
import { createVolume } from '../../../src/volume/volume';

const PAIRS = [
  ['L', 'R'],
  ['P', 'A'],
  ['S', 'I'],
];
function allCodes(): string[] {
  const out: string[] = [];
  for (const perm of [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ])
    for (let signs = 0; signs < 8; signs++) out.push(perm.map((p, t) => PAIRS[p][(signs >> t) & 1]).join(''));
  return out;
}

function volume(direction: Mat3, dims: Vec3 = [5, 4, 3]): Volume {
  const n = dims[0] * dims[1] * dims[2];
  return createVolume({
    dims,
    spacing: [0.7, 1.1, 2.3],
    origin: [12.5, -40, 7],
    direction,
    voxels: Int16Array.from({ length: n }, (_, i) => i * 3 - 7),
  });
}

/** Every voxel of `b` sits at the world position of the voxel of `a` with the same value. */
function expectSameWorld(a: Volume, b: Volume): void {
  const [nx, ny, nz] = b.header.dims;
  const [ax, ay] = a.header.dims;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const src = worldToIndex(a.header, indexToWorld(b.header, [i, j, k]));
        const r = src.map(Math.round);
        for (let c = 0; c < 3; c++) expect(Math.abs(src[c] - r[c])).toBeLessThan(1e-9);
        expect(b.voxels[i + j * nx + k * nx * ny]).toBe(a.voxels[r[0] + r[1] * ax + r[2] * ax * ay]);
      }
}

const oblique = (() => {
  const c = Math.cos(0.2);
  const s = Math.sin(0.2);
  return directionFromAxes([c, s, 0], [-s, c, 0], [0, 0, 1]);
})();
const inputs: [string, Mat3][] = [
  ['LPS', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
  ['RAS', [-1, 0, 0, 0, -1, 0, 0, 0, 1]],
  ['LIA', directionFromAxes([1, 0, 0], [0, 0, -1], [0, -1, 0])],
  ['ASL (sagittal)', directionFromAxes([0, -1, 0], [0, 0, 1], [1, 0, 0])],
  ['oblique 11 deg', oblique],
];

describe('reorientToCode', () => {
  for (const [name, dir] of inputs) {
    it(`${name}: all 48 codes keep every voxel at its world position and round-trip exactly`, () => {
      const v = volume(dir);
      const code0 = orientationCode(dir);
      for (const code of allCodes()) {
        const r = reorientToCode(v, code);
        expect(orientationCode(r.header.direction)).toBe(code);
        expectSameWorld(v, r);
        const back = reorientToCode(r, code0);
        expect(back.header.dims).toEqual(v.header.dims);
        expect(Array.from(back.voxels)).toEqual(Array.from(v.voxels));
        const fa = indexToWorldAffine(v.header);
        const fb = indexToWorldAffine(back.header);
        for (let i = 0; i < 16; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(1e-9);
      }
    });
  }

  it('corner voxels keep their world positions (LPS <-> RAS)', () => {
    const v = volume([1, 0, 0, 0, 1, 0, 0, 0, 1], [6, 5, 4]);
    const r = reorientToCode(v, 'RAS');
    expect(r.header.dims).toEqual([6, 5, 4]);
    expect(r.header.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    const [nx, ny] = v.header.dims;
    for (const [i, j, k] of [
      [0, 0, 0],
      [5, 0, 0],
      [0, 4, 0],
      [5, 4, 3],
      [0, 0, 3],
    ]) {
      const w = indexToWorld(v.header, [i, j, k]);
      const ri = worldToIndex(r.header, w).map(Math.round);
      expect(ri).toEqual([5 - i, 4 - j, k]);
      expect(r.voxels[ri[0] + ri[1] * nx + ri[2] * nx * ny]).toBe(v.voxels[i + j * nx + k * nx * ny]);
    }
  });

  it('returns the same volume when already in the target orientation; accepts lower case', () => {
    const v = volume([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(reorientToCode(v, 'lps')).toBe(v);
  });

  it('permuteAxes swaps dims and spacing', () => {
    const v = volume([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const p = permuteAxes(v, [2, 0, 1], [false, true, false]);
    expect(p.header.dims).toEqual([3, 5, 4]);
    expect(p.header.spacing).toEqual([2.3, 0.7, 1.1]);
    expectSameWorld(v, p);
  });

  it('rejects bad codes with a usage error', () => {
    for (const bad of ['LPX', 'LLS', 'LP', 'LPSA', 'RLS']) {
      expect(() => parseOrientationCode(bad)).toThrow(VoxsegError);
      expect(() => parseOrientationCode(bad)).toThrow(/bad orientation code/);
    }
  });

  it('nearestWorldAxes gives a permutation even at 45 degrees', () => {
    const c = Math.SQRT1_2;
    const d = directionFromAxes([c, c, 0], [-c, c, 0], [0, 0, 1]);
    expect([...nearestWorldAxes(d)].sort()).toEqual([0, 1, 2]);
  });
});
