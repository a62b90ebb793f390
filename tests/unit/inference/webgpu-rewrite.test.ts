/**
 * The WebGPU rewrite of 3-D MaxPool (src/inference/onnx/webgpu-rewrite.ts) is exact:
 * - the bundled abdomen-phantom model, rewritten, gives bit-identical logits to the original on a
 *   patch of the manifest's size, under onnxruntime-node and onnxruntime-web's WASM backend; the
 *   rewritten graph has no MaxPool and nothing WebGPU lacks, and every other field of the model
 *   (weights included) is kept byte for byte; onnx's own checker accepts it (when Python has onnx);
 * - synthetic pools (several kernels, strides, dilations) on odd and even sizes that the graph
 *   leaves symbolic agree with onnxruntime's MaxPool and with a brute-force pool here: bit for bit,
 *   and on inputs full of ties value for value (the sign of a +0/-0 tie is the only freedom);
 * - pools that cannot be rewritten exactly (padding, SAME auto_pad, ceil_mode 1, a used Indices
 *   output, a subgraph, opset 9, a huge kernel) are left alone and still reported by webgpuBlockers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/inference/manifest';
import { webgpuBlockers } from '../../../src/inference/model-check';
import { ProtoReader, Wire } from '../../../src/inference/onnx/protobuf';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { rewriteForWebgpu } from '../../../src/inference/onnx/webgpu-rewrite';
import { OnnxGraph, attr, type Attributes } from '../../../src/inference/onnx/writer';
import { repoRoot } from '../helpers/shared';

/** Deterministic values; `levels` > 0 quantizes them so that windows hold ties. */
function noise(n: number, seed: number, levels = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 31 - 1;
    return levels ? Math.round(v * levels) / levels : v;
  });
}

async function runNode(
  bytes: Uint8Array,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
  output: string,
): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run(
      Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])),
    );
    return out[output];
  } finally {
    await session.release();
  }
}

/** onnxruntime-web on WASM (one thread), as the worker runs it. */
async function runWasm(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const web = await import('onnxruntime-web');
  web.env.wasm.numThreads = 1;
  const session = await web.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  try {
    const out = await session.run({ input: new web.Tensor('float32', input, dims) });
    return out.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Bit patterns equal (so -0 vs +0 or two NaNs would count as different; max |diff| is 0 then). */
function sameBits(a: Float32Array, b: Float32Array): { differing: number; maxDiff: number } {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let differing = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++)
    if (ua[i] !== ub[i]) {
      differing++;
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
  return { differing, maxDiff };
}

/** Values equal (+0 === -0: MaxPool kernels differ among themselves on the sign of a zero tie). */
function sameValues(a: Float32Array, b: Float32Array): { differing: number; maxDiff: number } {
  let differing = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) {
      differing++;
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    }
  return { differing, maxDiff };
}

/** The raw bytes of each field of a message, in order, with the node name/op of NodeProto fields. */
function fields(
  buf: Uint8Array,
  start = 0,
  end = buf.length,
): { field: number; raw: Uint8Array; op?: string; name?: string; payload?: [number, number] }[] {
  const out: ReturnType<typeof fields> = [];
  const r = new ProtoReader(buf, start, end);
  while (!r.done) {
    const at = r.pos;
    const [field, wire] = r.tag();
    let payload: [number, number] | undefined;
    if (wire === Wire.Bytes) {
      const m = r.message();
      payload = [m.pos, m.end];
    } else r.skip(wire);
    out.push({ field, raw: buf.subarray(at, r.pos), payload });
  }
  return out;
}

function nodeHead(buf: Uint8Array, [start, end]: [number, number]): { op: string; name: string } {
  const r = new ProtoReader(buf, start, end);
  let op = '';
  let name = '';
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 3 && w === Wire.Bytes) name = r.string();
    else if (f === 4 && w === Wire.Bytes) op = r.string();
    else r.skip(w);
  }
  return { op, name };
}

const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

const python = '/usr/bin/python3';
const hasOnnx = existsSync(python) && spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

const modelDir = join(repoRoot, 'static/models/abdomen-phantom');
const bundled = existsSync(join(modelDir, 'model.onnx'));

