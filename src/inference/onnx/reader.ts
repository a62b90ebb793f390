/**
 * Read what the engine needs to know about an ONNX model without running it: IR version, opsets,
 * producer, the operator types used (nested subgraphs and local functions included), the graph
 * inputs/outputs with their element types and (possibly symbolic) dims, the initializer size, and
 * the convolutions with their kernel rank (e.g. so the caller can keep a 3-D ConvTranspose off
 * WebGPU), and the pooling nodes with their attributes (so a 3-D MaxPool that can be rewritten for
 * WebGPU is told from one that cannot). Weights are not decoded, only skipped over.
 */
import { VoxsegError } from '../../core/errors';
import { ProtoReader, ProtobufError, Wire } from './protobuf';

/** ONNX TensorProto.DataType codes by voxseg name. */
export const ONNX_ELEM_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
} as const;
export type OnnxElemType = keyof typeof ONNX_ELEM_TYPES;

/** Bytes per element by data type code (0 where not fixed-size). */
const ELEM_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
};

export function elemTypeName(code: number): string {
  for (const [name, c] of Object.entries(ONNX_ELEM_TYPES)) if (c === code) return name;
  return code === 0 ? 'undefined' : `type${code}`;
}

export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  /** 'float32', 'int64', ... ('undefined' when the type is missing, 'sequence'/'map'/... for non-tensors). */
  elemType: string;
  /** Numbers for fixed dims, strings for symbolic ones, null for unknown. */
  dims: OnnxDim[];
  /** False when the value has no shape at all (unknown rank; `dims` is then empty). */
  hasShape: boolean;
}

export interface OnnxConvInfo {
  opType: string;
  name: string;
  /** Spatial kernel shape (kernel_shape attribute, else the weight initializer's dims after [M, C]). */
  kernelShape: number[] | null;
  /** Number of spatial dims of the kernel (1, 2 or 3), null when unknown. */
  kernelRank: number | null;
  dilations: number[] | null;
  strides: number[] | null;
  group: number;
  /** True for nodes inside a subgraph (If/Loop/Scan body) or a local function. */
  nested: boolean;
}

export interface OnnxPoolInfo {
  /** 'MaxPool', 'AveragePool' or 'LpPool' (default domain). */
  opType: string;
  name: string;
  /** The pooled input (X). */
  input: string;
  /** Output names as written ('' for an omitted optional output such as MaxPool's Indices). */
  outputs: string[];
  /** kernel_shape attribute (null when missing). */
  kernelShape: number[] | null;
  strides: number[] | null;
  pads: number[] | null;
  dilations: number[] | null;
  /** auto_pad attribute ('NOTSET' when absent). */
  autoPad: string;
  /** ceil_mode attribute (0 when absent). */
  ceilMode: number;
  /** True for nodes inside a subgraph (If/Loop/Scan body) or a local function. */
  nested: boolean;
}

export interface OnnxInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  producerVersion: string;
  /** Distinct operator types, sorted ('domain:Op' for operators outside the default domains). */
  ops: string[];
  /** Node count per operator type (same keys as `ops`). */
  opCounts: Record<string, number>;
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Bytes of initializer data (elements x element size; strings counted as stored). */
  initializerBytes: number;
  initializerCount: number;
  convs: OnnxConvInfo[];
  /** MaxPool, AveragePool and LpPool nodes (nested ones included, flagged). */
  pools: OnnxPoolInfo[];
  metadata: Record<string, string>;
}

/** Default opset version of a domain ('' = 'ai.onnx'), or undefined. */
export function opsetVersion(info: OnnxInfo, domain = ''): number | undefined {
  const norm = (d: string) => (d === 'ai.onnx' ? '' : d);
  return info.opsets.find((o) => norm(o.domain) === norm(domain))?.version;
}

interface Initializer {
  dims: number[];
  bytes: number;
}

interface GraphScan {
  nodes: number;
  initializers: Map<string, Initializer>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

class Scanner {
  ops = new Map<string, number>();
  convs: OnnxConvInfo[] = [];
  pools: OnnxPoolInfo[] = [];
  initializerBytes = 0;
  initializerCount = 0;

