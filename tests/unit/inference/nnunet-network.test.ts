/**
 * nnU-Net v2 plans + checkpoints -> ONNX, against an independent PyTorch implementation of
 * dynamic_network_architectures' networks (training/nnunet_reference.py and its package).
 *
 * A Python snippet writes result folders with random weights for real published network shapes
 * (plain-iso: 3 mm isotropic PlainConvUNet, plain-aniso: [1,3,3] kernels and [1,2,2] strides,
 * resenc-m: ResidualEncoderUNet M preset) in both plans schemas (the same checkpoints under both),
 * plus two small networks with unusual strides (every depth-to-space path; a stride-3 pool-only
 * residual skip), and runs the reference forward on a random input. The 'tiny' case goes through
 * the reference's own command line (`make`, with its full nnU-Net-like checkpoint, and `forward`).
 * Each network is converted, run with onnxruntime-node (and onnxruntime-web's WASM backend for
 * three of them, as the browser runs it) and compared: max |Δlogit| <= 1e-3 and argmax agreement
 * >= 99.99%. Spatial sizes are small but give the bottleneck 4 voxels or more (PyTorch refuses an
 * instance norm over one voxel, and one over two voxels turns rounding into jumps); the importer
 * itself builds the graph with the plans' patch size.
 *
 * Half precision is checked twice: against the reference with its conv weights rounded to float16
 * (the same bounds as float32: the graph must compute exactly that), and against the unrounded
 * reference with a looser bound (see HALF_*).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { floatToHalf, halfToFloat } from '../../../src/inference/accumulator';
import { webgpuBlockers } from '../../../src/inference/model-check';
import { readTorchCheckpoint } from '../../../src/inference/nnunet/checkpoint';
import { buildNnunetOnnx } from '../../../src/inference/nnunet/network';
import { listConfigurations, parsePlans } from '../../../src/inference/nnunet/plans';
import type { NnunetArchitecture, NnunetPlan, WeightMap } from '../../../src/inference/nnunet/types';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { OnnxGraph } from '../../../src/inference/onnx/writer';
import { repoRoot } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy, onnx'], { stdio: 'ignore' }).status === 0;
const hasReference = existsSync(join(repoRoot, 'training/nnunet_reference.py'));
const describeTorch = hasTorch && hasReference ? describe : describe.skip;
const torchTitle =
  hasTorch && hasReference
    ? 'nnU-Net network vs PyTorch reference'
    : 'nnU-Net network vs PyTorch reference [skipped: /usr/bin/python3 with torch, numpy and onnx (Debian python3-torch, python3-onnx) or training/nnunet_reference.py missing]';

const MAX_DIFF = 1e-3;
const MIN_AGREEMENT = 0.9999;
/**
 * Float16 weights vs the float32 reference. Rounding moves each conv weight by at most 2^-11 of its
 * value (about 4.9e-4); through 20-70 random conv layers (no training-made robustness) the logits
 * moved by at most 0.25% of the largest |logit| in these cases (plain-aniso: 5.9e-2 of 29.7), and
 * the voxels whose two best classes are closer than that flip (at most 0.11%). These differences
 * come from the rounding alone (the same graph matches PyTorch with rounded weights to 1e-3), so
 * they do not depend on the machine. Bounds: 1% of the largest |logit|, 99.5% agreement.
 */
const HALF_MAX_DIFF_FRACTION = 0.01;
const HALF_MIN_AGREEMENT = 0.995;

// ---- fixtures ----------------------------------------------------------------------------------

/** Writes result folders (both schemas, same checkpoints) and the reference forward passes. */
const SCRIPT = String.raw`
import json, os, sys
from pathlib import Path
import numpy as np
import torch

sys.path.insert(0, 'training')
from voxseg_nnunet import cases as C
from voxseg_nnunet.fixtures import make_plans, make_dataset_json, randomize
from voxseg_nnunet.plans import ResultFolder, build_network

out = Path(sys.argv[1])
spec = json.loads(sys.argv[2])
torch.set_num_threads(2)
result = {}
for item in spec:
    case = dict(C.CASES[item['base']])
    over = dict(item.get('overrides', {}))
    if 'network' in over:
        over['network'] = C.RESENC if over['network'] == 'resenc' else C.PLAIN
    case.update(over)
    root = out / item['name']
    folders = {}
    for schema in item['schemas']:
        plans = make_plans(case, schema)
        dataset_json = make_dataset_json(case)
        folder = root / schema / case['dataset'] / ('nnUNetTrainer__%s__3d_fullres' % case['plans_name'])
        folder.mkdir(parents=True)
        (folder / 'plans.json').write_text(json.dumps(plans, indent=2))
        (folder / 'dataset.json').write_text(json.dumps(dataset_json, indent=2))
        for fold in item['folds']:
            (folder / ('fold_%d' % fold)).mkdir()
            path = folder / ('fold_%d' % fold) / 'checkpoint_final.pth'
            if schema == 'new':
                net = build_network(plans, '3d_fullres', dataset_json)
                randomize(net, torch.Generator().manual_seed(100 + fold))
                torch.save({'network_weights': net.state_dict(), 'init_args': {'configuration': '3d_fullres'},
                            'trainer_name': 'nnUNetTrainer'}, path)
            else:
                os.link(folders['new'] / ('fold_%d' % fold) / 'checkpoint_final.pth', path)
        folders[schema] = folder
    x = torch.randn([1, 1] + item['size'], generator=torch.Generator().manual_seed(7))
    x.numpy().astype('<f4').tofile(root / 'input.f32')
    for schema, folder in folders.items():
        nets, _ = ResultFolder(folder).networks(item['folds'])
        with torch.no_grad():
            (sum(n(x) for n in nets) / len(nets)).numpy().astype('<f4').tofile(root / ('%s.f32' % schema))
            if schema == 'new':
                for n in nets:
                    for p in n.parameters():
                        if p.dim() >= 2:
                            p.copy_(p.half().float())
                (sum(n(x) for n in nets) / len(nets)).numpy().astype('<f4').tofile(root / 'half.f32')
    result[item['name']] = {k: str(v) for k, v in folders.items()}
print(json.dumps(result))
`;

