/**
 * nnU-Net v2 `plans.json` -> one resolved configuration (`NnunetPlan`).
 *
 * Two schemas exist and both are read:
 * - current: `configurations.<c>.architecture = { network_class_name, arch_kwargs,
 *   _kw_requires_import }`, with the torch classes as dotted names ("torch.nn.LeakyReLU");
 * - older (nnU-Net up to 2.3, e.g. TotalSegmentator's weights): `UNet_class_name`,
 *   `UNet_base_num_features`, `unet_max_num_features`, `n_conv_per_stage_encoder/decoder`,
 *   `pool_op_kernel_sizes`, `conv_kernel_sizes`. The network is rebuilt as nnU-Net itself does
 *   (`get_network_from_plans` of those versions, and `ConfigurationManager`'s backwards
 *   compatibility since): features_per_stage[i] = min(base * 2^i, max), one stage per entry of
 *   `conv_kernel_sizes`, strides = `pool_op_kernel_sizes`, conv_bias true, InstanceNorm with
 *   eps 1e-5 and affine weights, LeakyReLU with PyTorch's default slope 0.01, no dropout.
 *
 * `inherits_from` is followed as `PlansManager` does it: the parent configuration (recursively)
 * updated key by key with the child's top-level keys; cycles are an error.
 *
 * Defaults where a plans file leaves a key out (each as nnU-Net behaves):
 * - older schema: `UNet_base_num_features` 32, `unet_max_num_features` 320, convolutions per
 *   stage 2 (encoder and decoder) for PlainConvUNet and (1, 3, 4, 6, 6, ...) blocks / 1 decoder
 *   convolution for ResidualEncoderUNet: the values of nnU-Net's ExperimentPlanner and
 *   ResEncUNetPlanner.
 * - `transpose_forward/backward`: identity [0, 1, 2] (no transposition).
 * - resampling kwargs: those of `resample_data_or_seg_to_shape`'s signature (order 3, order_z 0,
 *   force_separate_z false, separate_z_anisotropy_threshold = ANISO_THRESHOLD = 3).
 * - `foreground_intensity_properties_per_channel`: the older `..._by_modality` key.
 * - `arch_kwargs.norm_op_kwargs.eps`: 1e-5 (torch's InstanceNorm default); `nonlin_kwargs.
 *   negative_slope`: 0.01 (torch's LeakyReLU default).
 *
 * Refused (VoxsegError naming plans.json and the field): 2-D configurations, cascade stages
 * (`previous_stage`: they need the low-resolution stage's segmentation as extra input channels),
 * network classes other than PlainConvUNet / ResidualEncoderUNet with BasicBlockD (BottleneckD,
 * ResidualUNet, custom classes), norms other than InstanceNorm3d with affine weights, other
 * nonlinearities, pooling instead of strided convolutions, `nonlin_first`, squeeze-excitation,
 * a stem wider or narrower than the first stage, even kernel sizes. Deep supervision does not
 * matter: only the full-resolution head is used at inference.
 */
import { VoxsegError } from '../../core/errors';
import type { NnunetArchitecture, NnunetIntensityProperties, NnunetPlan, NnunetResampling } from './types';

type Json = Record<string, unknown>;

/** nnU-Net's ANISO_THRESHOLD (nnunetv2/configuration.py). */
const ANISO_THRESHOLD = 3;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(file: string, message: string, code: 'invalid-model' | 'unsupported' = 'invalid-model'): never {
  throw new VoxsegError(code, message, { file });
}

function plansRoot(json: unknown, file: string): Json {
  if (!isObject(json)) fail(file, 'is not a JSON object');
  if (!isObject(json.configurations)) fail(file, '"configurations" is missing or not an object');
  return json;
}

/** Configuration names of a plans.json, in file order. */
export function listConfigurations(json: unknown): string[] {
  if (!isObject(json) || !isObject(json.configurations)) return [];
  return Object.keys(json.configurations);
}

