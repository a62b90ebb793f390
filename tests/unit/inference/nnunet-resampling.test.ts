/**
 * nnU-Net's and TotalSegmentator's resampling rules (src/inference/nnunet/resampling.ts,
 * totalseg-resample.ts) against Python references written from their published code:
 * compute_new_shape, determine_do_sep_z_and_axis and resample_data_or_seg (nnU-Net v2), with
 * skimage.transform.resize when scikit-image is installed and otherwise the scipy call it makes
 * (ndimage.zoom with grid_mode=True, mode 'nearest', then clip to the input range); and
 * change_spacing / resample_img (TotalSegmentator: ndimage.zoom with its defaults, astype).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import {
  computeNewShape,
  logitsArgmax,
  resampleDataToShape,
  resampleLogitsArgmax,
  separateZPlan,
  type Vec3Like,
} from '../../../src/inference/nnunet/resampling';
import {
  niftiZooms,
  totalsegAffine,
  totalsegPlan,
  totalsegResample,
} from '../../../src/inference/nnunet/totalseg-resample';
import type { NnunetResampling } from '../../../src/inference/nnunet/types';
import { roundHalfEven } from '../../../src/volume/resample';
import { hasScipy, python, rng, runPython, scipySkipReason, type RefArray } from '../volume/scipy-ref';
import { spawnSync } from 'node:child_process';

const hasSkimage = hasScipy && spawnSync(python, ['-c', 'import skimage.transform'], { stdio: 'ignore' }).status === 0;
const describeScipy = hasScipy ? describe : describe.skip;
const title = (name: string): string =>
  hasScipy
    ? `${name} (${hasSkimage ? 'skimage.transform.resize' : 'resize as its scipy call: scikit-image not installed'})`
    : `${name} ${scipySkipReason}`;

const size = (s: readonly number[]): number => s[0] * s[1] * s[2];
const DATA: NnunetResampling = {
  fn: 'resample_data_or_seg_to_shape',
  order: 3,
  orderZ: 0,
  forceSeparateZ: null,
  anisotropyThreshold: 3,
};
const PROBS: NnunetResampling = { ...DATA, order: 1, orderZ: 0 };

/** nnU-Net's functions, transcribed from default_resampling.py (the fixed separate-z buffer). */
const NNUNET_PY = `
import scipy.ndimage as ndi
from scipy.ndimage import map_coordinates
try:
    from skimage.transform import resize
except ImportError:
    def resize(image, output_shape, order, mode='edge', anti_aliasing=False):
        assert mode == 'edge' and not anti_aliasing
        image = image.astype(float)
        factors = np.divide(image.shape, output_shape)
        out = ndi.zoom(image, [1 / f for f in factors], order=order, mode='nearest', grid_mode=True)
        assert out.shape == tuple(output_shape)
        return np.clip(out, image.min(), image.max()) if order != 0 else out

def get_do_separate_z(spacing, anisotropy_threshold=3):
    return (np.max(spacing) / np.min(spacing)) > anisotropy_threshold

def get_lowres_axis(new_spacing):
    return np.where(max(new_spacing) / np.array(new_spacing) == 1)[0]

def compute_new_shape(old_shape, old_spacing, new_spacing):
    return np.array([int(round(i / j * k)) for i, j, k in zip(old_spacing, new_spacing, old_shape)])

def determine_do_sep_z_and_axis(force_separate_z, current_spacing, new_spacing, separate_z_anisotropy_threshold=3):
    if force_separate_z is not None:
        do_separate_z = force_separate_z
        axis = get_lowres_axis(current_spacing) if force_separate_z else None
    else:
        if get_do_separate_z(current_spacing, separate_z_anisotropy_threshold):
            do_separate_z = True
            axis = get_lowres_axis(current_spacing)
        elif get_do_separate_z(new_spacing, separate_z_anisotropy_threshold):
            do_separate_z = True
            axis = get_lowres_axis(new_spacing)
        else:
            do_separate_z = False
            axis = None
    if axis is not None:
        if len(axis) == 3 or len(axis) == 2:
            do_separate_z = False
    return do_separate_z, axis

def resample_data_or_seg(data, new_shape, axis=None, order=3, do_separate_z=False, order_z=0):
    resize_fn = resize
    kwargs = {'mode': 'edge', 'anti_aliasing': False}
    shape = np.array(data[0].shape)
    new_shape = np.array(new_shape)
    dtype_out = data.dtype
    reshaped_final = np.zeros((data.shape[0], *new_shape), dtype=dtype_out)
    if np.any(shape != new_shape):
        data = data.astype(float, copy=False)
        if do_separate_z:
            assert len(axis) == 1
            axis = axis[0]
            new_shape_2d = new_shape[1:] if axis == 0 else new_shape[[0, 2]] if axis == 1 else new_shape[:-1]
            for c in range(data.shape[0]):
                tmp = new_shape.copy()
                tmp[axis] = shape[axis]
                reshaped_here = np.zeros(tmp)
                for slice_id in range(shape[axis]):
                    if axis == 0:
                        reshaped_here[slice_id] = resize_fn(data[c, slice_id], new_shape_2d, order, **kwargs)
                    elif axis == 1:
                        reshaped_here[:, slice_id] = resize_fn(data[c, :, slice_id], new_shape_2d, order, **kwargs)
                    else:
                        reshaped_here[:, :, slice_id] = resize_fn(data[c, :, :, slice_id], new_shape_2d, order, **kwargs)
                if shape[axis] != new_shape[axis]:
                    rows, cols, dim = new_shape[0], new_shape[1], new_shape[2]
                    orig_rows, orig_cols, orig_dim = reshaped_here.shape
                    row_scale = float(orig_rows) / rows
                    col_scale = float(orig_cols) / cols
                    dim_scale = float(orig_dim) / dim
                    map_rows, map_cols, map_dims = np.mgrid[:rows, :cols, :dim]
                    map_rows = row_scale * (map_rows + 0.5) - 0.5
                    map_cols = col_scale * (map_cols + 0.5) - 0.5
                    map_dims = dim_scale * (map_dims + 0.5) - 0.5
                    coord_map = np.array([map_rows, map_cols, map_dims])
                    reshaped_final[c] = map_coordinates(reshaped_here, coord_map, order=order_z, mode='nearest')
                else:
                    reshaped_final[c] = reshaped_here
        else:
            for c in range(data.shape[0]):
                reshaped_final[c] = resize_fn(data[c], new_shape, order, **kwargs)
        return reshaped_final
    return data

def resample_to_shape(data, new_shape, current_spacing, new_spacing, order, order_z, force=None):
    do_sep, axis = determine_do_sep_z_and_axis(force, current_spacing, new_spacing)
    return resample_data_or_seg(data, new_shape, axis, order, do_sep, order_z)
`;