  graph(r: ProtoReader, nested: boolean): GraphScan {
    const scan: GraphScan = { nodes: 0, initializers: new Map(), inputs: [], outputs: [] };
    const nodes: ProtoReader[] = [];
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) {
        r.expect(w, Wire.Bytes, 'GraphProto.node');
        nodes.push(r.message());
      } else if (f === 5) {
        r.expect(w, Wire.Bytes, 'GraphProto.initializer');
        const t = this.tensor(r.message());
        scan.initializers.set(t.name, t);
      } else if (f === 11 || f === 12) {
        r.expect(w, Wire.Bytes, 'GraphProto.input/output');
        (f === 11 ? scan.inputs : scan.outputs).push(valueInfo(r.message()));
      } else r.skip(w);
    }
    // Nodes after initializers so convolution weights can be looked up.
    for (const n of nodes) this.node(n, nested, scan.initializers);
    scan.nodes = nodes.length;
    return scan;
  }

  private tensor(r: ProtoReader): Initializer & { name: string } {
    const dims: number[] = [];
    let type = 0;
    let name = '';
    let stored = 0;
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) r.repeatedInt64(w, dims);
      else if (f === 2 && w === Wire.Varint) type = r.varint();
      else if (f === 8 && w === Wire.Bytes) name = r.string();
      else if (f === 9 || f === 6) {
        r.expect(w, Wire.Bytes, 'TensorProto data');
        stored += r.bytes().length;
      } else r.skip(w);
    }
    const elems = dims.reduce((a, b) => a * b, 1);
    const size = ELEM_BYTES[type] ? elems * ELEM_BYTES[type] : stored;
    this.initializerBytes += size;
    this.initializerCount++;
    return { name, dims, bytes: size };
  }

  private node(r: ProtoReader, nested: boolean, inits: Map<string, Initializer>): void {
    const start = r.pos;
    let opType = '';
    let domain = '';
    let name = '';
    const inputs: string[] = [];
    const attrs = new Map<string, { i?: number; ints?: number[] }>();
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1 && w === Wire.Bytes) inputs.push(r.string());
      else if (f === 3 && w === Wire.Bytes) name = r.string();
      else if (f === 4 && w === Wire.Bytes) opType = r.string();
      else if (f === 7 && w === Wire.Bytes) domain = r.string();
      else if (f === 5) {
        r.expect(w, Wire.Bytes, 'NodeProto.attribute');
        const a = this.attribute(r.message());
        attrs.set(a.name, a);
      } else r.skip(w);
    }
    if (!opType) throw new ProtobufError('malformed', `node ${JSON.stringify(name)} has no op_type`, r.pos);
    const key = domain && domain !== 'ai.onnx' ? `${domain}:${opType}` : opType;
    this.ops.set(key, (this.ops.get(key) ?? 0) + 1);
    if ((domain === '' || domain === 'ai.onnx') && POOLS.has(opType))
      this.pools.push(readPoolNode(new ProtoReader(r.buf, start, r.end), nested)!);
    if ((domain === '' || domain === 'ai.onnx') && /^(Conv|ConvTranspose|ConvInteger|QLinearConv)$/.test(opType)) {
      const weight = inits.get(inputs[opType === 'QLinearConv' ? 3 : 1] ?? '');
      const ks = attrs.get('kernel_shape')?.ints ?? (weight && weight.dims.length > 2 ? weight.dims.slice(2) : null);
      this.convs.push({
        opType,
        name,
        kernelShape: ks,
        kernelRank: ks ? ks.length : null,
        dilations: attrs.get('dilations')?.ints ?? null,
        strides: attrs.get('strides')?.ints ?? null,
        group: attrs.get('group')?.i ?? 1,
        nested,
      });
    }
  }

  private attribute(r: ProtoReader): { name: string; i?: number; ints?: number[] } {
    const out: { name: string; i?: number; ints?: number[] } = { name: '' };
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1 && w === Wire.Bytes) out.name = r.string();
      else if (f === 3 && w === Wire.Varint) out.i = r.int64();
      else if (f === 8) r.repeatedInt64(w, (out.ints ??= []));
      else if (f === 6 || f === 11) {
        // g / graphs: nested subgraphs (If branches, Loop/Scan bodies).
        r.expect(w, Wire.Bytes, 'AttributeProto.g');
        this.graph(r.message(), true);
      } else r.skip(w);
    }
    return out;
  }

  /** FunctionProto: count the operators of its body. */
  function(r: ProtoReader): void {
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 7) {
        r.expect(w, Wire.Bytes, 'FunctionProto.node');
        this.node(r.message(), true, new Map());
      } else r.skip(w);
    }
  }
}

