/**
 * The pieces of brainchop's pipeline in voxseg's whole-volume mode, on small synthetic volumes
 * with models written as plain functions (so each test sees exactly what the model was fed):
 * the crop box from a threshold or a pre-model, its margin (clamped to the volume), the largest
 * 26-connected labelled region, the masked image of brain extraction, brainchop's quantile rule,
 * and the manifest checks. Parity with brainchop on a real T1 is in brainchop-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../../src/core/types';
import { parseManifest, type ModelManifest } from '../../../src/inference/manifest';
import { rankQuantiles } from '../../../src/inference/normalize';
import { runPipeline, type ModelShape } from '../../../src/inference/pipeline';
import type { Predictor, Tensor } from '../../../src/inference/tensor';
import { FOREGROUND, keepLargestComponent, valueComponents } from '../../../src/volume/edit/components';
import { createVolume } from '../../../src/volume/volume';
import { catchVoxseg } from '../helpers/errors';

const DIMS: Vec3 = [24, 20, 16];
/** LIA with 1 mm voxels: the conform grid of the manifest below is the volume's own grid. */
const LIA: Mat3 = [1, 0, 0, 0, 0, -1, 0, -1, 0];
const DYNAMIC: ModelShape = { batch: null, spatial: [null, null, null] };
const idx = (i: number, j: number, k: number, d: Readonly<Vec3> = DIMS) => i + d[0] * (j + d[1] * k);

function volumeOf(voxels: Uint8Array | Int16Array) {
  return createVolume({ dims: DIMS, spacing: [1, 1, 1], origin: [10, -5, 3], direction: LIA, voxels });
}

function manifestWith(pre: Record<string, unknown>, post: Record<string, unknown> = {}, channels = 2): ModelManifest {
  return parseManifest({
    schema: 'voxseg-model/1',
    id: 'synthetic-brainchop',
    name: 'synthetic',
    version: '1',
    license: 'MIT',
    provenance: { source: 'test' },
    intended: { modality: ['MR'], bodyPart: 'HEAD' },
    model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels },
    labels: Array.from({ length: channels - 1 }, (_, n) => ({ value: n + 1, name: `c${n + 1}`, color: [255, 0, 0] })),
    preprocessing: {
      mode: 'whole-volume',
      conform: { dims: DIMS, spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
      normalization: { kind: 'minmax' },
      ...pre,
    },
    postprocessing: { activation: 'none', decision: 'argmax', ...post },
  });
}

/** A 2-channel model: channel 1 wins where `label(input, voxel index, dims)` is true. Records its inputs. */
function fnModel(label: (x: number, v: number, d: Vec3) => boolean) {
  const seen: Tensor[] = [];
  const predictor: Predictor = async (input) => {
    seen.push({ data: input.data.slice(), dims: [...input.dims] });
    const [, , d, h, w] = input.dims;
    const n = d * h * w;
    const out = new Float32Array(2 * n);
    for (let v = 0; v < n; v++) out[n + v] = label(input.data[v], v, [w, h, d]) ? 1 : -1;
    return { data: out, dims: [1, 2, d, h, w] };
  };
  return { predictor, seen };
}

