import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ProtoReader, ProtoWriter, ProtobufError, Wire } from '../../../src/inference/onnx/protobuf';
import { inspectOnnx, opsetVersion } from '../../../src/inference/onnx/reader';
import { OnnxGraph, attr } from '../../../src/inference/onnx/writer';
import { catchVoxseg } from '../helpers/errors';

/** Deterministic values in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe('protobuf wire format', () => {
  it('encodes the textbook examples', () => {
    expect([...new ProtoWriter().varint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([
      0x12,
      0x07,
      ...new TextEncoder().encode('testing'),
    ]);
    expect([...new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish()]).toEqual([
      0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05,
    ]);
  });

  it('round-trips varints, negatives, fixed and floating fields', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 40)];
    const w = new ProtoWriter();
    for (const v of values) w.varint(1, v);
    w.varint(2, -5n)
      .fixed32(3, 0xdeadbeef)
      .fixed64(4, 2 ** 40 + 7)
      .float(5, 1.5)
      .double(6, Math.PI)
      .sint(7, -3)
      .varint(8, true);
    const bytes = w.finish();
    expect(bytes.length).toBeGreaterThan(0);
    const r = new ProtoReader(bytes);
    for (const v of values) {
      expect(r.tag()).toEqual([1, Wire.Varint]);
      expect(r.int64()).toBe(v);
    }
    expect(r.tag()).toEqual([2, Wire.Varint]);
    expect(r.int64()).toBe(-5);
    expect(r.tag()).toEqual([3, Wire.Fixed32]);
    expect(r.fixed32()).toBe(0xdeadbeef);
    expect(r.tag()).toEqual([4, Wire.Fixed64]);
    expect(r.fixed64()).toBe(2 ** 40 + 7);
    expect(r.tag()).toEqual([5, Wire.Fixed32]);
    expect(r.float()).toBe(1.5);
    expect(r.tag()).toEqual([6, Wire.Fixed64]);
    expect(r.double()).toBe(Math.PI);
    expect(r.tag()).toEqual([7, Wire.Varint]);
    expect(r.varint()).toBe(5); // zig-zag of -3
    expect(r.tag()).toEqual([8, Wire.Varint]);
    expect(r.varint()).toBe(1);
    expect(r.done).toBe(true);
    // -1 as int64 takes ten bytes
    expect(new ProtoWriter().varint(1, -1).finish().length).toBe(11);
  });

  it('reads packed and unpacked repeated fields and nested messages', () => {
    const w = new ProtoWriter();
    w.packedVarints(1, [1, -2, 300]);
    w.varint(1, 7).varint(1, 8); // unpacked continuation of the same field
    w.packedFloats(2, [0.5, -2.25]).float(2, 4);
    w.packedDoubles(3, [1e-300]);
    w.message(4, (m) => m.string(1, 'inner').message(2, (mm) => mm.varint(1, 42)));
    w.packedVarints(5, []); // writes nothing
    const r = new ProtoReader(w.finish());
    const ints: number[] = [];
    const floats: number[] = [];
    const doubles: number[] = [];
    let inner = '';
    let deep = 0;
    while (!r.done) {
      const [f, wire] = r.tag();
      if (f === 1) r.repeatedInt64(wire, ints);
      else if (f === 2) r.repeatedFloat(wire, floats);
      else if (f === 3) r.repeatedDouble(wire, doubles);
      else if (f === 4) {
        const m = r.message();
        while (!m.done) {
          const [mf, mw] = m.tag();
          if (mf === 1) inner = m.string();
          else if (mf === 2) {
            const mm = m.message();
            mm.tag();
            deep = mm.varint();
          } else m.skip(mw);
        }
      } else throw new Error(`unexpected field ${f}`);
    }
    expect(ints).toEqual([1, -2, 300, 7, 8]);
    expect(floats).toEqual([0.5, -2.25, 4]);
    expect(doubles).toEqual([1e-300]);
    expect([inner, deep]).toEqual(['inner', 42]);
  });

  it('reports truncation and malformed input', () => {
    const bytes = new ProtoWriter().string(1, 'hello world').finish();
    const cut = new ProtoReader(bytes.subarray(0, 6));
    cut.tag();
    expect(() => cut.bytes()).toThrow(ProtobufError);
    try {
      cut.pos = 1;
      cut.bytes();
    } catch (e) {
      expect((e as ProtobufError).kind).toBe('truncated');
    }
    const group = new ProtoReader(Uint8Array.of(0x0b)); // field 1, wire type 3 (start group)
    expect(() => group.tag()).toThrow(/wire type 3/);
    const long = new ProtoReader(new Uint8Array(11).fill(0xff));
    expect(() => long.varint()).toThrow(/longer than 10 bytes/);
    expect(() => new ProtoReader(Uint8Array.of(0x80)).varint()).toThrow(/past the end/);
  });
});

// ---------------------------------------------------------------------------------------------

/** Reference 3-D convolution on [C, D, H, W] arrays (pads begin/end, dilations). */
function conv3d(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  b: Float32Array,
  pads: number[],
  dil: number[],
) {
  const [C, D, H, W] = xs;
  const [M, , KD, KH, KW] = ws;
  const os = [D, H, W].map((n, a) => n + pads[a] + pads[a + 3] - dil[a] * ([KD, KH, KW][a] - 1));
  const out = new Float32Array(M * os[0] * os[1] * os[2]);
  let p = 0;
  for (let m = 0; m < M; m++)
    for (let z = 0; z < os[0]; z++)
      for (let y = 0; y < os[1]; y++)
        for (let xx = 0; xx < os[2]; xx++) {
          let s = b[m];
          for (let c = 0; c < C; c++)
            for (let kd = 0; kd < KD; kd++)
              for (let kh = 0; kh < KH; kh++)
                for (let kw = 0; kw < KW; kw++) {
                  const iz = z - pads[0] + kd * dil[0];
                  const iy = y - pads[1] + kh * dil[1];
                  const ix = xx - pads[2] + kw * dil[2];
                  if (iz < 0 || iy < 0 || ix < 0 || iz >= D || iy >= H || ix >= W) continue;
                  s += w[(((m * C + c) * KD + kd) * KH + kh) * KW + kw] * x[((c * D + iz) * H + iy) * W + ix];
                }
          out[p++] = s;
        }
  return { out, shape: [M, ...os] };
}

