/**
 * nnU-Net v2 network (dynamic_network_architectures' PlainConvUNet / ResidualEncoderUNet) +
 * the folds' checkpoint weights -> one ONNX graph whose output is the mean of the folds' logits
 * (nnU-Net v2 sums the folds' logits and divides by their number).
 *
 * Graph: input 'input' float32 [batch, inputChannels, ...patch] (batch dynamic, spatial dims fixed
 * to `patch`, in nnU-Net's axis order), output 'output' float32 [batch, numClasses, ...patch].
 * The importer builds it with the plans' patch; the network is fully convolutional, so tests may
 * build it smaller (any size divisible by the product of the strides).
 *
 * Per fold, the exact eval-mode forward:
 * - ConvDropoutNormReLU = Conv (pads (k-1)/2 per side, the stage's stride on the first conv) ->
 *   instance norm (eps from the plans, scale/bias = the norm's weight/bias) -> LeakyRelu.
 *   Dropout is the identity at inference.
 * - The instance norm is written out (default) rather than as InstanceNormalization, because
 *   onnxruntime-web's WASM kernel sums a whole feature map in float32 and drifts from PyTorch
 *   (which accumulates its statistics in double on the CPU): plain-iso at 64x64x32 gave max
 *   |Δlogit| 3.7e-3 on WASM with the operator, 1.7e-4 written out (onnxruntime-node 5e-4 /
 *   2e-4). Written out: the mean as means of means along W, then H, then D (no float32 sum runs
 *   over more values than one patch dim), the variance two-pass from the centred values
 *   (ReduceSumSquare along W, so no squared copy of the volume), then
 *   (x - mean) * (scale / sqrt(var + eps)) + bias. Peak memory and run time measured the same as
 *   with the operator (plain-iso at 96^3, WASM and native, within the noise of a shared machine).
 *   `instanceNorm: 'operator'` writes the ONNX op instead.
 * - BasicBlockD = conv1 (with nonlinearity) -> conv2 (without) + skip, then LeakyRelu. The skip is
 *   the identity, or AvgPool(kernel = stride) and/or a 1x1x1 conv + norm. No 3-D pooling op is
 *   written (WebGPU has none): AvgPool(s) followed by the 1x1x1 conv W is exactly one Conv with
 *   kernel = stride = s and weights W / prod(s) at every kernel position; a pool-only skip is that
 *   Conv with identity / prod(s) weights (shared by every fold). Only the rounding order differs.
 * - UNetDecoder: transposed conv of the lower stage, Concat(upsampled, skip) in that order, the
 *   stage's convs, and only the last 1x1x1 seg layer (the deep-supervision heads are dropped).
 * - No ConvTranspose (WebGPU has no 3-D one): a transposed conv whose kernel equals its stride s
 *   writes each input voxel to its own s0 x s1 x s2 output block, so it is exactly a 1x1x1 Conv
 *   with C_out*s0*s1*s2 outputs (channel order o, a, b, c) followed by a depth-to-space
 *   rearrangement. That rearrangement is done with the lowest ranks found: the (b, c) in-plane
 *   interleave first (rank 5 after merging adjacent axes, rank 3 when one of them is 1), then the
 *   a/depth interleave (rank 4), each a Reshape (batch folded into the leading -1) + Transpose; a
 *   single rank-7 Transpose would do both at once. Stride-1 axes are skipped, so nnU-Net's usual
 *   [1, 2, 2] first stages need one Transpose. Kernel != stride is refused.
 *
 * Weights are looked up by their state_dict names ('module.' / '_orig_mod.' prefixes stripped);
 * a missing or mis-shaped tensor is a VoxsegError naming the checkpoint key and both shapes. As
 * PyTorch's strict load_state_dict, tensors the network does not use are an error, except the
 * duplicates the state_dict carries ('decoder.encoder.*' and '*.all_modules.*', which must equal
 * the tensors used) and the deep-supervision seg layers.
 *
 * `half`: the checkpoint's conv kernels (rank 5) are stored as float16 and Cast to float32 inside
 * the graph; biases and norm parameters (a tiny share) stay float32, and so do the identity
 * weights of pool-only skips (1/3 is no float16). All arithmetic stays float32, so the graph
 * runs unchanged on WASM and on WebGPU without 'shader-f16', and onnxruntime folds the Casts into
 * float32 initializers when it loads the model (graph optimisation 'all'): half only halves the
 * file, the download and the cache. A float16 graph would need fp16 kernels that onnxruntime's
 * WASM CPU provider lacks for Conv and that WebGPU offers only with 'shader-f16'.
 *
 * Memory: checkpoint tensors used as they are become initializers by reference (no copy); only
 * re-laid-out tensors (transposed convs, folded skips, float16) are new arrays; the model's bytes
 * are written once. ONNX files are limited to 2 GB (protobuf), checked before writing.
 */
