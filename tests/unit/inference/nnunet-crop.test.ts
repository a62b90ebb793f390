/**
 * nnU-Net's crop_to_nonzero (src/inference/nnunet/crop.ts) against scipy.ndimage.binary_fill_holes
 * and a transcription of nnU-Net's create_nonzero_mask / acvl_utils' get_bbox_from_mask, run by
 * /usr/bin/python3 on the same arrays; results must be identical.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import {
  bboxFromMask,
  cropArray,
  cropToNonzero,
  fillHoles,
  uncropArray,
  type BBox3,
  type Shape3,
} from '../../../src/inference/nnunet/crop';
import { hasScipy, rng, runPython, scipySkipReason, type RefArray } from '../volume/scipy-ref';

const describeScipy = hasScipy ? describe : describe.skip;
const size = (s: readonly number[]): number => s[0] * s[1] * s[2];

/** Masks with known topology: an enclosed cavity, a cavity with a tunnel to the border, a cavity
 * reaching the outside only through an edge (a hole for 6-connectivity), a pocket on the border. */
function structured(): { mask: Uint8Array; shape: Shape3 } {
  const shape: Shape3 = [12, 14, 30];
  const [n0, n1, n2] = shape;
  const m = new Uint8Array(size(shape));
  const set = (a: number, b: number, c: number, v: number): void => {
    m[(a * n1 + b) * n2 + c] = v;
  };
  const box = (a0: number, a1: number, b0: number, b1: number, c0: number, c1: number, v: number): void => {
    for (let a = a0; a < a1; a++) for (let b = b0; b < b1; b++) for (let c = c0; c < c1; c++) set(a, b, c, v);
  };
  box(2, 9, 2, 10, 1, 8, 1); // cube 1: enclosed cavity
  box(4, 7, 4, 8, 3, 6, 0);
  box(2, 9, 2, 10, 10, 17, 1); // cube 2: cavity with a tunnel out through axis 0 = 0
  box(4, 7, 4, 8, 12, 15, 0);
  box(0, 4, 5, 6, 13, 14, 0);
  box(2, 9, 2, 10, 19, 26, 1); // cube 3: cavity touching the outside only along an edge
  box(4, 7, 4, 8, 21, 24, 0);
  box(0, 4, 3, 4, 22, 23, 0); // tunnel from axis 0 = 0 to (3, 3, 22), diagonal to the cavity's (4, 4, 22)
  box(0, 4, 0, 4, 26, 30, 1); // pocket on the border: background at the array edge, walled inside
  box(0, 3, 0, 3, 27, 30, 0);
  set(0, 0, 26, 1);
  return { mask: m, shape };
}

function randomMask(shape: Shape3, seed: number, p: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: size(shape) }, () => (r.uniform() < p ? 1 : 0));
}

const FILL_PY = `
from scipy.ndimage import binary_fill_holes
for i in range(params['masks']):
    save(f'f{i}', binary_fill_holes(load(f'm{i}')))

def create_nonzero_mask(data):
    nonzero_mask = np.zeros(data.shape[1:], dtype=bool)
    for c in range(data.shape[0]):
        nonzero_mask = nonzero_mask | (data[c] != 0)
    return binary_fill_holes(nonzero_mask)

def get_bbox_from_mask(mask):
    Z, X, Y = mask.shape
    minzidx, maxzidx, minxidx, maxxidx, minyidx, maxyidx = 0, Z, 0, X, 0, Y
    zidx = list(range(Z))
    for z in zidx:
        if np.any(mask[z]):
            minzidx = z
            break
    for z in zidx[::-1]:
        if np.any(mask[z]):
            maxzidx = z + 1
            break
    xidx = list(range(X))
    for x in xidx:
        if np.any(mask[:, x]):
            minxidx = x
            break
    for x in xidx[::-1]:
        if np.any(mask[:, x]):
            maxxidx = x + 1
            break
    yidx = list(range(Y))
    for y in yidx:
        if np.any(mask[:, :, y]):
            minyidx = y
            break
    for y in yidx[::-1]:
        if np.any(mask[:, :, y]):
            maxyidx = y + 1
            break
    return [[minzidx, maxzidx], [minxidx, maxxidx], [minyidx, maxyidx]]

for name in ('img', 'zero'):
    data = load(name)
    mask = create_nonzero_mask(data)
    bbox = get_bbox_from_mask(mask)
    slicer = tuple(slice(*b) for b in bbox)
    save(name + '_bbox', np.array(bbox, dtype=np.int32))
    save(name + '_crop', data[(slice(None), *slicer)])
    save(name + '_mask', mask[slicer])
`;