interface DataCase {
  shape: Vec3Like;
  spacing: number[];
  newSpacing: number[];
  orderZ: number;
  force: boolean | null;
}
const DATA_CASES: DataCase[] = [
  { shape: [9, 40, 36], spacing: [3, 0.8, 0.8], newSpacing: [1.5, 1.5, 1.5], orderZ: 0, force: null }, // separate z, axis 0, z up
  { shape: [30, 28, 7], spacing: [0.8, 0.8, 3], newSpacing: [1, 1, 1], orderZ: 0, force: null }, // low-res axis last
  { shape: [21, 8, 25], spacing: [0.7, 4, 0.7], newSpacing: [1.4, 5, 1.4], orderZ: 0, force: null }, // axis 1, down along it
  { shape: [17, 14, 23], spacing: [1, 1.2, 0.9], newSpacing: [1.5, 1.5, 1.5], orderZ: 0, force: null }, // whole-volume zoom
  { shape: [9, 40, 36], spacing: [3, 0.8, 0.8], newSpacing: [1.5, 1.5, 1.5], orderZ: 1, force: null }, // order_z 1
  { shape: [11, 16, 16], spacing: [2, 1, 1], newSpacing: [1.2, 1.2, 1.2], orderZ: 0, force: true }, // forced separate z
];