import { VoxsegError } from '../../core/errors';
import { float32BitsToHalf } from '../accumulator';
import { attr, type Attributes, OnnxGraph } from '../onnx/writer';
import type { NnunetArchitecture, WeightMap, WeightTensor } from './types';

export interface NnunetOnnxOptions {
  /** Spatial input dims, nnU-Net axis order (the importer passes the plans' patch size). */
  patch: number[];
  /** Store conv weights as float16 (see the file comment). */
  half?: boolean;
  /** Graph name. */
  name?: string;
  /** Called after each fold and when the bytes are written. */
  onProgress?: (done: number, total: number) => void;
  /** The folds' checkpoint file names, for messages (default "fold #k checkpoint"). */
  files?: string[];
  /** How instance norms are written (default 'decomposed', see `Emitter.norm`). */
  instanceNorm?: 'decomposed' | 'operator';
}

export interface NnunetOnnx {
  bytes: Uint8Array;
  /** Parameters of one fold's inference network (deep-supervision heads excluded). */
  parameters: number;
  notes: string[];
}

const MAX_ONNX_BYTES = 2 ** 31 - 2 ** 24; // protobuf's 2 GB limit, less room for the graph itself

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// ---- checkpoint access -------------------------------------------------------------------------

const DUPLICATE_PREFIX = 'decoder.encoder.';
const ALL_MODULES = /^(.*)\.all_modules\.(\d+)\.(weight|bias)$/;

