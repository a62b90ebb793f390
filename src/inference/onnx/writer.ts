/**
 * A small ONNX graph builder: declare inputs, initializers (raw little-endian data), nodes with
 * attributes and outputs, then `toBytes()` writes a ModelProto (IR version 8, opset 17 unless
 * told otherwise) that onnxruntime loads.
 *
 *   const g = new OnnxGraph('net');
 *   g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
 *   g.initializer('w', weights, [8, 1, 3, 3, 3]);
 *   g.node('Conv', ['input', 'w'], ['y'], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] });
 *   g.node('Elu', ['y'], ['output'], { alpha: attr.float(1) });
 *   g.output('output', 'float32', ['batch', 8, 'd', 'h', 'w']);
 *   const bytes = g.toBytes({ producer: 'voxseg' });
 *
 * Attribute values: an integer number is INT, any other number FLOAT, an array of integers INTS,
 * other number arrays FLOATS, strings STRING(S); `attr.float(1)` / `attr.floats([1, 2])` force
 * floats for integral values (Elu alpha = 1.0, Resize scales written as attributes, ...).
 *
 * Initializers may hold float16 (Uint16Array bit patterns with `{ type: 'float16' }`) and may
 * keep a view of the caller's array (`{ share: true }`), so that large weights are copied only
 * once, into the model's bytes (`ProtoWriter` splices chunks and copies them only in `finish`).
 */
import { ProtoWriter } from './protobuf';
import { ONNX_ELEM_TYPES, type OnnxDim, type OnnxElemType } from './reader';

export interface TypedAttr {
  kind: 'float' | 'floats' | 'int' | 'ints' | 'string' | 'strings' | 'graph';
  value: number | number[] | string | string[] | OnnxGraph;
}
export type AttrValue = number | string | readonly number[] | readonly string[] | TypedAttr;
export type Attributes = Record<string, AttrValue | undefined>;

export const attr = {
  float: (value: number): TypedAttr => ({ kind: 'float', value }),
  floats: (value: readonly number[]): TypedAttr => ({ kind: 'floats', value: [...value] }),
  int: (value: number): TypedAttr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): TypedAttr => ({ kind: 'ints', value: [...value] }),
  /** Subgraph (If branches, Loop/Scan bodies); it may read names of the enclosing graph. */
  graph: (value: OnnxGraph): TypedAttr => ({ kind: 'graph', value }),
};

/**
 * Arrays an initializer can be made of (plain number arrays become float32). A Uint16Array is
 * uint16 unless `{ type: 'float16' }` says it holds IEEE half-precision bit patterns.
 */
export type TensorData =
  Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | number[];

export interface InitializerOptions {
  /** Element type of a Uint16Array: 'float16' for half-precision bits (default 'uint16'). */
  type?: 'float16' | 'uint16';
  /**
   * Keep a view of `data` instead of a copy (little-endian hosts): for large weights the caller
   * no longer changes, so the model's bytes are the only other copy. Default false.
   */
  share?: boolean;
}

interface Tensor {
  name: string;
  type: number;
  dims: number[];
  raw: Uint8Array;
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attributes;
  name: string;
  domain: string;
}

interface Value {
  name: string;
  type: OnnxElemType;
  dims: OnnxDim[] | null;
}

export interface OnnxWriteOptions {
  producer?: string;
  producerVersion?: string;
  /** Default-domain opset (17). */
  opset?: number;
  /** IR version (8). */
  irVersion?: number;
  /** Other operator set domains, e.g. [{ domain: 'com.microsoft', version: 1 }]. */
  extraOpsets?: { domain: string; version: number }[];
  docString?: string;
  metadata?: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorBytes(data: Exclude<TensorData, number[]>, share = false): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return share ? bytes : bytes.slice();
  const out = new Uint8Array(data.byteLength);
  const k = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < data.byteLength; i += k) for (let b = 0; b < k; b++) out[i + b] = bytes[i + k - 1 - b];
  return out;
}