const POOLS = new Set(['MaxPool', 'AveragePool', 'LpPool']);

/**
 * A NodeProto (the reader positioned at its first field) as pooling info, or null when it is not
 * a MaxPool, AveragePool or LpPool of the default domain. Shared with the WebGPU rewrite, so the
 * two agree on what a node's attributes say.
 */
export function readPoolNode(r: ProtoReader, nested: boolean): OnnxPoolInfo | null {
  const p: OnnxPoolInfo = {
    opType: '',
    name: '',
    input: '',
    outputs: [],
    kernelShape: null,
    strides: null,
    pads: null,
    dilations: null,
    autoPad: 'NOTSET',
    ceilMode: 0,
    nested,
  };
  let domain = '';
  let inputs = 0;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) {
      const name = r.string();
      if (inputs++ === 0) p.input = name;
    } else if (f === 2 && w === Wire.Bytes) p.outputs.push(r.string());
    else if (f === 3 && w === Wire.Bytes) p.name = r.string();
    else if (f === 4 && w === Wire.Bytes) p.opType = r.string();
    else if (f === 7 && w === Wire.Bytes) domain = r.string();
    else if (f === 5) {
      r.expect(w, Wire.Bytes, 'NodeProto.attribute');
      const a = r.message();
      let key = '';
      let i: number | undefined;
      let s: string | undefined;
      let ints: number[] | undefined;
      while (!a.done) {
        const [af, aw] = a.tag();
        if (af === 1 && aw === Wire.Bytes) key = a.string();
        else if (af === 3 && aw === Wire.Varint) i = a.int64();
        else if (af === 4 && aw === Wire.Bytes) s = a.string();
        else if (af === 8) a.repeatedInt64(aw, (ints ??= []));
        else a.skip(aw);
      }
      if (key === 'kernel_shape') p.kernelShape = ints ?? [];
      else if (key === 'strides') p.strides = ints ?? [];
      else if (key === 'pads') p.pads = ints ?? [];
      else if (key === 'dilations') p.dilations = ints ?? [];
      else if (key === 'auto_pad') p.autoPad = s ?? 'NOTSET';
      else if (key === 'ceil_mode') p.ceilMode = i ?? 0;
    } else r.skip(w);
  }
  return (domain === '' || domain === 'ai.onnx') && POOLS.has(p.opType) ? p : null;
}

function valueInfo(r: ProtoReader): OnnxValueInfo {
  const out: OnnxValueInfo = { name: '', elemType: 'undefined', dims: [], hasShape: false };
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) out.name = r.string();
    else if (f === 2 && w === Wire.Bytes) typeProto(r.message(), out);
    else r.skip(w);
  }
  return out;
}

const NON_TENSOR: Record<number, string> = { 4: 'sequence', 5: 'map', 8: 'sparse_tensor', 9: 'optional' };

function typeProto(r: ProtoReader, out: OnnxValueInfo): void {
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) {
      const t = r.message();
      while (!t.done) {
        const [tf, tw] = t.tag();
        if (tf === 1 && tw === Wire.Varint) out.elemType = elemTypeName(t.varint());
        else if (tf === 2 && tw === Wire.Bytes) {
          out.hasShape = true;
          const s = t.message();
          while (!s.done) {
            const [sf, sw] = s.tag();
            if (sf === 1 && sw === Wire.Bytes) out.dims.push(dimension(s.message()));
            else s.skip(sw);
          }
        } else t.skip(tw);
      }
    } else if (NON_TENSOR[f] && w === Wire.Bytes) {
      out.elemType = NON_TENSOR[f];
      r.skip(w);
    } else r.skip(w);
  }
}

