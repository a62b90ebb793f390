import { describe, expect, it } from 'vitest';
import { colorTable } from '../../../src/viewer/labelmap';

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