function elemTypeOf(data: Exclude<TensorData, number[]>): number {
  if (data instanceof Float32Array) return ONNX_ELEM_TYPES.float32;
  if (data instanceof Float64Array) return ONNX_ELEM_TYPES.float64;
  if (data instanceof Int32Array) return ONNX_ELEM_TYPES.int32;
  if (data instanceof BigInt64Array) return ONNX_ELEM_TYPES.int64;
  if (data instanceof Uint8Array) return ONNX_ELEM_TYPES.uint8;
  if (data instanceof Uint16Array) return ONNX_ELEM_TYPES.uint16;
  return ONNX_ELEM_TYPES.int8;
}

function typed(v: AttrValue): TypedAttr {
  if (typeof v === 'object' && v !== null && 'kind' in v) return v;
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') return { kind: Number.isInteger(v) ? 'int' : 'float', value: v };
  const arr = v as readonly (number | string)[];
  if (arr.length && typeof arr[0] === 'string') return { kind: 'strings', value: [...(arr as string[])] };
  const nums = arr as readonly number[];
  return { kind: nums.every((x) => Number.isInteger(x)) ? 'ints' : 'floats', value: [...nums] };
}

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

export class OnnxGraph {
  private inputs: Value[] = [];
  private outputs: Value[] = [];
  private inits: Tensor[] = [];
  private nodes: Node[] = [];
  private names = new Set<string>();

  /** `outer`: the enclosing graph of a subgraph, whose names its nodes may use. */
  constructor(
    readonly name = 'graph',
    private readonly outer?: OnnxGraph,
  ) {}

  /** Whether a name is defined here or in an enclosing graph. */
  has(name: string): boolean {
    return this.names.has(name) || (this.outer?.has(name) ?? false);
  }

  private define(name: string, what: string): void {
    if (!name) throw new Error(`${what} needs a non-empty name`);
    if (this.names.has(name)) throw new Error(`ONNX graph: ${what} ${JSON.stringify(name)} is already defined`);
    this.names.add(name);
  }

  /** Graph input; dims may be numbers, symbolic names or null (unknown). */
  input(name: string, type: OnnxElemType, dims: readonly OnnxDim[] | null): this {
    this.define(name, 'input');
    this.inputs.push({ name, type, dims: dims && [...dims] });
    return this;
  }

  /** Graph output (must be produced by a node, or be an input/initializer). */
  output(name: string, type: OnnxElemType, dims: readonly OnnxDim[] | null): this {
    this.outputs.push({ name, type, dims: dims && [...dims] });
    return this;
  }