/** The configuration with `inherits_from` resolved (parent keys updated by the child's). */
function resolveConfiguration(root: Json, name: string, file: string, visited: string[] = []): Json {
  const all = root.configurations as Json;
  const own = all[name];
  if (own === undefined) {
    const known = Object.keys(all).join(', ') || 'none';
    fail(file, `configuration "${name}" is not in "configurations" (available: ${known})`);
  }
  if (!isObject(own)) fail(file, `configurations.${name} is not an object`);
  const parent = own.inherits_from;
  if (parent === undefined || parent === null) return { ...own };
  if (typeof parent !== 'string') fail(file, `configurations.${name}.inherits_from is not a configuration name`);
  const chain = [...visited, name];
  if (chain.includes(parent))
    fail(file, `configurations.${name}.inherits_from: circular inheritance ${[...chain, parent].join(' -> ')}`);
  if (!(parent in all))
    fail(file, `configurations.${name}.inherits_from names "${parent}", which is not a configuration`);
  return { ...resolveConfiguration(root, parent, file, chain), ...own };
}

// ---- small typed readers ----------------------------------------------------------------------

class Fields {
  constructor(
    readonly obj: Json,
    readonly where: string,
    readonly file: string,
  ) {}

  path(key: string): string {
    return `${this.where}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  need(key: string): unknown {
    const v = this.obj[key];
    if (v === undefined || v === null) fail(this.file, `${this.path(key)} is missing`);
    return v;
  }

  int(key: string, min = 0): number {
    const v = this.need(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      fail(this.file, `${this.path(key)} must be an integer >= ${min} (found ${JSON.stringify(v)})`);
    return v;
  }

  number(key: string, fallback?: number): number {
    const v = this.obj[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(this.file, `${this.path(key)} must be a number (found ${JSON.stringify(v)})`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') fail(this.file, `${this.path(key)} must be true or false (found ${JSON.stringify(v)})`);
    return v;
  }

  string(key: string, fallback?: string): string {
    const v = this.obj[key];
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v !== 'string') fail(this.file, `${this.path(key)} must be a string (found ${JSON.stringify(v)})`);
    return v;
  }

  numbers(key: string, length?: number): number[] {
    const v = this.need(key);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(this.file, `${this.path(key)} must be a list of numbers (found ${JSON.stringify(v)})`);
    if (length !== undefined && v.length !== length)
      fail(this.file, `${this.path(key)} must have ${length} entries (found ${v.length})`);
    return v as number[];
  }

  /** An int or a list of `n` ints (dynamic_network_architectures accepts both). */
  perStage(key: string, n: number, min = 1): number[] {
    const v = this.need(key);
    const list = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min))
      fail(this.file, `${this.path(key)} must be an integer >= ${min} or a list of them (found ${JSON.stringify(v)})`);
    if (list.length !== n)
      fail(this.file, `${this.path(key)} must have ${n} entries, one per stage (found ${list.length})`);
    return list as number[];
  }

  /** Per stage, per axis: an int, a list of ints (one per stage) or a list of lists. */
  perStageAxes(key: string, n: number, dims: number): number[][] {
    const v = this.need(key);
    const stages = typeof v === 'number' ? new Array<unknown>(n).fill(v) : v;
    if (!Array.isArray(stages) || stages.length !== n)
      fail(this.file, `${this.path(key)} must have ${n} entries, one per stage (found ${JSON.stringify(v)})`);
    return stages.map((s, i) => {
      const axes = typeof s === 'number' ? new Array<unknown>(dims).fill(s) : s;
      if (
        !Array.isArray(axes) ||
        axes.length !== dims ||
        !axes.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1)
      )
        fail(this.file, `${this.path(key)}[${i}] must be ${dims} positive integers (found ${JSON.stringify(s)})`);
      return axes as number[];
    });
  }
}

/** Last part of a dotted Python name ('torch.nn.LeakyReLU' -> 'LeakyReLU'). */
function className(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const parts = v.split('.');
  return parts[parts.length - 1];
}

// ---- architecture ------------------------------------------------------------------------------

const NETWORKS = ['PlainConvUNet', 'ResidualEncoderUNet'] as const;

/** arch_kwargs keys understood; anything else might change the forward pass, so it is refused. */
const KNOWN_KWARGS = new Set([
  'input_channels',
  'num_classes',
  'n_stages',
  'features_per_stage',
  'conv_op',
  'kernel_sizes',
  'strides',
  'n_conv_per_stage',
  'n_blocks_per_stage',
  'n_conv_per_stage_decoder',
  'conv_bias',
  'norm_op',
  'norm_op_kwargs',
  'dropout_op',
  'dropout_op_kwargs',
  'nonlin',
  'nonlin_kwargs',
  'deep_supervision',
  'nonlin_first',
  'block',
  'bottleneck_channels',
  'stem_channels',
  'pool',
  'pool_type',
  'stochastic_depth_p',
  'squeeze_excitation',
  'squeeze_excitation_reduction_ratio',
  'disable_default_stem',
]);

function networkName(full: string, field: string, file: string): (typeof NETWORKS)[number] {
  const name = className(full) ?? '';
  const module = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
  const fromDna = module === '' || module.startsWith('dynamic_network_architectures.');
  if (!fromDna || !(NETWORKS as readonly string[]).includes(name)) {
    const hint = name === 'ResidualUNet' ? ' (its residual decoder is not supported)' : '';
    fail(
      file,
      `${field}: network class "${full}" is not supported${hint}; voxseg imports dynamic_network_architectures' PlainConvUNet and ResidualEncoderUNet`,
      'unsupported',
    );
  }
  return name as (typeof NETWORKS)[number];
}

