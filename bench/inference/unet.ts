/**
 * Synthetic models of the inference bench, built with voxseg's own ONNX writer (no training: the
 * weights are seeded random He-init, so the rows measure speed and memory, not accuracy).
 *
 * - `buildUnet`: a 3-D U-Net with 3 resolution levels. Per level two Conv3d 3x3x3 + Relu blocks;
 *   down: the first conv of the lower level has stride 2 (nnU-Net's way; the default) or a MaxPool
 *   2x2x2 before it; up = Resize (nearest, scale 2) + Conv3d 3x3x3 + Relu (no ConvTranspose, so
 *   WebGPU can run it), skip Concat, two Conv + Relu blocks; final 1x1x1 Conv to the classes.
 *   Channels base, 2 base, 4 base. Batch and spatial dims are dynamic (spatial sizes must be
 *   multiples of 4 so the skips line up; the sliding window's 128^3 / 64^3 patches are).
 * - `buildPointwise`: one 1x1x1 Conv from the image to `classes` logits (the memory row and the
 *   warm-up job: costs next to nothing, so what is left is the engine's own work and memory).
 * - manifests for both (sliding window, CT normalization, softmax / argmax).
 */
import type { ModelManifest } from '../../src/inference/manifest';
import { OnnxGraph } from '../../src/inference/onnx/writer';
import { mulberry32 } from '../../src/phantom/prng';
import type { Vec3 } from '../../src/core/types';

/** The 13 abdominal organs of the BTCV challenge (label names only; the weights are random). */
const ORGANS = [
  'spleen',
  'kidney_right',
  'kidney_left',
  'gallbladder',
  'esophagus',
  'liver',
  'stomach',
  'aorta',
  'inferior_vena_cava',
  'portal_and_splenic_vein',
  'pancreas',
  'adrenal_right',
  'adrenal_left',
];
export const CLASSES = ORGANS.length + 1;

/** Standard-normal samples from a seeded stream (Box-Muller). */
function normals(rnd: () => number, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rnd())) * std;
    const t = 2 * Math.PI * rnd();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

export interface UnetOptions {
  /** Channels of the first level (then 2x, 4x). */
  base: number;
  classes: number;
  seed: number;
  /** Downsampling: stride-2 conv (default) or MaxPool 2x2x2. */
  down?: 'conv' | 'maxpool';
}

export interface BuiltModel {
  onnx: Uint8Array;
  /** Parameters (weights + biases). */
  params: number;
  /** Multiply-adds per input voxel (convolutions only). */
  macsPerVoxel: number;
  describe: string;
}