/** Bit-for-bit equality (NaNs included). */
function sameTensor(a: WeightTensor, b: WeightTensor): boolean {
  if (a.data === b.data) return true;
  if (a.data.length !== b.data.length || a.shape.join() !== b.shape.join()) return false;
  const x = new Int32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Int32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** One fold's weights: lookups by state_dict name with shape checks, and what was left over. */
class FoldWeights {
  private readonly prefix: string;
  private readonly used = new Map<string, WeightTensor>();
  parameters = 0;

  constructor(
    private readonly map: WeightMap,
    readonly file: string,
  ) {
    const keys = [...map.keys()];
    this.prefix =
      ['module._orig_mod.', '_orig_mod.', 'module.'].find(
        (p) => keys.length > 0 && keys.every((k) => k.startsWith(p)),
      ) ?? '';
  }

  private error(message: string): never {
    throw new VoxsegError('invalid-model', message, { file: this.file });
  }

  /** The stored shape of `key`, or null when absent. */
  shapeOf(key: string): number[] | null {
    return this.map.get(this.prefix + key)?.shape ?? null;
  }

  /** The tensor `key` with exactly `shape`. */
  take(key: string, shape: readonly number[], what = ''): WeightTensor {
    const t = this.map.get(this.prefix + key);
    if (!t)
      this.error(
        `checkpoint tensor "${key}" is missing (expected shape ${shapeText(shape)}${what}); the checkpoint does not match the plans' architecture`,
      );
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      this.error(
        `checkpoint tensor "${key}" has shape ${shapeText(t.shape)}, the plans' architecture needs ${shapeText(shape)}${what}`,
      );
    if (t.data.length !== product(shape))
      this.error(`checkpoint tensor "${key}" holds ${t.data.length} values for shape ${shapeText(t.shape)}`);
    if (!this.used.has(key)) this.parameters += t.data.length;
    this.used.set(key, t);
    return t;
  }

  /** Like load_state_dict(strict=True): everything else must be a duplicate or a deep-supervision head. */
  checkLeftovers(lastSegLayer: number): void {
    const unexpected: string[] = [];
    for (const [full, t] of this.map) {
      const key = full.slice(this.prefix.length);
      if (this.used.has(key)) continue;
      const seg = /^decoder\.seg_layers\.(\d+)\.(weight|bias)$/.exec(key);
      if (seg && Number(seg[1]) < lastSegLayer) continue; // deep-supervision head
      let canonical = key.startsWith(DUPLICATE_PREFIX) ? key.slice('decoder.'.length) : key;
      const m = ALL_MODULES.exec(canonical);
      if (m) canonical = `${m[1]}.${m[2] === '0' ? 'conv' : 'norm'}.${m[3]}`;
      const original = canonical !== key ? this.used.get(canonical) : undefined;
      if (!original) {
        unexpected.push(key);
        continue;
      }
      if (!sameTensor(t, original))
        this.error(`checkpoint tensors "${key}" and "${canonical}" are the same module's weights but differ`);
    }
    if (unexpected.length)
      this.error(
        `checkpoint has ${unexpected.length} tensor(s) the plans' architecture does not use (${unexpected
          .slice(0, 4)
          .map((k) => `"${k}"`)
          .join(', ')}${unexpected.length > 4 ? ', ...' : ''}); the checkpoint does not match plans.json`,
      );
  }
}

// ---- graph emission ----------------------------------------------------------------------------

class Emitter {
  readonly g: OnnxGraph;
  private count = 0;
  private readonly shapes = new Map<string, string>();
  private readonly poolWeights = new Map<string, string>();
  halfTensors = 0;

  constructor(
    name: string,
    private readonly half: boolean,
    private readonly eps: number,
    private readonly slope: number,
    readonly decompose: boolean,
  ) {
    this.g = new OnnxGraph(name);
  }

  fresh(base: string): string {
    let name = base;
    while (this.g.has(name)) name = `${base}_${++this.count}`;
    return name;
  }

  /**
   * A float32 value from a weight: an initializer, or (`half`, conv kernels from the checkpoint)
   * a float16 initializer + Cast. `shared`: `data` is the checkpoint's own array (kept by reference).
   */
  weight(name: string, data: Float32Array, dims: readonly number[], shared: boolean, file: string | null): string {
    if (!this.half || dims.length !== 5 || file === null) {
      this.g.initializer(name, data, dims, { share: shared });
      return name;
    }
    const bits = new Uint16Array(data.length);
    const u32 = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) {
      const h = float32BitsToHalf(u32[i]);
      if ((h & 0x7c00) === 0x7c00 && Number.isFinite(data[i]))
        throw new VoxsegError(
          'unsupported',
          `weight "${name}" holds ${data[i]}, beyond float16's range: import without half precision`,
          { file },
        );
      bits[i] = h;
    }
    this.halfTensors++;
    this.g.initializer(`${name}:f16`, bits, dims, { type: 'float16' });
    return this.g.node('Cast', [`${name}:f16`], [name], { to: 1 });
  }

  shape(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.shapes.get(key);
    if (!name) {
      name = this.fresh(`shape[${key}]`);
      this.g.int64(name, values);
      this.shapes.set(key, name);
    }
    return name;
  }

  /** Spatial dims of each activation (for the decomposed norm's divisor and the checks). */
  private readonly spatial = new Map<string, number[]>();

  setDims(name: string, dims: readonly number[]): string {
    this.spatial.set(name, [...dims]);
    return name;
  }

  dimsOf(name: string): number[] {
    const d = this.spatial.get(name);
    if (!d) throw new Error(`internal: spatial dims of ${name} unknown`);
    return d;
  }

  /** Elementwise node (Add, Concat on channels, ...) whose output has the spatial dims of its first input. */
  same(op: string, inputs: string[], out: string, attrs: Attributes = {}): string {
    return this.setDims(this.g.node(op, inputs, [this.fresh(out)], attrs), this.dimsOf(inputs[0]));
  }

  conv(
    x: string,
    out: string,
    w: string,
    b: string | null,
    kernel: readonly number[],
    stride: readonly number[],
    pads: readonly number[],
  ): string {
    const y = this.g.node('Conv', b ? [x, w, b] : [x, w], [this.fresh(out)], {
      kernel_shape: [...kernel],
      strides: [...stride],
      pads: [...pads, ...pads],
    });
    return this.setDims(
      y,
      this.dimsOf(x).map((d, i) => d / stride[i]),
    );
  }

  /** Instance norm, written out or as the operator (see the file comment); scale/bias [C, 1, 1, 1] or [C]. */
  norm(x: string, out: string, scale: string, bias: string): string {
    const dims = this.dimsOf(x);
    if (!this.decompose)
      return this.setDims(
        this.g.node('InstanceNormalization', [x, scale, bias], [this.fresh(out)], { epsilon: attr.float(this.eps) }),
        dims,
      );
    const reduce = (op: string, v: string, axis: number, what: string): string =>
      this.g.node(op, [v], [this.fresh(`${out}:${what}${axis}`)], { axes: [axis], keepdims: 1 });
    const mean = reduce('ReduceMean', reduce('ReduceMean', reduce('ReduceMean', x, 4, 'mean'), 3, 'mean'), 2, 'mean');
    const d = this.g.node('Sub', [x, mean], [this.fresh(`${out}:centred`)]);
    // Sum of squares along W (no squared copy of the volume), then means over H and D, / W.
    const sumSq = reduce(
      'ReduceMean',
      reduce('ReduceMean', reduce('ReduceSumSquare', d, 4, 'sumsq'), 3, 'sumsq'),
      2,
      'sumsq',
    );
    const variance = this.g.node('Div', [sumSq, this.scalar(dims[2])], [this.fresh(`${out}:var`)]);
    const std = this.g.node(
      'Sqrt',
      [this.g.node('Add', [variance, this.scalar(this.eps)], [this.fresh(`${out}:var+eps`)])],
      [this.fresh(`${out}:std`)],
    );
    const factor = this.g.node('Div', [scale, std], [this.fresh(`${out}:factor`)]);
    const scaled = this.g.node('Mul', [d, factor], [this.fresh(`${out}:scaled`)]);
    return this.setDims(this.g.node('Add', [scaled, bias], [this.fresh(out)]), dims);
  }

  private readonly scalars = new Map<number, string>();
  /** A float32 scalar initializer (one per value). */
  scalar(v: number): string {
    let name = this.scalars.get(v);
    if (!name) {
      name = this.fresh(`scalar(${v})`);
      this.g.initializer(name, [v], []);
      this.scalars.set(v, name);
    }
    return name;
  }

  leaky(x: string, out: string): string {
    return this.setDims(
      this.g.node('LeakyRelu', [x], [this.fresh(out)], { alpha: attr.float(this.slope) }),
      this.dimsOf(x),
    );
  }

  /**
   * Reshape `x` to the labelled axes (the first holds the batch: -1), drop size-1 axes, merge runs
   * that stay adjacent in `target`, and Transpose into `target` order. Returns the transposed value.
   */
  permute(x: string, axes: readonly (readonly [string, number])[], target: readonly string[], out: string): string {
    const kept = axes.filter(([, n], i) => i === 0 || n !== 1);
    const order = target.filter((l) => kept.some(([k]) => k === l));
    const pos = (l: string): number => order.indexOf(l);
    const groups: [string, number][][] = [];
    for (const a of kept) {
      const last = groups[groups.length - 1];
      if (last && pos(a[0]) === pos(last[last.length - 1][0]) + 1) last.push([a[0], a[1]]);
      else groups.push([[a[0], a[1]]]);
    }
    const dims = groups.map((grp, i) => (i === 0 ? -1 : product(grp.map(([, n]) => n))));
    const perm = [...groups.keys()].sort((i, j) => pos(groups[i][0][0]) - pos(groups[j][0][0]));
    const reshaped = this.g.node('Reshape', [x, this.shape(dims)], [this.fresh(`${out}:split`)]);
    if (perm.every((p, i) => p === i)) return reshaped;
    return this.g.node('Transpose', [reshaped], [this.fresh(out)], { perm });
  }

  /** Conv weights of AvgPool(kernel = stride = s) on c channels: identity / prod(s); one initializer for all folds. */
  avgPoolWeights(c: number, s: readonly number[]): string {
    const key = `${c}:${s.join('x')}`;
    let name = this.poolWeights.get(key);
    if (!name) {
      const k = product(s);
      const w = new Float32Array(c * c * k);
      for (let o = 0; o < c; o++) w.fill(1 / k, (o * c + o) * k, (o * c + o + 1) * k);
      // Not a checkpoint weight: float32 even when `half` (1/3 is not exact in float16).
      name = this.weight(this.fresh(`avgpool.${c}x${s.join('x')}.weight`), w, [c, c, ...s], false, null);
      this.poolWeights.set(key, name);
    }
    return name;
  }
}

