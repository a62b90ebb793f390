/**
 * The whole pipeline with real ONNX graphs (onnxruntime-node) and analytic predictors: labels land
 * on the study's own grid, whatever the model grid (reoriented, resampled, conformed, cropped).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import { parseManifest, parseManifestText, type ModelManifest } from '../../../src/inference/manifest';
import { runPipeline } from '../../../src/inference/pipeline';
import type { Predictor } from '../../../src/inference/tensor';
import { generatePhantom } from '../../../src/phantom/index';
import { directionFromAxes, indexToWorld, normalize } from '../../../src/volume/geometry';
import { createVolume } from '../../../src/volume/volume';
import { bundledFiles } from '../../../scripts/models/build';
import { repoRoot } from '../helpers/shared';
import { dice } from '../../../src/volume/metrics';

const bandsDir = join(repoRoot, 'static/models/ct-tissue-bands');

async function ortPredictor(onnx: Uint8Array, m: ModelManifest): Promise<Predictor> {
  const session = await ort.InferenceSession.create(onnx);
  return async (input) => {
    const out = await session.run({ [m.model.input]: new ort.Tensor('float32', input.data, input.dims) });
    const t = out[m.model.output];
    return { data: t.data as Float32Array, dims: [...t.dims] };
  };
}

describe('bundled ct-tissue-bands model', () => {
  it('static/models is exactly what scripts/models/build.ts generates (bytes and sha256)', () => {
    for (const [rel, data] of Object.entries(bundledFiles())) {
      const committed = readFileSync(join(repoRoot, 'static/models', rel));
      expect(Buffer.compare(committed, Buffer.from(data)), `static/models/${rel} is stale: run npm run models`).toBe(0);
    }
  });

  it('segments the phantom on its own grid: lungs and spine bone where the true labels are', async () => {
    const manifest = parseManifestText(readFileSync(join(bandsDir, 'manifest.json'), 'utf8'));
    const onnx = new Uint8Array(readFileSync(join(bandsDir, 'model.onnx')));
    const ph = generatePhantom({ seed: 3, dims: [160, 160, 60], spacing: [1.6, 1.6, 4] });
    const r = await runPipeline(ph.ct, manifest, await ortPredictor(onnx, manifest), {
      batch: null,
      spatial: [null, null, null],
    });
    expect(r.labels.header.dims).toEqual(ph.ct.header.dims);
    expect(r.labels.header.origin).toEqual(ph.ct.header.origin);
    expect(r.labels.header.direction).toEqual(ph.ct.header.direction);
    expect(r.modelGrid).toEqual([128, 128, 120]);
    expect(r.patches).toBeGreaterThan(8);
    const truth = ph.labels.voxels;
    // An intensity model knows tissues, not organs: check recall of organs made of one tissue.
    const recall = (organ: number, band: number) => {
      let all = 0;
      let hit = 0;
      for (let n = 0; n < truth.length; n++)
        if (truth[n] === organ) {
          all++;
          if (r.labels.voxels[n] === band) hit++;
        }
      return hit / all;
    };
    expect(recall(7, 1), 'true lungs labelled lung').toBeGreaterThan(0.9);
    expect(recall(6, 5), 'spine labelled bone').toBeGreaterThan(0.75);
    expect(recall(1, 3), 'liver labelled soft tissue').toBeGreaterThan(0.9);
    expect(recall(5, 4), 'aorta labelled enhanced (small: partial volume at 2 mm)').toBeGreaterThan(0.6);
  });
});

/** Whole-volume manifest around an analytic predictor: channel 1 wins where the input is > 0.5. */
function wholeVolumeManifest(
  dims: Vec3,
  spacing: Vec3,
  crop?: { padding: number },
  labelResampling?: 'nearest' | 'linear',
  largestComponent?: number[],
): ModelManifest {
  return parseManifest({
    schema: 'voxseg-model/1',
    id: 'test-threshold',
    name: 'threshold',
    version: '1',
    license: 'MIT',
    provenance: { source: 'test' },
    intended: { modality: ['MR'], bodyPart: 'any' },
    model: { file: 'x.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 2 },
    labels: [{ value: 1, name: 'bright', color: [255, 0, 0] }],
    preprocessing: {
      mode: 'whole-volume',
      conform: { dims, spacing, orientation: 'LIA', dtype: 'uint8' },
      crop,
      normalization: { kind: 'minmax' },
    },
    postprocessing: { activation: 'none', decision: 'argmax', labelResampling, largestComponent },
  });
}

const threshold: Predictor = async (input) => {
  const n = input.data.length;
  const out = new Float32Array(2 * n).fill(0.5, 0, n);
  out.set(input.data, n);
  return { data: out, dims: [input.dims[0], 2, ...input.dims.slice(2)] };
};

/** An oblique, anisotropic volume with a bright ball of radius `r` mm at world `c`. */
function obliqueBall(c: Vec3, r: number): Volume {
  const dims: Vec3 = [70, 60, 50];
  const spacing: Vec3 = [1.1, 1.3, 1.7];
  const a = normalize([1, 0.15, 0.05]);
  const b0: Vec3 = [-0.1, 1, 0.2];
  const k = normalize([a[1] * b0[2] - a[2] * b0[1], a[2] * b0[0] - a[0] * b0[2], a[0] * b0[1] - a[1] * b0[0]]);
  const b = normalize([k[1] * a[2] - k[2] * a[1], k[2] * a[0] - k[0] * a[2], k[0] * a[1] - k[1] * a[0]]);
  const direction: Mat3 = directionFromAxes(a, b, k);
  const header = { dims, spacing, origin: [-40, -35, -30] as Vec3, direction };
  const voxels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let z = 0, n = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, n++) {
        const p = indexToWorld(header, [x, y, z]);
        voxels[n] = Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= r ? 200 : 10;
      }
  return createVolume({ ...header, voxels });
}