describe('brainchop crop: box, zero padding and labels back in place', () => {
  // A bright block (200) and a dim blob (30) around it; min-max puts the block at 1 and the blob at 0.15.
  const image = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  for (let k = 0; k < DIMS[2]; k++)
    for (let j = 0; j < DIMS[1]; j++) for (let i = 0; i < DIMS[0]; i++) if (i > 1 && j > 1) image[idx(i, j, k)] = 30;
  for (let k = 5; k < 11; k++) for (let j = 6; j < 14; j++) for (let i = 8; i < 17; i++) image[idx(i, j, k)] = 200;

  it('threshold: the box of normalized > threshold x max, grown by the padding (image voxels), cut out', async () => {
    const m = fnModel((x) => x > 0.5);
    const r = await runPipeline(
      volumeOf(image),
      manifestWith({ crop: { padding: 3, threshold: 0.2 } }),
      m.predictor,
      DYNAMIC,
    );
    expect(m.seen).toHaveLength(1);
    const t = m.seen[0];
    expect(t.dims).toEqual([1, 1, 6 + 6, 8 + 6, 9 + 6]); // box 9 x 8 x 6 (i, j, k) + 3 on every side
    const pd: Vec3 = [15, 14, 12];
    for (let k = 0; k < pd[2]; k++)
      for (let j = 0; j < pd[1]; j++)
        for (let i = 0; i < pd[0]; i++) {
          const inBox = i >= 3 && i < 12 && j >= 3 && j < 11 && k >= 3 && k < 9;
          // The margin is the image around the box: 30, 0.15 after min-max.
          expect(t.data[idx(i, j, k, pd)]).toBeCloseTo(inBox ? 1 : 0.15, 6);
        }
    const labels = r.labels.voxels;
    let n = 0;
    for (let v = 0; v < labels.length; v++) {
      expect(labels[v]).toBe(image[v] === 200 ? 1 : 0);
      n += labels[v];
    }
    expect(n).toBe(9 * 8 * 6);
    expect(r.labels.header.direction).toEqual(LIA);
  });

  it('the margin stops at the volume edge', async () => {
    const edge = new Uint8Array(image.length);
    for (let k = 0; k < 4; k++) for (let j = 15; j < 20; j++) for (let i = 20; i < 24; i++) edge[idx(i, j, k)] = 90;
    const m = fnModel(() => false);
    await runPipeline(volumeOf(edge), manifestWith({ crop: { padding: 5 } }), m.predictor, DYNAMIC);
    // i 20..23 -> 15..23, j 15..19 -> 10..19, k 0..3 -> 0..8
    expect(m.seen[0].dims).toEqual([1, 1, 9, 10, 9]);
  });

  it('no threshold: the box of normalized > 0 (the dim blob counts), padding 0 adds nothing', async () => {
    const m = fnModel(() => false);
    await runPipeline(volumeOf(image), manifestWith({ crop: { padding: 0 } }), m.predictor, DYNAMIC);
    expect(m.seen[0].dims).toEqual([1, 1, 16, 18, 22]);
  });

  it('pre-model: its non-zero labels give the box; it sees the whole volume with its own normalization', async () => {
    const pre = fnModel((_x, v, d) => {
      const i = v % d[0];
      const j = Math.floor(v / d[0]) % d[1];
      const k = Math.floor(v / (d[0] * d[1]));
      return i >= 4 && i < 10 && j >= 5 && j < 9 && k === 7;
    });
    const main = fnModel((x) => x > 0.9);
    const spec = {
      file: 'premodel.onnx',
      channels: 2,
      normalization: { kind: 'quantile', lower: 0.1, upper: 0.9, clip: false, rule: 'brainchop' },
    };
    const r = await runPipeline(
      volumeOf(image),
      manifestWith({ crop: { padding: 1, preModel: spec } }),
      main.predictor,
      DYNAMIC,
      { preModel: { predictor: pre.predictor, shape: DYNAMIC } },
    );
    expect(pre.seen[0].dims).toEqual([1, 1, 16, 20, 24]);
    // Its input: quantiles of the image by brainchop's rule, no clipping.
    const [lo, hi] = rankQuantiles(image, 0.1, 0.9);
    expect(pre.seen[0].data[idx(12, 8, 6)]).toBeCloseTo((200 - lo) / (hi - lo), 6);
    expect(main.seen[0].dims).toEqual([1, 1, 1 + 2, 4 + 2, 6 + 2]);
    // The labels outside the pre-model's box (and its margin) stay 0 though the main model would label the whole block.
    let n = 0;
    for (let v = 0; v < r.labels.voxels.length; v++) n += r.labels.voxels[v];
    // The block (i 8..16, j 6..13, k 5..10) inside the box (i 4..9, j 5..8, k 7) grown by 1: i 3..10, j 4..9, k 6..8.
    expect(n).toBe(3 * 4 * 3);
  });

  it('refuses a manifest that needs a pre-model when none is loaded', async () => {
    const spec = { file: 'premodel.onnx', channels: 2, normalization: { kind: 'minmax' } };
    const err = await runPipeline(
      volumeOf(image),
      manifestWith({ crop: { padding: 0, preModel: spec } }),
      fnModel(() => true).predictor,
      DYNAMIC,
    ).catch((e) => e);
    expect(err.code).toBe('invalid-model');
    expect(err.message).toMatch(/premodel\.onnx: the crop needs the pre-model premodel\.onnx, which was not loaded/);
  });
});