/** Architecture from the current schema's `architecture` entry. */
function architectureFromKwargs(
  config: Json,
  where: string,
  file: string,
  numClasses: number,
  inputChannels: number,
): NnunetArchitecture {
  const archObj = config.architecture;
  if (!isObject(archObj)) fail(file, `${where}.architecture must be an object`);
  const arch = new Fields(archObj, `${where}.architecture`, file);
  const network = networkName(arch.string('network_class_name'), arch.path('network_class_name'), file);
  const kwObj = arch.need('arch_kwargs');
  if (!isObject(kwObj)) fail(file, `${arch.path('arch_kwargs')} must be an object`);
  const kw = new Fields(kwObj, arch.path('arch_kwargs'), file);

  for (const key of Object.keys(kwObj))
    if (!KNOWN_KWARGS.has(key))
      fail(
        file,
        `${kw.path(key)}: unknown architecture argument; it may change the network, so the model is not imported`,
        'unsupported',
      );

  const convOp = className(kw.need('conv_op'));
  if (convOp !== 'Conv3d')
    fail(
      file,
      `${kw.path('conv_op')} is ${JSON.stringify(kw.raw('conv_op'))}: only 3-D networks (Conv3d) are supported`,
      'unsupported',
    );

  const normOp = className(kw.raw('norm_op'));
  if (normOp !== 'InstanceNorm3d')
    fail(
      file,
      `${kw.path('norm_op')} is ${JSON.stringify(kw.raw('norm_op') ?? null)}: only InstanceNorm3d is supported`,
      'unsupported',
    );
  const normKw = new Fields(
    isObject(kw.raw('norm_op_kwargs')) ? (kw.raw('norm_op_kwargs') as Json) : {},
    kw.path('norm_op_kwargs'),
    file,
  );
  // torch.nn.InstanceNorm3d defaults: affine=False, track_running_stats=False. nnU-Net always sets affine=True.
  if (!normKw.bool('affine', false))
    fail(
      file,
      `${normKw.path('affine')} is not true: instance norms without learned scale and bias are not supported`,
      'unsupported',
    );
  if (normKw.bool('track_running_stats', false))
    fail(
      file,
      `${normKw.path('track_running_stats')} is true: instance norms with running statistics are not supported`,
      'unsupported',
    );
  const normEps = normKw.number('eps', 1e-5);

  const nonlin = className(kw.raw('nonlin'));
  if (nonlin !== 'LeakyReLU')
    fail(
      file,
      `${kw.path('nonlin')} is ${JSON.stringify(kw.raw('nonlin') ?? null)}: only LeakyReLU is supported`,
      'unsupported',
    );
  const nonlinKw = new Fields(
    isObject(kw.raw('nonlin_kwargs')) ? (kw.raw('nonlin_kwargs') as Json) : {},
    kw.path('nonlin_kwargs'),
    file,
  );
  const negativeSlope = nonlinKw.number('negative_slope', 0.01);

  if (kw.has('dropout_op') && !/Dropout/.test(className(kw.raw('dropout_op')) ?? ''))
    fail(file, `${kw.path('dropout_op')}: ${JSON.stringify(kw.raw('dropout_op'))} is not a dropout`, 'unsupported');
  if (kw.bool('nonlin_first', false))
    fail(file, `${kw.path('nonlin_first')} is true (conv -> nonlin -> norm): not supported`, 'unsupported');
  for (const key of ['pool', 'pool_type']) {
    const pool = kw.raw(key);
    if (pool !== undefined && pool !== null && pool !== 'conv')
      fail(
        file,
        `${kw.path(key)} is ${JSON.stringify(pool)}: only strided-convolution downsampling ('conv') is supported, as nnU-Net plans it`,
        'unsupported',
      );
  }
  if (kw.bool('squeeze_excitation', false))
    fail(
      file,
      `${kw.path('squeeze_excitation')} is true: squeeze-and-excitation blocks are not supported`,
      'unsupported',
    );
  if (kw.bool('disable_default_stem', false))
    fail(
      file,
      `${kw.path('disable_default_stem')} is true: networks without the default stem are not supported`,
      'unsupported',
    );

  const block = kw.raw('block');
  if (block !== undefined && block !== null && className(block) !== 'BasicBlockD')
    fail(
      file,
      `${kw.path('block')} is ${JSON.stringify(block)}: only BasicBlockD residual blocks are supported (BottleneckD is not)`,
      'unsupported',
    );
  if (kw.has('bottleneck_channels'))
    fail(
      file,
      `${kw.path('bottleneck_channels')} is set: bottleneck (BottleneckD) residual blocks are not supported`,
      'unsupported',
    );

  const nStages = kw.int('n_stages', 1);
  const featuresPerStage = kw.perStage('features_per_stage', nStages);
  if (kw.has('stem_channels') && kw.raw('stem_channels') !== featuresPerStage[0])
    fail(
      file,
      `${kw.path('stem_channels')} (${JSON.stringify(kw.raw('stem_channels'))}) differs from features_per_stage[0] (${featuresPerStage[0]}): not supported`,
      'unsupported',
    );
  const perStageKey = network === 'PlainConvUNet' ? 'n_conv_per_stage' : 'n_blocks_per_stage';
  return checkArchitecture(
    {
      network,
      inputChannels,
      numClasses,
      featuresPerStage,
      kernelSizes: kw.perStageAxes('kernel_sizes', nStages, 3),
      strides: kw.perStageAxes('strides', nStages, 3),
      nPerStageEncoder: kw.perStage(perStageKey, nStages),
      nConvPerStageDecoder: kw.perStage('n_conv_per_stage_decoder', nStages - 1),
      convBias: kw.bool('conv_bias', false),
      normEps,
      negativeSlope,
    },
    kw.path('kernel_sizes'),
    file,
  );
}