describe('runPipeline geometry', () => {
  const c: Vec3 = [2, -3, 4];
  const ball = obliqueBall(c, 12);

  for (const crop of [undefined, { padding: 3 }]) {
    it(`whole-volume (conform to 1.5 mm LIA${crop ? ', cropped' : ''}) returns labels on the oblique input grid`, async () => {
      const m = wholeVolumeManifest([64, 64, 64], [1.5, 1.5, 1.5], crop);
      const stages: string[] = [];
      const r = await runPipeline(
        ball,
        m,
        threshold,
        { batch: null, spatial: [null, null, null] },
        { onProgress: (s, d, t) => stages.push(`${s} ${d}/${t}`) },
      );
      // The model stage is announced before its one long run, so a progress bar shows it.
      expect(stages).toEqual([
        'Preparing the image 0/1',
        'Running the model 0/1',
        'Running the model 1/1',
        'Mapping labels to the study grid 0/1',
      ]);
      expect(r.labels.header.dims).toEqual(ball.header.dims);
      expect(r.labels.header.direction).toEqual(ball.header.direction);
      expect(dice(r.labels.voxels, 1, ball.voxels, 200)).toBeGreaterThan(0.9);
      // Centroid of the labels in world coordinates lands on the ball's centre.
      const sum = [0, 0, 0];
      let count = 0;
      const [nx, ny] = ball.header.dims;
      r.labels.voxels.forEach((v, n) => {
        if (v !== 1) return;
        const p = indexToWorld(ball.header, [n % nx, Math.floor(n / nx) % ny, Math.floor(n / (nx * ny))]);
        for (let q = 0; q < 3; q++) sum[q] += p[q];
        count++;
      });
      for (let q = 0; q < 3; q++) expect(Math.abs(sum[q] / count - c[q]), `centroid axis ${q}`).toBeLessThan(0.75);
    });
  }

  it("labelResampling 'linear' maps a coarse (3 mm) model grid back with smoother, closer boundaries than 'nearest'", async () => {
    const run = async (mode: 'nearest' | 'linear') => {
      const m = wholeVolumeManifest([32, 32, 32], [3, 3, 3], undefined, mode);
      expect(m.postprocessing.labelResampling).toBe(mode);
      const r = await runPipeline(ball, m, threshold, { batch: null, spatial: [null, null, null] });
      expect(r.labels.header.dims).toEqual(ball.header.dims);
      expect(new Set(r.labels.voxels)).toEqual(new Set([0, 1]));
      return dice(r.labels.voxels, 1, ball.voxels, 200);
    };
    const nearest = await run('nearest');
    const linear = await run('linear');
    // Measured: 0.909 (nearest) and 0.944 (linear).
    expect(linear).toBeGreaterThan(0.93);
    expect(linear).toBeGreaterThan(nearest + 0.02);
  });

  it('largestComponent keeps only the biggest island of a label, and the manifest refuses labels the model lacks', async () => {
    // Two bright balls on an axis-aligned grid: radius 9 mm and 4 mm, 30 mm apart.
    const dims: Vec3 = [48, 32, 32];
    const voxels = new Uint8Array(dims[0] * dims[1] * dims[2]);
    const inBall = (x: number, y: number, z: number, cx: number, r: number) => Math.hypot(x - cx, y - 16, z - 16) <= r;
    for (let z = 0, n = 0; z < dims[2]; z++)
      for (let y = 0; y < dims[1]; y++)
        for (let x = 0; x < dims[0]; x++, n++) voxels[n] = inBall(x, y, z, 14, 9) || inBall(x, y, z, 38, 4) ? 200 : 10;
    const two = createVolume({
      dims,
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
      voxels,
    });
    const count = async (largest?: number[]) => {
      const r = await runPipeline(
        two,
        wholeVolumeManifest([48, 48, 48], [1, 1, 1], undefined, 'nearest', largest),
        threshold,
        { batch: null, spatial: [null, null, null] },
      );
      let big = 0;
      let small = 0;
      r.labels.voxels.forEach((v, n) => {
        if (v !== 1) return;
        if (n % dims[0] < 26) big++;
        else small++;
      });
      return { big, small };
    };
    const plain = await count();
    const cleaned = await count([1]);
    expect(plain.small).toBeGreaterThan(200); // 4/3 pi 4^3 = 268 voxels
    expect(cleaned.small).toBe(0);
    expect(cleaned.big).toBe(plain.big);
    expect(() => wholeVolumeManifest([8, 8, 8], [1, 1, 1], undefined, 'nearest', [2])).toThrow(
      /largestComponent.*label 2 is not one the model outputs/,
    );
  });

  it('a fixed-size model that does not match the conformed grid is a clear invalid-model error', async () => {
    const m = wholeVolumeManifest([64, 64, 64], [1.5, 1.5, 1.5]);
    await expect(runPipeline(ball, m, threshold, { batch: null, spatial: [256, 256, 256] })).rejects.toThrow(
      /fixed spatial size 256x256x256.*needs 64x64x64/,
    );
  });

  it('too little memory for the logits store is a clear out-of-memory error with the numbers', async () => {
    const m = wholeVolumeManifest([64, 64, 64], [1.5, 1.5, 1.5]);
    const err = await runPipeline(
      ball,
      m,
      threshold,
      { batch: null, spatial: [null, null, null] },
      { memoryBudget: 100_000 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err.code).toBe('out-of-memory');
    expect(err.message).toMatch(/MiB/);
  });

  it('an aborted signal stops with a cancelled error', async () => {
    const m = wholeVolumeManifest([64, 64, 64], [1.5, 1.5, 1.5]);
    const ctl = new AbortController();
    ctl.abort();
    const err = await runPipeline(
      ball,
      m,
      threshold,
      { batch: null, spatial: [null, null, null] },
      { signal: ctl.signal },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err.code).toBe('cancelled');
  });
});
