import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { boxDims, cropArray, nonZeroBox, pasteArray, type Box } from '../../../src/inference/crop';

const DIMS: Vec3 = [20, 15, 10];
const N = DIMS[0] * DIMS[1] * DIMS[2];
const at = (i: number, j: number, k: number) => i + j * DIMS[0] + k * DIMS[0] * DIMS[1];

/** An ellipsoid blob spanning i 5..12, j 3..9, k 2..6 (inclusive). */
function blob(): Uint8Array {
  const v = new Uint8Array(N);
  for (let k = 0; k < DIMS[2]; k++)
    for (let j = 0; j < DIMS[1]; j++)
      for (let i = 0; i < DIMS[0]; i++) {
        const d = ((i - 8.5) / 4) ** 2 + ((j - 6) / 3.5) ** 2 + ((k - 4) / 2.5) ** 2;
        if (d <= 1) v[at(i, j, k)] = 1 + ((i + j + k) % 3);
      }
  return v;
}

describe('nonZeroBox', () => {
  it('bounds a blob, grown by the padding', () => {
    const v = blob();
    expect(nonZeroBox(v, DIMS, 0)).toEqual({ start: [5, 3, 2], end: [13, 10, 7] });
    expect(nonZeroBox(v, DIMS, 2)).toEqual({ start: [3, 1, 0], end: [15, 12, 9] });
  });

  it('clamps to the volume', () => {
    expect(nonZeroBox(blob(), DIMS, 6)).toEqual({ start: [0, 0, 0], end: [19, 15, 10] });
    const corner = new Float32Array(N);
    corner[at(19, 14, 9)] = -0.5;
    expect(nonZeroBox(corner, DIMS, 1)).toEqual({ start: [18, 13, 8], end: [20, 15, 10] });
  });

  it('is null when all voxels are zero; scattered voxels widen every axis', () => {
    expect(nonZeroBox(new Uint16Array(N), DIMS, 3)).toBeNull();
    const v = new Uint16Array(N);
    v[at(2, 10, 7)] = 1;
    v[at(17, 1, 3)] = 9;
    expect(nonZeroBox(v, DIMS, 0)).toEqual({ start: [2, 1, 3], end: [18, 11, 8] });
  });

  it('rejects a wrong length or a bad padding', () => {
    expect(() => nonZeroBox(new Uint8Array(10), DIMS, 0)).toThrow(/voxels/);
    expect(() => nonZeroBox(blob(), DIMS, -1)).toThrow(/padding/);
  });
});

describe('cropArray / pasteArray', () => {
  it('crop copies exactly the box, keeping the array type', () => {
    const src = Float32Array.from({ length: N }, (_, i) => i * 0.5);
    const box: Box = { start: [3, 1, 2], end: [11, 9, 5] };
    const c = cropArray(src, DIMS, box);
    expect(c).toBeInstanceOf(Float32Array);
    const [bx, by, bz] = boxDims(box);
    expect(c.length).toBe(bx * by * bz);
    let o = 0;
    for (let k = 2; k < 5; k++)
      for (let j = 1; j < 9; j++) for (let i = 3; i < 11; i++) expect(c[o++]).toBe(src[at(i, j, k)]);
    expect(cropArray(new Uint16Array(N), DIMS, box)).toBeInstanceOf(Uint16Array);
  });

  it('crop then paste round-trips; voxels outside the box stay untouched', () => {
    const v = blob();
    const box = nonZeroBox(v, DIMS, 1)!;
    const cropped = cropArray(v, DIMS, box);
    const back = new Uint8Array(N);
    pasteArray(back, DIMS, box, cropped);
    expect(back).toEqual(v); // everything non-zero is inside the box
    const dst = new Uint8Array(N).fill(77);
    pasteArray(dst, DIMS, box, cropped);
    for (let k = 0; k < DIMS[2]; k++)
      for (let j = 0; j < DIMS[1]; j++)
        for (let i = 0; i < DIMS[0]; i++) {
          const inside = [i, j, k].every((x, a) => x >= box.start[a] && x < box.end[a]);
          expect(dst[at(i, j, k)]).toBe(inside ? v[at(i, j, k)] : 77);
        }
  });

  it('a whole-volume box is a plain copy', () => {
    const v = Uint16Array.from({ length: N }, (_, i) => i);
    const all: Box = { start: [0, 0, 0], end: [...DIMS] as Vec3 };
    const c = cropArray(v, DIMS, all);
    expect(c).toEqual(v);
    expect(c).not.toBe(v);
  });

  it('rejects boxes outside the volume and mismatched sizes', () => {
    const v = new Uint8Array(N);
    expect(() => cropArray(v, DIMS, { start: [0, 0, 0], end: [21, 1, 1] })).toThrow(/does not fit/);
    expect(() => cropArray(v, DIMS, { start: [2, 0, 0], end: [2, 1, 1] })).toThrow(/does not fit/);
    expect(() => pasteArray(v, DIMS, { start: [0, 0, 0], end: [2, 2, 2] }, new Uint8Array(7))).toThrow(/needs 8/);
  });
});
