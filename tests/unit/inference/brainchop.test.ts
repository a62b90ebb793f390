/**
 * brainchop import. The reference is the ORIGINAL tfjs model (model.json + shards) run by
 * @tensorflow/tfjs-layers on the tfjs CPU backend, fed the way brainchop feeds it (slices stacked
 * into [k, j, i], transposed when enableTranspose); the converted ONNX runs in onnxruntime on the
 * same crop in voxseg layout (tensor[0, 0, k, j, i] = grid[i, j, k]).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBrainchop, importModelCommand, loadBrainchopModel } from '../../../src/cli/commands/import-model';
import { VoxsegError } from '../../../src/core/errors';
import { readNifti } from '../../../src/io/nifti/index';
import {
  convertBrainchop,
  selectBrainchopSettings,
  type BrainchopSource,
} from '../../../src/inference/brainchop/convert';
import { parseManifest } from '../../../src/inference/manifest';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { forwardLayers } from '../helpers/brainchop-tfjs';
import { describeShared, sharedPath } from '../helpers/shared';
import { catchVoxseg } from '../helpers/errors';

type Dims = [number, number, number];
type Json = Record<string, any>;

const MODELS = 'models/brainchop-tfjs';
const T1 = 'nifti/mr/t1_crop.nii.gz';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Run the tfjs layers model on grid (i fastest, dims nx, ny, nz) the brainchop way; returns [x, y, z, C] channels-last logits. */
async function tfjsPredict(
  modelJson: Json,
  weightData: Uint8Array,
  grid: Float32Array,
  dims: Dims,
  transpose: boolean,
): Promise<Float32Array> {
  const [nx, ny, nz] = dims;
  const topology = structuredClone(modelJson.modelTopology);
  const input = topology.model_config.config.layers[0];
  input.config.batch_input_shape = [null, ...(transpose ? [nx, ny, nz] : [nz, ny, nx]), 1];
  const weightSpecs = modelJson.weightsManifest.flatMap((g: Json) => g.weights);
  const weights = weightData.slice().buffer;
  const model = await tfl.loadLayersModel({
    load: async () => ({ modelTopology: topology, weightSpecs, weightData: weights }),
  });
  const feed = tf.tidy(() => {
    let x: tf.Tensor = tf.tensor3d(grid, [nz, ny, nx]); // brainchop: slices stacked -> [k, j, i]
    if (transpose) x = tf.transpose(x); // -> [i, j, k]
    return tf.reshape(x, [1, ...x.shape, 1]);
  });
  // Layer by layer as brainchop runs it, with its normalization after layers named *_gn (mindgrab).
  const out = await forwardLayers(model, feed);
  feed.dispose();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return data;
}

async function ortPredict(
  onnx: Uint8Array,
  grid: Float32Array,
  dims: Dims,
): Promise<{ data: Float32Array; channels: number }> {
  const session = await ort.InferenceSession.create(onnx);
  const r = await session.run({ input: new ort.Tensor('float32', grid, [1, 1, dims[2], dims[1], dims[0]]) });
  await session.release();
  expect(r.output.dims).toEqual([1, r.output.dims[1], dims[2], dims[1], dims[0]]);
  return { data: r.output.data as Float32Array, channels: r.output.dims[1] };
}

/** Max |difference|, logit scale and argmax agreement between tfjs [.., C] and ONNX [C, k, j, i] outputs. */
function compare(ref: Float32Array, out: Float32Array, C: number, dims: Dims, transpose: boolean) {
  const [nx, ny, nz] = dims;
  const V = nx * ny * nz;
  let maxDiff = 0;
  let scale = 0;
  let agree = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        const t = (transpose ? (i * ny + j) * nz + k : v) * C;
        let a = 0;
        let b = 0;
        for (let c = 0; c < C; c++) {
          const r = ref[t + c];
          const o = out[c * V + v];
          maxDiff = Math.max(maxDiff, Math.abs(r - o));
          scale = Math.max(scale, Math.abs(r));
          if (r > ref[t + a]) a = c;
          if (o > out[b * V + v]) b = c;
        }
        if (a === b) agree++;
      }
  return { maxDiff, scale, rel: maxDiff / scale, agreement: agree / V };
}