(bundled ? describe : describe.skip)(
  bundled
    ? 'the bundled abdomen-phantom model, rewritten for WebGPU'
    : 'bundled abdomen-phantom [skipped: static/models/abdomen-phantom/model.onnx not found]',
  () => {
    const original = new Uint8Array(readFileSync(join(modelDir, 'model.onnx')));
    const manifest = parseManifestText(readFileSync(join(modelDir, 'manifest.json'), 'utf8'), 'manifest.json');
    if (manifest.preprocessing.mode !== 'sliding-window') throw new Error('expected a sliding-window manifest');
    // The manifest's patch is (i, j, k); the NCDHW tensor is [1, 1, k, j, i].
    const [pi, pj, pk] = manifest.preprocessing.patch;
    const dims = [1, 1, pk, pj, pi];
    const rewrite = rewriteForWebgpu(original, 'model.onnx');
    const tmp = mkdtempSync(join(tmpdir(), 'voxseg-webgpu-rewrite-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('has its three 2x2x2 MaxPools rewritten, and nothing left that WebGPU lacks', () => {
      const before = inspectOnnx(original);
      expect(before.opCounts.MaxPool).toBe(3);
      expect(before.pools.map((p) => [p.kernelShape, p.strides, p.pads, p.ceilMode])).toEqual(
        Array(3).fill([[2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0], 0]),
      );
      expect(rewrite.rewritten).toHaveLength(3);
      expect(rewrite.kept).toEqual([]);
      const after = inspectOnnx(rewrite.bytes);
      expect(after.ops).not.toContain('MaxPool');
      expect(after.opCounts.Slice).toBe(3 * 8);
      expect(after.opCounts.Greater).toBe(3 * 7);
      expect(after.opCounts.Where).toBe(3 * 7);
      expect(after.ops).not.toContain('Max'); // the WebGPU EP has no Max kernel
      expect(webgpuBlockers(after)).toEqual([]);
      // The original is no longer blocked either: the worker rewrites it for WebGPU.
      expect(webgpuBlockers(before)).toEqual([]);
      expect(after.inputs).toEqual(before.inputs);
      expect(after.outputs).toEqual(before.outputs);
    });

    it('keeps every other field byte for byte', () => {
      const a = fields(original);
      const b = fields(rewrite.bytes);
      expect(b.map((f) => f.field)).toEqual(a.map((f) => f.field));
      for (let i = 0; i < a.length; i++)
        if (a[i].field !== 7) expect(bytesEqual(a[i].raw, b[i].raw), `model field ${a[i].field}`).toBe(true);
      const ga = fields(original, ...a.find((f) => f.field === 7)!.payload!);
      const gb = fields(rewrite.bytes, ...b.find((f) => f.field === 7)!.payload!);
      expect(ga.length).toBeGreaterThan(0);
      const keptA = ga.filter((f) => !(f.field === 1 && nodeHead(original, f.payload!).op === 'MaxPool'));
      const added = gb.filter(
        (f) =>
          (f.field === 1 && nodeHead(rewrite.bytes, f.payload!).name.startsWith('webgpu_maxpool/')) ||
          (f.field === 5 && new TextDecoder().decode(f.raw).includes('webgpu_maxpool/')),
      );
      const keptB = gb.filter((f) => !added.includes(f));
      expect(keptB.length).toBe(keptA.length);
      for (let i = 0; i < keptA.length; i++)
        expect(bytesEqual(keptA[i].raw, keptB[i].raw), `graph field ${i} (${keptA[i].field})`).toBe(true);
      // 3 x (8 Slice + 7 Greater + 7 Where) nodes, and the int64 constants they share.
      expect(added.filter((f) => f.field === 1)).toHaveLength(66);
      expect(added.filter((f) => f.field === 5).length).toBe(1 + 1 + 8 + 8); // axes, steps, starts, ends
    });

    it('gives bit-identical logits on a patch of the manifest size (onnxruntime-node)', async () => {
      // A smooth field plus noise, in the normalized CT range.
      const n = dims.reduce((x, y) => x * y, 1);
      const rough = noise(n, 7);
      const input = Float32Array.from(rough, (v, i) => 1.5 * Math.sin(i / 977) + 0.8 * v);
      const t0 = performance.now();
      const a = (await runNode(original, { input: { data: input, dims } }, 'output')).data as Float32Array;
      const b = (await runNode(rewrite.bytes, { input: { data: input, dims } }, 'output')).data as Float32Array;
      console.log(
        `abdomen-phantom ${dims.join('x')} on onnxruntime-node, original + rewritten: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(a.length).toBe(n * manifest.model.channels);
      expect(sameBits(a, b)).toEqual({ differing: 0, maxDiff: 0 });
    }, 120_000);

    it('gives bit-identical logits on onnxruntime-web WASM too', async () => {
      const n = dims.reduce((x, y) => x * y, 1);
      const input = Float32Array.from(noise(n, 11), (v, i) => Math.cos(i / 1511) + v);
      const a = await runWasm(original, input, dims);
      const b = await runWasm(rewrite.bytes, input, dims);
      expect(sameBits(a, b)).toEqual({ differing: 0, maxDiff: 0 });
    }, 180_000);

    it.skipIf(!hasOnnx)(
      `passes onnx.checker with full shape inference${hasOnnx ? '' : ' [skipped: /usr/bin/python3 with onnx not found]'}`,
      () => {
        const file = join(tmp, 'rewritten.onnx');
        writeFileSync(file, rewrite.bytes);
        const code = [
          'import sys, onnx',
          'm = onnx.load(sys.argv[1])',
          'onnx.checker.check_model(m, full_check=True)',
          'print(sum(n.op_type == "MaxPool" for n in m.graph.node))',
        ].join('\n');
        const r = spawnSync(python, ['-c', code, file], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe('0');
      },
    );
  },
);

interface PoolCase {
  kernel: number[];
  strides?: number[];
  dilations?: number[];
  extra?: Attributes;
}

/** One MaxPool on a [n, c, d, h, w] input with every dim symbolic. */
function poolModel(p: PoolCase, opts: { opset?: number; outputs?: string[] } = {}): Uint8Array {
  const g = new OnnxGraph('pool');
  g.input('input', 'float32', ['n', 'c', 'd', 'h', 'w']);
  g.node(
    'MaxPool',
    ['input'],
    opts.outputs ?? ['output'],
    { kernel_shape: p.kernel, strides: p.strides, dilations: p.dilations, ...p.extra },
    { name: 'pool' },
  );
  g.output('output', 'float32', null);
  return g.toBytes({ opset: opts.opset });
}

/** Brute-force max pool, floor rule, no padding. */
function referencePool(
  x: Float32Array,
  dims: number[],
  k: number[],
  s: number[],
  d: number[],
): { data: Float32Array; dims: number[] } {
  const [n, c, ...sp] = dims;
  const out = sp.map((len, a) => Math.floor((len - d[a] * (k[a] - 1) - 1) / s[a]) + 1);
  const data = new Float32Array(n * c * out[0] * out[1] * out[2]);
  let i = 0;
  for (let b = 0; b < n * c; b++)
    for (let z = 0; z < out[0]; z++)
      for (let y = 0; y < out[1]; y++)
        for (let xx = 0; xx < out[2]; xx++) {
          let m = -Infinity;
          for (let oz = 0; oz < k[0]; oz++)
            for (let oy = 0; oy < k[1]; oy++)
              for (let ox = 0; ox < k[2]; ox++) {
                const at =
                  ((b * sp[0] + z * s[0] + oz * d[0]) * sp[1] + y * s[1] + oy * d[1]) * sp[2] + xx * s[2] + ox * d[2];
                m = Math.max(m, x[at]);
              }
          data[i++] = m;
        }
  return { data, dims: [n, c, ...out] };
}

describe('synthetic 3-D MaxPools: exact on odd and even sizes unknown to the graph', () => {
  const cases: PoolCase[] = [
    { kernel: [2, 2, 2], strides: [2, 2, 2] },
    { kernel: [3, 3, 3], strides: [3, 3, 3] },
    { kernel: [1, 2, 3], strides: [1, 2, 3] },
    { kernel: [2, 3, 2], strides: [2, 3, 2], extra: { pads: [0, 0, 0, 0, 0, 0], ceil_mode: 0, auto_pad: 'VALID' } },
    { kernel: [3, 3, 3], strides: [2, 2, 2] }, // overlapping windows
    { kernel: [2, 2, 2], strides: [1, 1, 1] }, // stride 1 (strides omitted: default)
    { kernel: [2, 2, 2], strides: [2, 2, 2], dilations: [2, 1, 2] },
    { kernel: [1, 1, 1], strides: [2, 3, 1] }, // pure subsampling: one Slice
    { kernel: [2, 1, 2], strides: [3, 1, 2] }, // stride larger than the kernel
  ];
  const shapes = [
    [1, 2, 7, 9, 11],
    [2, 3, 6, 5, 13],
    [1, 1, 5, 8, 4],
  ];

  for (const p of cases) {
    const strides = p.strides ?? [1, 1, 1];
    const dil = p.dilations ?? [1, 1, 1];
    it(`kernel [${p.kernel}] stride [${strides}] dilation [${dil}]`, async () => {
      const model = poolModel({
        ...p,
        strides: p.kernel.join() === '2,2,2' && strides.join() === '1,1,1' ? undefined : strides,
      });
      const rw = rewriteForWebgpu(model);
      expect(rw.rewritten).toEqual(['pool']);
      const info = inspectOnnx(rw.bytes);
      expect(info.ops).not.toContain('MaxPool');
      expect(info.opCounts.Slice).toBe(p.kernel[0] * p.kernel[1] * p.kernel[2]);
      expect(webgpuBlockers(info)).toEqual([]);
      for (const [si, shape] of shapes.entries()) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = noise(n, 100 + si, si === 1 ? 4 : 0); // one shape with many ties (and +0 / -0)
        const want = await runNode(model, { input: { data: x, dims: shape } }, 'output');
        const got = await runNode(rw.bytes, { input: { data: x, dims: shape } }, 'output');
        const ref = referencePool(x, shape, p.kernel, strides, dil);
        expect(want.dims, `onnxruntime MaxPool on ${shape}`).toEqual(ref.dims);
        expect(got.dims, `rewritten on ${shape}`).toEqual(ref.dims);
        expect(sameValues(got.data as Float32Array, want.data as Float32Array), `vs MaxPool on ${shape}`).toEqual({
          differing: 0,
          maxDiff: 0,
        });
        expect(sameValues(got.data as Float32Array, ref.data), `vs the brute-force pool on ${shape}`).toEqual({
          differing: 0,
          maxDiff: 0,
        });
        if (si !== 1)
          expect(
            sameBits(got.data as Float32Array, want.data as Float32Array),
            `bits vs MaxPool on ${shape} (no zeros)`,
          ).toEqual({ differing: 0, maxDiff: 0 });
      }
    });
  }

  it('rewrites several pools of one graph and keeps a 2-D pool and the rest as they are', async () => {
    const g = new OnnxGraph('chain');
    g.input('input', 'float32', ['n', 2, 'd', 'h', 'w']);
    g.initializer('w', noise(2 * 2 * 27, 3), [2, 2, 3, 3, 3]);
    g.node('Conv', ['input', 'w'], ['c1'], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] });
    g.node('MaxPool', ['c1'], ['p1'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] });
    g.node('Relu', ['p1'], ['r1']);
    g.node('MaxPool', ['r1'], ['output'], { kernel_shape: [3, 1, 2], strides: [2, 1, 2] });
    g.output('output', 'float32', null);
    const model = g.toBytes();
    const rw = rewriteForWebgpu(model);
    expect(rw.rewritten).toHaveLength(2);
    expect(inspectOnnx(rw.bytes).opCounts).toMatchObject({ Conv: 1, Relu: 1, Slice: 8 + 6 });
    const shape = [1, 2, 9, 7, 12];
    const x = noise(
      shape.reduce((a, b) => a * b, 1),
      5,
    );
    const want = await runNode(model, { input: { data: x, dims: shape } }, 'output');
    const got = await runNode(rw.bytes, { input: { data: x, dims: shape } }, 'output');
    expect(got.dims).toEqual(want.dims);
    expect(sameBits(got.data as Float32Array, want.data as Float32Array)).toEqual({ differing: 0, maxDiff: 0 });

    const flat = new OnnxGraph('flat');
    flat.input('input', 'float32', ['n', 1, 'h', 'w']);
    flat.node('MaxPool', ['input'], ['output'], { kernel_shape: [2, 2], strides: [2, 2] });
    flat.output('output', 'float32', null);
    const twoD = flat.toBytes();
    const same = rewriteForWebgpu(twoD);
    expect(same.bytes).toBe(twoD);
    expect(same.rewritten).toEqual([]);
    expect(webgpuBlockers(inspectOnnx(twoD))).toEqual([]);
  });
});

describe('MaxPools that cannot be rewritten exactly stay, and stay WebGPU blockers', () => {
  const refusals: { what: string; model: () => Uint8Array; reason: RegExp }[] = [
    {
      what: 'explicit padding',
      model: () => poolModel({ kernel: [3, 3, 3], strides: [1, 1, 1], extra: { pads: [1, 1, 1, 1, 1, 1] } }),
      reason: /^padding$/,
    },
    {
      what: 'auto_pad SAME_UPPER',
      model: () => poolModel({ kernel: [2, 2, 2], strides: [2, 2, 2], extra: { auto_pad: 'SAME_UPPER' } }),
      reason: /auto_pad SAME_UPPER/,
    },
    {
      what: 'ceil_mode 1',
      model: () => poolModel({ kernel: [2, 2, 2], strides: [2, 2, 2], extra: { ceil_mode: 1 } }),
      reason: /ceil_mode 1/,
    },
    {
      what: 'a used Indices output',
      model: () => poolModel({ kernel: [2, 2, 2], strides: [2, 2, 2] }, { outputs: ['output', 'indices'] }),
      reason: /Indices/,
    },
    {
      what: 'opset 9',
      model: () => poolModel({ kernel: [2, 2, 2], strides: [2, 2, 2] }, { opset: 9 }),
      reason: /opset 9/,
    },
    { what: 'a 5x5x5 kernel', model: () => poolModel({ kernel: [5, 5, 5], strides: [5, 5, 5] }), reason: /125 voxels/ },
    {
      what: 'a pool inside an If branch',
      model: () => {
        const g = new OnnxGraph('branchy');
        g.input('input', 'float32', ['n', 1, 'd', 'h', 'w']);
        g.input('flag', 'bool', []);
        const branch = (name: string) => {
          const b = new OnnxGraph(name, g);
          b.node(
            'MaxPool',
            ['input'],
            [`${name}_out`],
            { kernel_shape: [2, 2, 2], strides: [2, 2, 2] },
            { name: `${name}_pool` },
          );
          b.output(`${name}_out`, 'float32', null);
          return attr.graph(b);
        };
        g.node('If', ['flag'], ['output'], { then_branch: branch('a'), else_branch: branch('b') });
        g.output('output', 'float32', null);
        return g.toBytes();
      },
      reason: /subgraph/,
    },
  ];

  for (const c of refusals)
    it(c.what, () => {
      const model = c.model();
      const rw = rewriteForWebgpu(model);
      expect(rw.bytes, 'the same bytes back').toBe(model);
      expect(rw.rewritten).toEqual([]);
      expect(rw.kept.length).toBeGreaterThan(0);
      for (const k of rw.kept) expect(k.reason).toMatch(c.reason);
      const blockers = webgpuBlockers(inspectOnnx(model));
      expect(blockers).toHaveLength(1);
      expect(blockers[0]).toMatch(/^3-D MaxPool \(\d nodes?: /);
      expect(blockers[0]).toMatch(
        c.reason.source.startsWith('^') ? new RegExp(c.reason.source.slice(1).replace(/\$$/, '')) : c.reason,
      );
    });

  it('a rewritable and a padded pool in one graph: the first is rewritten (exactly), the second kept and reported', async () => {
    const g = new OnnxGraph('mixed');
    g.input('input', 'float32', ['n', 1, 'd', 'h', 'w']);
    g.node('MaxPool', ['input'], ['p1'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, { name: 'ok' });
    g.node(
      'MaxPool',
      ['p1'],
      ['output'],
      { kernel_shape: [3, 3, 3], strides: [1, 1, 1], pads: [1, 1, 1, 1, 1, 1] },
      { name: 'padded' },
    );
    g.output('output', 'float32', null);
    const model = g.toBytes();
    const rw = rewriteForWebgpu(model);
    expect(rw.rewritten).toEqual(['ok']);
    expect(rw.kept).toEqual([{ name: 'padded', reason: 'padding' }]);
    const after = inspectOnnx(rw.bytes);
    expect(after.opCounts.MaxPool).toBe(1);
    expect(webgpuBlockers(after)).toEqual(['3-D MaxPool (1 node: padding)']);
    expect(webgpuBlockers(inspectOnnx(model))).toEqual(['3-D MaxPool (1 node: padding)']);
    const shape = [1, 1, 11, 10, 9];
    const x = noise(
      shape.reduce((a, b) => a * b, 1),
      9,
    );
    const want = await runNode(model, { input: { data: x, dims: shape } }, 'output');
    const got = await runNode(rw.bytes, { input: { data: x, dims: shape } }, 'output');
    expect(sameBits(got.data as Float32Array, want.data as Float32Array)).toEqual({ differing: 0, maxDiff: 0 });
  });

  it('3-D AveragePool is still reported (not rewritten)', () => {
    const g = new OnnxGraph('avg');
    g.input('input', 'float32', ['n', 1, 'd', 'h', 'w']);
    g.node('AveragePool', ['input'], ['output'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] });
    g.output('output', 'float32', null);
    const model = g.toBytes();
    expect(rewriteForWebgpu(model).bytes).toBe(model);
    expect(webgpuBlockers(inspectOnnx(model))).toEqual(['3-D AveragePool']);
  });
});
