import { describe, expect, it } from 'vitest';
import { colorTable, gridMismatch } from '../../../src/viewer/labelmap';
import { createVolume } from '../../../src/volume';
import type { Mat3, Vec3 } from '../../../src/core/types';

describe('label colour table', () => {
  it('is indexed by label value; background and unnamed values are transparent', () => {
    const t = colorTable([
      { value: 3, name: 'kidney', color: [10, 20, 30] },
      { value: 1, name: 'liver', color: [221, 130, 101] },
    ]);
    expect(t).toEqual([
      [0, 0, 0, 0],
      [221, 130, 101, 255],
      [0, 0, 0, 0],
      [10, 20, 30, 255],
    ]);
  });
  it('rejects label values outside 1..65535', () => {
    expect(() => colorTable([{ value: 0, name: 'bg', color: [0, 0, 0] }])).toThrow(/"bg".*got 0/);
  });
});

describe('label map grid check', () => {
  const header = (o: { dims?: Vec3; spacing?: Vec3; origin?: Vec3; direction?: Mat3 } = {}) =>
    createVolume({ dims: o.dims ?? [4, 3, 2], spacing: o.spacing ?? [0.8, 0.8, 2.5], origin: o.origin ?? [-10, 20, 5], direction: o.direction, voxels: new Uint8Array(24) }).header;

  it('accepts the same grid, and DICOM round-off of the origin', () => {
    expect(gridMismatch(header(), header())).toBeNull();
    expect(gridMismatch(header({ origin: [-10.00001, 20, 5] }), header())).toBeNull();
  });
  it('names what differs', () => {
    const h = createVolume({ dims: [2, 3, 4], voxels: new Uint8Array(24) }).header;
    expect(gridMismatch(h, header())).toMatch(/2×3×4 voxels, the study 4×3×2/);
    expect(gridMismatch(header({ spacing: [0.8, 0.8, 3] }), header())).toMatch(/spacing \(0.8, 0.8, 3\)/);
    expect(gridMismatch(header({ origin: [-9, 20, 5] }), header())).toMatch(/origin \(-9, 20, 5\)/);
    expect(gridMismatch(header({ direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1] }), header())).toMatch(/direction/);
  });
});
