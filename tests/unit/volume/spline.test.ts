/**
 * src/volume/spline.ts against scipy.ndimage (zoom, map_coordinates), run by /usr/bin/python3 on
 * the same arrays. Orders 0 and 1, and order 3 with `exact`, must be bit-identical in float64
 * (same operations in the same order); the default separable order 3 differs from scipy's
 * tensor-product evaluation by float64 rounding only: |Δ| ≤ 1e-12 of the input's magnitude, and
 * the float32 results it is stored in are identical on (almost) every voxel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import {
  resampleAxes,
  zoomArray,
  zoomCoordinates,
  type BoundaryMode,
  type Shape3,
  type SplineOrder,
} from '../../../src/volume/spline';
import { hasScipy, rng, runPython, scipySkipReason, type RefArray, type RefInput } from './scipy-ref';

const describeScipy = hasScipy ? describe : describe.skip;
const title = (name: string): string => (hasScipy ? name : `${name} ${scipySkipReason}`);

const size = (s: readonly number[]): number => s[0] * s[1] * s[2];

function randomArray(shape: readonly number[], seed: number, scale = 100): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: size(shape) }, () => r.normal() * scale);
}

/** CT-like: -1024 air around a block of integer values (flat regions are where truncation shows). */
function ctLike(shape: readonly number[], seed: number): Float32Array {
  const r = rng(seed);
  const [n0, n1, n2] = shape;
  const a = new Float32Array(size(shape)).fill(-1024);
  for (let i = 0; i < n0; i++)
    for (let j = 0; j < n1; j++)
      for (let k = 0; k < n2; k++) {
        const inside =
          i > n0 / 4 && i < (3 * n0) / 4 && j > n1 / 4 && j < (3 * n1) / 4 && k > n2 / 4 && k < (3 * n2) / 4;
        if (inside) a[(i * n1 + j) * n2 + k] = Math.round(r.uniform() * 2000 - 1000);
      }
  return a;
}

interface ZoomCase {
  shape: Shape3;
  out: Shape3;
  order: SplineOrder;
  mode: BoundaryMode;
  grid: boolean;
}

const SHAPES: [Shape3, Shape3][] = [
  [
    [7, 13, 11],
    [15, 6, 11],
  ], // odd sizes, up and down, one axis unchanged
  [
    [1, 9, 8],
    [3, 9, 17],
  ], // singleton axis upsampled
  [
    [5, 1, 7],
    [5, 4, 3],
  ],
  [
    [3, 113, 40],
    [2, 57, 97],
  ], // 113 -> 57, 40 -> 97
  [
    [9, 2, 5],
    [4, 7, 1],
  ], // down to a singleton
  [
    [2, 8, 5],
    [3, 26, 5],
  ], // 8 -> 26 without grid_mode: k*z overshoots 7 at the end (cval in 'constant')
];
const CASES: ZoomCase[] = [];
for (const [shape, out] of SHAPES)
  for (const order of [0, 1, 3] as SplineOrder[])
    for (const mode of ['nearest', 'constant'] as BoundaryMode[])
      for (const grid of [true, false]) CASES.push({ shape, out, order, mode, grid });

const ZOOM_SCRIPT = `
import scipy.ndimage as ndi
for i, c in enumerate(params['cases']):
    a = load(f'a{i}').astype(np.float64)
    z = [o / s for s, o in zip(c['shape'], c['out'])]
    r = ndi.zoom(a, z, order=c['order'], mode=c['mode'], grid_mode=c['grid'], cval=c['cval'])
    assert list(r.shape) == c['out'], (r.shape, c)
    save(f'r{i}', r)
ct = load('ct').astype(np.float64)
for j, c in enumerate(params['ct']):
    z = [o / s for s, o in zip(c['shape'], c['out'])]
    r = ndi.zoom(ct, z, order=3, mode=c['mode'], grid_mode=c['grid'])
    assert list(r.shape) == c['out'], (r.shape, c)
    save(f'ct{j}', r.astype(np.int32))
`;

const CT_SHAPE: Shape3 = [20, 40, 40];
const CT_CASES: { shape: Shape3; out: Shape3; mode: BoundaryMode; grid: boolean }[] = [
  { shape: CT_SHAPE, out: [10, 20, 20], mode: 'nearest', grid: true },
  { shape: CT_SHAPE, out: [40, 11, 11], mode: 'constant', grid: false }, // TotalSegmentator-like (z up, in-plane down)
];

