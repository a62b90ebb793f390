/**
 * An exact rewrite of 3-D MaxPool for onnxruntime-web's WebGPU execution provider, which cannot
 * pool over three dims in its default channels-last layout ("Pooling with kernelShape.length > 2
 * is not supported for NHWC format", at run time). Without padding and with ceil_mode 0, output
 * voxel j of a MaxPool (kernel k, stride s, dilation d per axis) is the largest of the k taps
 * x[j·s + o·d], o = 0..k-1 per axis; so the pool is the element-wise maximum of one strided
 * Slice per kernel offset (starts o·d, steps s on the three spatial axes). Max is taken by
 * Greater + Where pairs, in a balanced tree: the WebGPU EP has no Max kernel, and Where picks one
 * of its inputs, so every output equals the pool's (NaN inputs aside; where +0 and -0 tie in one
 * window, the sign of the zero may differ, as it does between MaxPool kernels).
 *
 * Sizes: an axis of n voxels pools to floor((n - d(k-1) - 1) / s) + 1 voxels. Slice's ends are
 * clamped to the axis, and a negative end counts from its end, so the tap of offset o ends at
 * -(d(k-1-o)) (the last tap at INT64_MAX, i.e. n): it yields ceil((n - d(k-1)) / s) elements,
 * the same count, for every n including sizes unknown until run time (dims stay symbolic, the
 * rewrite needs no shape inference). An input smaller than the dilated kernel gives an empty
 * output where MaxPool would fail.
 *
 * Not rewritten, and still reported by `webgpuBlockers`: padding (explicit or SAME auto_pad),
 * ceil_mode 1 (a partial last window), a used Indices output, nodes inside subgraphs or local
 * functions, opset < 10 (no Slice steps), kernels of more than MAX_SLICES voxels.
 *
 * The model's bytes stay as they were except the rewritten nodes and the new int64 initializers
 * (starts, ends, axes, steps; appended to the graph): every other field, the weights included,
 * is copied as encoded. A model with nothing to rewrite comes back as the same array.
 */
import { ProtoReader, ProtoWriter, Wire } from './protobuf';
import { inspectOnnx, opsetVersion, readPoolNode, type OnnxPoolInfo } from './reader';

/** Largest kernel (in voxels, i.e. Slice nodes per pool) that is rewritten. */
export const MAX_SLICES = 64;

const INT64_MAX = 0x7fffffffffffffffn;
const INT64 = 7;

/** Why a pooling node cannot be rewritten exactly as strided slices, or null when it can. */
export function maxPoolRewriteRefusal(p: OnnxPoolInfo, opset: number | undefined): string | null {
  if (p.opType !== 'MaxPool') return `${p.opType} is not rewritten`;
  if (p.nested) return 'inside a subgraph or function';
  if (opset === undefined || opset < 10) return `opset ${opset ?? 'unknown'} (Slice steps need opset 10)`;
  const k = p.kernelShape;
  if (!k || k.length !== 3 || k.some((v) => !(v >= 1)))
    return `kernel_shape [${k?.join(', ') ?? ''}] is not a 3-D kernel`;
  const strides = p.strides ?? [1, 1, 1];
  const dilations = p.dilations ?? [1, 1, 1];
  if (strides.length !== 3 || strides.some((v) => !(v >= 1))) return `strides [${strides.join(', ')}]`;
  if (dilations.length !== 3 || dilations.some((v) => !(v >= 1))) return `dilations [${dilations.join(', ')}]`;
  if (p.autoPad !== 'NOTSET' && p.autoPad !== 'VALID' && p.autoPad !== '') return `auto_pad ${p.autoPad}`;
  if (p.pads?.some((v) => v !== 0)) return 'padding';
  if (p.ceilMode !== 0) return 'ceil_mode 1';
  if (p.outputs.length > 1 && p.outputs[1]) return 'its Indices output is used';
  if (!p.input || !p.outputs[0]) return 'no input or output';
  const volume = k[0] * k[1] * k[2];
  if (volume > MAX_SLICES) return `a kernel of ${volume} voxels (more than ${MAX_SLICES})`;
  return null;
}

export interface WebgpuRewrite {
  /** The rewritten model (the input array itself when nothing was rewritten). */
  bytes: Uint8Array;
  /** Names of the MaxPool nodes rewritten. */
  rewritten: string[];
  /** 3-D MaxPool nodes left as they were, and why. */
  kept: { name: string; reason: string }[];
}

const is3d = (p: OnnxPoolInfo) => p.opType === 'MaxPool' && (p.kernelShape?.length ?? 0) > 2;

/**
 * Rewrite every rewritable 3-D MaxPool of the main graph of `bytes` (an ONNX ModelProto) as
 * strided slices and element-wise maxima. Throws VoxsegError('invalid-model') naming `file` when
 * the bytes are not an ONNX model.
 */
export function rewriteForWebgpu(bytes: Uint8Array, file = 'model.onnx'): WebgpuRewrite {
  const info = inspectOnnx(bytes, file);
  const opset = opsetVersion(info);
  const kept = info.pools
    .filter((p) => is3d(p) && maxPoolRewriteRefusal(p, opset) !== null)
    .map((p) => ({ name: p.name, reason: maxPoolRewriteRefusal(p, opset)! }));
  if (!info.pools.some((p) => is3d(p) && maxPoolRewriteRefusal(p, opset) === null))
    return { bytes, rewritten: [], kept };

  const names = new Names(bytes);
  const rewritten: string[] = [];
  const out = new ProtoWriter();
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const start = r.pos;
    const [f, w] = r.tag();
    if (f === 7 && w === Wire.Bytes) {
      const graph = r.message();
      out.message(7, (g) => rewriteGraph(graph, g, opset, names, rewritten));
    } else {
      r.skip(w);
      out.raw(bytes.subarray(start, r.pos));
    }
  }
  return { bytes: out.finish(), rewritten, kept };
}

