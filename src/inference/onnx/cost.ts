/**
 * The compute cost of a convolutional ONNX model, for the model card's time estimate: parameters
 * (floating-point initializer elements) and multiply-accumulates per voxel of the model input.
 *
 * How the MACs are counted without running the model: every tensor gets a spatial scale, its voxel
 * count as a fraction of the input's. The graph input is 1; a convolution or pooling divides by the
 * product of its strides, a transposed convolution multiplies, a Resize with constant scales
 * multiplies by them; element-wise and normalization operators keep their first spatial input's
 * scale. Operators whose output size does not follow from the node alone (Reshape, Transpose,
 * DepthToSpace, Resize to sizes, ...) give a new unknown, carried on as "factor x unknown"; a Concat
 * (whose inputs agree spatially) with a known input solves it: exactly the U-Net decoder pattern,
 * an upsampling of unknown size concatenated with an encoder tensor. A convolution costs weight
 * elements x output voxels (transposed: x input voxels). Convolutions whose scale stays unknown
 * are counted as if the unknown were 1 and reported in `unknownConvs`. Nested subgraphs are not
 * counted. The weights are skipped over, never decoded.
 */
import { VoxsegError } from '../../core/errors';
import { ProtoReader, ProtobufError, Wire } from './protobuf';

export interface OnnxCost {
  /** Floating-point initializer elements (float32/16, bfloat16, float64). */
  parameters: number;
  /** Multiply-accumulates of one forward pass per voxel of the (first) graph input. */
  macsPerVoxel: number;
  convs: number;
  /** Operator nodes of the main graph (each costs a dispatch per run). */
  nodes: number;
  /** Output channels of the first convolution (the full-resolution stage's width), 0 without one. */
  firstConvChannels: number;
  /** Convolutions whose input size could not be traced (counted at the input's resolution). */
  unknownConvs: number;
}

const FLOAT_TYPES = new Set([1, 10, 11, 16]);
/** Operators whose output voxel count does not follow from the node (shape manipulation). */
const UNKNOWN_SCALE = new Set([
  'Reshape',
  'Transpose',
  'Resize',
  'Upsample',
  'DepthToSpace',
  'SpaceToDepth',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Tile',
  'Slice',
  'Gather',
]);
/** Operators that produce no voxel data. */
const NON_SPATIAL = new Set(['Constant', 'Shape', 'Size', 'ConstantOfShape', 'Range']);

interface Scale {
  symbol: number | null;
  factor: number;
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  strides: number[] | null;
  group: number;
  /** A Constant node's small tensor. */
  value?: number[];
}

function product(v: readonly number[] | null | undefined): number {
  return (v ?? []).reduce((a, b) => a * b, 1);
}

/** Count the cost of `bytes` (an ONNX ModelProto). Throws VoxsegError('invalid-model') naming `file`. */
export function onnxCost(bytes: Uint8Array, file = 'model.onnx'): OnnxCost {
  const weights = new Map<string, number[]>();
  /** Values of small constant tensors (Resize scales). */
  const constants = new Map<string, number[]>();
  const nodes: Node[] = [];
  const inputs: string[] = [];
  let parameters = 0;
  try {
    const model = new ProtoReader(bytes);
    let graph: ProtoReader | null = null;
    while (!model.done) {
      const [f, w] = model.tag();
      if (f === 7 && w === Wire.Bytes) graph = model.message();
      else model.skip(w);
    }
    if (!graph) throw new VoxsegError('invalid-model', 'no graph in the ONNX model', { file });
    while (!graph.done) {
      const [f, w] = graph.tag();
      if (f === 1 && w === Wire.Bytes) {
        const node = readNode(graph.message());
        if (node.op === 'Constant' && node.value) constants.set(node.outputs[0], node.value);
        nodes.push(node);
      } else if (f === 5 && w === Wire.Bytes) {
        const t = readTensor(graph.message());
        weights.set(t.name, t.dims);
        if (t.values) constants.set(t.name, t.values);
        if (FLOAT_TYPES.has(t.type)) parameters += product(t.dims);
      } else if (f === 11 && w === Wire.Bytes) inputs.push(valueName(graph.message()));
      else graph.skip(w);
    }
  } catch (err) {
    if (err instanceof ProtobufError)
      throw new VoxsegError('invalid-model', `not a readable ONNX model (${err.message})`, { file, cause: err });
    throw err;
  }

  // A tensor's scale is factor x (1 for the input, or an unknown symbol solved later).
  const scale = new Map<string, Scale>();
  const solved = new Map<number, number>();
  let symbols = 0;
  const input = inputs.find((n) => !weights.has(n));
  if (input !== undefined) scale.set(input, { symbol: null, factor: 1 });
  const spatial = (name: string) => (name !== '' && !weights.has(name) ? scale.get(name) : undefined);
  const value = (s: Scale): number | null =>
    s.symbol === null ? s.factor : solved.has(s.symbol) ? s.factor * solved.get(s.symbol)! : null;
  const terms: { weight: number; scale: Scale }[] = [];
  let convs = 0;
  let firstConvChannels = 0;
  for (const n of nodes) {
    let out: Scale | undefined;
    const ins = n.inputs.map(spatial);
    const first = ins.find((s) => s !== undefined);
    if (n.op === 'Conv' || n.op === 'ConvTranspose') {
      convs++;
      const s = first ?? { symbol: symbols++, factor: 1 };
      const dims = weights.get(n.inputs[1] ?? '') ?? [0];
      if (convs === 1) firstConvChannels = n.op === 'Conv' ? dims[0] : (dims[1] ?? 0) * n.group;
      const strides = product(n.strides);
      out = { symbol: s.symbol, factor: n.op === 'Conv' ? s.factor / strides : s.factor * strides };
      // Conv: weights x output voxels; transposed: weights x input voxels.
      terms.push({ weight: product(dims), scale: n.op === 'Conv' ? out : s });
    } else if (n.op === 'MaxPool' || n.op === 'AveragePool')
      out = first && { symbol: first.symbol, factor: first.factor / product(n.strides) };
    else if (n.op === 'Resize' || n.op === 'Upsample') {
      const scales = constants.get(n.inputs[n.op === 'Resize' ? 2 : 1] ?? '');
      if (first)
        out =
          scales && scales.length > 2
            ? { symbol: first.symbol, factor: first.factor * product(scales.slice(2)) }
            : { symbol: symbols++, factor: 1 };
    } else if (n.op === 'Concat') {
      // Spatial dims agree: a known input solves the unknown ones.
      const known = ins.map((s) => (s ? value(s) : null)).find((v) => v !== null);
      for (const s of ins) if (s && known != null && value(s) === null) solved.set(s.symbol!, known / s.factor);
      out = known != null ? { symbol: null, factor: known } : first;
    } else if (NON_SPATIAL.has(n.op)) out = undefined;
    else if (UNKNOWN_SCALE.has(n.op)) out = first && { symbol: symbols++, factor: 1 };
    else out = first;
    if (out !== undefined) for (const o of n.outputs) scale.set(o, out);
  }
  let macs = 0;
  for (const t of terms) macs += t.weight * (value(t.scale) ?? t.scale.factor);
  const unknownConvs = terms.filter((t) => value(t.scale) === null).length;
  return {
    parameters,
    macsPerVoxel: macs,
    convs,
    nodes: nodes.filter((n) => !NON_SPATIAL.has(n.op)).length,
    firstConvChannels,
    unknownConvs,
  };
}