describe('largest 26-connected labelled region', () => {
  /** Components by breadth-first search with the 26 neighbours: the reference. */
  function bfsLargest(labels: Uint8Array, d: Vec3): Uint8Array {
    const comp = new Int32Array(labels.length).fill(-1);
    const sizes: number[] = [];
    for (let s = 0; s < labels.length; s++) {
      if (!labels[s] || comp[s] >= 0) continue;
      const id = sizes.length;
      const queue = [s];
      comp[s] = id;
      let size = 0;
      while (queue.length) {
        const v = queue.pop()!;
        size++;
        const i = v % d[0];
        const j = Math.floor(v / d[0]) % d[1];
        const k = Math.floor(v / (d[0] * d[1]));
        for (let dk = -1; dk <= 1; dk++)
          for (let dj = -1; dj <= 1; dj++)
            for (let di = -1; di <= 1; di++) {
              const a = i + di,
                b = j + dj,
                c = k + dk;
              if (a < 0 || b < 0 || c < 0 || a >= d[0] || b >= d[1] || c >= d[2]) continue;
              const u = idx(a, b, c, d);
              if (labels[u] && comp[u] < 0) ((comp[u] = id), queue.push(u));
            }
      }
      sizes.push(size);
    }
    const best = sizes.indexOf(Math.max(...sizes));
    return labels.map((l, v) => (comp[v] === best ? l : 0));
  }

  it('matches a 26-neighbour BFS on random multi-label volumes (all labels count as one region)', () => {
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 12; trial++) {
      const d: Vec3 = [9 + (trial % 4), 7 + (trial % 3), 5 + (trial % 5)];
      const labels = Uint8Array.from({ length: d[0] * d[1] * d[2] }, () =>
        rand() < 0.18 + 0.02 * trial ? 1 + Math.floor(rand() * 3) : 0,
      );
      const want = bfsLargest(labels, d);
      const got = labels.slice();
      keepLargestComponent(got, d, { lo: [0, 0, 0], hi: d }, FOREGROUND, 26);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('a corner touch joins two voxels at 26 but not at 6', () => {
    const d: Vec3 = [3, 3, 3];
    const labels = new Uint8Array(27);
    labels[idx(0, 0, 0, d)] = 1;
    labels[idx(1, 1, 1, d)] = 2;
    labels[idx(2, 0, 2, d)] = 1; // touches (1, 1, 1) at a corner
    expect(valueComponents(labels, d, { lo: [0, 0, 0], hi: d }, FOREGROUND, 26).count).toBe(1);
    expect(valueComponents(labels, d, { lo: [0, 0, 0], hi: d }, FOREGROUND, 6).count).toBe(3);
  });

  it('the pipeline keeps only the largest region when the manifest says largestForeground', async () => {
    const image = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
    for (let k = 2; k < 6; k++) for (let j = 2; j < 6; j++) for (let i = 2; i < 6; i++) image[idx(i, j, k)] = 100; // 64 voxels
    image[idx(6, 6, 6)] = 100; // joins the block at a corner
    for (let i = 12; i < 15; i++) image[idx(i, 12, 12)] = 100; // 3 voxels apart
    const r = await runPipeline(
      volumeOf(image),
      manifestWith({}, { largestForeground: true }),
      fnModel((x) => x > 0.5).predictor,
      DYNAMIC,
    );
    let n = 0;
    for (let v = 0; v < r.labels.voxels.length; v++) n += r.labels.voxels[v];
    expect(n).toBe(65);
    expect(r.labels.voxels[idx(6, 6, 6)]).toBe(1);
    expect(r.labels.voxels[idx(13, 12, 12)]).toBe(0);
  });
});

describe('brain extraction: the masked image', () => {
  it('keeps the study voxels inside the labels; outside is 0, or the minimum of an image with negative values', async () => {
    const image = new Int16Array(DIMS[0] * DIMS[1] * DIMS[2]).map((_, v) => (v % 7) * 40 - 100);
    const inside = (v: number) => v % 3 === 0;
    const m = fnModel((_x, v) => inside(v));
    const r = await runPipeline(volumeOf(image), manifestWith({}, { maskedImage: true }), m.predictor, DYNAMIC);
    const masked = r.maskedImage!;
    expect(masked.header.dims).toEqual(DIMS);
    expect(masked.header.direction).toEqual(LIA);
    expect(masked.voxels).toBeInstanceOf(Int16Array);
    for (let v = 0; v < image.length; v++) expect(masked.voxels[v]).toBe(inside(v) ? image[v] : -100);
    const none = await runPipeline(volumeOf(image), manifestWith({}), m.predictor, DYNAMIC);
    expect(none.maskedImage).toBeUndefined();
  });
});

describe("brainchop's quantile rule and the manifest", () => {
  it('rankQuantiles takes sorted[floor(n q1)] and sorted[ceil(n q2) - 1] (integer histogram and float selection agree)', () => {
    let seed = 3;
    const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (const n of [1, 2, 19, 20, 1000, 4097]) {
      const u8 = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      const sorted = Array.from(u8).sort((a, b) => a - b);
      const want = [sorted[Math.floor(n * 0.05)], sorted[Math.ceil(n * 0.95) - 1]];
      expect(rankQuantiles(u8, 0.05, 0.95)).toEqual(want);
      expect(rankQuantiles(Float32Array.from(u8), 0.05, 0.95)).toEqual(want);
    }
  });

  it('checks crop specs', () => {
    const pre = { file: 'premodel.onnx', channels: 3, normalization: { kind: 'minmax' } };
    const m = manifestWith({ crop: { padding: 2, preModel: pre } });
    expect(m.preprocessing.mode === 'whole-volume' && m.preprocessing.crop).toEqual({
      padding: 2,
      preModel: { ...pre, input: 'input', output: 'output', sha256: undefined },
    });
    expect(catchVoxseg(() => manifestWith({ crop: { padding: 2, threshold: 0.2, preModel: pre } })).message).toMatch(
      /crop\.threshold: a crop mask comes from the pre-model or from a threshold, not both/,
    );
    expect(catchVoxseg(() => manifestWith({ crop: { padding: 2, threshold: 1.5 } })).message).toMatch(
      /crop\.threshold: must be within \[0, 1\]/,
    );
    expect(
      catchVoxseg(() =>
        manifestWith({ crop: { padding: 0, preModel: { file: 'p.onnx', normalization: { kind: 'minmax' } } } }),
      ).message,
    ).toMatch(/crop\.preModel\.channels: must be a number/);
    expect(catchVoxseg(() => manifestWith({}, { largestForeground: 'yes' })).message).toMatch(
      /largestForeground: must be true or false/,
    );
    expect(
      catchVoxseg(() =>
        manifestWith({ normalization: { kind: 'quantile', lower: 0.05, upper: 0.95, rule: 'nearest' } }),
      ).message,
    ).toMatch(/normalization\.rule: must be one of "linear", "brainchop"/);
  });
});
