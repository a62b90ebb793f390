import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/inference/manifest';
import { checkModel, webgpuBlockers } from '../../../src/inference/model-check';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { OnnxGraph } from '../../../src/inference/onnx/writer';

function net(body: (g: OnnxGraph) => string, dims: (number | string)[] = ['batch', 1, 'd', 'h', 'w']) {
  const g = new OnnxGraph('t');
  g.input('input', 'float32', dims);
  const last = body(g);
  g.node('Identity', [last], ['output']);
  g.output('output', 'float32', null);
  return inspectOnnx(g.toBytes());
}

const manifest = parseManifest({
  schema: 'voxseg-model/1',
  id: 't',
  name: 't',
  version: '1',
  license: 'MIT',
  provenance: { source: 't' },
  intended: { modality: ['CT'], bodyPart: 'any' },
  model: { file: 'm.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 2 },
  labels: [{ value: 1, name: 'x', color: [1, 2, 3] }],
  preprocessing: {
    mode: 'sliding-window',
    spacing: [1, 1, 1],
    orientation: 'RAS',
    patch: [32, 32, 32],
    normalization: { kind: 'none' },
  },
  postprocessing: { activation: 'softmax', decision: 'argmax' },
});

describe('webgpuBlockers', () => {
  it('flags 3-D ConvTranspose and 3-D pooling WebGPU cannot run, not 3-D Conv, Resize or a rewritable MaxPool', () => {
    const conv = net((g) => {
      g.initializer('w', new Float32Array(2 * 27), [2, 1, 3, 3, 3]);
      return g.node('Conv', ['input', 'w'], ['y'], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] });
    });
    expect(webgpuBlockers(conv)).toEqual([]);
    const up = net((g) => {
      g.initializer('w', new Float32Array(8), [1, 1, 2, 2, 2]);
      return g.node('ConvTranspose', ['input', 'w'], ['y'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] });
    });
    expect(webgpuBlockers(up)).toEqual(['ConvTranspose with a 3-D kernel (1 node)']);
    // An unpadded 3-D MaxPool is rewritten as strided slices for WebGPU (onnx/webgpu-rewrite.ts); a padded one is not.
    const pool = net((g) => g.node('MaxPool', ['input'], ['y'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }));
    expect(webgpuBlockers(pool)).toEqual([]);
    const padded = net((g) =>
      g.node('MaxPool', ['input'], ['y'], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] }),
    );
    expect(webgpuBlockers(padded)).toEqual(['3-D MaxPool (1 node: padding)']);
    const pool2d = net((g) => g.node('MaxPool', ['input'], ['y'], { kernel_shape: [2, 2] }), ['batch', 1, 'h', 'w']);
    expect(webgpuBlockers(pool2d)).toEqual([]);
  });
});

describe('checkModel', () => {
  const ident = (dims: (number | string)[]) => net((g) => g.node('Identity', ['input'], ['y']), dims);
  it('returns fixed and dynamic dims', () => {
    expect(checkModel(ident(['batch', 1, 'd', 'h', 'w']), manifest, 'm.onnx')).toEqual({
      batch: null,
      spatial: [null, null, null],
    });
    expect(checkModel(ident([1, 1, 64, 64, 64]), manifest, 'm.onnx')).toEqual({ batch: 1, spatial: [64, 64, 64] });
  });
  it('names the problem and the file', () => {
    expect(() => checkModel(ident(['b', 3, 'd', 'h', 'w']), manifest, 'm.onnx')).toThrow(
      /^m\.onnx: input "input" has 3 channels/,
    );
    expect(() => checkModel(ident(['b', 1, 'h', 'w']), manifest, 'm.onnx')).toThrow(/has rank 4/);
    const renamed = { ...manifest, model: { ...manifest.model, output: 'logits' } };
    expect(() => checkModel(ident(['b', 1, 'd', 'h', 'w']), renamed, 'm.onnx')).toThrow(
      /names output "logits", but the model's outputs are "output"/,
    );
  });
});