const SHAPE_CASES = [
  { shape: [5, 7, 9], spacing: [1, 1, 1], newSpacing: [2, 2, 2] }, // 2.5 -> 2, 3.5 -> 4, 4.5 -> 4
  { shape: [300, 512, 512], spacing: [3, 0.8, 0.8], newSpacing: [1.5, 1.5, 1.5] },
  { shape: [113, 40, 57], spacing: [0.7421875, 2.5, 1.25], newSpacing: [1.5, 1.5, 1.5] },
  { shape: [3, 3, 3], spacing: [0.5, 1.5, 2.5], newSpacing: [1, 1, 1] },
];

const PLAN_CASES: { cur: number[]; next: number[]; force: boolean | null; thr: number }[] = [
  { cur: [3, 0.8, 0.8], next: [1.5, 1.5, 1.5], force: null, thr: 3 },
  { cur: [1.5, 1.5, 1.5], next: [3, 0.8, 0.8], force: null, thr: 3 }, // anisotropic new spacing only
  { cur: [0.24, 1.25, 1.25], next: [1, 1, 1], force: null, thr: 3 }, // two largest axes: not separate
  { cur: [2, 2, 2], next: [1, 1, 1], force: true, thr: 3 }, // forced but three axes tie
  { cur: [1, 1, 5], next: [1, 1, 1], force: true, thr: 3 },
  { cur: [1, 1, 5], next: [1, 1, 1], force: false, thr: 3 },
  { cur: [1, 1, 3], next: [1, 1, 1], force: null, thr: 3 }, // ratio == threshold: not separate
  { cur: [1, 1, 3.0000001], next: [1, 1, 1], force: null, thr: 3 },
  { cur: [0.8, 4, 4], next: [0.8, 0.8, 0.8], force: null, thr: 3 },
  { cur: [1, 1, 2], next: [1, 1, 1], force: null, thr: 1.5 },
];

function smoothRandom(shape: Vec3Like, seed: number, blobs = 6): Float32Array {
  const r = rng(seed);
  const [n0, n1, n2] = shape;
  const centres = Array.from({ length: blobs }, () => [
    r.uniform() * n0,
    r.uniform() * n1,
    r.uniform() * n2,
    (r.uniform() - 0.5) * 8,
    2 + r.uniform() * 4,
  ]);
  const out = new Float32Array(size(shape));
  let p = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++) {
        let v = r.normal() * 0.05;
        for (const [x, y, z, amp, rad] of centres)
          v += amp * Math.exp(-((a - x) ** 2 + (b - y) ** 2 + (c - z) ** 2) / (2 * rad * rad));
        out[p++] = v;
      }
  return out;
}