describe('ONNX writer + onnxruntime-node', () => {
  it('writes a Conv/Elu/Relu/Concat/Resize graph that onnxruntime runs like a hand computation', async () => {
    const [D, H, W] = [3, 4, 5];
    const ws = [2, 1, 3, 1, 2];
    const weights = noise(12, 1);
    const bias = Float32Array.of(0.25, -0.5);
    const pads = [2, 0, 0, 2, 0, 1];
    const dil = [2, 1, 1];
    const g = new OnnxGraph('test');
    g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
    g.initializer('W', weights, ws);
    g.initializer('B', bias, [2]);
    g.initializer('scales', [1, 1, 2, 2, 2], [5]);
    g.node('Conv', ['input', 'W', 'B'], ['conv'], {
      kernel_shape: [3, 1, 2],
      dilations: dil,
      pads,
      strides: [1, 1, 1],
    });
    g.node('Elu', ['conv'], ['elu'], { alpha: attr.float(1) });
    g.node('Relu', ['input'], ['relu']);
    g.node('Concat', ['elu', 'relu'], ['cat'], { axis: -4 }); // negative int attribute
    g.node('Resize', ['cat', '', 'scales'], ['output'], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
    g.output('output', 'float32', ['batch', 3, null, null, null]);
    const bytes = g.toBytes({ producer: 'voxseg-test', producerVersion: '1', metadata: { note: 'unit test' } });

    const x = noise(D * H * W, 7);
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({ input: new ort.Tensor('float32', x, [1, 1, D, H, W]) });
    const y = result.output;
    expect(y.dims).toEqual([1, 3, 2 * D, 2 * H, 2 * W]);

    const c = conv3d(x, [1, D, H, W], weights, ws, bias, pads, dil);
    expect(c.shape).toEqual([2, D, H, W]);
    const cat = new Float32Array(3 * D * H * W);
    for (let i = 0; i < 2 * D * H * W; i++) cat[i] = c.out[i] > 0 ? c.out[i] : Math.exp(c.out[i]) - 1;
    for (let i = 0; i < D * H * W; i++) cat[2 * D * H * W + i] = Math.max(0, x[i]);
    const data = y.data as Float32Array;
    let maxDiff = 0;
    let p = 0;
    for (let ch = 0; ch < 3; ch++)
      for (let z = 0; z < 2 * D; z++)
        for (let yy = 0; yy < 2 * H; yy++)
          for (let xx = 0; xx < 2 * W; xx++) {
            const ref = cat[((ch * D + (z >> 1)) * H + (yy >> 1)) * W + (xx >> 1)];
            maxDiff = Math.max(maxDiff, Math.abs(ref - data[p++]));
          }
    expect(maxDiff).toBeLessThan(1e-5);

    // Round trip through the reader.
    const info = inspectOnnx(bytes, 'test.onnx');
    expect(info.irVersion).toBe(8);
    expect(info.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(opsetVersion(info)).toBe(17);
    expect(opsetVersion(info, 'ai.onnx')).toBe(17);
    expect([info.producer, info.producerVersion]).toEqual(['voxseg-test', '1']);
    expect(info.metadata).toEqual({ note: 'unit test' });
    expect(info.ops).toEqual(['Concat', 'Conv', 'Elu', 'Relu', 'Resize']);
    expect(info.inputs).toEqual([
      { name: 'input', elemType: 'float32', dims: ['batch', 1, 'd', 'h', 'w'], hasShape: true },
    ]);
    expect(info.outputs).toEqual([
      { name: 'output', elemType: 'float32', dims: ['batch', 3, null, null, null], hasShape: true },
    ]);
    expect(info.initializerBytes).toBe((12 + 2 + 5) * 4);
    expect(info.initializerCount).toBe(3);
    expect(info.convs).toEqual([
      {
        opType: 'Conv',
        name: 'Conv_0',
        kernelShape: [3, 1, 2],
        kernelRank: 3,
        dilations: dil,
        strides: [1, 1, 1],
        group: 1,
        nested: false,
      },
    ]);
  });

  it('writes int64 initializers, subgraphs and 3-D ConvTranspose the reader reports (nested, kernel rank 3)', async () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const g = new OnnxGraph('main');
    g.input('cond', 'bool', []);
    g.input('x', 'float32', [1, 1, 2, 2, 2]);
    g.int64('shape', [1, 8]);
    const then = new OnnxGraph('then', g);
    then.initializer('k', new Float32Array(8).fill(1), [1, 1, 2, 2, 2]);
    then.node('ConvTranspose', ['x', 'k'], ['up']); // outer-scope input, kernel rank from the initializer
    then.output('up', 'float32', [1, 1, 3, 3, 3]);
    const other = new OnnxGraph('else', g);
    other.node('Neg', ['x'], ['neg']);
    other.int64('pads', [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    other.node('Pad', ['neg', 'pads'], ['padded']);
    other.output('padded', 'float32', [1, 1, 3, 3, 3]);
    g.node('If', ['cond'], ['y'], { then_branch: attr.graph(then), else_branch: attr.graph(other) });
    g.node('Reshape', ['x', 'shape'], ['flat']);
    g.output('y', 'float32', [1, 1, 3, 3, 3]);
    g.output('flat', 'float32', [1, 8]);
    const bytes = g.toBytes({ opset: 18 });

    const session = await ort.InferenceSession.create(bytes);
    const feeds = (c: boolean) => ({
      cond: new ort.Tensor('bool', Uint8Array.of(c ? 1 : 0), []),
      x: new ort.Tensor('float32', x, [1, 1, 2, 2, 2]),
    });
    const up = (await session.run(feeds(true))).y.data as Float32Array;
    // ConvTranspose with a ones kernel: out[p] = sum over q with p - q in {0, 1}^3 of x[q].
    const ref = new Float32Array(27);
    for (let z = 0; z < 3; z++)
      for (let y = 0; y < 3; y++)
        for (let xx = 0; xx < 3; xx++)
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++)
              for (let c = 0; c < 2; c++) {
                const [qz, qy, qx] = [z - a, y - b, xx - c];
                if (qz >= 0 && qy >= 0 && qx >= 0 && qz < 2 && qy < 2 && qx < 2)
                  ref[(z * 3 + y) * 3 + xx] += x[(qz * 2 + qy) * 2 + qx];
              }
    expect([...up]).toEqual([...ref]);
    const down = await session.run(feeds(false));
    expect((down.y.data as Float32Array)[0]).toBe(-1);
    expect([...(down.flat.data as Float32Array)]).toEqual([...x]);

    const info = inspectOnnx(bytes);
    expect(info.ops).toEqual(['ConvTranspose', 'If', 'Neg', 'Pad', 'Reshape']);
    expect(info.opCounts.If).toBe(1);
    expect(info.inputs.map((i) => [i.name, i.elemType, i.dims])).toEqual([
      ['cond', 'bool', []],
      ['x', 'float32', [1, 1, 2, 2, 2]],
    ]);
    expect(info.convs).toEqual([
      {
        opType: 'ConvTranspose',
        name: 'ConvTranspose_0',
        kernelShape: [2, 2, 2],
        kernelRank: 3,
        dilations: null,
        strides: null,
        group: 1,
        nested: true,
      },
    ]);
    expect(info.initializerBytes).toBe(16 + 32 + 80);
  });

  it('refuses inconsistent graphs', () => {
    const g = new OnnxGraph();
    g.input('x', 'float32', [1]);
    expect(() => g.node('Relu', ['nope'], ['y'])).toThrow(/"nope" is not defined/);
    g.node('Relu', ['x'], ['y']);
    expect(() => g.node('Relu', ['x'], ['y'])).toThrow(/already defined/);
    expect(() => g.initializer('w', [1, 2, 3], [2])).toThrow(/3 values for dims \[2\]/);
    g.output('z', 'float32', [1]);
    expect(() => g.toBytes()).toThrow(/output "z" is not produced/);
    expect(() => new OnnxGraph().toBytes()).toThrow(/no nodes/);
  });
});

describe('inspectOnnx', () => {
  it('leaves out graph inputs that are initializers (IR 3 style) and reads unknown dims', () => {
    const w = new ProtoWriter();
    w.varint(1, 3).string(2, 'old-exporter');
    w.message(7, (g) => {
      g.message(1, (n) => n.string(1, 'x').string(1, 'c').string(2, 'y').string(4, 'Add'));
      g.message(1, (n) => n.string(1, 'y').string(2, 'z').string(4, 'Custom').string(7, 'com.example'));
      g.message(5, (t) =>
        t.varint(1, 2).varint(1, 3).varint(2, 11).string(8, 'c').packedDoubles(10, [1, 2, 3, 4, 5, 6]),
      );
      for (const name of ['x', 'c'])
        g.message(11, (v) =>
          v
            .string(1, name)
            .message(2, (t) =>
              t.message(1, (tt) =>
                tt.varint(1, 11).message(2, (s) => s.message(1, () => {}).message(1, (d) => d.varint(1, 3))),
              ),
            ),
        );
      g.message(12, (v) => v.string(1, 'z').message(2, (t) => t.message(1, (tt) => tt.varint(1, 11))));
    });
    w.message(8, (o) => o.varint(2, 9));
    w.message(8, (o) => o.string(1, 'com.example').varint(2, 1));
    const info = inspectOnnx(w.finish(), 'old.onnx');
    expect(info.irVersion).toBe(3);
    expect(info.producer).toBe('old-exporter');
    expect(info.ops).toEqual(['Add', 'com.example:Custom']);
    expect(opsetVersion(info, 'com.example')).toBe(1);
    expect(info.inputs).toEqual([{ name: 'x', elemType: 'float64', dims: [null, 3], hasShape: true }]);
    expect(info.outputs).toEqual([{ name: 'z', elemType: 'float64', dims: [], hasShape: false }]);
    expect(info.initializerBytes).toBe(48);
  });

  it('names the file and the cause for bytes that are not ONNX or are cut short', () => {
    const g = new OnnxGraph();
    g.input('x', 'float32', ['n', 4]);
    g.initializer('w', noise(4096, 3), [4, 1024]);
    g.node('MatMul', ['x', 'w'], ['y']);
    g.output('y', 'float32', ['n', 1024]);
    const bytes = g.toBytes();
    expect(inspectOnnx(bytes).ops).toEqual(['MatMul']);

    const truncated = catchVoxseg(() => inspectOnnx(bytes.subarray(0, bytes.length - 5000), 'cut.onnx'));
    expect(truncated.code).toBe('invalid-model');
    expect(truncated.file).toBe('cut.onnx');
    expect(truncated.message).toMatch(/^cut\.onnx: truncated or corrupt ONNX file/);

    const json = catchVoxseg(() => inspectOnnx(new TextEncoder().encode('{"modelTopology": {}}'), 'model.json'));
    expect(json.code).toBe('invalid-model');
    expect(json.message).toMatch(/^model\.json: not a valid ONNX model \(unsupported wire type 3/);

    expect(catchVoxseg(() => inspectOnnx(new Uint8Array(0), 'empty.onnx')).message).toBe(
      'empty.onnx: empty file, not an ONNX model',
    );
    const gzip = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03);
    expect(catchVoxseg(() => inspectOnnx(gzip, 'scan.nii.gz')).code).toBe('invalid-model');
    const other = new ProtoWriter().varint(1, 5).string(2, 'not a model').finish();
    expect(catchVoxseg(() => inspectOnnx(other, 'other.pb')).message).toBe(
      'other.pb: not an ONNX model (no graph found)',
    );
    const noise8 = Uint8Array.from(noise(4096, 9), (v) => Math.floor((v + 1) * 128));
    expect(catchVoxseg(() => inspectOnnx(noise8, 'random.bin')).code).toBe('invalid-model');
  });
});