function readNode(r: ProtoReader): Node {
  const node: Node = { op: '', inputs: [], outputs: [], strides: null, group: 1 };
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) node.inputs.push(r.string());
    else if (f === 2 && w === Wire.Bytes) node.outputs.push(r.string());
    else if (f === 4 && w === Wire.Bytes) node.op = r.string();
    else if (f === 5 && w === Wire.Bytes) {
      const a = r.message();
      let name = '';
      let int = 1;
      let tensor: number[] | undefined;
      const ints: number[] = [];
      while (!a.done) {
        const [af, aw] = a.tag();
        if (af === 1 && aw === Wire.Bytes) name = a.string();
        else if (af === 3 && aw === Wire.Varint) int = a.int64();
        else if (af === 5 && aw === Wire.Bytes) tensor = readTensor(a.message()).values;
        else if (af === 8) a.repeatedInt64(aw, ints);
        else a.skip(aw);
      }
      if (name === 'strides') node.strides = ints;
      else if (name === 'group') node.group = int;
      else if (name === 'value') node.value = tensor;
    } else r.skip(w);
  }
  return node;
}

/** A tensor's name, dims and type; the values too when it is a small float32/int64 one. */
function readTensor(r: ProtoReader): { name: string; dims: number[]; type: number; values?: number[] } {
  const t: { name: string; dims: number[]; type: number; values?: number[] } = { name: '', dims: [], type: 0 };
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) r.repeatedInt64(w, t.dims);
    else if (f === 2 && w === Wire.Varint) t.type = r.varint();
    else if (f === 8 && w === Wire.Bytes) t.name = r.string();
    else if (f === 9 && w === Wire.Bytes) raw = r.bytes();
    else if (f === 4 && w === Wire.Bytes) {
      const p = r.message();
      while (!p.done) floats.push(p.float());
    } else if (f === 4 && w === Wire.Fixed32) floats.push(r.float());
    else if (f === 7) r.repeatedInt64(w, ints);
    else r.skip(w);
  }
  const n = product(t.dims);
  if (n <= 16) {
    if (t.type === 1)
      t.values =
        raw && raw.length === 4 * n
          ? Array.from({ length: n }, (_, i) => new DataView(raw!.buffer, raw!.byteOffset).getFloat32(4 * i, true))
          : floats.length === n
            ? floats
            : undefined;
    else if (t.type === 7)
      t.values =
        raw && raw.length === 8 * n
          ? Array.from({ length: n }, (_, i) =>
              Number(new DataView(raw!.buffer, raw!.byteOffset).getBigInt64(8 * i, true)),
            )
          : ints.length === n
            ? ints
            : undefined;
  }
  return t;
}

function valueName(r: ProtoReader): string {
  let name = '';
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) name = r.string();
    else r.skip(w);
  }
  return name;
}
