/**
 * brainchop import: a MeshNet-style tfjs layers model (`model.json` + weight shards, Keras,
 * channels-last) becomes an ONNX model in voxseg layout plus its voxseg manifest.
 *
 * Axis rule. voxseg feeds tensor[0, 0, k, j, i] = grid[i, j, k] (NCDHW, the flat buffer as is).
 * brainchop stacks the slices of the conformed volume into a [k, j, i] tensor and, with
 * `enableTranspose`, transposes it, so the tfjs model sees input[0, i, j, k, 0] = grid[i, j, k]:
 * its spatial axes are ours reversed. A Keras kernel K[k0, k1, k2, in, out] therefore becomes
 * W[out, in, a, b, c] = K[c, b, a, in, out] (perm 4, 3, 2, 1, 0) with dilations, strides and pads
 * reversed; without `enableTranspose` the axes already agree (perm 4, 3, 0, 1, 2).
 * 'same' padding at stride 1 is total = dilation * (kernel - 1), split like TensorFlow (extra at
 * the end); strided 'same' convolutions use auto_pad SAME_UPPER (TensorFlow's rule for any size).
 * Spatial dims stay symbolic so the engine can feed cropped volumes.
 */
import { VoxsegError } from '../../core/errors';
import type { CropSpec, LabelInfo, ModelManifest } from '../manifest';
import { OnnxGraph, attr } from '../onnx/writer';

/** One entry of brainchop's model list (brainchop-parameters.js `inferenceModelsList`). */
export interface BrainchopSettings {
  id?: number;
  type?: string;
  path?: string;
  modelName?: string;
  description?: string;
  colormapPath?: string;
  preModelId?: number | null;
  enableTranspose?: boolean;
  enableCrop?: boolean;
  cropPadding?: number;
  autoThreshold?: number;
  enableQuantileNorm?: boolean;
  filterOutWithPreMask?: boolean;
}

export interface BrainchopColormap {
  R: number[];
  G: number[];
  B: number[];
  labels: string[];
}

export interface BrainchopSource {
  /** Parsed model.json. */
  modelJson: unknown;
  /** Bytes of a weight shard named in `weightsManifest[].paths`. */
  shard: (path: string) => Uint8Array;
  /** colormap*.json files of the model folder by file name (parsed JSON). */
  colormaps?: Record<string, unknown>;
  /** Model folder name, e.g. 'model18cls' (used for ids and provenance). */
  modelId: string;
  /** model.json path for messages. */
  file?: string;
}

export interface BrainchopOptions {
  settings?: BrainchopSettings;
  /** Display name (default: settings modelName, else the folder name). */
  name?: string;
  /** Manifest id (default brainchop-<folder>[-<settings id>]). */
  id?: string;
  /** ONNX file name written in the manifest (default model.onnx). */
  onnxFile?: string;
  /**
   * The model the settings' `preModelId` names (brainchop crops to its labels), converted into
   * `premodel.onnx` beside the main model.
   */
  preModel?: { src: BrainchopSource; settings: BrainchopSettings };
  /** brainchop's `isPostProcessEnable` (default true): keep the largest connected labelled region. */
  postProcess?: boolean;
}

export interface BrainchopConversion {
  onnx: Uint8Array;
  manifest: ModelManifest;
  /** The pre-model's ONNX, to be written as `manifest.preprocessing.crop.preModel.file`. */
  preModel?: { onnx: Uint8Array; file: string };
  summary: {
    layers: number;
    convolutions: number;
    parameters: number;
    classes: number;
    activations: string[];
    colormap?: string;
    notes: string[];
  };
}