describeScipy(title('nnU-Net resampling vs its Python code'), () => {
  let refs: Record<string, RefArray>;
  const datas = DATA_CASES.map((c, i) => smoothRandom(c.shape, 100 + i, 10));
  const newShapes = DATA_CASES.map((c) => computeNewShape(c.shape, c.spacing, c.newSpacing) as unknown as Vec3Like);
  // Logits on the way back: model grid -> input grid (probabilities: order 1, order_z 0).
  const LOGIT_CASES = [
    {
      shape: [18, 21, 19] as Vec3Like,
      out: [9, 40, 36] as Vec3Like,
      cur: [1.5, 1.5, 1.5],
      next: [3, 0.8, 0.8],
      orderZ: 0,
    }, // separate (new spacing)
    {
      shape: [12, 14, 13] as Vec3Like,
      out: [15, 17, 20] as Vec3Like,
      cur: [1.5, 1.5, 1.5],
      next: [1.2, 1.25, 1.0],
      orderZ: 0,
    }, // trilinear
    { shape: [8, 20, 17] as Vec3Like, out: [23, 26, 31] as Vec3Like, cur: [3, 1, 1], next: [1, 0.77, 0.55], orderZ: 1 }, // separate, linear z
    {
      shape: [24, 48, 44] as Vec3Like,
      out: [30, 96, 90] as Vec3Like,
      cur: [1.5, 1.5, 1.5],
      next: [1.2, 0.75, 0.733],
      orderZ: 0,
    }, // larger; channel 4 = channel 2 (ties)
  ];
  const C = 5;
  const logits = LOGIT_CASES.map((c, i) => {
    const n = size(c.shape);
    const l = new Float32Array(C * n);
    for (let ch = 0; ch < C; ch++) l.set(smoothRandom(c.shape, 500 + 10 * i + ch, 5), ch * n);
    if (i === 3) l.copyWithin(4 * n, 2 * n, 3 * n); // exact ties: numpy's argmax takes the lower channel
    return l;
  });

  beforeAll(() => {
    const inputs: Record<string, { data: Float32Array; shape: number[] }> = {};
    datas.forEach((d, i) => (inputs[`d${i}`] = { data: d, shape: [1, ...DATA_CASES[i].shape] }));
    logits.forEach((l, i) => (inputs[`l${i}`] = { data: l, shape: [C, ...LOGIT_CASES[i].shape] }));
    const script = `${NNUNET_PY}
for i, c in enumerate(params['shapes']):
    save(f'shape{i}', compute_new_shape(c['shape'], c['spacing'], c['newSpacing']).astype(np.int32))
plans = []
for i, c in enumerate(params['plans']):
    sep, axis = determine_do_sep_z_and_axis(c['force'], c['cur'], c['next'], c['thr'])
    save(f'plan{i}', np.array([int(bool(sep)), int(axis[0]) if sep else -1], dtype=np.int32))
for i, c in enumerate(params['data']):
    d = load(f'd{i}')
    save(f'newshape{i}', compute_new_shape(d.shape[1:], c['spacing'], c['newSpacing']).astype(np.int32))
    ns = compute_new_shape(d.shape[1:], c['spacing'], c['newSpacing'])
    save(f'r{i}', resample_to_shape(d, ns, c['spacing'], c['newSpacing'], 3, c['orderZ'], c['force'])[0])
try:
    import torch
except ImportError:
    torch = None
for i, c in enumerate(params['logits']):
    l = load(f'l{i}')
    r = resample_to_shape(l, c['out'], c['cur'], c['next'], 1, c['orderZ'])
    save(f'argmax{i}', r.argmax(0).astype(np.uint8))
    if torch is not None:
        save(f'softmax{i}', torch.softmax(torch.from_numpy(r), 0).argmax(0).numpy().astype(np.uint8))
`;
    refs = runPython(script, inputs, { shapes: SHAPE_CASES, plans: PLAN_CASES, data: DATA_CASES, logits: LOGIT_CASES });
  }, 60_000);

  it('computes the new shape with Python rounding', () => {
    SHAPE_CASES.forEach((c, i) =>
      expect(computeNewShape(c.shape, c.spacing, c.newSpacing)).toEqual(Array.from(refs[`shape${i}`])),
    );
    expect(computeNewShape([5, 7, 9], [1, 1, 1], [2, 2, 2])).toEqual([2, 4, 4]);
  });

  it('decides separate z and its axis like determine_do_sep_z_and_axis', () => {
    PLAN_CASES.forEach((c, i) => {
      const [sep, axis] = Array.from(refs[`plan${i}`]);
      const got = separateZPlan(c.cur, c.next, { forceSeparateZ: c.force, anisotropyThreshold: c.thr });
      expect({ separate: got.separate, axis: got.axis ?? -1 }, JSON.stringify(c)).toEqual({
        separate: sep === 1,
        axis,
      });
    });
    // The cases cover both outcomes and every axis.
    expect(PLAN_CASES.map((_, i) => refs[`plan${i}`][1])).toEqual(expect.arrayContaining([-1, 0, 2]));
  });

  it('resamples image data bit-identically (separate z: in-plane order 3, order_z 0/1; whole volume: exact)', () => {
    DATA_CASES.forEach((c, i) => {
      expect(newShapes[i]).toEqual(Array.from(refs[`newshape${i}`]));
      const kwargs = { ...DATA, orderZ: c.orderZ, forceSeparateZ: c.force };
      const ref = refs[`r${i}`] as Float32Array;
      const got = resampleDataToShape(datas[i], c.shape, newShapes[i], c.spacing, c.newSpacing, kwargs, {
        exact: true,
      });
      expect(got, JSON.stringify(c)).toEqual(ref);
    });
  });

  it('default (separable whole-volume zoom) agrees on float32 except for float64 rounding', () => {
    let differ = 0;
    let total = 0;
    DATA_CASES.forEach((c, i) => {
      const kwargs = { ...DATA, orderZ: c.orderZ, forceSeparateZ: c.force };
      const ref = refs[`r${i}`] as Float32Array;
      const got = resampleDataToShape(datas[i], c.shape, newShapes[i], c.spacing, c.newSpacing, kwargs);
      for (let v = 0; v < ref.length; v++) {
        if (got[v] !== ref[v]) differ++;
        expect(Math.abs(got[v] - ref[v])).toBeLessThanOrEqual(2 ** -22 * Math.max(1, Math.abs(ref[v])));
      }
      total += ref.length;
    });
    expect(differ / total).toBeLessThan(1e-4);
  });

  it('argmax of the resampled logits equals numpy argmax of nnU-Net-resampled logits on every voxel', () => {
    LOGIT_CASES.forEach((c, i) => {
      const ref = refs[`argmax${i}`] as Uint8Array;
      const kwargs = { ...PROBS, orderZ: c.orderZ };
      for (const exact of [false, true]) {
        const out = new Uint8Array(size(c.out));
        resampleLogitsArgmax(logits[i], C, c.shape, c.out, c.cur, c.next, kwargs, out, undefined, { exact });
        expect(out, `case ${i} exact=${exact}`).toEqual(ref);
      }
      // Several labels present, so boundaries were exercised.
      expect(new Set(ref).size).toBeGreaterThan(2);
      if (i === 3) expect(ref.includes(4)).toBe(false);
      if (refs[`softmax${i}`]) {
        // nnU-Net itself takes the argmax after a float32 softmax; ties there are the only difference.
        const soft = refs[`softmax${i}`];
        let same = 0;
        for (let v = 0; v < ref.length; v++) if (soft[v] === ref[v]) same++;
        expect(same / ref.length).toBeGreaterThanOrEqual(0.9999);
      }
    });
  });

  it('streams output slices and maps channels to labels', () => {
    const c = LOGIT_CASES[0];
    const ref = refs.argmax0 as Uint8Array;
    const labels = [0, 7, 3, 300, 12];
    const out = new Uint16Array(size(c.out));
    const half = Math.floor(c.out[0] / 2);
    resampleLogitsArgmax(logits[0], C, c.shape, c.out, c.cur, c.next, PROBS, out, labels, { range: [half, c.out[0]] });
    expect(out.subarray(0, half * c.out[1] * c.out[2]).every((v) => v === 0)).toBe(true);
    resampleLogitsArgmax(logits[0], C, c.shape, c.out, c.cur, c.next, PROBS, out, labels, { range: [0, half] });
    expect(Array.from(out)).toEqual(Array.from(ref, (v) => labels[v]));
    // Prepared once, run slice by slice.
    const run = logitsArgmax(logits[0], C, c.shape, c.out, c.cur, c.next, PROBS, labels);
    const again = new Uint16Array(size(c.out));
    for (let z = 0; z < c.out[0]; z++) run(again, z, z + 1);
    expect(again).toEqual(out);
    expect(() => run(new Uint8Array(size(c.out)), 0, 1)).toThrow(/300/);
  });
});

