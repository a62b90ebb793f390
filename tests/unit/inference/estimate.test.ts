/**
 * The model card's estimate: the ONNX cost count (parameters, MACs per input voxel) against ONNX's
 * own shape inference run by Python (an independent count of every convolution's output size), on
 * a U-Net with a depth-to-space decoder like the nnU-Net import writes and on the bundled model
 * (MaxPool + Resize decoder); and the run estimate (model grid, tiles, time, memory) against
 * numbers worked out by hand for the real J2K CT's grid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../../src/core/types';
import {
  estimateRun,
  formatBytes,
  PREP_SECONDS_PER_VOXEL,
  SECONDS_PER_NODE_RUN,
  WASM_MACS_PER_THREAD,
  WASM_PARALLEL_EFFICIENCY,
  WEBGPU_MACS,
} from '../../../src/inference/estimate';
import { parseManifest, type ModelManifest } from '../../../src/inference/manifest';
import { onnxCost } from '../../../src/inference/onnx/cost';
import { OnnxGraph } from '../../../src/inference/onnx/writer';
import { repoRoot } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasOnnx = existsSync(python) && spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
const itOnnx = hasOnnx ? it : it.skip;
const onnxNote = hasOnnx ? '' : ' [skipped: /usr/bin/python3 with the onnx package not found]';

const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.1);

/**
 * Two-stage U-Net on a fixed 1x1x16x16x16 input: conv 3^3 (1->8), strided conv (8->16, stride 2),
 * conv (16->16), the upsampling as a 1x1x1 conv (16 -> 8*8) + Reshape/Transpose/Reshape
 * depth-to-space, Concat with the skip, conv (16->8), head conv 1x1x1 (8->3).
 */
function tinyUnet(): Uint8Array {
  const g = new OnnxGraph('unet');
  g.input('input', 'float32', [1, 1, 16, 16, 16]);
  const conv = (name: string, x: string, cin: number, cout: number, k: number, stride = 1) => {
    g.initializer(`${name}.w`, rand(cout * cin * k ** 3), [cout, cin, k, k, k]);
    g.initializer(`${name}.b`, rand(cout), [cout]);
    const p = (k - 1) / 2;
    return g.node('Conv', [x, `${name}.w`, `${name}.b`], [name], {
      kernel_shape: [k, k, k],
      strides: [stride, stride, stride],
      pads: [p, p, p, p, p, p],
    });
  };
  const act = (x: string) => g.node('LeakyRelu', [x], [`${x}.act`], { alpha: 0.01 });
  const s0 = act(conv('enc0', 'input', 1, 8, 3));
  const s1a = act(conv('enc1a', s0, 8, 16, 3, 2));
  const s1 = act(conv('enc1b', s1a, 16, 16, 3));
  const up = conv('up', s1, 16, 64, 1);
  g.int64('shape1', [1, 8, 2, 2, 2, 8, 8, 8]);
  g.int64('shape2', [1, 8, 16, 16, 16]);
  g.node('Reshape', [up, 'shape1'], ['d2s.a']);
  g.node('Transpose', ['d2s.a'], ['d2s.b'], { perm: [0, 1, 5, 2, 6, 3, 7, 4] });
  g.node('Reshape', ['d2s.b', 'shape2'], ['d2s']);
  g.node('Concat', ['d2s', s0], ['cat'], { axis: 1 });
  const d0 = act(conv('dec0', 'cat', 16, 8, 3));
  conv('head', d0, 8, 3, 1);
  g.output('head', 'float32', [1, 3, 16, 16, 16]);
  return g.toBytes();
}

