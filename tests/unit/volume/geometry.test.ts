import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../../src/core/types';
import {
  createVolume,
  directionFromAxes,
  flipLpsRas,
  indexToWorld,
  indexToWorldAffine,
  invert3,
  obliquityDegrees,
  orientationCode,
  valueRange,
  worldToIndex,
} from '../../../src/volume';

const header = (direction: Mat3) => ({ spacing: [0.5, 2, 3] as Vec3, origin: [10, -20, 30] as Vec3, direction });

describe('geometry', () => {
  it('maps index to world with direction columns as axis vectors', () => {
    // i runs towards patient right (-x in LPS), j towards inferior (-z), k towards posterior (+y): a coronal-ish stack.
    const d = directionFromAxes([-1, 0, 0], [0, 0, -1], [0, 1, 0]);
    expect(d).toEqual([-1, 0, 0, 0, 0, 1, 0, -1, 0]);
    const h = header(d);
    expect(indexToWorld(h, [2, 3, 4])).toEqual([10 - 1, -20 + 12, 30 - 6]);
    expect(orientationCode(d)).toBe('RIP');
    const back = worldToIndex(h, indexToWorld(h, [2, 3, 4]));
    back.forEach((v, c) => expect(v).toBeCloseTo([2, 3, 4][c], 12));
  });

  it('inverts matrices and measures obliquity', () => {
    const t = (20 * Math.PI) / 180;
    const d = directionFromAxes([Math.cos(t), Math.sin(t), 0], [-Math.sin(t), Math.cos(t), 0], [0, 0, 1]);
    const inv = invert3(d);
    // R^-1 = R^T for a rotation
    [0, 1, 2].forEach((r) => [0, 1, 2].forEach((c) => expect(inv[r * 3 + c]).toBeCloseTo(d[c * 3 + r], 12)));
    expect(obliquityDegrees(d)).toBeCloseTo(20, 9);
    expect(() => invert3([1, 2, 3, 2, 4, 6, 0, 0, 1])).toThrow(/singular/);
  });

  it('flips between LPS and RAS affines', () => {
    const a = indexToWorldAffine(header([1, 0, 0, 0, 1, 0, 0, 0, 1]));
    const ras = flipLpsRas(a);
    expect(ras.slice(0, 4)).toEqual([-0.5, -0, -0, -10]);
    expect(ras.slice(8, 12)).toEqual([0, 0, 3, 30]);
    expect(flipLpsRas(ras)).toEqual(a);
  });
});

describe('createVolume', () => {
  it('validates and freezes', () => {
    const v = createVolume({ dims: [2, 2, 2], voxels: new Int16Array([0, 1, 2, 3, -4, 5, 6, 7]) });
    expect(v.header.dtype).toBe('int16');
    expect(Object.isFrozen(v.header)).toBe(true);
    expect(valueRange(v.voxels)).toEqual([-4, 7]);
    expect(() => createVolume({ dims: [2, 2, 3], voxels: new Int16Array(8) })).toThrow(/does not match dims 2x2x3/);
    expect(() => createVolume({ dims: [2, 2, 2], spacing: [1, 0, 1], voxels: new Int16Array(8) })).toThrow(/spacing/);
  });
});