interface NetCase {
  name: string;
  base: string;
  folds: number[];
  /** Input spatial size (nnU-Net axis order). */
  size: number[];
  /** Plans schemas written (the older one cannot express widths other than min(base * 2^i, max)). */
  schemas: ('new' | 'old')[];
  /** Also run on onnxruntime-web's WASM backend (as the browser does). */
  wasm?: boolean;
  overrides?: Record<string, unknown>;
}

const NET_CASES: NetCase[] = [
  // Bottlenecks of 2x2x1 or 1x2x2 voxels: with one axis at 2x1x1 the instance norms there see two
  // voxels, which turns float rounding into visible jumps (measured up to 7e-4 with a 2x1x1 and
  // 0.1-0.2 for resenc-m's six residual blocks at that level).
  { name: 'plain-iso', base: 'plain-iso', folds: [0], size: [64, 64, 32], schemas: ['new', 'old'] },
  { name: 'plain-aniso', base: 'plain-aniso', folds: [0], size: [16, 64, 64], schemas: ['new', 'old'], wasm: true },
  { name: 'resenc-m', base: 'resenc-m', folds: [0], size: [32, 64, 32], schemas: ['new', 'old'] },
  {
    // Strides with a 1 in every position: each depth-to-space path (rank 3, 4 and 5 transposes).
    name: 'odd-strides',
    base: 'tiny',
    folds: [0, 1, 2],
    size: [8, 8, 12],
    schemas: ['new'],
    wasm: true,
    overrides: {
      features: [4, 8, 16, 16],
      kernels: [
        [1, 3, 3],
        [3, 3, 3],
        [3, 1, 3],
        [3, 3, 1],
      ],
      strides: [
        [1, 1, 1],
        [2, 2, 1],
        [1, 2, 2],
        [2, 1, 2],
      ],
      n_conv: [1, 2, 1, 2],
      n_conv_decoder: [1, 2, 1],
      patch: [8, 8, 12],
    },
  },
  {
    // ResidualEncoderUNet with a stride-3 pool-only skip (8 -> 8 channels) and projection skips.
    name: 'odd-resenc',
    base: 'tiny',
    folds: [0],
    size: [8, 12, 8],
    schemas: ['new'],
    wasm: true,
    overrides: {
      network: 'resenc',
      features: [4, 8, 8, 16],
      kernels: [
        [3, 3, 3],
        [3, 3, 3],
        [1, 3, 3],
        [3, 3, 3],
      ],
      strides: [
        [1, 1, 1],
        [2, 1, 2],
        [1, 3, 1],
        [2, 2, 2],
      ],
      n_conv: [1, 2, 2, 1],
      n_conv_decoder: [1, 1, 1],
      patch: [8, 12, 8],
    },
  },
];

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function readPlan(folder: string, configuration = '3d_fullres'): NnunetPlan {
  const dataset = JSON.parse(readFileSync(join(folder, 'dataset.json'), 'utf8'));
  const plans = JSON.parse(readFileSync(join(folder, 'plans.json'), 'utf8'));
  return parsePlans(
    plans,
    'plans.json',
    configuration,
    Object.keys(dataset.labels).length,
    Object.keys(dataset.channel_names).length,
  );
}

function readFold(folder: string, fold: number): WeightMap {
  const file = join(folder, `fold_${fold}`, 'checkpoint_final.pth');
  return readTorchCheckpoint(new Uint8Array(readFileSync(file)), `fold_${fold}/checkpoint_final.pth`).weights;
}

async function runOnnx(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    return out.output.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The browser's runtime: onnxruntime-web on WASM (one thread), with the worker's session options. */
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

interface Parity {
  maxDiff: number;
  agreement: number;
  maxAbs: number;
}

/** Max |a - b| and argmax agreement over channels of [1, C, ...] tensors. */
function parity(a: Float32Array, b: Float32Array, classes: number): Parity {
  expect(a.length).toBe(b.length);
  const voxels = a.length / classes;
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
  }
  let same = 0;
  for (let v = 0; v < voxels; v++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < classes; c++) {
      if (a[c * voxels + v] > a[ia * voxels + v]) ia = c;
      if (b[c * voxels + v] > b[ib * voxels + v]) ib = c;
    }
    if (ia === ib) same++;
  }
  return { maxDiff, agreement: same / voxels, maxAbs };
}