describeScipy(
  hasScipy ? 'crop to non-zero vs scipy / nnU-Net' : `crop to non-zero vs scipy / nnU-Net ${scipySkipReason}`,
  () => {
    const s = structured();
    const masks: { mask: Uint8Array; shape: Shape3 }[] = [
      s,
      { mask: randomMask([13, 17, 19], 3, 0.6), shape: [13, 17, 19] },
      { mask: randomMask([13, 17, 19], 4, 0.75), shape: [13, 17, 19] },
      { mask: randomMask([1, 9, 9], 5, 0.7), shape: [1, 9, 9] },
      { mask: randomMask([6, 2, 9], 6, 0.7), shape: [6, 2, 9] },
      { mask: new Uint8Array(27), shape: [3, 3, 3] },
    ];
    // A 2-channel image: zero border, an inner zero cavity (filled), channel 1 adds voxels channel 0 lacks.
    const imgShape: Shape3 = [10, 12, 15];
    const img = new Float32Array(2 * size(imgShape));
    const r = rng(9);
    for (let a = 2; a < 8; a++)
      for (let b = 3; b < 10; b++) for (let c = 4; c < 12; c++) img[(a * 12 + b) * 15 + c] = r.normal() * 100 + 300;
    for (let a = 4; a < 6; a++) for (let b = 5; b < 7; b++) for (let c = 6; c < 9; c++) img[(a * 12 + b) * 15 + c] = 0;
    img[size(imgShape) + (1 * 12 + 6) * 15 + 13] = -5; // only in channel 1: grows the box
    const ch0 = img.subarray(0, size(imgShape));
    const ch1 = img.subarray(size(imgShape));
    const zero = new Float32Array(size(imgShape));
    let refs: Record<string, RefArray>;

    beforeAll(() => {
      const inputs: Record<string, { data: Uint8Array | Float32Array; shape: number[] }> = {};
      masks.forEach((m, i) => (inputs[`m${i}`] = { data: m.mask, shape: [...m.shape] }));
      inputs.img = { data: img, shape: [2, ...imgShape] };
      inputs.zero = { data: zero, shape: [1, ...imgShape] };
      refs = runPython(FILL_PY, inputs, { masks: masks.length });
    }, 60_000);

    it('fills holes exactly like binary_fill_holes (6-connectivity, border = outside)', () => {
      masks.forEach((m, i) => {
        const got = fillHoles(Uint8Array.from(m.mask), m.shape);
        expect(got, `mask ${i}`).toEqual(refs[`f${i}`]);
      });
      // The structured mask: cavity 1 and 3 filled, cavity 2 (tunnel) and the border pocket not.
      const f = refs.f0;
      const at = (a: number, b: number, c: number): number => f[(a * 14 + b) * 30 + c];
      expect([at(5, 5, 4), at(5, 5, 13), at(5, 5, 22), at(3, 3, 22), at(1, 1, 28)]).toEqual([1, 0, 1, 0, 0]);
    });

    it('crops like crop_to_nonzero: box, data and filled mask; all zero keeps the whole image', () => {
      const crop = cropToNonzero([ch0, ch1], imgShape);
      const bbox = Array.from(refs.img_bbox);
      expect(crop.bbox.flat()).toEqual(bbox);
      expect(crop.shape).toEqual([bbox[1] - bbox[0], bbox[3] - bbox[2], bbox[5] - bbox[4]]);
      const joined = new Float32Array(2 * size(crop.shape));
      joined.set(crop.channels[0]);
      joined.set(crop.channels[1], size(crop.shape));
      expect(joined).toEqual(refs.img_crop);
      expect(crop.channels[0]).toBeInstanceOf(Float32Array);
      expect(crop.mask).toEqual(refs.img_mask);
      expect(crop.mask.includes(0)).toBe(true); // the channel-1-only corner is outside the filled mask

      const none = cropToNonzero([zero], imgShape);
      expect(none.bbox).toEqual([
        [0, 10],
        [0, 12],
        [0, 15],
      ]);
      expect(none.bbox.flat()).toEqual(Array.from(refs.zero_bbox));
      expect(none.mask).toEqual(refs.zero_mask);
    });

    it('pastes the crop back into zeros (nnU-Net reverts cropping into an array of 0)', () => {
      const crop = cropToNonzero([ch0, ch1], imgShape);
      const back = uncropArray(crop.channels[0], crop.bbox, imgShape);
      for (let v = 0; v < back.length; v++) expect(back[v]).toBe(ch0[v]); // ch0 is 0 outside its own box
      const labels = uncropArray(Uint8Array.from(crop.mask), crop.bbox, imgShape, 0);
      expect(bboxFromMask(labels, imgShape)).toEqual(crop.bbox);
    });
  },
);

describe('crop helpers', () => {
  it('crops typed and plain arrays and checks boxes', () => {
    const a = Int16Array.from({ length: 24 }, (_, i) => i);
    const box: BBox3 = [
      [1, 2],
      [1, 3],
      [2, 4],
    ];
    const c = cropArray(a, [2, 3, 4], box);
    expect(c).toBeInstanceOf(Int16Array);
    expect(Array.from(c)).toEqual([18, 19, 22, 23]);
    expect(cropArray(Array.from(a), [2, 3, 4], box)).toBeInstanceOf(Float32Array);
    expect(() =>
      cropArray(
        a,
        [2, 3, 4],
        [
          [0, 3],
          [0, 3],
          [0, 4],
        ],
      ),
    ).toThrow(VoxsegError);
    expect(() => fillHoles(new Uint8Array(5), [1, 2, 3])).toThrow(/values/);
    expect(Array.from(uncropArray(c, box, [2, 3, 4], -1)).filter((v) => v !== -1)).toEqual([18, 19, 22, 23]);
  });
});
