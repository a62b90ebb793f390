import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import type { Vec3 } from '../../../src/core/types';
import { accumulatorBytes, floatToHalf, halfToFloat } from '../../../src/inference/accumulator';
import {
  gaussianWeights,
  slidingWindow,
  tilePositions,
  type WindowOptions,
  type WindowResult,
} from '../../../src/inference/sliding-window';
import { packPatch, unpackPatch, type Predictor } from '../../../src/inference/tensor';

type Layout = 'NCDHW' | 'NCWHD';

function makeImage(dims: Vec3, seed = 1): Float32Array {
  const out = new Float32Array(dims[0] * dims[1] * dims[2]);
  let s = seed >>> 0;
  for (let p = 0; p < out.length; p++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[p] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Per-voxel linear map out_c = a_c * x + b_c; layout independent but checks the tensor dims it gets. */
function linear(a: number[], b: number[], patch: Vec3, layout: Layout): Predictor {
  const spatial = layout === 'NCDHW' ? [patch[2], patch[1], patch[0]] : [patch[0], patch[1], patch[2]];
  return async (input) => {
    const [n, ch, ...sp] = input.dims;
    expect(ch).toBe(1);
    expect(sp).toEqual(spatial);
    const pv = sp[0] * sp[1] * sp[2];
    const C = a.length;
    const data = new Float32Array(n * C * pv);
    for (let m = 0; m < n; m++)
      for (let c = 0; c < C; c++)
        for (let t = 0; t < pv; t++) data[(m * C + c) * pv + t] = a[c] * input.data[m * pv + t] + b[c];
    return { data, dims: [n, C, sp[0], sp[1], sp[2]] };
  };
}

/** out_c = a_c * x + b_c + coef . (i, j, k within the patch), reading the patch position from the tensor axes of `layout`. */
function positional(a: number[], b: number[], coef: Vec3, layout: Layout): Predictor {
  return async (input) => {
    const [n, , D, H, W] = input.dims;
    const pv = D * H * W;
    const C = a.length;
    const data = new Float32Array(n * C * pv);
    for (let m = 0; m < n; m++) {
      for (let t = 0; t < pv; t++) {
        const w = t % W;
        const h = Math.floor(t / W) % H;
        const d = Math.floor(t / (W * H));
        const [pi, pj, pk] = layout === 'NCDHW' ? [w, h, d] : [d, h, w];
        const pos = coef[0] * pi + coef[1] * pj + coef[2] * pk;
        for (let c = 0; c < C; c++) data[(m * C + c) * pv + t] = a[c] * input.data[m * pv + t] + b[c] + pos;
      }
    }
    return { data, dims: [n, C, D, H, W] };
  };
}

async function run(
  image: Float32Array,
  dims: Vec3,
  opts: WindowOptions,
  predictor: Predictor,
): Promise<{ out: Float32Array; result: WindowResult }> {
  const plane = dims[0] * dims[1];
  const N = plane * dims[2];
  const C = opts.channels;
  const out = new Float32Array(C * N).fill(NaN);
  let next = 0;
  const result = await slidingWindow(image, dims, opts, predictor, (k0, k1, logits) => {
    expect(k0).toBe(next);
    expect(k1).toBeGreaterThan(k0);
    expect(logits.length).toBe(C * (k1 - k0) * plane);
    const s = k1 - k0;
    for (let c = 0; c < C; c++)
      for (let k = k0; k < k1; k++)
        out.set(logits.subarray((c * s + k - k0) * plane, (c * s + k - k0 + 1) * plane), c * N + k * plane);
    next = k1;
  });
  expect(next).toBe(dims[2]);
  return { out, result };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let p = 0; p < a.length; p++) {
    const d = Math.abs(a[p] - b[p]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/** Independent brute-force blend: centred zero padding, Gaussian centred at floor(P/2), sigma = P/8. */
function bruteForce(
  image: Float32Array,
  dims: Vec3,
  patch: Vec3,
  overlap: number,
  blending: 'gaussian' | 'constant',
  a: number[],
  b: number[],
  coef: Vec3,
): Float64Array {
  const N = dims[0] * dims[1] * dims[2];
  const pad = [0, 1, 2].map((q) => (patch[q] > dims[q] ? Math.floor((patch[q] - dims[q]) / 2) : 0));
  const padded = [0, 1, 2].map((q) => Math.max(dims[q], patch[q])) as Vec3;
  const sum = new Float64Array(a.length * N);
  const wsum = new Float64Array(N);
  const weight = (p: number[]): number => {
    if (blending === 'constant') return 1;
    let e = 0;
    for (let q = 0; q < 3; q++) {
      const s = patch[q] / 8;
      e += (p[q] - Math.floor(patch[q] / 2)) ** 2 / (2 * s * s);
    }
    return Math.exp(-e);
  };
  for (const pos of tilePositions(padded, patch, overlap)) {
    for (let pk = 0; pk < patch[2]; pk++)
      for (let pj = 0; pj < patch[1]; pj++)
        for (let pi = 0; pi < patch[0]; pi++) {
          const [i, j, k] = [pos[0] + pi - pad[0], pos[1] + pj - pad[1], pos[2] + pk - pad[2]];
          if (i < 0 || j < 0 || k < 0 || i >= dims[0] || j >= dims[1] || k >= dims[2]) continue;
          const v = i + j * dims[0] + k * dims[0] * dims[1];
          const w = weight([pi, pj, pk]);
          wsum[v] += w;
          for (let c = 0; c < a.length; c++)
            sum[c * N + v] += w * (a[c] * image[v] + b[c] + coef[0] * pi + coef[1] * pj + coef[2] * pk);
        }
  }
  for (let c = 0; c < a.length; c++) for (let v = 0; v < N; v++) sum[c * N + v] /= wsum[v];
  return sum;
}

const DIMS: Vec3 = [37, 29, 23];
const A = [1.5, -0.75, 3];
const B = [0.25, 2, -1];

describe('slidingWindow: tiled equals untiled for per-voxel linear models', () => {
  const image = makeImage(DIMS, 7);
  const N = image.length;
  const untiled2 = Float32Array.from(image, (x) => 2 * x);
  const untiledLin = new Float32Array(3 * N);
  for (let c = 0; c < 3; c++) for (let v = 0; v < N; v++) untiledLin[c * N + v] = A[c] * image[v] + B[c];

  const patches: [string, Vec3][] = [
    ['patch inside the image', [16, 12, 10]],
    ['patch larger along i and k', [40, 12, 30]],
    ['patch larger along every axis', [48, 32, 24]],
  ];
  for (const layout of ['NCDHW', 'NCWHD'] as const) {
    for (const [name, patch] of patches) {
      it(`${layout}, ${name} ${patch.join('x')}: every overlap, blending and batch`, async () => {
        for (const overlap of [0, 0.25, 0.5, 0.8])
          for (const blending of ['gaussian', 'constant'] as const)
            for (const batch of [1, 3]) {
              const base = { patch, overlap, blending, batch, layout };
              const one = await run(image, DIMS, { ...base, channels: 1 }, linear([2], [0], patch, layout));
              expect(maxDiff(one.out, untiled2), `2x ${overlap} ${blending} b${batch}`).toBeLessThan(1e-5);
              const lin = await run(image, DIMS, { ...base, channels: 3 }, linear(A, B, patch, layout));
              expect(maxDiff(lin.out, untiledLin), `linear ${overlap} ${blending} b${batch}`).toBeLessThan(1e-5);
              expect(lin.result.predictorCalls).toBe(Math.ceil(lin.result.patches / batch));
            }
      });
    }
  }
});

describe('slidingWindow: position-dependent model against a brute-force blend', () => {
  const dims: Vec3 = [13, 11, 9];
  const image = makeImage(dims, 3);
  const cases: [Vec3, number, 'gaussian' | 'constant'][] = [
    [[9, 6, 4], 0.5, 'gaussian'],
    [[9, 6, 4], 0.25, 'constant'],
    [[16, 5, 12], 0.5, 'gaussian'],
    [[7, 14, 5], 0.8, 'gaussian'],
  ];
  for (const layout of ['NCDHW', 'NCWHD'] as const)
    for (const [patch, overlap, blending] of cases) {
      it(`${layout} patch ${patch.join('x')} overlap ${overlap} ${blending}`, async () => {
        const coef: Vec3 = [0.1, -0.03, 0.07];
        const { out } = await run(
          image,
          dims,
          { patch, overlap, blending, batch: 2, channels: 2, layout },
          positional([1, -2], [0, 0.5], coef, layout),
        );
        expect(maxDiff(out, bruteForce(image, dims, patch, overlap, blending, [1, -2], [0, 0.5], coef))).toBeLessThan(
          2e-5,
        );
      });
    }

  it('blends a tiny case computed by hand (constant weights, overlap 0.5)', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const { out } = await run(
      x,
      [6, 1, 1],
      { patch: [4, 1, 1], overlap: 0.5, blending: 'constant', batch: 1, channels: 1, layout: 'NCWHD' },
      positional([1], [0], [1, 0, 0], 'NCWHD'),
    );
    // starts 0 and 2; voxel 2 is i=2 of the first patch and i=0 of the second, and so on
    expect(Array.from(out)).toEqual([1, 3, 4, 6, 7, 9]);
  });
});

describe('packPatch / unpackPatch', () => {
  it('place grid voxel (i, j, k) at tensor [k, j, i] (NCDHW) or [i, j, k] (NCWHD), mirrored per mask', () => {
    const P: Vec3 = [5, 3, 4];
    const grid = Float32Array.from({ length: 60 }, (_, v) => v + 1);
    for (const layout of ['NCDHW', 'NCWHD'] as const)
      for (let flip = 0; flip < 8; flip++) {
        const t = new Float32Array(70);
        packPatch(grid, 0, P, layout, flip, t, 10);
        for (let k = 0; k < 4; k++)
          for (let j = 0; j < 3; j++)
            for (let i = 0; i < 5; i++) {
              const q = [flip & 1 ? 4 - i : i, flip & 2 ? 2 - j : j, flip & 4 ? 3 - k : k];
              const at = layout === 'NCDHW' ? q[0] + 5 * (q[1] + 3 * q[2]) : q[2] + 4 * (q[1] + 3 * q[0]);
              expect(t[10 + at]).toBe(grid[i + 5 * (j + 3 * k)]);
            }
        const back = new Float32Array(60);
        unpackPatch(t, 10, P, layout, flip, back, 0);
        expect(back).toEqual(grid);
      }
  });
});

describe('gaussianWeights', () => {
  const direct = (patch: Vec3, scale: number, i: number, j: number, k: number): number => {
    let e = 0;
    const p = [i, j, k];
    for (let a = 0; a < 3; a++) {
      const s = patch[a] * scale;
      e += (p[a] - Math.floor(patch[a] / 2)) ** 2 / (2 * s * s);
    }
    return Math.exp(-e);
  };
  for (const [patch, scale] of [
    [[12, 7, 20], 0.125],
    [[8, 8, 8], 0.125],
    [[5, 16, 3], 0.3],
  ] as [Vec3, number][]) {
    it(`matches exp(-d^2 / 2 sigma^2) centred at floor(P/2) for ${patch.join('x')}, sigma ${scale}P`, () => {
      const w = gaussianWeights(patch, scale);
      expect(w.length).toBe(patch[0] * patch[1] * patch[2]);
      let max = 0;
      for (let k = 0; k < patch[2]; k++)
        for (let j = 0; j < patch[1]; j++)
          for (let i = 0; i < patch[0]; i++) {
            const v = w[i + patch[0] * (j + patch[1] * k)];
            expect(Math.abs(v - direct(patch, scale, i, j, k))).toBeLessThan(1e-6);
            max = Math.max(max, v);
          }
      expect(max).toBe(1);
      expect(
        w[Math.floor(patch[0] / 2) + patch[0] * (Math.floor(patch[1] / 2) + patch[1] * Math.floor(patch[2] / 2))],
      ).toBe(1);
    });
  }

  it('replaces underflowed weights with the smallest positive one', () => {
    const w = gaussianWeights([40, 3, 3], 0.02);
    let min = Infinity;
    let raised = 0;
    for (let v = 0; v < w.length; v++) {
      expect(w[v]).toBeGreaterThan(0);
      min = Math.min(min, w[v]);
    }
    for (let v = 0; v < w.length; v++) if (w[v] === min) raised++;
    expect(raised).toBeGreaterThan(10); // far from the centre everything underflowed to the same floor
    expect(min).toBeGreaterThanOrEqual(2 ** -126);
  });
});

describe('tilePositions', () => {
  it('gives nnU-Net starts for known cases', () => {
    const along = (size: number, patch: number, overlap: number) =>
      tilePositions([size, 1, 1], [patch, 1, 1], overlap).map((p) => p[0]);
    expect(along(100, 40, 0.5)).toEqual([0, 20, 40, 60]);
    expect(along(101, 40, 0.5)).toEqual([0, 15, 30, 46, 61]);
    expect(along(40, 40, 0.5)).toEqual([0]);
    expect(along(30, 40, 0.5)).toEqual([0]);
    expect(along(10, 4, 0)).toEqual([0, 3, 6]);
    // nnU-Net's own example (compute_steps_for_sliding_window): 110 voxels, patch 64, step 0.5
    expect(along(110, 64, 0.5)).toEqual([0, 23, 46]);
    // odd patch: target step 56.5 (not 56), so 3 starts; 56.5 rounds half to even
    expect(along(226, 113, 0.5)).toEqual([0, 56, 113]);
    // TotalSegmentator's 1.5 mm parts use tile step 0.8 (overlap 0.2)
    expect(along(300, 128, 0.2)).toEqual([0, 86, 172]);
  });

  it('starts at 0, ends at size - patch, covers every voxel, steps patch*(1-overlap) at most on average', () => {
    for (const overlap of [0, 0.25, 0.5, 0.8, 0.9, 0.95])
      for (let patch = 1; patch <= 24; patch += 1)
        for (let size = 1; size <= 70; size += 3) {
          const starts = tilePositions([size, 1, 1], [patch, 1, 1], overlap).map((p) => p[0]);
          const step = Math.max(1, patch * (1 - overlap));
          if (patch >= size) {
            expect(starts).toEqual([0]);
            continue;
          }
          expect(starts[0]).toBe(0);
          expect(starts[starts.length - 1]).toBe(size - patch);
          expect(starts.length).toBe(Math.ceil((size - patch) / step) + 1);
          for (let s = 1; s < starts.length; s++) {
            expect(starts[s] - starts[s - 1]).toBeGreaterThanOrEqual(1);
            // Evenly spaced by at most the target step, each start rounded: a gap exceeds the
            // target only by rounding, never by a whole voxel more than floor(target) + 1.
            expect(starts[s] - starts[s - 1]).toBeLessThanOrEqual(Math.floor(step) + 1);
          }
          expect((starts[starts.length - 1] - starts[0]) / Math.max(1, starts.length - 1)).toBeLessThanOrEqual(
            step + 1e-9,
          );
          const covered = new Uint8Array(size);
          for (const s of starts) covered.fill(1, s, s + patch);
          expect(covered.every((c) => c === 1)).toBe(true);
        }
  });

  it('orders 3D starts k-major', () => {
    const pos = tilePositions([20, 15, 12], [8, 6, 5], 0.5);
    // target steps 4, 3 and 2.5: ceil(12/4)+1, ceil(9/3)+1, ceil(7/2.5)+1
    expect(pos.length).toBe(4 * 4 * 4);
    const key = (p: Vec3) => p[2] * 1e6 + p[1] * 1e3 + p[0];
    for (let s = 1; s < pos.length; s++) expect(key(pos[s])).toBeGreaterThan(key(pos[s - 1]));
  });
});

describe('mirroring TTA', () => {
  it('leaves a mirror-equivariant model unchanged and runs every mirror combination', async () => {
    const dims: Vec3 = [17, 12, 9];
    const image = makeImage(dims, 11);
    for (const layout of ['NCDHW', 'NCWHD'] as const) {
      const base = {
        patch: [8, 6, 5] as Vec3,
        overlap: 0.5,
        blending: 'gaussian' as const,
        batch: 3,
        channels: 3,
        layout,
      };
      const plain = await run(image, dims, base, linear(A, B, base.patch, layout));
      const tta = await run(image, dims, { ...base, mirrorAxes: [0, 1, 2] }, linear(A, B, base.patch, layout));
      expect(maxDiff(tta.out, plain.out)).toBeLessThan(1e-5);
      expect(tta.result.predictorCalls).toBe(Math.ceil((plain.result.patches * 8) / 3));
    }
  });

  it('averages a non-equivariant model as computed by hand', async () => {
    for (const layout of ['NCDHW', 'NCWHD'] as const) {
      const opt = { overlap: 0.5, blending: 'gaussian' as const, batch: 1, channels: 1, layout };
      const x4 = Float32Array.from([10, 20, 30, 40]);
      const pred = positional([1], [0], [1, 10, 100], layout);
      // out = x + i: unmirrored, then mirrored along i gives x + (3 - i); average x + 1.5
      expect(Array.from((await run(x4, [4, 1, 1], { ...opt, patch: [4, 1, 1] }, pred)).out)).toEqual([10, 21, 32, 43]);
      expect(Array.from((await run(x4, [4, 1, 1], { ...opt, patch: [4, 1, 1], mirrorAxes: [0] }, pred)).out)).toEqual([
        11.5, 21.5, 31.5, 41.5,
      ]);
      // mirroring k does not touch a model that only looks at i (and a 1-voxel k)
      expect(Array.from((await run(x4, [4, 1, 1], { ...opt, patch: [4, 1, 1], mirrorAxes: [2] }, pred)).out)).toEqual([
        10, 21, 32, 43,
      ]);
      // 3x2x2 with out = x + i + 10 j + 100 k, mirrored along i and j: x + 1 + 5 + 100 k
      const x12 = Float32Array.from({ length: 12 }, (_, v) => v);
      const { out } = await run(x12, [3, 2, 2], { ...opt, patch: [3, 2, 2], mirrorAxes: [1, 0] }, pred);
      expect(Array.from(out)).toEqual(Array.from(x12, (x, v) => x + 6 + (v >= 6 ? 100 : 0)));
    }
  });
});

describe('slidingWindow: storage, streaming and errors', () => {
  const dims: Vec3 = [15, 13, 40];
  const image = makeImage(dims, 5);
  const base: WindowOptions = {
    patch: [8, 7, 6],
    overlap: 0.5,
    blending: 'gaussian',
    batch: 2,
    channels: 3,
    layout: 'NCWHD',
  };
  const pred = positional(A, B, [0.2, -0.1, 0.05], 'NCWHD');

  it('converts float16 both ways with round-to-nearest-even', () => {
    for (const x of [0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.1, 1000.3])
      expect(Math.abs(halfToFloat(floatToHalf(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie goes to even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(halfToFloat(floatToHalf(1e6))).toBe(Infinity);
  });

  it('uses float16 when only that fits the budget, matching float32 within half precision', async () => {
    const need16 = accumulatorBytes(3, dims, 6, 'float16');
    const f32 = await run(image, dims, base, pred);
    const f16 = await run(image, dims, { ...base, memoryBudget: need16 + 10 }, pred);
    expect(f32.result.storage).toBe('float32');
    expect(f16.result.storage).toBe('float16');
    for (let v = 0; v < f32.out.length; v++)
      expect(Math.abs(f16.out[v] - f32.out[v])).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(f32.out[v])));
    expect(f16.result.peakBytes).toBeLessThan(f32.result.peakBytes);
  });

  it('throws out-of-memory with the numbers when even float16 does not fit', async () => {
    const need16 = accumulatorBytes(3, dims, 6, 'float16');
    const err = await slidingWindow(image, dims, { ...base, memoryBudget: need16 - 1 }, pred, () => {}).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VoxsegError);
    expect((err as VoxsegError).code).toBe('out-of-memory');
    expect((err as VoxsegError).message).toContain(`${need16} bytes`);
    expect((err as VoxsegError).message).toContain(`${need16 - 1} bytes`);
  });

  it('streams slices: only patch-k slices are held and the first slice leaves before the last call', async () => {
    let calls = 0;
    let callsAtFirstSlice = -1;
    const counting: Predictor = async (t) => {
      calls++;
      return pred(t);
    };
    const progress: [number, number][] = [];
    const result = await slidingWindow(
      image,
      dims,
      base,
      counting,
      (k0) => {
        if (callsAtFirstSlice < 0) callsAtFirstSlice = calls;
        expect(k0).toBeLessThan(dims[2]);
      },
      { onProgress: (d, t) => progress.push([d, t]) },
    );
    expect(callsAtFirstSlice).toBeGreaterThan(0);
    expect(callsAtFirstSlice).toBeLessThan(result.predictorCalls / 3);
    expect(result.peakBytes).toBeLessThan(3 * image.length * 4);
    expect(result.peakBytes).toBeGreaterThanOrEqual(accumulatorBytes(3, dims, 6, 'float32'));
    expect(progress.length).toBe(result.predictorCalls);
    expect(progress[progress.length - 1]).toEqual([result.patches, result.patches]);
    for (let s = 1; s < progress.length; s++) expect(progress[s][0]).toBeGreaterThan(progress[s - 1][0]);
  });

  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e instanceof VoxsegError ? e.code : String(e)),
    );

  it('rejects wrong predictor output dims with invalid-model', async () => {
    const wrongChannels: Predictor = async (t) => {
      const out = await pred(t);
      return { data: out.data.subarray(0, (out.data.length / 3) * 2), dims: [out.dims[0], 2, ...out.dims.slice(2)] };
    };
    const err = (await slidingWindow(image, dims, base, wrongChannels, () => {}).catch(
      (e: unknown) => e,
    )) as VoxsegError;
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err.code).toBe('invalid-model');
    expect(err.message).toContain('[2, 3, 8, 7, 6]');
    // spatial dims in the other layout's order
    const transposed: Predictor = async (t) => {
      const out = await pred(t);
      return { data: out.data, dims: [out.dims[0], 3, 6, 7, 8] };
    };
    expect(await codeOf(slidingWindow(image, dims, base, transposed, () => {}))).toBe('invalid-model');
  });

  it('stops with cancelled when the signal aborts, and wraps predictor failures', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const counting: Predictor = async (t) => {
      calls++;
      return pred(t);
    };
    const p = slidingWindow(image, dims, base, counting, () => {}, {
      signal: ctl.signal,
      onProgress: () => ctl.abort(),
    });
    expect(await codeOf(p)).toBe('cancelled');
    expect(calls).toBe(1);
    expect(await codeOf(slidingWindow(image, dims, base, counting, () => {}, { signal: AbortSignal.abort() }))).toBe(
      'cancelled',
    );
    expect(calls).toBe(1);
    const failing: Predictor = async () => {
      throw new Error('session lost');
    };
    expect(await codeOf(slidingWindow(image, dims, base, failing, () => {}))).toBe('inference-failed');
  });
});