// ---- one fold ----------------------------------------------------------------------------------

class FoldBuilder {
  constructor(
    private readonly e: Emitter,
    private readonly a: NnunetArchitecture,
    private readonly w: FoldWeights,
    private readonly p: string,
  ) {}

  /** Checkpoint tensor `key` of `shape` as a graph value (stored with `dims`, default `shape`). */
  private param(key: string, shape: readonly number[], dims: readonly number[] = shape): string {
    const t = this.w.take(key, shape);
    return this.e.weight(`${this.p}${key}`, t.data, dims, true, this.w.file);
  }

  /** Conv `${key}.weight` (+ `.bias` when `bias`), 'same' padding for odd kernels. */
  private conv(
    x: string,
    key: string,
    cin: number,
    cout: number,
    kernel: readonly number[],
    stride: readonly number[],
    bias: boolean,
  ): string {
    const w = this.param(`${key}.weight`, [cout, cin, ...kernel]);
    const b = bias ? this.param(`${key}.bias`, [cout]) : null;
    return this.e.conv(
      x,
      `${this.p}${key}`,
      w,
      b,
      kernel,
      stride,
      kernel.map((k) => (k - 1) >> 1),
    );
  }

  private norm(x: string, key: string, c: number): string {
    const dims = this.e.decompose ? [c, 1, 1, 1] : [c];
    return this.e.norm(
      x,
      `${this.p}${key}`,
      this.param(`${key}.weight`, [c], dims),
      this.param(`${key}.bias`, [c], dims),
    );
  }