describe('nnU-Net resampling arguments', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999999, 2.5000001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });

  it('returns the data unchanged when the shape does not change', () => {
    const d = smoothRandom([4, 5, 6], 1);
    expect(resampleDataToShape(d, [4, 5, 6], [4, 5, 6], [1, 1, 1], [2, 2, 2], DATA)).toEqual(d);
  });

  it('rejects orders it does not implement and wrong sizes', () => {
    const d = new Float32Array(8);
    expect(() =>
      resampleDataToShape(d, [2, 2, 2], [3, 3, 3], [1, 1, 1], [0.5, 0.5, 0.5], { ...DATA, order: 2 }),
    ).toThrow(VoxsegError);
    expect(() => resampleDataToShape(d, [2, 2, 3], [3, 3, 3], [1, 1, 1], [0.5, 0.5, 0.5], DATA)).toThrow(/values/);
    const out = new Uint8Array(27);
    expect(() =>
      resampleLogitsArgmax(d, 1, [2, 2, 2], [3, 3, 3], [1, 1, 1], [0.7, 0.7, 0.7], { ...PROBS, order: 3 }, out),
    ).toThrow(/order 3/);
    expect(() => resampleLogitsArgmax(d, 2, [2, 2, 2], [3, 3, 3], [1, 1, 1], [0.7, 0.7, 0.7], PROBS, out)).toThrow(
      /channels/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// TotalSegmentator

const TOTALSEG_PY = `
import scipy.ndimage as ndi
def change_spacing(data, img_spacing, new_spacing=None, target_shape=None, order=0, dtype=None, remove_negative=False):
    old_shape = np.array(data.shape)
    img_spacing = np.array(img_spacing, dtype=np.float32)
    if target_shape is not None:
        zoom = np.array(target_shape) / old_shape
        new_spacing = img_spacing / zoom
    else:
        if type(new_spacing) is float:
            new_spacing = [new_spacing] * 3
        new_spacing = np.array(new_spacing)
        zoom = img_spacing / new_spacing
    if np.array_equal(img_spacing, new_spacing):
        return data, zoom, new_spacing
    new_data = ndi.zoom(data, zoom, order=order)
    if remove_negative:
        new_data[new_data < 1e-4] = 0
    if dtype is not None:
        new_data = new_data.astype(dtype)
    return new_data, zoom, new_spacing
ct = load('ct').astype(np.float64)       # nibabel order [x, y, z]
sp = params['spacing']
img, zoom, nsp = change_spacing(ct, sp, new_spacing=params['target'], order=3, dtype=np.int32)
save('img', img)                          # [x, y, z]
save('zoom', np.array(zoom, dtype=np.float64))
save('nsp', np.array(nsp, dtype=np.float64))
lab = load('lab').astype(np.float64)
back, zoom2, nsp2 = change_spacing(lab, [float(s) for s in params['lab_spacing']], target_shape=ct.shape, order=0, dtype=np.uint8)
save('back', back)
save('zoom2', np.array(zoom2, dtype=np.float64))
neg, _, _ = change_spacing(ct, sp, new_spacing=params['target'], order=3, dtype=np.int32, remove_negative=True)
save('neg', neg)
try:
    import nibabel as nib
    aff = np.array(params['affine'], dtype=np.float64).reshape(4, 4)
    save('zooms', np.array(nib.Nifti1Image(np.zeros((2, 2, 2), np.float32), aff).header.get_zooms()[:3], dtype=np.float64))
except ImportError:
    pass
`;

describeScipy(title('TotalSegmentator change_spacing vs its Python code'), () => {
  // voxseg buffer: i fastest; nibabel array [x, y, z] is its transpose in memory, same values.
  const dims: [number, number, number] = [37, 29, 13];
  const spacing = [0.8, 0.8, 2.5];
  const target = 1.5;
  const ct = new Float32Array(size(dims)).fill(-1024);
  const r = rng(11);
  for (let k = 2; k < 11; k++)
    for (let j = 5; j < 25; j++)
      for (let i = 4; i < 33; i++) ct[i + dims[0] * (j + dims[1] * k)] = Math.round(r.uniform() * 1600 - 900);
  const plan = totalsegPlan(dims, spacing, { spacing: target });
  const labels = new Uint8Array(size(plan.outDims));
  for (let v = 0; v < labels.length; v++) labels[v] = Math.floor(r.uniform() * 5) * (r.uniform() < 0.7 ? 1 : 0);
  const back = totalsegPlan(plan.outDims, plan.newSpacing, { shape: dims });
  const affine = [
    0.8 * Math.cos(0.3),
    -0.8 * Math.sin(0.3),
    0,
    -120,
    0.8 * Math.sin(0.3),
    0.8 * Math.cos(0.3),
    0,
    40.5,
    0,
    0,
    2.5,
    -300,
    0,
    0,
    0,
    1,
  ];
  let refs: Record<string, RefArray>;
  /** voxseg (i fastest) -> numpy [x, y, z] C order, and back. */
  const toXYZ = (a: ArrayLike<number>, d: readonly number[], T: new (n: number) => Float32Array | Uint8Array) => {
    const out = new T(a.length);
    let p = 0;
    for (let i = 0; i < d[0]; i++)
      for (let j = 0; j < d[1]; j++) for (let k = 0; k < d[2]; k++) out[p++] = a[i + d[0] * (j + d[1] * k)];
    return out;
  };
  beforeAll(() => {
    refs = runPython(
      TOTALSEG_PY,
      {
        ct: { data: toXYZ(ct, dims, Float32Array) as Float32Array, shape: dims },
        lab: { data: toXYZ(labels, plan.outDims, Uint8Array) as Uint8Array, shape: plan.outDims },
      },
      { spacing, target, lab_spacing: plan.newSpacing, affine },
    );
  }, 60_000);

  it('plans zoom, output size and spacing like change_spacing', () => {
    expect(plan.zoom).toEqual(Array.from(refs.zoom));
    expect(plan.newSpacing).toEqual([1.5, 1.5, 1.5]);
    expect(plan.identity).toBe(false);
    expect(back.zoom).toEqual(Array.from(refs.zoom2));
    expect(totalsegPlan(dims, spacing, { spacing: [0.8, 0.8, 2.5] }).identity).toBe(false); // float32(0.8) != 0.8
    expect(totalsegPlan(dims, [0.75, 0.5, 2.5], { spacing: [0.75, 0.5, 2.5] }).identity).toBe(true);
    const newAffine = totalsegAffine(affine, plan.zoom);
    expect(newAffine[3]).toBe(-120);
    expect(Math.hypot(newAffine[0], newAffine[4], newAffine[8])).toBeCloseTo(0.8 / plan.zoom[0], 12);
    if (refs.zooms) expect(niftiZooms(affine)).toEqual(Array.from(refs.zooms));
  });

  it('resamples the image (order 3, int32) and the labels back (order 0, uint8) identically', () => {
    const img = totalsegResample(ct, plan, { order: 3, dtype: 'int32' });
    expect(img).toBeInstanceOf(Int32Array);
    expect(Array.from(toXYZ(img, plan.outDims, Float32Array))).toEqual(Array.from(refs.img));
    const neg = totalsegResample(ct, plan, { order: 3, dtype: 'int32', removeNegative: true });
    expect(Array.from(toXYZ(neg, plan.outDims, Float32Array))).toEqual(Array.from(refs.neg));
    const lab = totalsegResample(labels, back, { order: 0, dtype: 'uint8' });
    expect(back.outDims).toEqual(dims);
    expect(Array.from(toXYZ(lab, dims, Uint8Array))).toEqual(Array.from(refs.back));
  });
});