export function buildUnet({ base, classes, seed, down = 'conv' }: UnetOptions): BuiltModel {
  const g = new OnnxGraph('bench_unet3d');
  const rnd = mulberry32(seed);
  let params = 0;
  let macs = 0;
  let n = 0;
  g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
  /** Conv (He-init, zero bias) + optional Relu; `scale` = voxels of this level / input voxels. */
  const conv = (x: string, cin: number, cout: number, k: 1 | 3, scale: number, relu = true, stride = 1): string => {
    const id = n++;
    const fanIn = cin * k * k * k;
    g.initializer(`w${id}`, normals(rnd, cout * fanIn, Math.sqrt(2 / fanIn)), [cout, cin, k, k, k]);
    g.initializer(`b${id}`, new Float32Array(cout), [cout]);
    params += cout * fanIn + cout;
    macs += cout * fanIn * scale;
    const pad = k === 3 ? [1, 1, 1, 1, 1, 1] : [0, 0, 0, 0, 0, 0];
    const y = g.node('Conv', [x, `w${id}`, `b${id}`], [`conv${id}`], {
      kernel_shape: [k, k, k],
      pads: pad,
      strides: [stride, stride, stride],
    });
    return relu ? g.node('Relu', [y], [`relu${id}`]) : y;
  };
  const block = (x: string, cin: number, cout: number, scale: number, stride = 1) =>
    conv(conv(x, cin, cout, 3, scale, true, stride), cout, cout, 3, scale);
  /** Encoder stage one level down (`scale` = its voxels / input voxels). */
  const lower = (x: string, cin: number, cout: number, scale: number) =>
    down === 'conv'
      ? block(x, cin, cout, scale, 2)
      : block(g.node('MaxPool', [x], [`pool${n}`], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }), cin, cout, scale);
  g.initializer('up_scales', Float32Array.from([1, 1, 2, 2, 2]), [5]);
  const up = (x: string, name: string) =>
    g.node('Resize', [x, '', 'up_scales'], [name], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });

  const [c1, c2, c3] = [base, 2 * base, 4 * base];
  const e1 = block('input', 1, c1, 1);
  const e2 = lower(e1, c1, c2, 1 / 8);
  const e3 = lower(e2, c2, c3, 1 / 64);
  const u2 = conv(up(e3, 'up2'), c3, c2, 3, 1 / 8);
  const d2 = block(g.node('Concat', [u2, e2], ['cat2'], { axis: 1 }), 2 * c2, c2, 1 / 8);
  const u1 = conv(up(d2, 'up1'), c2, c1, 3, 1);
  const d1 = block(g.node('Concat', [u1, e1], ['cat1'], { axis: 1 }), 2 * c1, c1, 1);
  const logits = conv(d1, c1, classes, 1, 1, false);
  g.node('Identity', [logits], ['output']);
  g.output('output', 'float32', ['batch', classes, 'd', 'h', 'w']);
  return {
    onnx: g.toBytes({
      producer: 'voxseg-bench',
      docString: `3-D U-Net, 3 levels, base ${base}, ${down} down, ${classes} classes, random He-init weights (seed ${seed})`,
    }),
    params,
    macsPerVoxel: macs,
    describe: `3-D U-Net, 3 levels, ${c1}/${c2}/${c3} channels, ${down === 'conv' ? 'stride-2 conv' : 'MaxPool'} down, Resize + conv up, ${params.toLocaleString('en-US')} parameters, ${(macs / 1000).toFixed(1)} kMAC/voxel`,
  };
}

/** One 1x1x1 Conv from the image to `classes` logits (seeded weights). */
export function buildPointwise(classes: number, seed: number): BuiltModel {
  const g = new OnnxGraph('bench_pointwise');
  const rnd = mulberry32(seed);
  g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
  g.initializer('w', normals(rnd, classes, 1), [classes, 1, 1, 1, 1]);
  g.initializer('b', normals(rnd, classes, 0.1), [classes]);
  g.node('Conv', ['input', 'w', 'b'], ['output'], { kernel_shape: [1, 1, 1] });
  g.output('output', 'float32', ['batch', classes, 'd', 'h', 'w']);
  return {
    onnx: g.toBytes({ producer: 'voxseg-bench' }),
    params: 2 * classes,
    macsPerVoxel: classes,
    describe: `1x1x1 Conv, ${classes} channels`,
  };
}

export interface WindowManifestOptions {
  id: string;
  name: string;
  classes: number;
  spacing: Vec3;
  patch: Vec3;
  overlap: number;
  orientation?: string;
}

/** Sliding-window CT manifest: gaussian blending, CT normalization, softmax / argmax, labels 1..classes-1. */
export function windowManifest(o: WindowManifestOptions): ModelManifest {
  const names = o.classes === CLASSES ? ORGANS : Array.from({ length: o.classes - 1 }, (_, c) => `class_${c + 1}`);
  return {
    schema: 'voxseg-model/1',
    id: o.id,
    name: o.name,
    version: '0.0.0',
    license: 'MIT',
    description: 'Synthetic bench model (random weights): speed and memory only.',
    provenance: { source: 'voxseg bench (bench/inference/unet.ts)', training: 'none (seeded He-init)' },
    intended: { modality: ['CT'], bodyPart: 'abdomen' },
    model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: o.classes },
    labels: names.map((name, c) => ({
      value: c + 1,
      name,
      color: [(37 * (c + 1)) % 256, (91 * (c + 1)) % 256, (151 * (c + 1)) % 256],
    })),
    preprocessing: {
      mode: 'sliding-window',
      spacing: o.spacing,
      orientation: o.orientation ?? 'RAS',
      patch: o.patch,
      overlap: o.overlap,
      blending: 'gaussian',
      sigmaScale: 0.125,
      mirrorAxes: [],
      batch: 1,
      normalization: { kind: 'ct', clip: [-1000, 1000], mean: 50, std: 250 },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  };
}
