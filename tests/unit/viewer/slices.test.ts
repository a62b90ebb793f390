/**
 * The slice counter (viewer/slices.ts): on the acquired plane it runs with the DICOM instance
 * numbers and shows the InstanceNumber of the slice at the focal point; other views and series
 * without numbers keep Cornerstone's order. Geometry: an axial series, k up the head (LPS +z),
 * seen by the axial view whose Cornerstone normal is -z (its index grows down the head).
 */
import { describe, expect, it } from 'vitest';
import type { Grid, Mat3, Vec3 } from '../../../src/core/types';
import { cornerstoneIndex, sliceCoordinate, sliceDisplay } from '../../../src/viewer/slices';

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const grid: Grid = { dims: [4, 4, 10], spacing: [1, 1, 2.5], origin: [0, 0, -20], direction: I };
const down: Vec3 = [0, 0, -1];
/** Cornerstone's index of the axial slice at k (its index grows along -z). */
const csOf = (k: number) => 9 - k;
const at = (k: number): Vec3 => [1, 1, -20 + 2.5 * k];

describe('slice counter', () => {
  it('finds k of a point on any direction matrix', () => {
    expect(sliceCoordinate(grid, at(7))).toBeCloseTo(7, 9);
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const rot: Grid = { ...grid, direction: [c, 0, s, 0, 1, 0, -s, 0, c] };
    const p: Vec3 = [2.5 * 4 * s, 0, -20 + 2.5 * 4 * c];
    expect(sliceCoordinate(rot, p)).toBeCloseTo(4, 9);
  });

  it('InstanceNumber 1 at the top (numbers fall along k): counter = Cornerstone order, Im = the number of k', () => {
    const numbers = Array.from({ length: 10 }, (_, k) => 10 - k);
    for (const k of [0, 3, 9]) {
      const d = sliceDisplay(grid, numbers, csOf(k), 10, down, at(k));
      expect(d).toEqual({ index: csOf(k) + 1, total: 10, flipped: false, instance: 10 - k });
      expect(d.index).toBe(d.instance); // the counter runs with the image numbers
    }
  });

  it('InstanceNumber 1 at the bottom (numbers rise along k): the counter is flipped to follow them', () => {
    const numbers = Array.from({ length: 10 }, (_, k) => k + 101);
    for (const k of [0, 4, 9]) {
      const d = sliceDisplay(grid, numbers, csOf(k), 10, down, at(k));
      expect(d).toEqual({ index: k + 1, total: 10, flipped: true, instance: k + 101 });
      expect(cornerstoneIndex(d.index, 10, true)).toBe(csOf(k));
    }
    expect(cornerstoneIndex(0, 10, true)).toBe(9);
    expect(cornerstoneIndex(99, 10, false)).toBe(9);
  });

  it('no numbers, another plane, a filled slot or a point off the volume: no Im, Cornerstone order', () => {
    expect(sliceDisplay(grid, undefined, 2, 10, down, at(7))).toEqual({ index: 3, total: 10, flipped: false });
    const numbers = Array.from({ length: 10 }, (_, k) => k + 1);
    expect(sliceDisplay(grid, numbers, 2, 4, [1, 0, 0], at(7))).toEqual({ index: 3, total: 4, flipped: false });
    const gap = numbers.map((n, k) => (k === 7 ? 0 : n));
    expect(sliceDisplay(grid, gap, csOf(7), 10, down, at(7)).instance).toBeUndefined();
    expect(sliceDisplay(grid, numbers, 0, 10, down, at(12)).instance).toBeUndefined();
  });
});