  /** ConvDropoutNormReLU at `key` (its `.conv` and `.norm`), with or without the nonlinearity. */
  private block(
    x: string,
    key: string,
    cin: number,
    cout: number,
    kernel: readonly number[],
    stride: readonly number[],
    nonlin: boolean,
  ): string {
    const y = this.norm(this.conv(x, `${key}.conv`, cin, cout, kernel, stride, this.a.convBias), `${key}.norm`, cout);
    return nonlin ? this.e.leaky(y, `${this.p}${key}.nonlin`) : y;
  }

  private encoderPlain(x: string): string[] {
    const a = this.a;
    const skips: string[] = [];
    let cin = a.inputChannels;
    a.featuresPerStage.forEach((f, s) => {
      for (let i = 0; i < a.nPerStageEncoder[s]; i++) {
        x = this.block(
          x,
          `encoder.stages.${s}.0.convs.${i}`,
          cin,
          f,
          a.kernelSizes[s],
          i === 0 ? a.strides[s] : [1, 1, 1],
          true,
        );
        cin = f;
      }
      skips.push(x);
    });
    return skips;
  }

  private encoderResidual(x: string): string[] {
    const a = this.a;
    const skips: string[] = [];
    x = this.block(
      x,
      'encoder.stem.convs.0',
      a.inputChannels,
      a.featuresPerStage[0],
      a.kernelSizes[0],
      [1, 1, 1],
      true,
    );
    let cin = a.featuresPerStage[0];
    a.featuresPerStage.forEach((f, s) => {
      for (let b = 0; b < a.nPerStageEncoder[s]; b++) {
        const key = `encoder.stages.${s}.blocks.${b}`;
        const stride = b === 0 ? a.strides[s] : [1, 1, 1];
        const h = this.block(
          this.block(x, `${key}.conv1`, cin, f, a.kernelSizes[s], stride, true),
          `${key}.conv2`,
          f,
          f,
          a.kernelSizes[s],
          [1, 1, 1],
          false,
        );
        x = this.e.leaky(
          this.e.same('Add', [h, this.skip(x, key, cin, f, stride)], `${this.p}${key}.add`),
          `${this.p}${key}.nonlin2`,
        );
        cin = f;
      }
      skips.push(x);
    });
    return skips;
  }