/** Architecture from the older schema's top-level keys. */
function architectureFromOldKeys(
  config: Json,
  where: string,
  file: string,
  numClasses: number,
  inputChannels: number,
): NnunetArchitecture {
  const c = new Fields(config, where, file);
  const network = networkName(c.string('UNet_class_name'), c.path('UNet_class_name'), file);
  const kernels = c.need('conv_kernel_sizes');
  if (!Array.isArray(kernels) || !kernels.length) fail(file, `${c.path('conv_kernel_sizes')} must be a non-empty list`);
  const nStages = kernels.length;
  const kernelSizes = c.perStageAxes('conv_kernel_sizes', nStages, 3);
  // Planner defaults where a key is absent (ExperimentPlanner: UNet_base_num_features 32,
  // UNet_max_features_3d 320, UNet_blocks_per_stage_encoder/decoder 2 each; ResEncUNetPlanner:
  // encoder blocks (1, 3, 4, 6, 6, ...), decoder convs 1).
  const base = c.has('UNet_base_num_features') ? c.int('UNet_base_num_features', 1) : 32;
  const max = c.has('unet_max_num_features') ? c.int('unet_max_num_features', 1) : 320;
  const resEnc = network === 'ResidualEncoderUNet';
  const defaultEncoder = Array.from({ length: nStages }, (_, i) => (resEnc ? ([1, 3, 4][i] ?? 6) : 2));
  const defaultDecoder = new Array<number>(nStages - 1).fill(resEnc ? 1 : 2);
  return checkArchitecture(
    {
      network,
      inputChannels,
      numClasses,
      featuresPerStage: Array.from({ length: nStages }, (_, i) => Math.min(base * 2 ** i, max)),
      kernelSizes,
      strides: c.perStageAxes('pool_op_kernel_sizes', nStages, 3),
      nPerStageEncoder: c.has('n_conv_per_stage_encoder')
        ? c.perStage('n_conv_per_stage_encoder', nStages)
        : defaultEncoder,
      nConvPerStageDecoder: c.has('n_conv_per_stage_decoder')
        ? c.perStage('n_conv_per_stage_decoder', nStages - 1)
        : defaultDecoder,
      convBias: true,
      normEps: 1e-5,
      negativeSlope: 0.01,
    },
    c.path('conv_kernel_sizes'),
    file,
  );
}