const fmt = (p: Parity): string =>
  `max |Δ| ${p.maxDiff.toExponential(2)}, argmax agreement ${(100 * p.agreement).toFixed(4)}%`;

// ---- plans.json, hand-written (no Python needed) -----------------------------------------------

const PLAIN = 'dynamic_network_architectures.architectures.unet.PlainConvUNet';

function kwargs(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    n_stages: 3,
    features_per_stage: [8, 16, 32],
    conv_op: 'torch.nn.modules.conv.Conv3d',
    kernel_sizes: [
      [1, 3, 3],
      [3, 3, 3],
      [3, 3, 3],
    ],
    strides: [
      [1, 1, 1],
      [1, 2, 2],
      [2, 2, 2],
    ],
    n_conv_per_stage: [2, 2, 2],
    n_conv_per_stage_decoder: [2, 2],
    conv_bias: true,
    norm_op: 'torch.nn.modules.instancenorm.InstanceNorm3d',
    norm_op_kwargs: { eps: 1e-5, affine: true },
    dropout_op: null,
    dropout_op_kwargs: null,
    nonlin: 'torch.nn.LeakyReLU',
    nonlin_kwargs: { inplace: true },
    ...over,
  };
}

function plansWith(fullres: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dataset_name: 'Dataset042_Test',
    plans_name: 'nnUNetPlans',
    transpose_forward: [0, 1, 2],
    transpose_backward: [0, 1, 2],
    foreground_intensity_properties_per_channel: {
      '0': { mean: 50, std: 20, percentile_00_5: -100, percentile_99_5: 200, max: 900 },
    },
    configurations: {
      '3d_fullres': {
        patch_size: [32, 64, 64],
        spacing: [3, 0.8, 0.8],
        batch_size: 2,
        normalization_schemes: ['CTNormalization'],
        use_mask_for_norm: [false],
        resampling_fn_data: 'resample_data_or_seg_to_shape',
        resampling_fn_data_kwargs: { is_seg: false, order: 3, order_z: 0, force_separate_z: null },
        resampling_fn_probabilities: 'resample_data_or_seg_to_shape',
        resampling_fn_probabilities_kwargs: { is_seg: false, order: 1, order_z: 0, force_separate_z: null },
        architecture: {
          network_class_name: PLAIN,
          arch_kwargs: kwargs(),
          _kw_requires_import: ['conv_op', 'norm_op', 'dropout_op', 'nonlin'],
        },
        ...fullres,
      },
      ...extra,
    },
  };
}

const parse = (plans: unknown, configuration = '3d_fullres') => parsePlans(plans, 'plans.json', configuration, 3, 1);
const withKwargs = (over: Record<string, unknown>, name = PLAIN) =>
  plansWith({ architecture: { network_class_name: name, arch_kwargs: kwargs(over) } });

function refusal(plans: unknown, configuration = '3d_fullres'): VoxsegError {
  try {
    parse(plans, configuration);
  } catch (e) {
    expect(e).toBeInstanceOf(VoxsegError);
    expect((e as VoxsegError).message.startsWith('plans.json: ')).toBe(true);
    return e as VoxsegError;
  }
  throw new Error('parsePlans accepted it');
}