interface KerasLayer {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

const BRAIN_TYPES = new Set(['Brain_Extraction', 'Brain_Masking']);
const SETTINGS_KEYS = [
  'enableTranspose',
  'enableCrop',
  'cropPadding',
  'enableQuantileNorm',
  'type',
  'colormapPath',
] as const;

// ---------------------------------------------------------------------------------------------
// Weights (tfjs weightsManifest, incl. uint8/uint16/float16 quantization)

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint16: 2, uint8: 1, bool: 1 };

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function readWeights(
  json: Record<string, unknown>,
  src: BrainchopSource,
  fail: (m: string) => never,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  if (!Array.isArray(json.weightsManifest)) fail('model.json has no weightsManifest');
  for (const group of json.weightsManifest as { paths: string[]; weights: WeightSpec[] }[]) {
    const parts = group.paths.map((p) => src.shard(p));
    const total = parts.reduce((a, p) => a + p.length, 0);
    const buf = new Uint8Array(total);
    parts.reduce((at, p) => (buf.set(p, at), at + p.length), 0);
    const dv = new DataView(buf.buffer);
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const kind = q ? q.dtype : w.dtype;
      const size = DTYPE_BYTES[kind];
      if (!size) fail(`weight ${w.name}: unsupported dtype ${JSON.stringify(kind)}`);
      if (at + n * size > total)
        fail(
          `weight shards ${group.paths.join(', ')} hold ${total} bytes, too few for weight ${w.name} (needs ${at + n * size})`,
        );
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const o = at + i * size;
        if (kind === 'float32') v[i] = dv.getFloat32(o, true);
        else if (kind === 'int32') v[i] = dv.getInt32(o, true);
        else if (kind === 'float16') v[i] = halfToFloat(dv.getUint16(o, true));
        else {
          const raw = kind === 'uint16' ? dv.getUint16(o, true) : buf[o];
          v[i] = q ? raw * (q.scale ?? 1) + (q.min ?? 0) : raw;
        }
      }
      out.set(w.name, v);
      at += n * size;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Layers

const SIMPLE_ACTIVATIONS: Record<string, string> = {
  relu: 'Relu',
  elu: 'Elu',
  selu: 'Selu',
  sigmoid: 'Sigmoid',
  hard_sigmoid: 'HardSigmoid',
  tanh: 'Tanh',
  softplus: 'Softplus',
  softsign: 'Softsign',
};

class Builder {
  readonly g = new OnnxGraph('brainchop');
  private consts = new Map<number, string>();
  private count = 0;
  parameters = 0;

  constructor(private readonly fail: (m: string) => never) {}

  tmp(base: string): string {
    return `${base}/t${this.count++}`;
  }

  scalar(v: number): string {
    let name = this.consts.get(v);
    if (!name) {
      name = `const_${this.consts.size}`;
      this.g.initializer(name, [v], []);
      this.consts.set(v, name);
    }
    return name;
  }

  /**
   * brainchop's LayerNormInPlace: per sample and channel, (x - mean) / sqrt(var + 1e-5) over the
   * spatial axes (population variance, no scale or shift), written out in plain ops (onnxruntime-web's
   * InstanceNormalization is not exact on WASM).
   */
  instanceNorm(x: string, out: string, layer: string): void {
    const g = this.g;
    // The mean over the volume as the mean of means, one axis at a time: each float32 sum runs
    // over at most one axis (a few hundred values), not millions (onnxruntime-web's WASM reduction
    // over all three axes drifts enough to move ~0.01% of mindgrab's mask).
    const mean3 = (t: string) =>
      [4, 3, 2].reduce((a, axis) => g.node('ReduceMean', [a], [this.tmp(layer)], { axes: [axis], keepdims: 1 }), t);
    const mean = mean3(x);
    const d = g.node('Sub', [x, mean], [this.tmp(layer)]);
    const variance = mean3(g.node('Mul', [d, d], [this.tmp(layer)]));
    const std = g.node('Sqrt', [g.node('Add', [variance, this.scalar(1e-5)], [this.tmp(layer)])], [this.tmp(layer)]);
    g.node('Div', [d, std], [out], {}, { name: `${layer}/norm` });
  }

  /** Apply a Keras activation by name to tensor x, writing `out`. */
  activation(kind: string, x: string, out: string, layer: string): void {
    const g = this.g;
    const op = SIMPLE_ACTIVATIONS[kind];
    if (op) g.node(op, [x], [out], op === 'Elu' ? { alpha: attr.float(1) } : {});
    else if (kind === 'linear') g.node('Identity', [x], [out]);
    else if (kind === 'relu6') g.node('Clip', [x, this.scalar(0), this.scalar(6)], [out]);
    else if (kind === 'softmax') g.node('Softmax', [x], [out], { axis: 1 });
    else if (kind === 'logsoftmax' || kind === 'log_softmax') g.node('LogSoftmax', [x], [out], { axis: 1 });
    else if (kind === 'swish' || kind === 'silu') g.node('Mul', [x, g.node('Sigmoid', [x], [this.tmp(layer)])], [out]);
    else if (kind === 'mish')
      g.node('Mul', [x, g.node('Tanh', [g.node('Softplus', [x], [this.tmp(layer)])], [this.tmp(layer)])], [out]);
    else if (kind === 'gelu') {
      // x * 0.5 * (1 + erf(x / sqrt 2)), as tfjs-layers computes it (Gelu is not in opset 17).
      const e = g.node('Erf', [g.node('Mul', [x, this.scalar(Math.SQRT1_2)], [this.tmp(layer)])], [this.tmp(layer)]);
      const cdf = g.node(
        'Mul',
        [g.node('Add', [e, this.scalar(1)], [this.tmp(layer)]), this.scalar(0.5)],
        [this.tmp(layer)],
      );
      g.node('Mul', [x, cdf], [out]);
    } else if (kind === 'gelu_new') {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const x3 = g.node('Mul', [x, g.node('Mul', [x, x], [this.tmp(layer)])], [this.tmp(layer)]);
      const inner = g.node(
        'Add',
        [x, g.node('Mul', [x3, this.scalar(0.044715)], [this.tmp(layer)])],
        [this.tmp(layer)],
      );
      const t = g.node(
        'Tanh',
        [g.node('Mul', [inner, this.scalar(Math.sqrt(2 / Math.PI))], [this.tmp(layer)])],
        [this.tmp(layer)],
      );
      const half = g.node(
        'Mul',
        [g.node('Add', [t, this.scalar(1)], [this.tmp(layer)]), this.scalar(0.5)],
        [this.tmp(layer)],
      );
      g.node('Mul', [x, half], [out]);
    } else this.fail(`layer ${layer}: activation ${JSON.stringify(kind)} is not supported`);
  }
}

function triple(v: unknown, dflt: number): number[] {
  return Array.isArray(v) ? v.map(Number) : [0, 1, 2].map(() => (typeof v === 'number' ? v : dflt));
}

function weight(
  weights: Map<string, Float32Array>,
  layer: string,
  part: string,
  fail: (m: string) => never,
): Float32Array {
  const key = `${layer}/${part}`;
  const v = weights.get(key) ?? [...weights].find(([k]) => k.endsWith(`/${key}`))?.[1];
  if (!v) fail(`layer ${layer}: weight ${key} is missing from weightsManifest`);
  return v;
}

/** Names of the layers feeding a layer (Keras functional inbound_nodes; previous layer for Sequential). */
function inboundOf(layer: KerasLayer, previous: string | undefined): string[] {
  const nodes = layer.inbound_nodes;
  if (Array.isArray(nodes) && nodes.length) {
    const first = nodes[0] as unknown;
    if (Array.isArray(first)) return first.map((e) => String((e as unknown[])[0]));
    const args = (first as { args?: unknown[] }).args;
    if (Array.isArray(args)) {
      const list = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
      return list.map((a) => String((a as { config?: { keras_history?: unknown[] } }).config?.keras_history?.[0]));
    }
  }
  return previous === undefined ? [] : [previous];
}

// ---------------------------------------------------------------------------------------------

function colormapOf(v: unknown, file: string, fail: (m: string) => never): BrainchopColormap {
  const c = v as Partial<BrainchopColormap> | null;
  const ok = (a: unknown) => Array.isArray(a) && a.length === (c?.labels?.length ?? -1);
  if (!c || !Array.isArray(c.labels) || !ok(c.R) || !ok(c.G) || !ok(c.B))
    fail(`${file}: colormap needs arrays R, G, B and labels of the same length`);
  return c as BrainchopColormap;
}

function paletteColor(n: number): [number, number, number] {
  const h = (n * 0.618034) % 1;
  const f = (k: number) => Math.round(255 * Math.max(0, Math.min(1, Math.abs(((h * 6 + k) % 6) - 3) - 1)));
  return [f(0), f(4), f(2)];
}

/** Pick the model-list entry for a model: by id, else the entry whose path names this folder and file. */
export function selectBrainchopSettings(
  list: unknown,
  modelId: string,
  modelFile = 'model.json',
  id?: number,
): BrainchopSettings {
  const entries = (
    Array.isArray(list) ? list : ((list as { inferenceModelsList?: unknown })?.inferenceModelsList ?? [list])
  ) as BrainchopSettings[];
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'object' && e !== null))
    throw new VoxsegError('usage', 'settings file must hold brainchop inferenceModelsList entries');
  if (id !== undefined) {
    const hit = entries.find((e) => e.id === id);
    if (!hit)
      throw new VoxsegError('usage', `no settings entry with id ${id} (ids: ${entries.map((e) => e.id).join(', ')})`);
    return hit;
  }
  const hits = entries.filter(
    (e) => typeof e.path === 'string' && e.path.replace(/\\/g, '/').endsWith(`/${modelId}/${modelFile}`),
  );
  if (!hits.length)
    throw new VoxsegError('usage', `no settings entry names ${modelId}/${modelFile}; choose one with --id`);
  const differ = hits.some((h) => SETTINGS_KEYS.some((k) => JSON.stringify(h[k]) !== JSON.stringify(hits[0][k])));
  if (differ)
    throw new VoxsegError(
      'usage',
      `${hits.length} settings entries use ${modelId}/${modelFile} differently; choose one with --id: ${hits.map((h) => `${h.id} (${h.modelName ?? h.type})`).join(', ')}`,
    );
  return hits[0];
}