  /** BasicBlockD's skip path. */
  private skip(x: string, key: string, cin: number, cout: number, stride: readonly number[]): string {
    const strided = stride.some((s) => s !== 1);
    const zero = [0, 0, 0];
    if (strided && cin !== cout) {
      // AvgPool(s) then 1x1x1 conv (no bias) == one Conv(kernel = stride = s) with W / prod(s) everywhere.
      const t = this.w.take(`${key}.skip.1.conv.weight`, [cout, cin, 1, 1, 1]);
      const k = product(stride);
      const w = new Float32Array(cout * cin * k);
      for (let i = 0; i < cout * cin; i++) w.fill(t.data[i] / k, i * k, (i + 1) * k);
      const wName = this.e.weight(
        `${this.p}${key}.skip.1.conv.weight:avgpool`,
        w,
        [cout, cin, ...stride],
        false,
        this.w.file,
      );
      const y = this.e.conv(x, `${this.p}${key}.skip.1.conv`, wName, null, stride, stride, zero);
      return this.norm(y, `${key}.skip.1.norm`, cout);
    }
    if (strided)
      return this.e.conv(x, `${this.p}${key}.skip.0`, this.e.avgPoolWeights(cin, stride), null, stride, stride, zero);
    if (cin !== cout)
      return this.norm(
        this.conv(x, `${key}.skip.0.conv`, cin, cout, [1, 1, 1], [1, 1, 1], false),
        `${key}.skip.0.norm`,
        cout,
      );
    return x;
  }