function checkArchitecture(a: NnunetArchitecture, kernelField: string, file: string): NnunetArchitecture {
  a.kernelSizes.forEach((k, i) => {
    if (k.some((x) => x % 2 === 0))
      fail(file, `${kernelField}[${i}] = [${k.join(', ')}]: even kernel sizes are not supported`, 'unsupported');
  });
  return a;
}

// ---- the rest of the configuration -------------------------------------------------------------

function resampling(c: Fields, fnKey: string, kwKey: string): NnunetResampling {
  const kwObj = c.raw(kwKey);
  const kw = new Fields(isObject(kwObj) ? kwObj : {}, c.path(kwKey), c.file);
  const force = kw.raw('force_separate_z');
  if (force !== undefined && force !== null && typeof force !== 'boolean')
    fail(c.file, `${kw.path('force_separate_z')} must be true, false or null`);
  return {
    fn: c.string(fnKey, 'resample_data_or_seg_to_shape'),
    order: kw.number('order', 3),
    orderZ: kw.number('order_z', 0),
    // resample_data_or_seg_to_shape's own default is False; plans written by nnU-Net say null.
    forceSeparateZ: force === undefined ? false : (force as boolean | null),
    anisotropyThreshold: kw.number('separate_z_anisotropy_threshold', ANISO_THRESHOLD),
  };
}

function intensityProperties(
  root: Json,
  file: string,
  channels: number,
  schemes: string[],
): Record<string, NnunetIntensityProperties> {
  const key = isObject(root.foreground_intensity_properties_per_channel)
    ? 'foreground_intensity_properties_per_channel'
    : isObject(root.foreground_intensity_properties_by_modality)
      ? 'foreground_intensity_properties_by_modality'
      : null;
  const out: Record<string, NnunetIntensityProperties> = {};
  const src = key ? (root[key] as Json) : {};
  for (let ch = 0; ch < channels; ch++) {
    const entry = src[String(ch)];
    if (!isObject(entry)) {
      if (schemes[ch] === 'CTNormalization')
        fail(
          file,
          `foreground_intensity_properties_per_channel["${ch}"] is missing (CTNormalization of channel ${ch} needs it)`,
        );
      continue;
    }
    const f = new Fields(entry, `${key}["${ch}"]`, file);
    const props: NnunetIntensityProperties = {
      mean: f.number('mean'),
      std: f.number('std'),
      percentile_00_5: f.number('percentile_00_5'),
      percentile_99_5: f.number('percentile_99_5'),
    };
    for (const k of ['min', 'max', 'median'] as const) if (typeof entry[k] === 'number') props[k] = entry[k] as number;
    out[String(ch)] = props;
  }
  return out;
}

/**
 * Parse one configuration of a plans.json. `numClasses` (network outputs: labels incl.
 * background, or regions) and `inputChannels` come from dataset.json.
 */