  /** Constant tensor stored as raw little-endian data. Number arrays are float32. */
  initializer(name: string, data: TensorData, dims: readonly number[], opts: InitializerOptions = {}): this {
    const arr = Array.isArray(data) ? Float32Array.from(data) : (data as Exclude<TensorData, number[]>);
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== arr.length)
      throw new Error(`initializer ${JSON.stringify(name)}: ${arr.length} values for dims [${dims.join(', ')}] (${n})`);
    if (opts.type && !(arr instanceof Uint16Array))
      throw new Error(`initializer ${JSON.stringify(name)}: type ${opts.type} needs a Uint16Array`);
    this.define(name, 'initializer');
    const type = opts.type === 'float16' ? ONNX_ELEM_TYPES.float16 : elemTypeOf(arr);
    this.inits.push({ name, type, dims: [...dims], raw: tensorBytes(arr, opts.share) });
    return this;
  }

  /** int64 initializer (shapes, axes, sizes). */
  int64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): this {
    return this.initializer(
      name,
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );
  }

  /** Add a node; returns its first output name. Use '' for an omitted optional input. */
  node(
    op: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Attributes = {},
    opts: { name?: string; domain?: string } = {},
  ): string {
    for (const i of inputs)
      if (i && !this.has(i))
        throw new Error(`ONNX graph: ${op} node input ${JSON.stringify(i)} is not defined before it`);
    for (const o of outputs) this.define(o, `${op} output`);
    const name = opts.name ?? `${op}_${this.nodes.length}`;
    this.nodes.push({ op, inputs: [...inputs], outputs: [...outputs], attrs, name, domain: opts.domain ?? '' });
    return outputs[0];
  }

  /** Bytes of all initializers. */
  get initializerBytes(): number {
    return this.inits.reduce((a, t) => a + t.raw.length, 0);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  toBytes(options: OnnxWriteOptions = {}): Uint8Array {
    if (!this.nodes.length) throw new Error('ONNX graph has no nodes');
    const w = new ProtoWriter();
    w.varint(1, options.irVersion ?? 8);
    w.string(2, options.producer ?? 'voxseg');
    if (options.producerVersion) w.string(3, options.producerVersion);
    if (options.docString) w.string(6, options.docString);
    w.message(7, (g) => this.writeGraph(g));
    const opsets = [{ domain: '', version: options.opset ?? 17 }, ...(options.extraOpsets ?? [])];
    for (const o of opsets)
      w.message(8, (m) => {
        if (o.domain) m.string(1, o.domain);
        m.varint(2, o.version);
      });
    for (const [k, v] of Object.entries(options.metadata ?? {})) w.message(14, (m) => m.string(1, k).string(2, v));
    return w.finish();
  }

  /** Write this graph as a GraphProto (the model's graph or a subgraph attribute). */
  writeGraph(g: ProtoWriter): void {
    for (const o of this.outputs)
      if (!this.has(o.name))
        throw new Error(`ONNX graph ${this.name}: output ${JSON.stringify(o.name)} is not produced by any node`);
    for (const n of this.nodes)
      g.message(1, (m) => {
        for (const i of n.inputs) m.string(1, i);
        for (const o of n.outputs) m.string(2, o);
        m.string(3, n.name);
        m.string(4, n.op);
        for (const [key, value] of Object.entries(n.attrs))
          if (value !== undefined) m.message(5, (a) => writeAttribute(a, key, value));
        if (n.domain) m.string(7, n.domain);
      });
    g.string(2, this.name);
    for (const t of this.inits)
      g.message(5, (m) => {
        m.packedVarints(1, t.dims);
        m.varint(2, t.type);
        m.string(8, t.name);
        m.bytes(9, t.raw);
      });
    for (const v of this.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of this.outputs) g.message(12, (m) => writeValueInfo(m, v));
  }
}

function writeAttribute(a: ProtoWriter, name: string, value: AttrValue): void {
  const t = typed(value);
  a.string(1, name);
  switch (t.kind) {
    case 'float':
      a.float(2, t.value as number);
      break;
    case 'int':
      a.varint(3, t.value as number);
      break;
    case 'string':
      a.string(4, t.value as string);
      break;
    case 'floats':
      a.packedFloats(7, t.value as number[]);
      break;
    case 'ints':
      a.packedVarints(8, t.value as number[]);
      break;
    case 'strings':
      for (const s of t.value as string[]) a.string(9, s);
      break;
    case 'graph':
      a.message(6, (g) => (t.value as OnnxGraph).writeGraph(g));
      break;
  }
  a.varint(20, ATTR_TYPE[t.kind]);
}

function writeValueInfo(m: ProtoWriter, v: Value): void {
  m.string(1, v.name);
  m.message(2, (type) =>
    type.message(1, (tt) => {
      tt.varint(1, ONNX_ELEM_TYPES[v.type]);
      if (v.dims)
        tt.message(2, (shape) => {
          for (const d of v.dims!)
            shape.message(1, (dim) => {
              if (typeof d === 'number') dim.varint(1, d);
              else if (typeof d === 'string') dim.string(2, d);
            });
        });
    }),
  );
}