  /** ConvTranspose(kernel = stride = s) as 1x1x1 Conv + depth-to-space. */
  private upsample(x: string, key: string, cin: number, cout: number, s: readonly number[]): string {
    const [s0, s1, s2] = s;
    const k = s0 * s1 * s2;
    const wKey = `${key}.weight`;
    const stored = this.w.shapeOf(wKey);
    if (stored && stored.length === 5 && stored[0] === cin && stored[1] === cout && stored.slice(2).join() !== s.join())
      throw new VoxsegError(
        'unsupported',
        `transposed convolution "${wKey}" has kernel ${shapeText(stored.slice(2))} but stride ${shapeText(s)}: only kernel = stride can be written without ConvTranspose`,
        { file: this.w.file },
      );
    const t = this.w.take(wKey, [cin, cout, ...s], ' (ConvTranspose: in, out, kernel = stride)');
    // W'[(o, a, b, c), i] = W[i, o, a, b, c]
    const w = new Float32Array(cout * k * cin);
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++) {
        const src = (i * cout + o) * k;
        for (let j = 0; j < k; j++) w[(o * k + j) * cin + i] = t.data[src + j];
      }
    const wName = this.e.weight(`${this.p}${wKey}:1x1x1`, w, [cout * k, cin, 1, 1, 1], false, this.w.file);
    let bName: string | null = null;
    if (this.a.convBias) {
      const b = this.w.take(`${key}.bias`, [cout]);
      const bias = new Float32Array(cout * k);
      for (let o = 0; o < cout; o++) bias.fill(b.data[o], o * k, (o + 1) * k);
      bName = this.e.weight(`${this.p}${key}.bias:1x1x1`, bias, [cout * k], false, this.w.file);
    }
    let z = this.e.conv(x, `${this.p}${key}`, wName, bName, [1, 1, 1], [1, 1, 1], [0, 0, 0]);
    if (k === 1) return z;
    const [d, h, wd] = this.e.dimsOf(x);
    const out = `${this.p}${key}.up`;
    if (s1 * s2 > 1)
      z = this.e.permute(
        z,
        [
          ['G', -1],
          ['b', s1],
          ['c', s2],
          ['D', d],
          ['H', h],
          ['W', wd],
        ],
        ['G', 'D', 'H', 'b', 'W', 'c'],
        `${out}:hw`,
      );
    if (s0 > 1)
      z = this.e.permute(
        z,
        [
          ['G', -1],
          ['a', s0],
          ['D', d],
          ['R', h * s1 * wd * s2],
        ],
        ['G', 'D', 'a', 'R'],
        `${out}:d`,
      );
    return this.e.setDims(
      this.e.g.node('Reshape', [z, this.e.shape([-1, cout, d * s0, h * s1, wd * s2])], [this.e.fresh(out)]),
      [d * s0, h * s1, wd * s2],
    );
  }

  /** Returns the fold's logits. */
  build(input: string, logitsName: string): string {
    const a = this.a;
    const n = a.featuresPerStage.length;
    const skips = a.network === 'PlainConvUNet' ? this.encoderPlain(input) : this.encoderResidual(input);
    let x = skips[n - 1];
    for (let s = 0; s < n - 1; s++) {
      const below = n - 1 - s;
      const c = a.featuresPerStage[below - 1];
      const up = this.upsample(x, `decoder.transpconvs.${s}`, a.featuresPerStage[below], c, a.strides[below]);
      if (this.e.dimsOf(up).join() !== this.e.dimsOf(skips[below - 1]).join())
        throw new Error(
          `internal: decoder stage ${s} upsampled to ${shapeText(this.e.dimsOf(up))}, skip is ${shapeText(this.e.dimsOf(skips[below - 1]))}`,
        );
      x = this.e.same('Concat', [up, skips[below - 1]], `${this.p}decoder.stages.${s}.concat`, { axis: 1 });
      let cin = 2 * c;
      for (let i = 0; i < a.nConvPerStageDecoder[s]; i++) {
        x = this.block(x, `decoder.stages.${s}.convs.${i}`, cin, c, a.kernelSizes[below - 1], [1, 1, 1], true);
        cin = c;
      }
    }
    const seg = `decoder.seg_layers.${n - 2}`;
    const w = this.param(`${seg}.weight`, [a.numClasses, a.featuresPerStage[0], 1, 1, 1]);
    const b = this.param(`${seg}.bias`, [a.numClasses]);
    return this.e.g.node('Conv', [x, w, b], [logitsName], {
      kernel_shape: [1, 1, 1],
      strides: [1, 1, 1],
      pads: [0, 0, 0, 0, 0, 0],
    });
  }
}

// ---- entry point -------------------------------------------------------------------------------

function checkArchitecture(a: NnunetArchitecture, patch: readonly number[]): void {
  const bad = (m: string): never => {
    throw new VoxsegError('invalid-model', `nnU-Net architecture: ${m}`);
  };
  const n = a.featuresPerStage.length;
  if (n < 2) bad(`${n} stage(s): a U-Net needs at least 2`);
  if (
    a.kernelSizes.length !== n ||
    a.strides.length !== n ||
    a.nPerStageEncoder.length !== n ||
    a.nConvPerStageDecoder.length !== n - 1
  )
    bad(
      `per-stage lists disagree (${n} stages; kernel sizes ${a.kernelSizes.length}, strides ${a.strides.length}, encoder ${a.nPerStageEncoder.length}, decoder ${a.nConvPerStageDecoder.length})`,
    );
  for (const [name, list] of [
    ['kernel', a.kernelSizes],
    ['stride', a.strides],
  ] as const)
    list.forEach((k, s) => {
      if (k.length !== 3 || !k.every((v) => Number.isInteger(v) && v >= 1))
        bad(`stage ${s} ${name} ${shapeText(k)} is not 3 positive integers`);
    });
  a.kernelSizes.forEach((k, s) => {
    if (k.some((v) => v % 2 === 0)) bad(`stage ${s} kernel ${shapeText(k)}: even kernel sizes are not supported`);
  });
  if ([...a.nPerStageEncoder, ...a.nConvPerStageDecoder].some((v) => !Number.isInteger(v) || v < 1))
    bad('every stage needs at least one convolution or block');
  if (patch.length !== 3 || !patch.every((v) => Number.isInteger(v) && v > 0))
    bad(`input size ${shapeText(patch)} is not 3 positive integers`);
  let dims = [...patch];
  for (let s = 0; s < n; s++) {
    if (dims.some((d, i) => d % a.strides[s][i] !== 0)) {
      const total = [0, 1, 2].map((i) => product(a.strides.map((st) => st[i])));
      bad(`input size ${shapeText(patch)} is not divisible by the network's total stride ${shapeText(total)}`);
    }
    dims = dims.map((d, i) => d / a.strides[s][i]);
  }
}