export function parsePlans(
  json: unknown,
  file: string,
  configuration: string,
  numClasses: number,
  inputChannels: number,
): NnunetPlan {
  const root = plansRoot(json, file);
  const config = resolveConfiguration(root, configuration, file);
  const where = `configurations.${configuration}`;
  const c = new Fields(config, where, file);

  const patchSize = c.numbers('patch_size');
  if (patchSize.length === 2)
    fail(
      file,
      `${where} is a 2-D configuration (patch_size [${patchSize.join(', ')}]); only 3-D configurations are supported`,
      'unsupported',
    );
  if (patchSize.length !== 3 || !patchSize.every((x) => Number.isInteger(x) && x > 0))
    fail(file, `${c.path('patch_size')} must be 3 positive integers (found ${JSON.stringify(patchSize)})`);

  const previous = config.previous_stage;
  if (previous !== undefined && previous !== null)
    fail(
      file,
      `${where} is a cascade stage (previous_stage "${String(previous)}"): cascade models need the low-resolution stage's segmentation as extra input channels, which voxseg does not run; import "${String(previous)}" or a 3d_fullres configuration instead`,
      'unsupported',
    );

  const architecture = isObject(config.architecture)
    ? architectureFromKwargs(config, where, file, numClasses, inputChannels)
    : config.UNet_class_name !== undefined
      ? architectureFromOldKeys(config, where, file, numClasses, inputChannels)
      : fail(file, `${where} has neither "architecture" nor "UNet_class_name": cannot tell the network`);

  const spacing = c.numbers('spacing', 3);
  if (spacing.some((s) => s <= 0))
    fail(file, `${c.path('spacing')} must be positive (found ${JSON.stringify(spacing)})`);

  const rootFields = new Fields(root, '', file);
  const transposeForward =
    root.transpose_forward === undefined ? [0, 1, 2] : rootFields.numbers('transpose_forward', 3);
  const transposeBackward =
    root.transpose_backward === undefined ? [0, 1, 2] : rootFields.numbers('transpose_backward', 3);
  for (const [name, t] of [
    ['transpose_forward', transposeForward],
    ['transpose_backward', transposeBackward],
  ] as const)
    if ([...t].sort().join() !== '0,1,2')
      fail(file, `${name} must be a permutation of [0, 1, 2] (found ${JSON.stringify(t)})`);

  const schemesRaw = c.need('normalization_schemes');
  if (!Array.isArray(schemesRaw) || !schemesRaw.every((s) => typeof s === 'string'))
    fail(file, `${c.path('normalization_schemes')} must be a list of names`);
  const normalizationSchemes = schemesRaw as string[];
  if (normalizationSchemes.length !== inputChannels)
    fail(
      file,
      `${c.path('normalization_schemes')} has ${normalizationSchemes.length} entries but dataset.json has ${inputChannels} input channel(s)`,
    );
  const maskRaw = config.use_mask_for_norm;
  const useMaskForNorm = Array.isArray(maskRaw)
    ? maskRaw.map((m) => m === true)
    : new Array<boolean>(inputChannels).fill(maskRaw === true);
  if (useMaskForNorm.length !== inputChannels)
    fail(
      file,
      `${c.path('use_mask_for_norm')} has ${useMaskForNorm.length} entries but there are ${inputChannels} input channel(s)`,
    );

  const plan: NnunetPlan = {
    datasetName: typeof root.dataset_name === 'string' ? root.dataset_name : '',
    plansName: typeof root.plans_name === 'string' ? root.plans_name : '',
    configuration,
    architecture,
    patchSize,
    spacing,
    transposeForward,
    transposeBackward,
    normalizationSchemes,
    useMaskForNorm,
    intensityProperties: intensityProperties(root, file, inputChannels, normalizationSchemes),
    resamplingData: resampling(c, 'resampling_fn_data', 'resampling_fn_data_kwargs'),
    resamplingProbabilities: resampling(c, 'resampling_fn_probabilities', 'resampling_fn_probabilities_kwargs'),
  };
  if (typeof config.batch_size === 'number') plan.batchSize = config.batch_size;
  return plan;
}