describeScipy(title('spline zoom vs scipy.ndimage.zoom'), () => {
  let refs: Record<string, RefArray>;
  const inputs: Record<string, RefInput> = {};
  beforeAll(() => {
    CASES.forEach((c, i) => {
      inputs[`a${i}`] = { data: randomArray(c.shape, 1000 + i), shape: [...c.shape] };
    });
    inputs.ct = { data: ctLike(CT_SHAPE, 7), shape: [...CT_SHAPE] };
    refs = runPython(ZOOM_SCRIPT, inputs, {
      cases: CASES.map((c, i) => ({ ...c, cval: i % 2 ? 0 : -7.5 })),
      ct: CT_CASES,
    });
  }, 60_000);

  it('orders 0 and 1 are bit-identical in float64, and so is order 3 with exact', () => {
    let checked = 0;
    CASES.forEach((c, i) => {
      const cval = i % 2 ? 0 : -7.5;
      const ref = refs[`r${i}`] as Float64Array;
      const base = { order: c.order, mode: c.mode, gridMode: c.grid, cval };
      if (c.order === 3) {
        const exact = zoomArray(inputs[`a${i}`].data, c.shape, c.out, {
          ...base,
          exact: true,
          out: new Float64Array(size(c.out)),
        });
        expect(exact, JSON.stringify(c)).toEqual(ref);
      } else {
        const got = zoomArray(inputs[`a${i}`].data, c.shape, c.out, { ...base, out: new Float64Array(size(c.out)) });
        expect(got, JSON.stringify(c)).toEqual(ref);
      }
      checked += ref.length;
    });
    expect(checked).toBeGreaterThan(30_000);
  });

  it('separable order 3 equals scipy to float64 rounding and is float32-identical', () => {
    let voxels = 0;
    let f32Diff = 0;
    let worst = 0;
    CASES.forEach((c, i) => {
      if (c.order !== 3) return;
      const cval = i % 2 ? 0 : -7.5;
      const src = inputs[`a${i}`].data;
      const ref = refs[`r${i}`] as Float64Array;
      const got = zoomArray(src, c.shape, c.out, {
        order: 3,
        mode: c.mode,
        gridMode: c.grid,
        cval,
        out: new Float64Array(size(c.out)),
      });
      const f32 = zoomArray(src, c.shape, c.out, { order: 3, mode: c.mode, gridMode: c.grid, cval });
      let scale = 1;
      for (let v = 0; v < src.length; v++) scale = Math.max(scale, Math.abs(src[v]));
      for (let v = 0; v < ref.length; v++) {
        worst = Math.max(worst, Math.abs(got[v] - ref[v]) / scale);
        if (f32[v] !== Math.fround(ref[v])) f32Diff++;
        expect(f32[v]).toBe(Math.fround(got[v])); // float32 output = the float64 result rounded
      }
      voxels += ref.length;
    });
    expect(worst).toBeLessThan(1e-12);
    expect(worst).toBeGreaterThan(0); // it is a different evaluation order, not the same code path
    expect(f32Diff / voxels).toBeLessThan(1e-4);
  });

  it("reproduces 'constant' without grid_mode giving cval where k*z overshoots the last voxel", () => {
    // (26-1) * ((8-1)/(26-1)) > 7 in float64: scipy's last sample along that axis is cval.
    expect(25 * (7 / 25)).toBeGreaterThan(7);
    const i = CASES.findIndex((c) => c.shape[1] === 8 && c.mode === 'constant' && !c.grid && c.order === 1);
    const c = CASES[i];
    const cval = i % 2 ? 0 : -7.5;
    const got = zoomArray(inputs[`a${i}`].data, c.shape, c.out, { order: 1, mode: 'constant', gridMode: false, cval });
    for (let a = 0; a < c.out[0]; a++)
      for (let b = 0; b < c.out[2]; b++) {
        expect(got[(a * 26 + 25) * c.out[2] + b]).toBe(cval);
        expect(got[(a * 26 + 24) * c.out[2] + b]).not.toBe(cval);
      }
    expect(Array.from(got)).toEqual(Array.from(refs[`r${i}`], (v) => Math.fround(v)));
  });

  it('integer output truncates like astype(int32): exact order 3 matches on flat CT regions too', () => {
    const src = inputs.ct.data;
    CT_CASES.forEach((c, j) => {
      const ref = refs[`ct${j}`] as Int32Array;
      const exact = zoomArray(src, c.shape, c.out, {
        order: 3,
        mode: c.mode,
        gridMode: c.grid,
        exact: true,
        out: new Int32Array(size(c.out)),
      });
      expect(exact).toEqual(ref);
      // The separable path rounds differently; on flat -1024 regions that can flip the truncation.
      const sep = zoomArray(src, c.shape, c.out, {
        order: 3,
        mode: c.mode,
        gridMode: c.grid,
        out: new Int32Array(size(c.out)),
      });
      let differ = 0;
      for (let v = 0; v < ref.length; v++) {
        expect(Math.abs(sep[v] - ref[v])).toBeLessThanOrEqual(1);
        if (sep[v] !== ref[v]) differ++;
      }
      expect(differ / ref.length).toBeLessThan(0.2);
    });
  });
});

