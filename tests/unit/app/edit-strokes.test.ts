import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../../src/core/types';
import { countAll, countsAfter, dabsAlong, nearestAxis, unionBox } from '../../../src/app/edit/strokes';
import { diffArrays } from '../../../src/volume/diff';
import { createVolume } from '../../../src/volume/volume';

describe('editor helpers', () => {
  it('finds the slice axis of a view on plain, permuted and oblique grids', () => {
    const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    expect(nearestAxis({ direction: I }, [0, 0, 1])).toBe(2);
    expect(nearestAxis({ direction: I }, [-1, 0, 0])).toBe(0);
    expect(nearestAxis({ direction: I }, [0, 1, 0])).toBe(1);
    // Sagittal acquisition: index axis 2 runs along x (L-R).
    const sag: Mat3 = [0, 0, 1, 1, 0, 0, 0, -1, 0];
    expect(nearestAxis({ direction: sag }, [1, 0, 0])).toBe(2);
    expect(nearestAxis({ direction: sag }, [0, 0, 1])).toBe(1);
    // 20 degrees oblique about x: the axial view still looks along k.
    const c = Math.cos(0.35),
      s = Math.sin(0.35);
    expect(nearestAxis({ direction: [1, 0, 0, 0, c, -s, 0, s, c] }, [0, 0, 1])).toBe(2);
  });

  it('puts dabs at most half a radius apart, ending on the target', () => {
    const spacing: Vec3 = [0.5, 0.5, 2];
    const dabs = dabsAlong([0, 0, 3], [40, 0, 3], spacing, 4);
    expect(dabs.at(-1)).toEqual([40, 0, 3]);
    expect(dabs.length).toBe(10); // 20 mm / 2 mm
    let prev: Vec3 = [0, 0, 3];
    for (const d of dabs) {
      expect(Math.hypot((d[0] - prev[0]) * 0.5, (d[1] - prev[1]) * 0.5, (d[2] - prev[2]) * 2)).toBeLessThanOrEqual(
        2 + 1e-9,
      );
      prev = d;
    }
    expect(dabsAlong([1, 1, 1], [1, 1, 1], spacing, 4)).toEqual([[1, 1, 1]]);
  });

  it('unions boxes', () => {
    expect(unionBox(null, null)).toBeNull();
    expect(unionBox({ lo: [1, 2, 3], hi: [4, 5, 6] }, { lo: [0, 3, 4], hi: [2, 9, 5] })).toEqual({
      lo: [0, 2, 3],
      hi: [4, 9, 6],
    });
  });

  it('keeps voxel counts right from run-length diffs, forward and back', () => {
    const dims: Vec3 = [16, 8, 4];
    const a = new Uint8Array(16 * 8 * 4);
    for (let i = 0; i < a.length; i++) a[i] = (i * 31) % 5 === 0 ? 2 : i % 7 === 0 ? 1 : 0;
    const b = a.slice();
    for (let i = 0; i < b.length; i += 3) b[i] = (b[i] + 1) % 4;
    const layer = (v: Uint8Array) => createVolume({ dims, voxels: v });
    const entry = { label: 'x', voxels: [{ layer: 0, diff: diffArrays(a, b, dims) }] };
    const counts = countAll([layer(a)]);
    const forward = countsAfter(counts, entry, 'after');
    const expectB = countAll([layer(b)]);
    for (const v of [0, 1, 2, 3]) expect(forward.get(v) ?? 0).toBe(expectB.get(v) ?? 0);
    const back = countsAfter(forward, entry, 'before');
    for (const v of [0, 1, 2, 3]) expect(back.get(v) ?? 0).toBe(counts.get(v) ?? 0);
  });
});