function tooBig(bytes: number, folds: number, half: boolean): never {
  throw new VoxsegError(
    'unsupported',
    `the ONNX model would hold ${(bytes / 2 ** 30).toFixed(2)} GiB of weights (${folds} fold(s)); ONNX files are limited to 2 GB: import fewer folds${half ? '' : ' or use half precision'}`,
  );
}

/** Build the fold-averaged ONNX graph of an nnU-Net network. */
export function buildNnunetOnnx(arch: NnunetArchitecture, folds: WeightMap[], opts: NnunetOnnxOptions): NnunetOnnx {
  if (!folds.length) throw new VoxsegError('invalid-model', 'nnU-Net import: no fold weights given');
  checkArchitecture(arch, opts.patch);
  const half = opts.half ?? false;
  const e = new Emitter(
    opts.name ?? 'nnunet',
    half,
    arch.normEps,
    arch.negativeSlope,
    (opts.instanceNorm ?? 'decomposed') === 'decomposed',
  );
  e.g.input('input', 'float32', ['batch', arch.inputChannels, ...opts.patch]);
  e.setDims('input', opts.patch);
  const total = folds.length + 1;
  let parameters = 0;
  let sum = '';
  folds.forEach((map, k) => {
    const file = opts.files?.[k] ?? `fold #${k} checkpoint`;
    const weights = new FoldWeights(map, file);
    const p = folds.length === 1 ? '' : `fold${k}/`;
    const logits = new FoldBuilder(e, arch, weights, p).build('input', folds.length === 1 ? 'output' : `${p}logits`);
    weights.checkLeftovers(arch.featuresPerStage.length - 2);
    if (k === 0) parameters = weights.parameters;
    // Fail before reading more folds when they cannot fit one ONNX file anyway.
    if (k === 0 && e.g.initializerBytes * folds.length > MAX_ONNX_BYTES)
      tooBig(e.g.initializerBytes * folds.length, folds.length, half);
    sum = k === 0 ? logits : e.g.node('Add', [sum, logits], [e.fresh(`sum${k}`)]);
    opts.onProgress?.(k + 1, total);
  });
  if (folds.length > 1) {
    e.g.initializer('fold_count', [folds.length], []);
    e.g.node('Div', [sum, 'fold_count'], ['output']);
  }
  e.g.output('output', 'float32', ['batch', arch.numClasses, ...opts.patch]);

  if (e.g.initializerBytes > MAX_ONNX_BYTES) tooBig(e.g.initializerBytes, folds.length, half);
  const upsamplers = arch.featuresPerStage.length - 1;
  const notes = [
    `${arch.network}, ${arch.featuresPerStage.length} stages, ${parameters.toLocaleString('en-US')} parameters per fold`,
    folds.length > 1 ? `${folds.length} folds in one graph; output = mean of their logits` : '1 fold',
    `${upsamplers} transposed convolution(s) per fold written as 1x1x1 Conv + depth-to-space (no ConvTranspose)`,
  ];
  if (arch.network === 'ResidualEncoderUNet')
    notes.push('strided residual skips (AvgPool + 1x1x1 conv) folded into strided Convs (no pooling op)');
  if (e.decompose)
    notes.push(
      'instance norms written out (means along one axis at a time, two-pass variance) so WASM and WebGPU match PyTorch',
    );
  if (half)
    notes.push(
      `${e.halfTensors} conv weight tensors stored as float16 and cast to float32 in the graph; biases and norms stay float32`,
    );
  const bytes = e.g.toBytes({
    producer: 'voxseg',
    docString: `nnU-Net v2 ${arch.network}, ${folds.length} fold(s), logits averaged`,
  });
  opts.onProgress?.(total, total);
  return { bytes, parameters, notes };
}