function dimension(r: ProtoReader): OnnxDim {
  let d: OnnxDim = null;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Varint) d = r.int64();
    else if (f === 2 && w === Wire.Bytes) d = r.string() || null;
    else r.skip(w);
  }
  return d;
}

function fail(message: string, file: string | undefined, cause?: unknown): never {
  throw new VoxsegError('invalid-model', message, { file, cause });
}

/**
 * Inspect an ONNX ModelProto. Throws VoxsegError('invalid-model') naming `file` for bytes that are
 * not an ONNX model or are truncated.
 */
export function inspectOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxInfo {
  if (!bytes.length) fail('empty file, not an ONNX model', file);
  const scanner = new Scanner();
  const opsets: { domain: string; version: number }[] = [];
  const metadata: Record<string, string> = {};
  let irVersion = 0;
  let producer = '';
  let producerVersion = '';
  let graph: GraphScan | undefined;
  try {
    const r = new ProtoReader(bytes);
    while (!r.done) {
      const [f, w] = r.tag();
      if (f === 1) {
        r.expect(w, Wire.Varint, 'ModelProto.ir_version');
        irVersion = r.int64();
      } else if (f === 2 || f === 3) {
        r.expect(w, Wire.Bytes, 'ModelProto.producer');
        if (f === 2) producer = r.string();
        else producerVersion = r.string();
      } else if (f === 7) {
        r.expect(w, Wire.Bytes, 'ModelProto.graph');
        graph = scanner.graph(r.message(), false);
      } else if (f === 8) {
        r.expect(w, Wire.Bytes, 'ModelProto.opset_import');
        const o = r.message();
        const op = { domain: '', version: 0 };
        while (!o.done) {
          const [of, ow] = o.tag();
          if (of === 1 && ow === Wire.Bytes) op.domain = o.string();
          else if (of === 2 && ow === Wire.Varint) op.version = o.int64();
          else o.skip(ow);
        }
        opsets.push(op);
      } else if (f === 14) {
        r.expect(w, Wire.Bytes, 'ModelProto.metadata_props');
        const m = r.message();
        let k = '';
        let v = '';
        while (!m.done) {
          const [mf, mw] = m.tag();
          if (mf === 1 && mw === Wire.Bytes) k = m.string();
          else if (mf === 2 && mw === Wire.Bytes) v = m.string();
          else m.skip(mw);
        }
        metadata[k] = v;
      } else if (f === 25) {
        r.expect(w, Wire.Bytes, 'ModelProto.functions');
        scanner.function(r.message());
      } else r.skip(w);
    }
  } catch (err) {
    if (err instanceof ProtobufError)
      fail(
        err.kind === 'truncated'
          ? `truncated or corrupt ONNX file (${err.message} at byte ${err.offset} of ${bytes.length})`
          : `not a valid ONNX model (${err.message} at byte ${err.offset})`,
        file,
        err,
      );
    throw err;
  }
  if (!graph || irVersion < 1) fail(`not an ONNX model (${!graph ? 'no graph' : 'no IR version'} found)`, file);
  if (!graph.nodes) fail('ONNX graph has no nodes', file);
  if (!opsets.length) fail('ONNX model declares no opset_import', file);
  const ops = [...scanner.ops.keys()].sort();
  return {
    irVersion,
    opsets,
    producer,
    producerVersion,
    ops,
    opCounts: Object.fromEntries(ops.map((o) => [o, scanner.ops.get(o) ?? 0])),
    inputs: graph.inputs.filter((i) => !graph.initializers.has(i.name)),
    outputs: graph.outputs,
    initializerBytes: scanner.initializerBytes,
    initializerCount: scanner.initializerCount,
    convs: scanner.convs,
    pools: scanner.pools,
    metadata,
  };
}