describe('parsePlans', () => {
  it('reads the current schema', () => {
    const plan = parse(plansWith({}));
    expect(plan.architecture).toEqual({
      network: 'PlainConvUNet',
      inputChannels: 1,
      numClasses: 3,
      featuresPerStage: [8, 16, 32],
      kernelSizes: [
        [1, 3, 3],
        [3, 3, 3],
        [3, 3, 3],
      ],
      strides: [
        [1, 1, 1],
        [1, 2, 2],
        [2, 2, 2],
      ],
      nPerStageEncoder: [2, 2, 2],
      nConvPerStageDecoder: [2, 2],
      convBias: true,
      normEps: 1e-5,
      negativeSlope: 0.01,
    });
    expect(plan).toMatchObject({
      datasetName: 'Dataset042_Test',
      plansName: 'nnUNetPlans',
      patchSize: [32, 64, 64],
      spacing: [3, 0.8, 0.8],
      batchSize: 2,
    });
    expect(plan.intensityProperties['0']).toEqual({
      mean: 50,
      std: 20,
      percentile_00_5: -100,
      percentile_99_5: 200,
      max: 900,
    });
    expect(plan.resamplingProbabilities).toEqual({
      fn: 'resample_data_or_seg_to_shape',
      order: 1,
      orderZ: 0,
      forceSeparateZ: null,
      anisotropyThreshold: 3,
    });
    // Scalars per stage (dynamic_network_architectures expands them), eps and slope from the kwargs.
    const scalar = parse(
      withKwargs({
        kernel_sizes: 3,
        n_conv_per_stage: 1,
        norm_op_kwargs: { eps: 1e-3, affine: true },
        nonlin_kwargs: { negative_slope: 0.2 },
      }),
    ).architecture;
    expect(scalar.kernelSizes).toEqual([
      [3, 3, 3],
      [3, 3, 3],
      [3, 3, 3],
    ]);
    expect(scalar.nPerStageEncoder).toEqual([1, 1, 1]);
    expect([scalar.normEps, scalar.negativeSlope]).toEqual([1e-3, 0.2]);
    // Dropout is the identity at inference; deep supervision does not matter.
    expect(
      parse(
        withKwargs({
          dropout_op: 'torch.nn.modules.dropout.Dropout3d',
          dropout_op_kwargs: { p: 0.2 },
          deep_supervision: true,
        }),
      ).architecture.network,
    ).toBe('PlainConvUNet');
    expect(listConfigurations(plansWith({}, { '2d': {} }))).toEqual(['3d_fullres', '2d']);
  });

  it('reads the older schema with nnU-Net defaults', () => {
    const old = {
      patch_size: [32, 64, 64],
      architecture: undefined,
      UNet_class_name: 'ResidualEncoderUNet',
      UNet_base_num_features: 16,
      unet_max_num_features: 40,
      n_conv_per_stage_encoder: [1, 3, 4, 6],
      n_conv_per_stage_decoder: [1, 1, 1],
      conv_kernel_sizes: [
        [1, 3, 3],
        [3, 3, 3],
        [3, 3, 3],
        [3, 3, 3],
      ],
      pool_op_kernel_sizes: [
        [1, 1, 1],
        [1, 2, 2],
        [2, 2, 2],
        [2, 2, 2],
      ],
    };
    const a = parse(plansWith(old)).architecture;
    expect(a).toMatchObject({
      network: 'ResidualEncoderUNet',
      featuresPerStage: [16, 32, 40, 40],
      nPerStageEncoder: [1, 3, 4, 6],
      nConvPerStageDecoder: [1, 1, 1],
      convBias: true,
      normEps: 1e-5,
      negativeSlope: 0.01,
    });
    // Keys an early plans file may lack: the planners' values.
    const bare = {
      ...old,
      UNet_class_name: 'PlainConvUNet',
      UNet_base_num_features: undefined,
      unet_max_num_features: undefined,
      n_conv_per_stage_encoder: undefined,
      n_conv_per_stage_decoder: undefined,
    };
    expect(parse(plansWith(bare)).architecture).toMatchObject({
      featuresPerStage: [32, 64, 128, 256],
      nPerStageEncoder: [2, 2, 2, 2],
      nConvPerStageDecoder: [2, 2, 2],
    });
    const bareRes = parse(plansWith({ ...bare, UNet_class_name: 'ResidualEncoderUNet' })).architecture;
    expect([bareRes.nPerStageEncoder, bareRes.nConvPerStageDecoder]).toEqual([
      [1, 3, 4, 6],
      [1, 1, 1],
    ]);
    // No transpose keys, no resampling kwargs, the older intensity key.
    const plans = plansWith({ resampling_fn_data_kwargs: undefined }) as Record<string, unknown>;
    delete plans.transpose_forward;
    delete plans.transpose_backward;
    plans.foreground_intensity_properties_by_modality = plans.foreground_intensity_properties_per_channel;
    delete plans.foreground_intensity_properties_per_channel;
    const plan = parse(plans);
    expect([plan.transposeForward, plan.transposeBackward]).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(plan.resamplingData).toEqual({
      fn: 'resample_data_or_seg_to_shape',
      order: 3,
      orderZ: 0,
      forceSeparateZ: false,
      anisotropyThreshold: 3,
    });
    expect(plan.intensityProperties['0'].percentile_99_5).toBe(200);
  });

  it('follows inherits_from like PlansManager', () => {
    const plans = plansWith(
      {},
      {
        big: { inherits_from: '3d_fullres', patch_size: [64, 64, 64] },
        bigger: { inherits_from: 'big', batch_size: 4 },
      },
    );
    const plan = parse(plans, 'bigger');
    expect([plan.patchSize, plan.batchSize, plan.spacing, plan.configuration]).toEqual([
      [64, 64, 64],
      4,
      [3, 0.8, 0.8],
      'bigger',
    ]);
    expect(refusal(plansWith({}, { a: { inherits_from: 'b' }, b: { inherits_from: 'a' } }), 'a').message).toContain(
      'circular inheritance a -> b -> a',
    );
    expect(refusal(plansWith({}, { a: { inherits_from: 'nope' } }), 'a').message).toContain(
      '"nope", which is not a configuration',
    );
    expect(refusal(plansWith({}), '3d_lowres').message).toContain(
      'configuration "3d_lowres" is not in "configurations" (available: 3d_fullres)',
    );
  });

  it('refuses what it cannot run exactly, naming the field', () => {
    const cases: [unknown, RegExp, string?][] = [
      [plansWith({ patch_size: [256, 256] }), /configurations\.3d_fullres is a 2-D configuration/],
      [
        plansWith({ previous_stage: '3d_lowres' }),
        /cascade stage \(previous_stage "3d_lowres"\): cascade models need the low-resolution stage's segmentation/,
      ],
      [
        withKwargs({}, 'dynamic_network_architectures.architectures.residual_unet.ResidualUNet'),
        /network class "dynamic_network_architectures\.architectures\.residual_unet\.ResidualUNet" is not supported \(its residual decoder/,
      ],
      [
        withKwargs({}, 'nnunetv2.nets.MyUNet.PlainConvUNet'),
        /network_class_name: network class "nnunetv2\.nets\.MyUNet\.PlainConvUNet" is not supported/,
      ],
      [
        plansWith({ architecture: undefined, UNet_class_name: 'UMambaBot', conv_kernel_sizes: [[3, 3, 3]] }),
        /UNet_class_name: network class "UMambaBot" is not supported/,
      ],
      [
        withKwargs(
          {
            block: 'dynamic_network_architectures.building_blocks.residual.BottleneckD',
            n_blocks_per_stage: [1, 1, 1],
          },
          'dynamic_network_architectures.architectures.residual_unet.ResidualEncoderUNet',
        ),
        /arch_kwargs\.block is ".*BottleneckD": only BasicBlockD/,
      ],
      [
        withKwargs(
          { bottleneck_channels: [4, 8, 16], n_blocks_per_stage: [1, 1, 1] },
          'dynamic_network_architectures.architectures.residual_unet.ResidualEncoderUNet',
        ),
        /bottleneck_channels is set: bottleneck \(BottleneckD\)/,
      ],
      [
        withKwargs({ norm_op: 'torch.nn.modules.batchnorm.BatchNorm3d' }),
        /arch_kwargs\.norm_op is ".*BatchNorm3d": only InstanceNorm3d/,
      ],
      [withKwargs({ norm_op_kwargs: { eps: 1e-5 } }), /norm_op_kwargs\.affine is not true/],
      [withKwargs({ nonlin: 'torch.nn.ReLU' }), /arch_kwargs\.nonlin is "torch\.nn\.ReLU": only LeakyReLU/],
      [withKwargs({ conv_op: 'torch.nn.modules.conv.Conv2d' }), /conv_op is ".*Conv2d": only 3-D networks/],
      [withKwargs({ pool: 'max' }), /arch_kwargs\.pool is "max": only strided-convolution downsampling/],
      [withKwargs({ nonlin_first: true }), /nonlin_first is true/],
      [withKwargs({ squeeze_excitation: true }), /squeeze-and-excitation/],
      [withKwargs({ attention: true }), /arch_kwargs\.attention: unknown architecture argument/],
      [
        withKwargs({
          kernel_sizes: [
            [3, 3, 3],
            [3, 3, 3],
            [3, 2, 3],
          ],
        }),
        /kernel_sizes\[2\] = \[3, 2, 3\]: even kernel sizes/,
      ],
      [withKwargs({ n_conv_per_stage_decoder: [2, 2, 2] }), /n_conv_per_stage_decoder must have 2 entries/],
      [
        plansWith({ normalization_schemes: ['CTNormalization', 'ZScoreNormalization'] }),
        /normalization_schemes has 2 entries but dataset\.json has 1 input channel/,
      ],
    ];
    for (const [plans, message] of cases) {
      const e = refusal(plans);
      expect(e.message).toMatch(message);
    }
    expect(refusal(plansWith({ previous_stage: '3d_lowres' })).code).toBe('unsupported');
    expect(refusal(withKwargs({ nonlin: 'torch.nn.ReLU' })).code).toBe('unsupported');
  });
});

describe('ONNX writer: float16 and shared initializers', () => {
  it('float16 bits cast to float32 by onnxruntime; a shared array is not copied', async () => {
    const values = [1, -2.5, 65504, -0.0001220703125, 6.103515625e-5, 5.960464477539063e-8, 0.1]; // the 7th is no float16
    const bits = Uint16Array.from(values, floatToHalf);
    const shared = new Float32Array([1, 2, 3]);
    const g = new OnnxGraph('t');
    g.input('x', 'float32', [values.length]);
    g.initializer('w16', bits, [values.length], { type: 'float16' });
    g.initializer('s', shared, [3], { share: true });
    g.node('Cast', ['w16'], ['w'], { to: 1 });
    g.node('Add', ['x', 'w'], ['y']);
    g.node('Identity', ['s'], ['z']);
    g.output('y', 'float32', [values.length]);
    g.output('z', 'float32', [3]);
    shared[1] = 20; // after initializer(): the model must see it
    const session = await ort.InferenceSession.create(g.toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(values.length), [values.length]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from(bits, (b) => halfToFloat(b)));
    expect(Array.from(out.z.data as Float32Array)).toEqual([1, 20, 3]);
    // 0.1 is not a float16: it comes back rounded to nearest, everything else exactly.
    expect(Array.from(out.y.data as Float32Array).slice(0, 6)).toEqual(values.slice(0, 6));
    expect(out.y.data[6]).toBe(0.0999755859375);
    expect(() => new OnnxGraph('u').initializer('f', new Float32Array(1), [1], { type: 'float16' })).toThrow(
      /needs a Uint16Array/,
    );
  });
});

// ---- parity with PyTorch -----------------------------------------------------------------------

describeTorch(torchTitle, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'voxseg-nnunet-net-'));
  let folders: Record<string, { new: string; old?: string }> = {};
  let tinyFolder = '';
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    const spec = NET_CASES.map(({ name, base, folds, size, overrides, schemas }) => ({
      name,
      base,
      folds,
      size,
      overrides,
      schemas,
    }));
    const r = spawnSync(python, ['-c', SCRIPT, tmp, JSON.stringify(spec)], {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`reference fixtures failed (${r.status}):\n${r.stderr.slice(-3000)}`);
    folders = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const m = spawnSync(
      python,
      [
        'training/nnunet_reference.py',
        'make',
        '--case',
        'tiny',
        '--schema',
        'new',
        '--out',
        join(tmp, 'cli'),
        '--folds',
        '0,1',
        '--seed',
        '3',
      ],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    if (m.status !== 0) throw new Error(`nnunet_reference.py make failed (${m.status}):\n${m.stderr.slice(-3000)}`);
    tinyFolder = JSON.parse(m.stdout.trim().split('\n').pop()!).folder;
  }, 600_000);

  for (const c of NET_CASES)
    it(`${c.name}: ${c.folds.length} fold(s), ${c.schemas.join(' + ')} plans schema, float32 and float16, match PyTorch`, async () => {
      const dir = folders[c.name];
      const root = join(dir.new, '../../..');
      const planNew = readPlan(dir.new);
      const planOld = dir.old ? readPlan(dir.old) : null;
      // Both schemas describe the same network.
      if (planOld) expect(planOld.architecture).toEqual(planNew.architecture);
      if (planOld) expect(planOld.patchSize).toEqual(planNew.patchSize);
      const arch = planNew.architecture;
      expect(arch.network).toBe(
        c.overrides?.network === 'resenc' || c.base === 'resenc-m' ? 'ResidualEncoderUNet' : 'PlainConvUNet',
      );

      const t0 = Date.now();
      const maps = c.folds.map((f) => readFold(dir.new, f));
      const progress: number[][] = [];
      const built = buildNnunetOnnx(arch, maps, {
        patch: c.size,
        name: c.name,
        onProgress: (d, t) => progress.push([d, t]),
      });
      // The older schema's folder holds the same checkpoint files (hard links) and, as checked
      // above, the same architecture: its graph is this one, compared below with PyTorch's
      // forward built from the older plans.
      if (dir.old)
        for (const f of c.folds)
          expect(statSync(join(dir.old, `fold_${f}/checkpoint_final.pth`)).ino).toBe(
            statSync(join(dir.new, `fold_${f}/checkpoint_final.pth`)).ino,
          );
      expect(progress).toEqual([
        ...c.folds.map((_, i) => [i + 1, c.folds.length + 1]),
        [c.folds.length + 1, c.folds.length + 1],
      ]);
      const tBuild = Date.now() - t0;

      // Structure: nothing WebGPU lacks, fixed spatial dims, dynamic batch.
      const info = inspectOnnx(built.bytes);
      expect(webgpuBlockers(info)).toEqual([]);
      const allowed = [
        'Conv',
        'LeakyRelu',
        'Add',
        'Concat',
        'Reshape',
        'Transpose',
        'Div',
        'ReduceMean',
        'ReduceSumSquare',
        'Sub',
        'Sqrt',
        'Mul',
      ];
      expect(info.ops.filter((op) => !allowed.includes(op))).toEqual([]);
      expect(info.inputs[0].dims).toEqual(['batch', 1, ...c.size]);
      expect(info.outputs[0].dims).toEqual(['batch', arch.numClasses, ...c.size]);
      if (arch.network === 'ResidualEncoderUNet') expect(info.ops).not.toContain('AveragePool');

      const dims = [1, arch.inputChannels, ...c.size];
      const input = f32(join(root, 'input.f32'));
      const t1 = Date.now();
      const y = await runOnnx(built.bytes, input, dims);
      const tRun = Date.now() - t1;
      const pNew = parity(y, f32(join(root, 'new.f32')), arch.numClasses);
      const pOld = dir.old ? parity(y, f32(join(root, 'old.f32')), arch.numClasses) : null;
      const pWasm = c.wasm
        ? parity(await runWasm(built.bytes, input, dims), f32(join(root, 'new.f32')), arch.numClasses)
        : null;
      // The InstanceNormalization operator instead of the written-out norm (small cases only).
      const operator = c.size.every((d) => d <= 16)
        ? buildNnunetOnnx(arch, maps, { patch: c.size, instanceNorm: 'operator' })
        : null;
      if (operator) expect(inspectOnnx(operator.bytes).ops).toContain('InstanceNormalization');
      const pOperator = operator
        ? parity(await runOnnx(operator.bytes, input, dims), f32(join(root, 'new.f32')), arch.numClasses)
        : null;

      const half = buildNnunetOnnx(arch, maps, { patch: c.size, half: true });
      if (built.parameters > 1e8) {
        // Six folds of 100 M parameters would not fit one ONNX file (2 GB): refused after the first.
        expect(() => buildNnunetOnnx(arch, new Array(6).fill(maps[0]), { patch: c.size })).toThrow(
          /2\.\d\d GiB of weights \(6 fold\(s\)\); ONNX files are limited to 2 GB: import fewer folds or use half precision/,
        );
      }
      // Conv kernels are nearly all of a real network's weights (biases and norms stay float32).
      if (built.parameters > 1e6) expect(half.bytes.length).toBeLessThan(built.bytes.length * 0.51);
      expect(half.parameters).toBe(built.parameters);
      const yHalf = await runOnnx(half.bytes, input, dims);
      const pHalfRounded = parity(yHalf, f32(join(root, 'half.f32')), arch.numClasses);
      const pHalf = parity(yHalf, f32(join(root, 'new.f32')), arch.numClasses);

      console.log(
        `${c.name} [${c.size.join('x')}, ${c.folds.length} fold(s), ${built.parameters.toLocaleString('en-US')} parameters/fold, ${(built.bytes.length / 2 ** 20).toFixed(1)} MiB; ` +
          `read+build ${tBuild} ms, ORT run ${tRun} ms]\n` +
          `  float32 vs PyTorch (new schema): ${fmt(pNew)}${pOld ? `; (old schema): ${fmt(pOld)}` : ''}\n` +
          (pWasm ? `  float32 on onnxruntime-web WASM vs PyTorch: ${fmt(pWasm)}\n` : '') +
          (pOperator ? `  float32 with the InstanceNormalization operator vs PyTorch: ${fmt(pOperator)}\n` : '') +
          `  float16 vs PyTorch with float16-rounded weights: ${fmt(pHalfRounded)}\n` +
          `  float16 vs PyTorch float32: ${fmt(pHalf)} (largest |logit| ${pHalf.maxAbs.toFixed(2)})`,
      );
      for (const p of [pNew, pOld ?? pNew, pWasm ?? pNew, pOperator ?? pNew, pHalfRounded]) {
        expect(p.maxDiff).toBeLessThanOrEqual(MAX_DIFF);
        expect(p.agreement).toBeGreaterThanOrEqual(MIN_AGREEMENT);
      }
      expect(pHalf.maxDiff).toBeLessThanOrEqual(HALF_MAX_DIFF_FRACTION * pHalf.maxAbs);
      expect(pHalf.agreement).toBeGreaterThanOrEqual(HALF_MIN_AGREEMENT);
    }, 120_000);

  it('tiny (reference command line: make with a full training checkpoint, forward): 2 folds match', async () => {
    const plan = readPlan(tinyFolder);
    const maps = [0, 1].map((f) => readFold(tinyFolder, f));
    const patch = plan.patchSize; // 32^3: the plans' own patch, as the importer uses it
    const built = buildNnunetOnnx(plan.architecture, maps, { patch });
    const dims = [2, 1, ...patch];
    const input = Float32Array.from(
      { length: 2 * product(patch) },
      (_, i) => Math.sin(i * 0.37) * 2 + Math.cos(i * 0.011),
    );
    const inFile = join(tmp, 'tiny-in.f32');
    const outFile = join(tmp, 'tiny-out.f32');
    writeRaw(inFile, input);
    const r = spawnSync(
      python,
      [
        'training/nnunet_reference.py',
        'forward',
        '--model',
        tinyFolder,
        '--folds',
        '0,1',
        '--input',
        inFile,
        '--shape',
        dims.join(','),
        '--out',
        outFile,
      ],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`nnunet_reference.py forward failed:\n${r.stderr.slice(-3000)}`);
    const y = await runOnnx(built.bytes, input, dims); // batch 2: the batch dimension is dynamic
    const ref = f32(outFile);
    // The two batch items are compared one by one (argmax over channels within each).
    const half = y.length / 2;
    for (let n = 0; n < 2; n++) {
      const p = parity(
        y.subarray(n * half, (n + 1) * half),
        ref.subarray(n * half, (n + 1) * half),
        plan.architecture.numClasses,
      );
      console.log(`tiny (CLI fixture) batch item ${n}: ${fmt(p)}`);
      expect(p.maxDiff).toBeLessThanOrEqual(MAX_DIFF);
      expect(p.agreement).toBeGreaterThanOrEqual(MIN_AGREEMENT);
    }
  }, 60_000);

  it('the graph passes onnx.checker with full shape inference (Python onnx)', () => {
    const plan = readPlan(folders['odd-strides'].new);
    const built = buildNnunetOnnx(plan.architecture, [readFold(folders['odd-strides'].new, 0)], {
      patch: [8, 8, 12],
      half: true,
    });
    const file = join(tmp, 'odd.onnx');
    writeRaw(file, built.bytes);
    const r = spawnSync(
      python,
      [
        '-c',
        'import onnx, sys\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(max(len(a.ints) for n in m.graph.node if n.op_type == "Transpose" for a in n.attribute))',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The depth-to-space rearrangements stay at rank <= 5.
    expect(Number(r.stdout.trim())).toBeLessThanOrEqual(5);
  });

  describe('checkpoint problems are named', () => {
    const arch = (): NnunetArchitecture => readPlan(tinyFolder).architecture;
    const fold0 = (): WeightMap => readFold(tinyFolder, 0);
    const build = (m: WeightMap, patch = [32, 32, 32]) =>
      buildNnunetOnnx(arch(), [m], { patch, files: ['fold_0/checkpoint_final.pth'] });
    const error = (f: () => unknown): VoxsegError => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(VoxsegError);
        return e as VoxsegError;
      }
      throw new Error('no error thrown');
    };

    it('a missing tensor: the key, the expected shape and the file', () => {
      const m = fold0();
      m.delete('decoder.stages.0.convs.1.norm.bias');
      const e = error(() => build(m));
      expect(e.code).toBe('invalid-model');
      expect(e.message).toContain('fold_0/checkpoint_final.pth');
      expect(e.message).toContain('"decoder.stages.0.convs.1.norm.bias" is missing (expected shape [8])');
    });

    it('a mis-shaped tensor: both shapes', () => {
      const m = fold0();
      m.set('encoder.stages.1.0.convs.0.conv.weight', {
        shape: [8, 4, 3, 3, 1],
        data: new Float32Array(8 * 4 * 9),
        dtype: 'float32',
      });
      const e = error(() => build(m));
      expect(e.message).toContain(
        '"encoder.stages.1.0.convs.0.conv.weight" has shape [8, 4, 3, 3, 1], the plans\' architecture needs [8, 4, 3, 3, 3]',
      );
    });

    it('a transposed convolution whose kernel is not its stride is refused', () => {
      const m = fold0();
      m.set('decoder.transpconvs.0.weight', {
        shape: [16, 8, 3, 3, 3],
        data: new Float32Array(16 * 8 * 27),
        dtype: 'float32',
      });
      const e = error(() => build(m));
      expect(e.code).toBe('unsupported');
      expect(e.message).toContain('kernel [3, 3, 3] but stride [2, 2, 2]');
    });

    it('tensors the architecture does not use, and inconsistent duplicates', () => {
      const extra = fold0();
      extra.set('encoder.stages.0.0.convs.0.se.weight', { shape: [4], data: new Float32Array(4), dtype: 'float32' });
      expect(error(() => build(extra)).message).toContain('"encoder.stages.0.0.convs.0.se.weight"');
      const dup = fold0();
      const t = dup.get('decoder.encoder.stages.0.0.convs.0.all_modules.0.weight')!;
      const data = t.data.slice();
      data[5] += 1;
      dup.set('decoder.encoder.stages.0.0.convs.0.all_modules.0.weight', { ...t, data });
      expect(error(() => build(dup)).message).toContain(
        '"decoder.encoder.stages.0.0.convs.0.all_modules.0.weight" and "encoder.stages.0.0.convs.0.conv.weight"',
      );
    });

    it("a 'module.' prefix (DataParallel) is stripped; deep-supervision heads are ignored", () => {
      const plain = fold0();
      const prefixed: WeightMap = new Map([...plain].map(([k, v]) => [`module.${k}`, v]));
      expect(Buffer.compare(Buffer.from(build(prefixed).bytes), Buffer.from(build(plain).bytes))).toBe(0);
      const noHeads = new Map([...plain].filter(([k]) => !k.startsWith('decoder.seg_layers.0.')));
      expect(Buffer.compare(Buffer.from(build(noHeads).bytes), Buffer.from(build(plain).bytes))).toBe(0);
    });

    it('an input size the strides do not divide', () => {
      expect(error(() => build(fold0(), [32, 30, 32])).message).toContain(
        "not divisible by the network's total stride [4, 4, 4]",
      );
    });
  });

  describe('plans.json written by the reference', () => {
    it('both schemas give the same configuration; lowres parses; 2-D and cascade are refused', () => {
      const dir = folders['plain-iso'];
      for (const folder of [dir.new, dir.old!]) {
        const plansJson = JSON.parse(readFileSync(join(folder, 'plans.json'), 'utf8'));
        expect(listConfigurations(plansJson)).toEqual(['2d', '3d_lowres', '3d_fullres', '3d_cascade_fullres']);
        const plan = readPlan(folder);
        expect(plan.datasetName).toBe('Dataset601_AbdomenCT3mm');
        expect(plan.patchSize).toEqual([128, 128, 128]);
        expect(plan.spacing).toEqual([3, 3, 3]);
        expect(plan.architecture.featuresPerStage).toEqual([32, 64, 128, 256, 320, 320]);
        expect(plan.normalizationSchemes).toEqual(['CTNormalization']);
        expect(plan.intensityProperties['0'].percentile_99_5).toBe(311);
        expect(plan.resamplingData).toEqual({
          fn: 'resample_data_or_seg_to_shape',
          order: 3,
          orderZ: 0,
          forceSeparateZ: null,
          anisotropyThreshold: 3,
        });
        expect(plan.resamplingProbabilities.order).toBe(1);
        expect(readPlan(folder, '3d_lowres').spacing).toEqual([6, 6, 6]);
        expect(() => readPlan(folder, '2d')).toThrow(
          /plans\.json: configurations\.2d is a 2-D configuration \(patch_size \[128, 128\]\)/,
        );
        expect(() => readPlan(folder, '3d_cascade_fullres')).toThrow(
          /cascade stage \(previous_stage "3d_lowres"\).*low-resolution stage/,
        );
      }
    });
  });
});

// ---- helpers ---------------------------------------------------------------------------------

function product(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function writeRaw(path: string, data: Float32Array | Uint8Array): void {
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