/** Copy a GraphProto field by field, replacing rewritable MaxPool nodes; new initializers last. */
function rewriteGraph(
  r: ProtoReader,
  g: ProtoWriter,
  opset: number | undefined,
  names: Names,
  rewritten: string[],
): void {
  const consts = new Map<string, { name: string; values: readonly (number | bigint)[] }>();
  const constant = (kind: string, values: readonly (number | bigint)[]): string => {
    const key = `${kind}:${values.join(',')}`;
    let c = consts.get(key);
    if (!c)
      consts.set(
        key,
        (c = {
          name: names.next(
            `${kind}_${values.map((v) => (v === INT64_MAX ? 'end' : String(v).replace('-', 'm'))).join('_')}`,
          ),
          values,
        }),
      );
    return c.name;
  };
  while (!r.done) {
    const start = r.pos;
    const [f, w] = r.tag();
    if (f === 1 && w === Wire.Bytes) {
      const node = r.message();
      const pool = readPoolNode(new ProtoReader(node.buf, node.pos, node.end), false);
      if (pool && is3d(pool) && maxPoolRewriteRefusal(pool, opset) === null) {
        writeSlices(g, pool, constant, names);
        rewritten.push(pool.name);
        continue;
      }
    } else r.skip(w);
    g.raw(r.buf.subarray(start, r.pos));
  }
  for (const c of consts.values())
    g.message(5, (t) => {
      t.packedVarints(1, [c.values.length]);
      t.varint(2, INT64);
      t.string(8, c.name);
      t.bytes(9, new Uint8Array(BigInt64Array.from(c.values, (v) => BigInt(v)).buffer));
    });
}

/** The nodes that replace one MaxPool: a Slice per kernel offset, then a tree of maxima. */
function writeSlices(
  g: ProtoWriter,
  p: OnnxPoolInfo,
  constant: (kind: string, values: readonly (number | bigint)[]) => string,
  names: Names,
): void {
  const k = p.kernelShape!;
  const s = p.strides ?? [1, 1, 1];
  const d = p.dilations ?? [1, 1, 1];
  const y = p.outputs[0];
  const base = names.node(p.name || y);
  const axes = constant('axes', [2, 3, 4]);
  const steps = constant('steps', s);
  let level: string[] = [];
  const total = k[0] * k[1] * k[2];
  for (let o0 = 0; o0 < k[0]; o0++)
    for (let o1 = 0; o1 < k[1]; o1++)
      for (let o2 = 0; o2 < k[2]; o2++) {
        const o = [o0, o1, o2];
        // Tap o of window j is x[j·s + o·d]; the end leaves exactly the pool's number of windows.
        const starts = constant(
          'starts',
          o.map((v, a) => v * d[a]),
        );
        const ends = constant(
          'ends',
          o.map((v, a) => (v === k[a] - 1 ? INT64_MAX : -(d[a] * (k[a] - 1 - v)))),
        );
        const out = total === 1 ? y : names.next(`tap_${o.join('')}`);
        writeNode(g, 'Slice', [p.input, starts, ends, axes, steps], [out], `${base}/slice_${o.join('')}`);
        level.push(out);
      }
  for (let round = 0; level.length > 1; round++) {
    const next: string[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const [a, b] = [level[i], level[i + 1]];
      const gt = names.next(`gt_${round}_${i / 2}`);
      const max = level.length === 2 ? y : names.next(`max_${round}_${i / 2}`);
      // b where b > a, else a: of equal values the earlier tap wins, as in a scan with `>`.
      writeNode(g, 'Greater', [b, a], [gt], `${base}/greater_${round}_${i / 2}`);
      writeNode(g, 'Where', [gt, b, a], [max], `${base}/max_${round}_${i / 2}`);
      next.push(max);
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
}

function writeNode(g: ProtoWriter, op: string, inputs: string[], outputs: string[], name: string): void {
  g.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, name);
    n.string(4, op);
  });
}

/**
 * New value names: a prefix that occurs nowhere in the model's bytes (so no name of the graph, of
 * a subgraph or of a function can contain it), then a counter.
 */
class Names {
  private prefix: string;
  private count = 0;

  constructor(bytes: Uint8Array) {
    let prefix = 'webgpu_maxpool';
    for (let n = 2; contains(bytes, new TextEncoder().encode(prefix)); n++) prefix = `webgpu_maxpool${n}`;
    this.prefix = prefix;
  }

  next(what: string): string {
    return `${this.prefix}/${this.count++}_${what}`;
  }

  /** Prefix of the names of the nodes that replace node `name`. */
  node(name: string): string {
    return `${this.prefix}/${name}`;
  }
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** The note the worker shows when it ran a rewritten model on WebGPU. */
export function rewriteNote(r: WebgpuRewrite): string {
  const n = r.rewritten.length;
  return `3-D MaxPool rewritten as strided slices for WebGPU (${n} node${n > 1 ? 's' : ''}; exact)`;
}