/** Convert a brainchop tfjs model to ONNX bytes and a voxseg manifest. */
export function convertBrainchop(src: BrainchopSource, options: BrainchopOptions = {}): BrainchopConversion {
  const file = src.file ?? `${src.modelId}/model.json`;
  const fail: (m: string) => never = (m) => {
    throw new VoxsegError('invalid-model', m, { file });
  };
  const json = src.modelJson as Record<string, unknown>;
  const topo = (json?.modelTopology ?? {}) as { model_config?: { class_name?: string; config?: unknown } };
  if (json?.format !== undefined && json.format !== 'layers-model')
    fail(`format ${JSON.stringify(json.format)} is not a tfjs layers model`);
  const mc = topo.model_config;
  const cfg = mc?.config as { layers?: KerasLayer[]; output_layers?: unknown[] } | KerasLayer[] | undefined;
  const given = Array.isArray(cfg) ? cfg : cfg?.layers;
  if (!mc || !Array.isArray(given) || !given.length)
    fail('model.json has no modelTopology.model_config layers (not a tfjs layers model)');
  const settings = options.settings ?? {};
  const transpose = settings.enableTranspose ?? true;
  const axis = (a: number) => (transpose ? 2 - a : a); // Keras spatial axis of ONNX spatial axis a
  const weights = readWeights(json, src, fail);
  const b = new Builder(fail);
  const g = b.g;
  g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);

  const tensorOf = new Map<string, string>();
  const channelsOf = new Map<string, number>([['input', 1]]);
  const notes: string[] = [];
  const activations = new Set<string>();
  let convs = 0;
  let normalized = 0;
  let previous: string | undefined;
  const layers = [...given];
  // Sequential models carry the input shape on their first layer.
  if (layers[0].class_name !== 'InputLayer')
    layers.unshift({
      class_name: 'InputLayer',
      config: { name: '(input)', batch_input_shape: layers[0].config?.batch_input_shape },
    });
  const outLayers = Array.isArray(cfg) ? undefined : cfg?.output_layers;
  if (Array.isArray(outLayers) && outLayers.length !== 1)
    fail(`model has ${outLayers.length} outputs; only single-output models are supported`);
  const last = layers[layers.length - 1];
  const lastName = Array.isArray(outLayers?.[0])
    ? String((outLayers[0] as unknown[])[0])
    : (last.name ?? last.config?.name);
  for (const layer of layers) {
    const c = layer.config ?? {};
    const name = layer.name ?? c.name;
    const ins = inboundOf(layer, previous).map(
      (n) => tensorOf.get(n) ?? fail(`layer ${name}: input ${n} is not defined before it`),
    );
    const out = name === lastName ? 'output' : `${name}:0`;
    const one = () => (ins.length === 1 ? ins[0] : fail(`layer ${name} (${layer.class_name}) needs exactly one input`));
    const channels = ins.length ? (channelsOf.get(ins[0]) ?? 1) : 1;
    let outChannels = channels;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
        if (!Array.isArray(shape) || shape.length !== 5)
          fail(`input layer ${name}: expected a 5-D [batch, x, y, z, channels] input, got ${JSON.stringify(shape)}`);
        if (shape[4] !== 1) fail(`input layer ${name}: expected 1 input channel, got ${shape[4]}`);
        tensorOf.set(name, 'input');
        previous = name;
        continue;
      }
      case 'Conv3D': {
        if ((c.data_format ?? 'channels_last') !== 'channels_last')
          fail(`layer ${name}: data_format ${String(c.data_format)} is not supported`);
        if ((c.groups ?? 1) !== 1)
          fail(`layer ${name}: grouped convolution (groups ${String(c.groups)}) is not supported`);
        const ks = triple(c.kernel_size, 1);
        const dil = triple(c.dilation_rate, 1);
        const st = triple(c.strides, 1);
        const filters = c.filters as number;
        const k = weight(weights, name, 'kernel', fail);
        const cin = k.length / (ks[0] * ks[1] * ks[2] * filters);
        if (!Number.isInteger(cin) || cin !== channels)
          fail(`layer ${name}: kernel holds ${k.length} values, expected ${ks.join('x')}x${channels}x${filters}`);
        const o = [0, 1, 2].map(axis);
        const kd = o.map((q) => ks[q]);
        const w = new Float32Array(k.length);
        const idx = [0, 0, 0];
        let p = 0;
        for (let oc = 0; oc < filters; oc++)
          for (let ic = 0; ic < cin; ic++)
            for (idx[0] = 0; idx[0] < kd[0]; idx[0]++)
              for (idx[1] = 0; idx[1] < kd[1]; idx[1]++)
                for (idx[2] = 0; idx[2] < kd[2]; idx[2]++) {
                  const kk = [0, 0, 0];
                  for (let a = 0; a < 3; a++) kk[o[a]] = idx[a];
                  w[p++] = k[(((kk[0] * ks[1] + kk[1]) * ks[2] + kk[2]) * cin + ic) * filters + oc];
                }
        g.initializer(`${name}/W`, w, [filters, cin, ...kd]);
        const inputs = [one(), `${name}/W`];
        if (c.use_bias !== false) {
          g.initializer(`${name}/B`, weight(weights, name, 'bias', fail), [filters]);
          inputs.push(`${name}/B`);
        }
        const strided = o.some((q) => st[q] !== 1);
        const pads =
          c.padding === 'valid'
            ? [0, 0, 0, 0, 0, 0]
            : c.padding === 'same'
              ? [
                  ...o.map((q) => Math.floor((dil[q] * (ks[q] - 1)) / 2)),
                  ...o.map((q) => Math.ceil((dil[q] * (ks[q] - 1)) / 2)),
                ]
              : fail(`layer ${name}: padding ${JSON.stringify(c.padding)} is not supported`);
        const act = (c.activation as string | undefined) ?? 'linear';
        // brainchop normalizes the output of every layer named *_gn (mindgrab) per channel over the
        // whole volume; model.json does not say so.
        const gn = name.endsWith('_gn');
        const layerOut = gn ? b.tmp(name) : out;
        const convOut = act === 'linear' ? layerOut : b.tmp(name);
        g.node(
          'Conv',
          inputs,
          [convOut],
          {
            kernel_shape: kd,
            dilations: o.map((q) => dil[q]),
            strides: o.map((q) => st[q]),
            ...(strided && c.padding === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads }),
          },
          { name },
        );
        if (act !== 'linear') {
          activations.add(act);
          b.activation(act, convOut, layerOut, name);
        }
        if (gn) {
          b.instanceNorm(layerOut, out, name);
          normalized++;
        }
        b.parameters += k.length + (c.use_bias !== false ? filters : 0);
        outChannels = filters;
        convs++;
        break;
      }
      case 'Activation': {
        const act = c.activation as string;
        activations.add(act);
        b.activation(act, one(), out, name);
        break;
      }
      case 'ReLU':
      case 'ELU':
      case 'LeakyReLU':
      case 'Softmax': {
        if (layer.class_name === 'ReLU' && (Number(c.negative_slope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0))
          fail(`layer ${name}: ReLU with negative_slope/threshold is not supported`);
        if (layer.class_name === 'Softmax' && ![-1, 4, undefined].includes(c.axis as number))
          fail(`layer ${name}: softmax over axis ${String(c.axis)} is not supported`);
        const x = one();
        if (layer.class_name === 'ReLU' && c.max_value != null)
          g.node('Clip', [x, b.scalar(0), b.scalar(Number(c.max_value))], [out], {}, { name });
        else if (layer.class_name === 'ReLU') g.node('Relu', [x], [out], {}, { name });
        else if (layer.class_name === 'ELU')
          g.node('Elu', [x], [out], { alpha: attr.float(Number(c.alpha ?? 1)) }, { name });
        else if (layer.class_name === 'LeakyReLU')
          g.node('LeakyRelu', [x], [out], { alpha: attr.float(Number(c.alpha ?? 0.3)) }, { name });
        else g.node('Softmax', [x], [out], { axis: 1 }, { name });
        activations.add(layer.class_name.toLowerCase());
        break;
      }
      case 'Dropout':
      case 'SpatialDropout3D':
      case 'GaussianNoise':
      case 'GaussianDropout':
        g.node('Identity', [one()], [out], {}, { name });
        break;
      case 'Add':
        g.node('Sum', ins, [out], {}, { name });
        break;
      case 'Concatenate': {
        if (![-1, 4, undefined].includes(c.axis as number))
          fail(`layer ${name}: concatenation over axis ${String(c.axis)} is not supported`);
        g.node('Concat', ins, [out], { axis: 1 }, { name });
        outChannels = ins.reduce((a, t) => a + (channelsOf.get(t) ?? 0), 0);
        break;
      }
      default:
        fail(
          `layer ${name}: layer type ${layer.class_name} is not supported (supported: InputLayer, Conv3D, Activation, ReLU, ELU, LeakyReLU, Softmax, Dropout, Add, Concatenate)`,
        );
    }
    tensorOf.set(name, out);
    channelsOf.set(out, outChannels);
    previous = name;
  }
  if (tensorOf.get(lastName) !== 'output') fail(`output layer ${lastName} is missing or is the input layer`);
  if (!convs) fail('model has no Conv3D layer');
  if (normalized)
    notes.push(`${normalized} layers named *_gn are followed by brainchop's per-channel normalization over the volume`);
  const channels = channelsOf.get('output') ?? 1;
  if (channels < 2) fail('model has a single output channel; brainchop models give background plus at least one class');
  g.output('output', 'float32', ['batch', channels, 'd', 'h', 'w']);
  const onnx = g.toBytes({
    producer: 'voxseg',
    producerVersion: 'brainchop-import',
    opset: 17,
    metadata: { source: `brainchop ${src.modelId}` },
  });

  // Labels: channel c -> label c from the colormap (entry 0 is background). Brain masking and
  // extraction models are binarised as brainchop does (any non-background class = brain) and
  // labelled the way brainchop shows its brain mask.
  const maps = src.colormaps ?? {};
  const brain = settings.type !== undefined && BRAIN_TYPES.has(settings.type);
  const wanted = brain ? undefined : settings.colormapPath?.split('/').pop();
  if (wanted && !(wanted in maps)) fail(`colormap ${wanted} named by the settings is missing from the model folder`);
  const sized = Object.keys(maps).find((m) => (maps[m] as Partial<BrainchopColormap>)?.labels?.length === channels);
  const cmName = brain ? undefined : (wanted ?? sized ?? ('colormap.json' in maps ? 'colormap.json' : undefined));
  const cm = cmName ? colormapOf(maps[cmName], cmName, fail) : undefined;
  let labels: LabelInfo[];
  let channelLabels: number[] | undefined;
  if (brain) {
    labels = [{ value: 1, name: 'Brain Mask', color: [217, 119, 33] }];
    channelLabels = Array.from({ length: channels }, (_, ch) => (ch === 0 ? 0 : 1));
  } else {
    if (cm && cm.labels.length !== channels)
      notes.push(`${cmName} lists ${cm.labels.length} labels for ${channels} output channels`);
    if (!cm) notes.push('no colormap: labels are named Class 1..N');
    labels = Array.from({ length: channels - 1 }, (_, n) => {
      const v = n + 1;
      const has = cm && v < cm.labels.length;
      return {
        value: v,
        name: has ? String(cm.labels[v]) : `Class ${v}`,
        color: has ? ([cm.R[v], cm.G[v], cm.B[v]] as [number, number, number]) : paletteColor(v),
      };
    });
  }

  const quantile =
    settings.enableQuantileNorm ?? (options.settings ? false : /quantile/i.test(String(json._comment ?? '')));
  const crop = settings.enableCrop ?? true;
  let preModel: BrainchopConversion['preModel'];
  let cropSpec: CropSpec | undefined;
  if (crop) {
    cropSpec = { padding: settings.cropPadding ?? 0 };
    const t = settings.autoThreshold ?? 0;
    if (options.preModel) {
      if (!settings.preModelId) fail('a pre-model was given but the settings name no preModelId');
      const pre = convertBrainchop(options.preModel.src, {
        settings: { ...options.preModel.settings, type: 'Segmentation', preModelId: null },
        postProcess: false,
      });
      preModel = { onnx: pre.onnx, file: 'premodel.onnx' };
      cropSpec.preModel = {
        file: preModel.file,
        input: 'input',
        output: 'output',
        channels: pre.manifest.model.channels,
        normalization: pre.manifest.preprocessing.normalization,
      };
      notes.push(
        `crops to the labels of pre-model ${options.preModel.src.modelId} (settings entry ${settings.preModelId})`,
      );
    } else if (settings.preModelId) {
      fail(`the settings crop with the labels of pre-model ${settings.preModelId} (preModelId), which was not given`);
    } else if (t > 0 && t <= 1) cropSpec.threshold = t;
    if (settings.filterOutWithPreMask) notes.push('filterOutWithPreMask is not applied');
  }
  const sid = settings.id !== undefined ? `-${settings.id}` : '';
  const stem = file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.json$/i, '');
  const id =
    options.id ??
    `brainchop-${src.modelId}${stem === 'model' ? '' : `-${stem}`}${sid}`
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .slice(0, 64);
  const cleanName = settings.modelName?.replace(/^[^\p{L}\p{N}]+/u, '').trim();
  const manifest: ModelManifest = {
    schema: 'voxseg-model/1',
    id,
    name: options.name ?? (cleanName || src.modelId),
    version: '1.0',
    license: 'MIT',
    description:
      settings.description ?? `brainchop MeshNet model ${src.modelId} (${channels} classes incl. background)`,
    provenance: {
      source: `brainchop (github.com/neuroneural/brainchop, MIT), model ${src.modelId}${settings.id !== undefined ? `, model list entry ${settings.id}` : ''}; converted from tfjs by voxseg import-model`,
      training: typeof json._comment === 'string' ? json._comment : undefined,
    },
    intended: {
      modality: ['MR'],
      bodyPart: 'HEAD',
      notes: settings.type
        ? `brainchop ${settings.type} model; T1-weighted MRI conformed to 256^3 1 mm`
        : 'T1-weighted MRI conformed to 256^3 1 mm',
    },
    model: { file: options.onnxFile ?? 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels },
    labels,
    preprocessing: {
      mode: 'whole-volume',
      conform: { dims: [256, 256, 256], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
      crop: cropSpec,
      normalization: quantile
        ? { kind: 'quantile', lower: 0.05, upper: 0.95, clip: false, rule: 'brainchop' }
        : { kind: 'minmax' },
    },
    postprocessing: {
      activation: 'none',
      decision: 'argmax',
      channelLabels,
      ...(options.postProcess !== false ? { largestForeground: true } : {}),
      ...(settings.type === 'Brain_Extraction' ? { maskedImage: true } : {}),
    },
  };
  return {
    onnx,
    manifest,
    preModel,
    summary: {
      layers: given.length,
      convolutions: convs,
      parameters: b.parameters,
      classes: channels,
      activations: [...activations],
      colormap: cmName,
      notes,
    },
  };
}