function shardBytes(src: BrainchopSource, json: Json): Uint8Array {
  const parts: Uint8Array[] = json.weightsManifest.flatMap((g: Json) => g.paths.map((p: string) => src.shard(p)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

// ---------------------------------------------------------------------------------------------

describeShared(MODELS, 'brainchop models: conversion and settings', () => {
  const dir = sharedPath(MODELS);
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const list = JSON.parse(readFileSync(join(dir, 'models-list.json'), 'utf8'));

  it('converts every model in the folder to ONNX that voxseg accepts', async () => {
    const files = folders.flatMap((f) =>
      readdirSync(join(dir, f))
        .filter((n) => /\.json$/.test(n) && !n.startsWith('colormap'))
        .map((n) => join(dir, f, n)),
    );
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const r = await importBrainchop(file);
      const info = inspectOnnx(r.onnx, file);
      const m = parseManifest(r.manifest);
      expect(info.inputs).toEqual([
        { name: 'input', elemType: 'float32', dims: ['batch', 1, 'd', 'h', 'w'], hasShape: true },
      ]);
      expect(info.outputs[0].dims).toEqual(['batch', m.model.channels, 'd', 'h', 'w']);
      // (ReduceMean, Sub, Sqrt, Div: brainchop's normalization after mindgrab's *_gn layers.)
      expect(
        info.ops.every((o) =>
          ['Conv', 'Relu', 'Elu', 'Mul', 'Erf', 'Add', 'ReduceMean', 'Sub', 'Sqrt', 'Div'].includes(o),
        ),
        info.ops.join(),
      ).toBe(true);
      expect(info.convs.every((c) => c.kernelRank === 3 && c.opType === 'Conv')).toBe(true);
      expect(info.initializerBytes / 4).toBeGreaterThanOrEqual(r.summary.parameters);
      expect(m.model.sha256).toBe(createHash('sha256').update(r.onnx).digest('hex'));
      expect(m.preprocessing).toMatchObject({
        mode: 'whole-volume',
        conform: { dims: [256, 256, 256], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
      });
      expect(m.postprocessing.decision).toBe('argmax');
    }
  });

  it('fills the manifest from the colormap and each models-list entry', async () => {
    const r18 = await importBrainchop(join(dir, 'model18cls'), { settingsFile: join(dir, 'models-list.json') });
    const m = r18.manifest;
    expect(m.id).toBe('brainchop-model18cls-6');
    expect(m.name).toBe('Subcortical + GWM (Low Mem, Faster)');
    expect(m.license).toBe('MIT');
    expect(m.provenance.source).toMatch(/brainchop.*model18cls/);
    expect(m.model).toMatchObject({
      file: 'model.onnx',
      input: 'input',
      output: 'output',
      layout: 'NCDHW',
      channels: 18,
    });
    expect(m.labels).toHaveLength(17);
    expect(m.labels[0]).toEqual({ value: 1, name: 'Cerebral-White-Matter', color: [245, 245, 245] });
    expect(m.preprocessing).toMatchObject({ crop: { padding: 0, threshold: 0.2 }, normalization: { kind: 'minmax' } });
    expect(r18.summary).toMatchObject({ layers: 20, convolutions: 10, classes: 18 });

    for (const entry of list.inferenceModelsList as Json[]) {
      const folder = String(entry.path).split('/').slice(-2)[0];
      const r = await importBrainchop(join(dir, folder), { settingsFile: join(dir, 'models-list.json'), id: entry.id });
      const mm = parseManifest(r.manifest);
      expect(mm.preprocessing.normalization).toEqual(
        entry.enableQuantileNorm
          ? { kind: 'quantile', lower: 0.05, upper: 0.95, clip: false, rule: 'brainchop' }
          : { kind: 'minmax' },
      );
      const crop = mm.preprocessing.mode === 'whole-volume' ? mm.preprocessing.crop : undefined;
      if (entry.preModelId) {
        // The pre-model (entry 1 for every shipped one: the light tissue model) comes along as premodel.onnx.
        expect(crop).toMatchObject({
          padding: entry.cropPadding,
          preModel: {
            file: 'premodel.onnx',
            input: 'input',
            output: 'output',
            channels: 3,
            normalization: { kind: 'minmax' },
          },
        });
        expect(crop?.preModel?.sha256).toBe(createHash('sha256').update(r.preModel!.onnx).digest('hex'));
        expect(crop?.threshold).toBeUndefined();
      } else {
        expect(crop).toEqual(
          entry.autoThreshold > 0
            ? { padding: entry.cropPadding, threshold: entry.autoThreshold }
            : { padding: entry.cropPadding },
        );
        expect(r.preModel).toBeUndefined();
      }
      expect(mm.postprocessing.largestForeground).toBe(true);
      expect(mm.postprocessing.maskedImage).toBe(entry.type === 'Brain_Extraction' ? true : undefined);
      if (entry.type === 'Brain_Masking' || entry.type === 'Brain_Extraction') {
        expect(mm.labels).toEqual([{ value: 1, name: 'Brain Mask', color: [217, 119, 33] }]);
        expect(mm.postprocessing.channelLabels).toEqual([0, ...Array(mm.model.channels - 1).fill(1)]);
      } else {
        const cm = JSON.parse(readFileSync(join(dir, folder, String(entry.colormapPath).split('/').pop()!), 'utf8'));
        expect(cm.labels).toHaveLength(mm.model.channels);
        expect(mm.labels.map((l) => l.name)).toEqual(cm.labels.slice(1));
        expect(mm.postprocessing.channelLabels).toBeUndefined();
      }
    }
    // Without settings: the colormap whose size matches the output, quantile when model.json says so.
    const m5 = (await importBrainchop(join(dir, 'model5_gw_ae'))).manifest;
    expect(m5.labels.map((l) => l.name)).toEqual(['White Matter', 'Grey Matter']);
    expect((await importBrainchop(join(dir, 'model30chan50cls'))).manifest.preprocessing.normalization.kind).toBe(
      'quantile',
    );
    const m11 = await importBrainchop(join(dir, 'model11_gw_ae'));
    expect(m11.manifest.labels.map((l) => l.name)).toEqual(['Class 1', 'Class 2']);
    expect(m11.summary.notes.join()).toMatch(/no colormap/);
  });

  it('picks the settings entry by path and refuses ambiguous or missing ones', () => {
    expect(selectBrainchopSettings(list, 'model18cls').id).toBe(6);
    expect(selectBrainchopSettings(list, 'model30chan18cls').id).toBe(4); // 4, 5, 7 agree on what the import uses
    expect(selectBrainchopSettings(list, 'model5_gw_ae', 'model.json', 12).type).toBe('Brain_Masking');
    const ambiguous = catchVoxseg(() => selectBrainchopSettings(list, 'model5_gw_ae'));
    expect(ambiguous.code).toBe('usage');
    expect(ambiguous.message).toMatch(
      /3 settings entries use model5_gw_ae\/model.json differently; choose one with --id: 1 .*, 10 .*, 12 /,
    );
    expect(catchVoxseg(() => selectBrainchopSettings(list, 'model21_104class', 'model_D95.json')).message).toMatch(
      /no settings entry names/,
    );
    expect(catchVoxseg(() => selectBrainchopSettings(list, 'x', 'model.json', 99)).message).toMatch(
      /no settings entry with id 99/,
    );
  });

  it('rejects unsupported layers, activations and short weight files with clear messages', async () => {
    const src = await loadBrainchopModel(join(dir, 'model5_gw_ae'));
    const json = src.modelJson as Json;
    const withLayer = structuredClone(json);
    withLayer.modelTopology.model_config.config.layers.splice(3, 0, {
      class_name: 'MaxPooling3D',
      config: { name: 'pool', pool_size: [2, 2, 2] },
    });
    const e1 = catchVoxseg(() => convertBrainchop({ ...src, modelJson: withLayer }));
    expect(e1.code).toBe('invalid-model');
    expect(e1.message).toMatch(/model5_gw_ae\/model\.json: layer pool: layer type MaxPooling3D is not supported/);

    const withAct = structuredClone(json);
    withAct.modelTopology.model_config.config.layers[2].config.activation = 'exotic';
    expect(catchVoxseg(() => convertBrainchop({ ...src, modelJson: withAct })).message).toMatch(
      /activation "exotic" is not supported/,
    );

    const short = catchVoxseg(() => convertBrainchop({ ...src, shard: (p) => src.shard(p).subarray(0, 1000) }));
    expect(short.message).toMatch(/weight shards group1-shard1of1\.bin hold 1000 bytes, too few for weight/);

    const twoChannel = structuredClone(json);
    twoChannel.modelTopology.model_config.config.layers[0].config.batch_input_shape = [null, 256, 256, 256, 2];
    expect(catchVoxseg(() => convertBrainchop({ ...src, modelJson: twoChannel })).message).toMatch(
      /expected 1 input channel/,
    );
    expect(catchVoxseg(() => convertBrainchop({ ...src, modelJson: { format: 'graph-model' } })).message).toMatch(
      /not a tfjs layers model/,
    );
  });

  it('import-model command writes model.onnx and manifest.json and prints a summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'voxseg-import-'));
    try {
      const lines: string[] = [];
      const io = { out: (t: string) => void lines.push(t), err: () => {} };
      const code = await importModelCommand.run(
        [join(dir, 'model30chan50cls'), '-o', out, '--settings', join(dir, 'models-list.json'), '--name', 'Aparc 50'],
        io,
      );
      expect(code).toBe(0);
      expect(lines.join('')).toMatch(
        /^brainchop-model30chan50cls-8: 20 layers \(10 Conv3D\), 197,030 parameters, 50 classes -> .*model\.onnx \(\d+ KiB\), .*manifest\.json\n$/,
      );
      const onnx = readFileSync(join(out, 'model.onnx'));
      const manifest = parseManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
      expect(manifest.name).toBe('Aparc 50');
      expect(manifest.model.sha256).toBe(createHash('sha256').update(onnx).digest('hex'));
      // Entry 8 crops with the labels of entry 1 (model5_gw_ae), found beside the settings file.
      const pre = manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.crop?.preModel : undefined;
      expect(pre?.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(join(out, 'premodel.onnx')))
          .digest('hex'),
      );
      expect(inspectOnnx(readFileSync(join(out, 'premodel.onnx'))).outputs[0].dims).toEqual([
        'batch',
        3,
        'd',
        'h',
        'w',
      ]);
      const usage = await importModelCommand
        .run([join(dir, 'model18cls'), '-o', out, '--id', '3'], io)
        .catch((e: VoxsegError) => e);
      expect(usage).toBeInstanceOf(VoxsegError);
      expect((usage as VoxsegError).code).toBe('usage');
      const missing = await importModelCommand.run([join(dir, 'nope'), '-o', out], io).catch((e: VoxsegError) => e);
      expect((missing as VoxsegError).code).toBe('not-found');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describeShared(MODELS, 'brainchop models: ONNX matches the original tfjs model', () => {
  let volume: { voxels: ArrayLike<number>; dims: Dims } | undefined;
  const measured: string[] = [];

  beforeAll(() => {
    const v = readNifti(new Uint8Array(readFileSync(sharedPath(T1))), T1);
    volume = { voxels: v.voxels, dims: v.header.dims as Dims };
  });
  afterAll(() => {
    if (measured.length) console.info(measured.join('\n'));
  });

  /** Centre crop of the T1, min-max normalised (i fastest). */
  function crop(dims: Dims): Float32Array {
    const { voxels, dims: d } = volume!;
    const o = dims.map((n, a) => Math.floor((d[a] - n) / 2));
    const g = new Float32Array(dims[0] * dims[1] * dims[2]);
    let p = 0;
    for (let k = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++) g[p++] = voxels[o[0] + i + d[0] * (o[1] + j + d[1] * (o[2] + k))];
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of g) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    return g.map((v) => (v - lo) / (hi - lo));
  }

  async function check(model: string, dims: Dims, transpose = true) {
    if (!volume) throw new Error(`${T1} is missing`);
    const src = await loadBrainchopModel(sharedPath(MODELS, model));
    const json = src.modelJson as Json;
    const grid = crop(dims);
    const conv = convertBrainchop(src, { settings: { enableTranspose: transpose } });
    const t0 = performance.now();
    const ref = await tfjsPredict(json, shardBytes(src, json), grid, dims, transpose);
    const t1 = performance.now();
    const { data, channels } = await ortPredict(conv.onnx, grid, dims);
    const c = compare(ref, data, channels, dims, transpose);
    measured.push(
      `${model} ${dims.join('x')}${transpose ? '' : ' (no transpose)'}: max |tfjs - onnx| ${c.maxDiff.toExponential(2)} (logits up to ${c.scale.toPrecision(3)}), ` +
        `argmax agreement ${(100 * c.agreement).toFixed(3)}%, tfjs ${((t1 - t0) / 1000).toFixed(1)} s`,
    );
    expect(c.rel).toBeLessThan(1e-4);
    expect(c.agreement).toBeGreaterThanOrEqual(0.999);
    return { src, grid, ref, conv };
  }

  it('model18cls (elu, 18 classes) on a 32x28x24 crop', async () => {
    await check('model18cls', [32, 28, 24]);
  });

  it('model30chan50cls (elu, 50 classes) on a 32x28x24 crop', async () => {
    await check('model30chan50cls', [32, 28, 24]);
  });

  it('mindgrab (gelu, no bias), model21_104class (relu, 104 classes), model20chan3cls, model11_gw_ae, model30chan18cls on small crops', async () => {
    await check('mindgrab', [20, 18, 16]);
    await check('model21_104class', [20, 18, 16]);
    await check('model20chan3cls', [18, 16, 14]);
    await check('model11_gw_ae', [18, 16, 14]);
    await check('model30chan18cls', [16, 14, 12]);
  });

  it('axis rule: transposed and untransposed brainchop inputs both match, and the wrong rule does not', async () => {
    const dims: Dims = [24, 20, 16];
    const { src, grid, ref } = await check('model5_gw_ae', dims, true);
    await check('model5_gw_ae', dims, false);
    const wrong = convertBrainchop(src, { settings: { enableTranspose: false } });
    const { data, channels } = await ortPredict(wrong.onnx, grid, dims);
    const c = compare(ref, data, channels, dims, true);
    expect(c.rel).toBeGreaterThan(1e-2);
  });

  it('onnxruntime-web (wasm) loads the converted model and agrees with onnxruntime-node', async () => {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    const src = await loadBrainchopModel(sharedPath(MODELS, 'model5_gw_ae'));
    const { onnx } = convertBrainchop(src);
    const dims: Dims = [20, 18, 16];
    const grid = crop(dims);
    const session = await web.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const r = await session.run({ input: new web.Tensor('float32', grid, [1, 1, dims[2], dims[1], dims[0]]) });
    await session.release();
    const native = await ortPredict(onnx, grid, dims);
    expect(r.output.dims).toEqual([1, 3, dims[2], dims[1], dims[0]]);
    const webData = r.output.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < webData.length; i++) maxDiff = Math.max(maxDiff, Math.abs(webData[i] - native.data[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

// ---------------------------------------------------------------------------------------------

/** float32 -> IEEE half bits (round to nearest). */
function toHalf(v: number): number {
  const x = new Uint32Array(Float32Array.of(v).buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 112;
  const m = x & 0x7fffff;
  if (e <= 0) return e < -10 ? sign : sign | ((((m | 0x800000) >> (1 - e)) + 0x1000) >> 13);
  if (e >= 31) return sign | 0x7c00;
  return sign | ((e << 10) + ((m + 0x1000) >> 13));
}

function noise(n: number, seed: number, amp = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * amp;
  });
}

describe('brainchop converter on a synthetic tfjs model', () => {
  /**
   * Keras functional model exercising what the real models do not: non-cubic kernels and
   * per-axis dilation (axis order), strided 'same' (TF's extra padding at the end), 'valid',
   * activations inside Conv3D, LeakyReLU/ReLU/Dropout layers, softmax, and uint8/uint16/float16
   * quantized weights in two shards. (tfjs-layers has no 5-D BatchNormalization, so brainchop
   * models cannot use it and the converter rejects it.)
   */
  function synthetic() {
    const conv = (name: string, filters: number, k: number[], extra: Json = {}) => ({
      class_name: 'Conv3D',
      config: {
        name,
        filters,
        kernel_size: k,
        strides: [1, 1, 1],
        dilation_rate: [1, 1, 1],
        padding: 'same',
        data_format: 'channels_last',
        activation: 'linear',
        use_bias: true,
        dtype: 'float32',
        ...extra,
      },
    });
    const layers: Json[] = [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 9, 8, 7, 1], dtype: 'float32', name: 'input' } },
      conv('c1', 4, [3, 1, 2], { dilation_rate: [1, 2, 1], activation: 'relu' }),
      { class_name: 'LeakyReLU', config: { name: 'leaky', alpha: 0.2 } },
      conv('c2', 5, [2, 3, 3], { strides: [2, 1, 2] }),
      { class_name: 'Activation', config: { name: 'a2', activation: 'elu' } },
      { class_name: 'Dropout', config: { name: 'drop', rate: 0.5 } },
      conv('c3', 3, [1, 2, 3], { activation: 'sigmoid', padding: 'valid' }),
      { class_name: 'ReLU', config: { name: 'r', max_value: 0.7 } },
      conv('output', 3, [1, 1, 1], { activation: 'softmax' }),
    ];
    for (const [n, l] of layers.entries()) {
      l.name = l.config.name;
      l.inbound_nodes = n ? [[[layers[n - 1].name, 0, 0, {}]]] : [];
    }
    const shapes: [string, number[]][] = [
      ['c1/kernel', [3, 1, 2, 1, 4]],
      ['c1/bias', [4]],
      ['c2/kernel', [2, 3, 3, 4, 5]],
      ['c2/bias', [5]],
      ['c3/kernel', [1, 2, 3, 5, 3]],
      ['c3/bias', [3]],
      ['output/kernel', [1, 1, 1, 3, 3]],
      ['output/bias', [3]],
    ];
    const quant = ['uint8', 'float16', 'uint16', 'float16', 'float16', 'uint8', 'float32', 'float32'];
    const specs: Json[] = [];
    const chunks: Uint8Array[] = [];
    shapes.forEach(([name, shape], n) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const v = noise(size, n + 11);
      const q = quant[n];
      const spec: Json = { name, shape, dtype: 'float32' };
      if (q === 'float32') chunks.push(new Uint8Array(v.buffer));
      else if (q === 'float16') {
        spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
        chunks.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer));
      } else {
        const levels = q === 'uint8' ? 255 : 65535;
        const min = Math.min(...v);
        const scale = (Math.max(...v) - min) / levels;
        spec.quantization = { dtype: q, min, scale, original_dtype: 'float32' };
        const ints = v.map((x) => Math.round((x - min) / scale));
        chunks.push(q === 'uint8' ? Uint8Array.from(ints) : new Uint8Array(Uint16Array.from(ints).buffer));
      }
      specs.push(spec);
    });
    // Two shards split mid-weight, as the tfjs converter does.
    const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
    chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
    const cut = Math.floor(all.length / 2) + 1;
    const shards: Record<string, Uint8Array> = { 's1.bin': all.slice(0, cut), 's2.bin': all.slice(cut) };
    const modelJson = {
      format: 'layers-model',
      modelTopology: {
        keras_version: '2.7.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Functional',
          config: { name: 'm', layers, input_layers: [['input', 0, 0]], output_layers: [['output', 0, 0]] },
        },
      },
      weightsManifest: [{ paths: ['s1.bin', 's2.bin'], weights: specs }],
    };
    return {
      modelJson,
      all,
      src: { modelJson, shard: (p: string) => shards[p], modelId: 'synthetic' } as BrainchopSource,
    };
  }

  it('matches tfjs-layers (quantized weights, strides, per-axis dilation) in both axis conventions', async () => {
    const { modelJson, all, src } = synthetic();
    const dims: Dims = [9, 8, 7];
    const grid = noise(9 * 8 * 7, 5).map((v) => (v + 1) / 2);
    for (const transpose of [true, false]) {
      const conv = convertBrainchop(src, { settings: { enableTranspose: transpose } });
      expect(conv.summary.activations.sort()).toEqual(['elu', 'leakyrelu', 'relu', 'sigmoid', 'softmax']);
      const ref = await tfjsPredict(modelJson, all, grid, dims, transpose);
      // Strided output: (9, 8, 7) -> x ceil(9/2)=5, y 8, z ceil(7/2)=4 then 'valid' (1, 2, 3) -> 5, 7, 2 on the Keras axes.
      const kerasOut = transpose ? [5, 7, 2] : [4 - 0, 8 - 1, 5 - 2];
      const session = await ort.InferenceSession.create(conv.onnx);
      const r = await session.run({ input: new ort.Tensor('float32', grid, [1, 1, dims[2], dims[1], dims[0]]) });
      const od = r.output.dims.slice(2) as number[];
      expect(od).toEqual(transpose ? [...kerasOut].reverse() : kerasOut);
      const out = r.output.data as Float32Array;
      const C = 3;
      const [a0, a1, a2] = od; // ONNX spatial dims
      let maxDiff = 0;
      for (let p = 0; p < a0; p++)
        for (let q = 0; q < a1; q++)
          for (let s = 0; s < a2; s++)
            for (let c = 0; c < C; c++) {
              const onnxIdx = ((c * a0 + p) * a1 + q) * a2 + s;
              const tfIdx = (transpose ? (s * a1 + q) * a0 + p : (p * a1 + q) * a2 + s) * C + c;
              maxDiff = Math.max(maxDiff, Math.abs(out[onnxIdx] - ref[tfIdx]));
            }
      expect(maxDiff).toBeLessThan(1e-5);
      const info = inspectOnnx(conv.onnx);
      expect(info.ops).toEqual(['Clip', 'Conv', 'Elu', 'Identity', 'LeakyRelu', 'Relu', 'Sigmoid', 'Softmax']);
    }
  });

  it('converts the Sequential form of the same model to the same ONNX', () => {
    const { modelJson, src } = synthetic();
    const [input, ...rest] = structuredClone(modelJson.modelTopology.model_config.config.layers) as Json[];
    for (const l of rest) delete l.inbound_nodes;
    rest[0].config.batch_input_shape = input.config.batch_input_shape;
    const sequential = {
      ...modelJson,
      modelTopology: { model_config: { class_name: 'Sequential', config: { name: 'm', layers: rest } } },
    };
    const a = convertBrainchop(src);
    const b = convertBrainchop({ ...src, modelJson: sequential });
    expect(b.summary.layers).toBe(a.summary.layers - 1);
    expect(b.onnx).toEqual(a.onnx);
  });
});