/** MACs and parameters of an ONNX file by onnx.shape_inference with the input fixed to `dims`. */
function pythonCost(bytes: Uint8Array, dims: number[]): { macs: number; parameters: number } {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-cost-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const script = `
import json, sys, onnx, numpy as np
from onnx import shape_inference, numpy_helper
m = onnx.load(sys.argv[1])
inits = {t.name: list(t.dims) for t in m.graph.initializer}
params = sum(int(np.prod(t.dims)) for t in m.graph.initializer if t.data_type in (1, 10, 11, 16))
inp = [i for i in m.graph.input if i.name not in inits][0]
for d, v in zip(inp.type.tensor_type.shape.dim, json.loads(sys.argv[2])):
    d.ClearField('dim_param'); d.dim_value = v
m = shape_inference.infer_shapes(m, strict_mode=True)
shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(m.graph.value_info) + list(m.graph.output)}
macs = 0
for n in m.graph.node:
    if n.op_type == 'Conv':
        macs += int(np.prod(inits[n.input[1]])) * int(np.prod(shapes[n.output[0]][2:]))
print(json.dumps({'macs': macs, 'parameters': params}))
`;
    const r = spawnSync(python, ['-c', script, file, JSON.stringify(dims)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python cost reference failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('onnxCost', () => {
  it('counts a depth-to-space U-Net by hand', () => {
    const c = onnxCost(tinyUnet());
    // Weight elements x output voxels (16^3 = 4096 full, 512 half resolution), per input voxel.
    const full = 4096;
    const half = 512;
    const macs =
      8 * 27 * full + 16 * 8 * 27 * half + 16 * 16 * 27 * half + 64 * 16 * half + 8 * 16 * 27 * full + 3 * 8 * full;
    expect(c.macsPerVoxel * full).toBeCloseTo(macs, 6);
    expect(c.convs).toBe(6);
    expect(c.nodes).toBe(14);
    expect(c.unknownConvs).toBe(0);
    expect(c.firstConvChannels).toBe(8);
    expect(c.parameters).toBe(
      8 * 27 + 8 + 16 * 8 * 27 + 16 + 16 * 16 * 27 + 16 + 64 * 16 + 64 + 8 * 16 * 27 + 8 + 3 * 8 + 3,
    );
  });

  itOnnx(`agrees with ONNX shape inference on the depth-to-space U-Net${onnxNote}`, () => {
    const bytes = tinyUnet();
    const ref = pythonCost(bytes, [1, 1, 16, 16, 16]);
    const c = onnxCost(bytes);
    expect(c.parameters).toBe(ref.parameters);
    expect(c.macsPerVoxel * 16 ** 3).toBeCloseTo(ref.macs, 3);
  });

  itOnnx(`agrees with ONNX shape inference on the bundled model (MaxPool + Resize decoder)${onnxNote}`, () => {
    const file = join(repoRoot, 'static/models/abdomen-phantom/model.onnx');
    if (!existsSync(file)) return;
    const bytes = new Uint8Array(readFileSync(file));
    // The manifest's patch [96, 96, 16] (i, j, k) is NCDHW [16, 96, 96].
    const ref = pythonCost(bytes, [1, 1, 16, 96, 96]);
    const c = onnxCost(bytes);
    expect(c.parameters).toBe(ref.parameters);
    expect(c.unknownConvs).toBe(0);
    expect(c.macsPerVoxel * 16 * 96 * 96).toBeCloseTo(ref.macs, 0);
  });

  it('names the file when the bytes are not an ONNX model', () => {
    expect(() => onnxCost(new Uint8Array([0x3a, 0x40, 1, 2]), 'x.onnx')).toThrow(/x\.onnx: not a readable ONNX model/);
  });
});

function manifest(
  over: Partial<{ spacing: number[]; patch: number[]; overlap: number; mirrorAxes: number[]; channels: number }> = {},
): ModelManifest {
  const channels = over.channels ?? 4;
  return parseManifest({
    schema: 'voxseg-model/1',
    id: 'est',
    name: 'Estimate',
    version: '1',
    license: 'MIT',
    provenance: { source: 'test' },
    intended: { modality: ['CT'], bodyPart: 'abdomen' },
    model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels },
    labels: Array.from({ length: channels - 1 }, (_, n) => ({ value: n + 1, name: `l${n + 1}`, color: [n, n, n] })),
    preprocessing: {
      mode: 'sliding-window',
      spacing: over.spacing ?? [3, 3, 3],
      orientation: 'LPS',
      patch: over.patch ?? [64, 64, 32],
      overlap: over.overlap ?? 0.5,
      mirrorAxes: over.mirrorAxes ?? [],
      normalization: { kind: 'none' },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  });
}

function nnunetManifest(o: {
  transpose: number[];
  spacing: number[];
  patch: number[];
  orientation?: string;
  presample?: number[];
}): ModelManifest {
  const base = manifest({ channels: 4 });
  const resampling = { order: 3, orderZ: 0, forceSeparateZ: null, anisotropyThreshold: 3 };
  return parseManifest({
    ...base,
    preprocessing: {
      mode: 'nnunet',
      orientation: o.orientation,
      presample: o.presample ? { spacing: o.presample } : undefined,
      transpose: o.transpose,
      spacing: o.spacing,
      patch: o.patch,
      overlap: 0.5,
      normalization: { kind: 'none' },
      resampling: { data: resampling, probabilities: { ...resampling, order: 1 } },
    },
  });
}

/** The real J2K CT series' grid: 512 x 512 x 20, 0.977 x 0.977 x 2 mm, axial LPS. */
const J2K = {
  dims: [512, 512, 20] as Vec3,
  spacing: [0.977, 0.977, 2] as Vec3,
  origin: [0, 0, 0] as Vec3,
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Mat3,
};

describe('estimateRun', () => {
  it('gives the model grid, tiles, time and memory of the J2K CT at 3 mm', () => {
    const e = estimateRun(
      manifest(),
      J2K,
      { macsPerVoxel: 1000, onnxBytes: 4e6, firstStageChannels: 8, nodes: 40 },
      { threads: 4 },
    )!;
    // round(512 * 0.977 / 3) = 167; round(20 * 2 / 3) = 13, padded to the patch's 32.
    expect(e.modelGrid).toEqual([167, 167, 13]);
    expect(e.modelVoxels).toBe(167 * 167 * 13);
    // Per axis ceil((size - patch) / step) + 1 with step = patch / 2: i, j: ceil(103 / 32) + 1 = 5; k: 1.
    expect(e.tiles).toBe(25);
    expect(e.passes).toBe(1);
    const macs = 1000 * 64 * 64 * 32 * 25;
    expect(e.macs).toBe(macs);
    const study = 512 * 512 * 20;
    const model = 167 * 167 * 13;
    const prep = (study + model) * PREP_SECONDS_PER_VOXEL.plain;
    const dispatch = 25 * 40 * SECONDS_PER_NODE_RUN;
    expect(e.prepSeconds).toBeCloseTo(prep, 9);
    expect(e.seconds!.wasm).toBeCloseTo(
      macs / (WASM_MACS_PER_THREAD * (1 + 3 * WASM_PARALLEL_EFFICIENCY)) + dispatch + prep,
      9,
    );
    expect(e.seconds!.webgpu).toBeCloseTo(macs / WEBGPU_MACS + dispatch + prep, 9);
    const accumulator = 32 * 167 * 167 * (4 * 4 + 4);
    const activations = 64 * 64 * 32 * 4 * (4 * 8 + 2 * 4);
    expect(e.peakBytes).toBe(study * 2 + model * 4 + accumulator + (model + study) * 1 + 2 * 4e6 + activations);
    expect(e.sessionBytes).toBe(2 * 4e6 + activations);
  });

  it('counts the mirroring passes and scales the time with them', () => {
    const plain = estimateRun(manifest(), J2K, { macsPerVoxel: 500, nodes: 10 })!;
    const mirrored = estimateRun(manifest({ mirrorAxes: [0, 1, 2] }), J2K, { macsPerVoxel: 500, nodes: 10 })!;
    expect(mirrored.passes).toBe(8);
    expect(mirrored.macs).toBe(8 * plain.macs!);
    expect(mirrored.seconds!.wasm - mirrored.prepSeconds).toBeCloseTo(8 * (plain.seconds!.wasm - plain.prepSeconds), 9);
  });

  it('gives no time without the network cost, and nothing for whole-volume models', () => {
    const e = estimateRun(manifest(), J2K)!;
    expect(e.seconds).toBeUndefined();
    expect(e.tiles).toBe(25);
    const whole = {
      ...manifest(),
      preprocessing: {
        mode: 'whole-volume',
        conform: { dims: [256, 256, 256], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
        normalization: { kind: 'minmax' },
      },
    } as ModelManifest;
    expect(estimateRun(whole, J2K)).toBeNull();
  });

  it('transposes and resamples as nnU-Net for an imported model, and counts the whole-grid logits it resamples back', () => {
    const m = nnunetManifest({ transpose: [1, 0, 2], spacing: [1.6, 3, 1.6], patch: [32, 16, 32] });
    const study = {
      dims: [100, 80, 40] as Vec3,
      spacing: [0.8, 0.8, 3] as Vec3,
      origin: [0, 0, 0] as Vec3,
      direction: J2K.direction,
    };
    const e = estimateRun(m, study, { onnxBytes: 0, firstStageChannels: 8 })!;
    // transpose [1, 0, 2] over numpy axes (k, j, i): the model grid's i, j, k are the study's i, k, j.
    expect(e.modelGrid).toEqual([50, 40, 40]);
    // i: ceil(18 / 16) + 1 = 3; j: ceil(24 / 8) + 1 = 4; k: ceil(8 / 16) + 1 = 2.
    expect(e.tiles).toBe(24);
    const model = 50 * 40 * 40;
    const studyVoxels = 100 * 80 * 40;
    const accumulator = 32 * 50 * 40 * (4 * 4 + 4);
    const activations = 32 * 16 * 32 * 4 * (4 * 8 + 2 * 4);
    expect(e.peakBytes).toBe(
      studyVoxels * 2 + model * 4 + accumulator + 4 * model * 4 + (model + studyVoxels) + activations,
    );
  });

  it("streams TotalSegmentator's presampled grid (no whole-grid logits)", () => {
    const m = nnunetManifest({
      transpose: [0, 1, 2],
      spacing: [3, 3, 3],
      patch: [64, 64, 32],
      orientation: 'RAS',
      presample: [3, 3, 3],
    });
    const e = estimateRun(m, J2K, { onnxBytes: 0, firstStageChannels: 8 })!;
    expect(e.modelGrid).toEqual([167, 167, 13]);
    expect(e.tiles).toBe(25);
    const model = 167 * 167 * 13;
    const studyVoxels = 512 * 512 * 20;
    const accumulator = 32 * 167 * 167 * (4 * 4 + 4);
    const activations = 64 * 64 * 32 * 4 * (4 * 8 + 2 * 4);
    expect(e.peakBytes).toBe(
      studyVoxels * 2 + model * 4 + model * 4 + accumulator + (model + studyVoxels) + activations,
    );
  });

  it('formats bytes in decimal units', () => {
    expect(formatBytes(950)).toBe('950 B');
    expect(formatBytes(12_345)).toBe('12 kB');
    expect(formatBytes(3_456_789)).toBe('3.5 MB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(2_345_678_901)).toBe('2.3 GB');
  });
});