const AXES_SCRIPT = `
import scipy.ndimage as ndi
a = load('a').astype(np.float64)
n0, p, q = a.shape
P, Q = params['out'][1], params['out'][2]
res = np.zeros((n0, P, Q))
for s in range(n0):
    sl = a[s]
    r = ndi.zoom(sl, (P / p, Q / q), order=3, mode='nearest', grid_mode=True)
    res[s] = np.clip(r, sl.min(), sl.max())
save('perslice', res)
b = load('b').astype(np.float64)
rows, cols, dim = params['mc_out']
orig = b.shape
mr, mc, md = np.mgrid[:rows, :cols, :dim]
coords = np.array([orig[0] / rows * (mr + 0.5) - 0.5, orig[1] / cols * (mc + 0.5) - 0.5, orig[2] / dim * (md + 0.5) - 0.5])
for order in (0, 1, 3):
    save(f'mc{order}', ndi.map_coordinates(b, coords, order=order, mode='nearest'))
`;

describeScipy(title('spline per-axis resampling vs scipy (2-D slices, map_coordinates)'), () => {
  const a = randomArray([6, 20, 17], 42);
  const b = randomArray([11, 6, 5], 43, 3);
  const out: Shape3 = [6, 9, 33];
  const mcOut: Shape3 = [23, 6, 5];
  let refs: Record<string, RefArray>;
  beforeAll(() => {
    refs = runPython(
      AXES_SCRIPT,
      { a: { data: a, shape: [6, 20, 17] }, b: { data: b, shape: [11, 6, 5] } },
      { out, mc_out: mcOut },
    );
  }, 60_000);

  it('resizes each slice in 2-D (axes) with a per-slice clip, like skimage.resize of every slice', () => {
    const ref = refs.perslice as Float64Array;
    const got = new Float32Array(size(out));
    for (let s = 0; s < 6; s++) {
      const slice = a.subarray(s * 340, (s + 1) * 340);
      const lo = Math.min(...slice);
      const hi = Math.max(...slice);
      const r = zoomArray(slice, [1, 20, 17], [1, 9, 33], {
        order: 3,
        mode: 'nearest',
        gridMode: true,
        axes: [false, true, true],
        clip: [lo, hi],
        exact: true,
      });
      got.set(r, s * 297);
    }
    expect(Array.from(got)).toEqual(Array.from(ref, (v) => Math.fround(v)));
    // The same through the 3-D call with axis 0 left out (one clip for all, so compare unclipped voxels).
    const whole = zoomArray(a, [6, 20, 17], out, {
      order: 3,
      mode: 'nearest',
      gridMode: true,
      axes: [false, true, true],
    });
    let same = 0;
    for (let v = 0; v < whole.length; v++) if (whole[v] === got[v]) same++;
    expect(same / whole.length).toBeGreaterThan(0.9);
  });

  it('samples map_coordinates grids along one axis (orders 0, 1 bit-exact; 3 exact mode too)', () => {
    const coords = [zoomCoordinates(11, 23, true), null, null];
    for (const order of [0, 1, 3] as SplineOrder[]) {
      const ref = refs[`mc${order}`] as Float64Array;
      // map_coordinates prefilters all three axes; exact mode does too when every axis is listed.
      const all = order === 3 ? [coords[0], zoomCoordinates(6, 6, true), zoomCoordinates(5, 5, true)] : coords;
      const got = resampleAxes(b, [11, 6, 5], all, {
        order,
        mode: 'nearest',
        exact: true,
        out: new Float64Array(size(mcOut)),
      });
      expect(got).toEqual(ref);
      const sep = resampleAxes(b, [11, 6, 5], coords, { order, mode: 'nearest' });
      expect(Array.from(sep)).toEqual(Array.from(ref, (v) => Math.fround(v)));
    }
  });
});

describe('spline argument checks', () => {
  it('rejects wrong lengths, orders and axes', () => {
    const a = new Float32Array(24);
    expect(() => zoomArray(a, [2, 3, 5], [2, 3, 4], { order: 1, mode: 'nearest', gridMode: true })).toThrow(
      VoxsegError,
    );
    expect(() =>
      zoomArray(a, [2, 3, 4], [2, 3, 4], { order: 2 as SplineOrder, mode: 'nearest', gridMode: true }),
    ).toThrow(/order 2/);
    expect(() =>
      zoomArray(a, [2, 3, 4], [3, 3, 4], { order: 1, mode: 'nearest', gridMode: true, axes: [false, true, true] }),
    ).toThrow(/axis 0/);
    expect(() => zoomArray(a, [2, 3, 4], [2, 0, 4], { order: 1, mode: 'nearest', gridMode: true })).toThrow(/positive/);
  });

  it('keeps the values when nothing changes and handles a 1-voxel input', () => {
    const a = randomArray([3, 4, 5], 5);
    for (const order of [0, 1, 3] as SplineOrder[]) {
      expect(zoomArray(a, [3, 4, 5], [3, 4, 5], { order, mode: 'nearest', gridMode: true })).toEqual(a);
    }
    const one = zoomArray(new Float32Array([4.25]), [1, 1, 1], [2, 3, 1], {
      order: 3,
      mode: 'nearest',
      gridMode: true,
    });
    expect(Array.from(one)).toEqual([4.25, 4.25, 4.25, 4.25, 4.25, 4.25]);
  });
});
