/**
 * Model manifest: what a segmentation model is, what it expects and how to run it.
 * Lives beside the ONNX file as `manifest.json` (see README.md for a full example).
 *
 * Axis conventions (one rule for every model):
 * - The model grid is the study resampled/reoriented as the preprocessing says; its voxel axes are
 *   i, j, k (i fastest in memory). Every spatial array in a manifest (`patch`, `spacing`, `dims`)
 *   is given in i, j, k order.
 * - `model.layout` says how the grid maps to the ONNX tensor: 'NCDHW' means
 *   tensor[n, c, k, j, i] = grid[i, j, k] (the flat voxel buffer as is, nnU-Net/SimpleITK style);
 *   'NCWHD' means tensor[n, c, i, j, k] = grid[i, j, k] (nibabel/MONAI arrays).
 */
import { VoxsegError } from '../core/errors';
import type { Vec3 } from '../core/types';

export interface CodedConcept {
  /** e.g. '10200004' */
  code: string;
  /** e.g. 'SCT' */
  scheme: string;
  /** e.g. 'Liver' */
  meaning: string;
}

export interface LabelInfo {
  /** Label value written to the label map (1..65535; 0 is background). */
  value: number;
  name: string;
  /** RGB 0..255. */
  color: [number, number, number];
  /** DICOM SEG segmented property category / type (SNOMED-CT), optional. */
  category?: CodedConcept;
  type?: CodedConcept;
  /** Laterality of `type` (SNOMED-CT Left / Right), as DICOM SEG's type modifier. */
  typeModifier?: CodedConcept;
}

export type Normalization =
  | { kind: 'none' }
  /** nnU-Net CT: clip to [lower, upper] then (x - mean) / std. */
  | { kind: 'ct'; clip: [number, number]; mean: number; std: number }
  /** z-score, over voxels > `threshold` when `foreground` (nnU-Net MR style), else all voxels. */
  | { kind: 'zscore'; foreground?: boolean; threshold?: number }
  /** Linear to [0, 1] using the volume's min and max. */
  | { kind: 'minmax' }
  /**
   * Linear so the [lower, upper] quantiles (0..1) map to [0, 1]; values outside are clipped unless
   * `clip` is false (brainchop scales without clipping). `rule` picks the quantile of n sorted
   * values: 'linear' (default, numpy's) interpolates at (n - 1) q; 'brainchop' takes the value at
   * index floor(n q) for the lower and ceil(n q) - 1 for the upper quantile, as brainchop does.
   */
  | { kind: 'quantile'; lower: number; upper: number; clip?: boolean; rule?: 'linear' | 'brainchop' };

export interface SlidingWindowPreprocessing {
  mode: 'sliding-window';
  /** Target voxel size in mm (i, j, k of the model grid). */
  spacing: Vec3;
  /** Target orientation code, e.g. 'RAS' or 'LPS' (letters of `orientationCode`). */
  orientation: string;
  /** Patch size in voxels (i, j, k). */
  patch: Vec3;
  /** Fraction of a patch shared by neighbours, 0 <= overlap < 1 (nnU-Net uses 0.5). */
  overlap: number;
  /** Blending of overlapping patches. */
  blending: 'gaussian' | 'constant';
  /** Gaussian sigma as a fraction of the patch size (default 1/8). */
  sigmaScale?: number;
  /** Test-time augmentation: mirror along these grid axes (0 i, 1 j, 2 k) and average. */
  mirrorAxes?: number[];
  /** Patches per ONNX run (upper bound; the engine lowers it to fit memory). */
  batch?: number;
  normalization: Normalization;
}

/**
 * A second, small model whose labels say where to crop (brainchop's pre-model): it runs on the
 * whole conformed volume with its own normalization, argmax over its channels; its non-zero labels
 * are the crop mask. Its ONNX file lies beside the manifest, with the main model's layout.
 */
export interface PreModel {
  file: string;
  sha256?: string;
  input: string;
  output: string;
  channels: number;
  normalization: Normalization;
}

/**
 * Crop to the head as brainchop does: the box of a mask — the pre-model's labels when there is
 * one, else the normalized image above `threshold` times its maximum, else above 0 — grown by
 * `padding` voxels on every side (clamped to the volume) is cut from the normalized image, the
 * model runs on that, and its labels go back into the box (0 elsewhere). Needs a model with
 * dynamic spatial dims.
 */
export interface CropSpec {
  padding: number;
  threshold?: number;
  preModel?: PreModel;
}

export interface WholeVolumePreprocessing {
  mode: 'whole-volume';
  /** FreeSurfer-style conform grid: dims, spacing (mm) and orientation of the model grid. */
  conform: { dims: Vec3; spacing: Vec3; orientation: string; dtype: 'uint8' | 'float32' };
  crop?: CropSpec;
  normalization: Normalization;
}

/** How nnU-Net resamples one kind of array (its `resampling_fn_*_kwargs`). */
export interface NnunetResamplingSpec {
  /** Spline order in plane (3 for images, 1 for probabilities). */
  order: number;
  /** Order along the low-resolution axis when it is resampled separately (0). */
  orderZ: number;
  /** null: separate when max/min spacing > anisotropyThreshold (nnU-Net's default). */
  forceSeparateZ: boolean | null;
  anisotropyThreshold: number;
}

/**
 * An imported nnU-Net v2 model, predicted exactly as nnU-Net's predictor does (see
 * src/inference/nnunet/README.md): optional TotalSegmentator steps around it, transpose, crop to the
 * non-zero region, normalization, resampling to `spacing`, sliding window with Gaussian weights,
 * logits back to the cropped grid, argmax, un-crop.
 *
 * The model grid is nnU-Net's array after `transpose`; as everywhere, `spacing` and `patch` are
 * given in its i, j, k order (the plans' numpy order reversed) and `model.layout` is 'NCDHW'.
 */
export interface NnunetPreprocessing {
  mode: 'nnunet';
  /** Reorient the study first (exact axis permutation/flips), e.g. 'RAS' for TotalSegmentator. Absent: the study's own voxel order, as nnU-Net reads a file. */
  orientation?: string;
  /** TotalSegmentator's own resampling before nnU-Net (mm, i j k; order 3, values rounded to integers) and of the labels back (order 0). */
  presample?: { spacing: Vec3 };
  /** nnU-Net's transpose_forward over the axes of its array (0 = k, 1 = j, 2 = i of the study grid). */
  transpose: [number, number, number];
  /** Configuration spacing (mm), i j k of the model grid. */
  spacing: Vec3;
  patch: Vec3;
  /** 1 - nnU-Net's tile_step_size (0.5 by default). */
  overlap: number;
  sigmaScale: number;
  /** Mirroring TTA along these model-grid axes (empty: off). */
  mirrorAxes: number[];
  /** The axes the trainer allows mirroring on (inference_allowed_mirroring_axes), model-grid axes. */
  allowedMirrorAxes: number[];
  batch: number;
  normalization: Normalization;
  /** z-score over the non-zero region only, the rest left at 0 (nnU-Net's use_mask_for_norm). */
  normalizeInMask: boolean;
  resampling: { data: NnunetResamplingSpec; probabilities: NnunetResamplingSpec };
}

export type Preprocessing = SlidingWindowPreprocessing | WholeVolumePreprocessing | NnunetPreprocessing;

export interface Postprocessing {
  /** Applied to the model output before the decision. */
  activation: 'softmax' | 'sigmoid' | 'none';
  /**
   * 'argmax': label = channel index of the largest value (channel c -> label value c unless
   * `channelLabels` says otherwise). 'threshold': independent channels, a voxel gets the label of the
   * highest channel above its threshold (sigmoid models; channel 0 is not background).
   */
  decision: 'argmax' | 'threshold';
  thresholds?: number[];
  /** Label value written for each output channel (default: channel index). */
  channelLabels?: number[];
  /**
   * How the label map goes from the model grid back onto the study grid when they differ.
   * 'nearest' (default): each study voxel takes the label of the model voxel it falls in (boundaries
   * follow the model voxels' staircase). 'linear': nnU-Net's resize_segmentation with order 1, the
   * label with the largest summed trilinear weight of the 8 surrounding model voxels, so boundaries
   * lie smoothly between model voxel centres (for models on a coarser grid than the studies).
   */
  labelResampling?: 'nearest' | 'linear';
  /**
   * Label values of which only the largest face-connected component is kept, on the model grid
   * before the labels go back onto the study grid (nnU-Net's "remove all but the largest
   * component"; training chooses the labels where it raised the validation Dice). Not for labels
   * with several true parts (both lungs, the vertebrae).
   */
  largestComponent?: number[];
  /**
   * Keep only the largest 26-connected component of all labelled voxels together, on the model
   * grid (brainchop's post-processing: it binarizes the labels, then keeps its largest cluster).
   */
  largestForeground?: boolean;
  /**
   * Brain extraction: besides the labels, give the study image with every voxel outside the
   * labelled region set to the background value (0, or the image's minimum when that is lower).
   */
  maskedImage?: boolean;
}

export interface ModelManifest {
  schema: 'voxseg-model/1';
  id: string;
  name: string;
  version: string;
  license: string;
  description?: string;
  provenance: { source: string; data?: string; training?: string };
  intended: { modality: string[]; bodyPart: string; notes?: string };
  model: {
    /** ONNX file, relative to the manifest. */
    file: string;
    /** Hex sha256 of the ONNX file (checked before running). */
    sha256?: string;
    input: string;
    output: string;
    layout: 'NCDHW' | 'NCWHD';
    /** Number of output channels. */
    channels: number;
    /** Rough seconds per volume on a laptop CPU (WASM), for the model card. */
    expectedSeconds?: number;
  };
  labels: LabelInfo[];
  preprocessing: Preprocessing;
  postprocessing: Postprocessing;
  /** Dice per label name on the validation cases of training (a trained model's own numbers). */
  validation?: { cases: number; epoch?: number; dice: Record<string, number> };
  /** Evaluation report beside the manifest (`voxseg evaluate` writes it), e.g. "report.json". */
  report?: string;
}

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ORIENT_RE = /^(?=.*[LR])(?=.*[PA])(?=.*[SI])[LRPASI]{3}$/;

class Checker {
  constructor(private readonly source: string) {}
  fail(path: string, msg: string): never {
    throw new VoxsegError('invalid-model', `manifest field ${path}: ${msg}`, { file: this.source });
  }
  obj(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    return v as Record<string, unknown>;
  }
  str(v: unknown, path: string, optional = false): string {
    if (v === undefined && optional) return undefined as unknown as string;
    if (typeof v !== 'string' || v.length === 0) this.fail(path, 'must be a non-empty string');
    return v;
  }
  num(v: unknown, path: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'must be a number');
    if (v < min || v > max) this.fail(path, `must be within [${min}, ${max}], got ${v}`);
    return v;
  }
  int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.num(v, path, min, max);
    if (!Number.isInteger(n)) this.fail(path, `must be an integer, got ${n}`);
    return n;
  }
  vec3(v: unknown, path: string, int: boolean, min: number): Vec3 {
    if (!Array.isArray(v) || v.length !== 3) this.fail(path, 'must be an array of 3 numbers (i, j, k)');
    return v.map((x, n) => (int ? this.int(x, `${path}[${n}]`, min) : this.num(x, `${path}[${n}]`, min))) as Vec3;
  }
  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
    if (!options.includes(v as T))
      this.fail(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }
  orientation(v: unknown, path: string): string {
    const s = this.str(v, path).toUpperCase();
    if (!ORIENT_RE.test(s))
      this.fail(path, `must be an orientation code such as "RAS", "LPS" or "LIA", got ${JSON.stringify(v)}`);
    return s;
  }
  concept(v: unknown, path: string): CodedConcept | undefined {
    if (v === undefined) return undefined;
    const o = this.obj(v, path);
    return {
      code: this.str(o.code, `${path}.code`),
      scheme: this.str(o.scheme, `${path}.scheme`),
      meaning: this.str(o.meaning, `${path}.meaning`),
    };
  }
}

function checkNormalization(c: Checker, v: unknown, path: string): Normalization {
  const o = c.obj(v, path);
  const kind = c.oneOf(o.kind, `${path}.kind`, ['none', 'ct', 'zscore', 'minmax', 'quantile'] as const);
  switch (kind) {
    case 'none':
    case 'minmax':
      return { kind };
    case 'ct': {
      if (!Array.isArray(o.clip) || o.clip.length !== 2) c.fail(`${path}.clip`, 'must be [lower, upper]');
      const clip = [c.num(o.clip[0], `${path}.clip[0]`), c.num(o.clip[1], `${path}.clip[1]`)] as [number, number];
      if (clip[0] >= clip[1]) c.fail(`${path}.clip`, 'lower must be below upper');
      return { kind, clip, mean: c.num(o.mean, `${path}.mean`), std: c.num(o.std, `${path}.std`, 1e-12) };
    }
    case 'zscore':
      return {
        kind,
        foreground: o.foreground === undefined ? false : o.foreground === true,
        threshold: o.threshold === undefined ? 0 : c.num(o.threshold, `${path}.threshold`),
      };
    case 'quantile': {
      const lower = c.num(o.lower, `${path}.lower`, 0, 1);
      const upper = c.num(o.upper, `${path}.upper`, 0, 1);
      if (lower >= upper) c.fail(path, 'lower quantile must be below upper');
      if (o.clip !== undefined && typeof o.clip !== 'boolean') c.fail(`${path}.clip`, 'must be true or false');
      const rule = c.oneOf(o.rule ?? 'linear', `${path}.rule`, ['linear', 'brainchop'] as const);
      return { kind, lower, upper, clip: o.clip !== false, ...(rule === 'brainchop' ? { rule } : {}) };
    }
  }
}

function checkCrop(c: Checker, o: Record<string, unknown>): CropSpec {
  const padding = c.int(o.padding ?? 0, 'preprocessing.crop.padding', 0, 256);
  const threshold = o.threshold === undefined ? undefined : c.num(o.threshold, 'preprocessing.crop.threshold', 0, 1);
  if (o.preModel === undefined) return { padding, ...(threshold ? { threshold } : {}) };
  if (threshold)
    c.fail('preprocessing.crop.threshold', 'a crop mask comes from the pre-model or from a threshold, not both');
  const p = c.obj(o.preModel, 'preprocessing.crop.preModel');
  const sha = p.sha256 === undefined ? undefined : c.str(p.sha256, 'preprocessing.crop.preModel.sha256').toLowerCase();
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha))
    c.fail('preprocessing.crop.preModel.sha256', 'must be 64 hex digits');
  const preModel: PreModel = {
    file: checkModelFile(c, p.file, 'preprocessing.crop.preModel.file'),
    sha256: sha,
    input: c.str(p.input ?? 'input', 'preprocessing.crop.preModel.input'),
    output: c.str(p.output ?? 'output', 'preprocessing.crop.preModel.output'),
    channels: c.int(p.channels, 'preprocessing.crop.preModel.channels', 2, 65536),
    normalization: checkNormalization(c, p.normalization, 'preprocessing.crop.preModel.normalization'),
  };
  return { padding, preModel };
}

function checkResampling(c: Checker, v: unknown, path: string): NnunetResamplingSpec {
  const o = c.obj(v, path);
  if (o.forceSeparateZ !== null && o.forceSeparateZ !== undefined && typeof o.forceSeparateZ !== 'boolean')
    c.fail(`${path}.forceSeparateZ`, 'must be true, false or null');
  return {
    order: c.int(o.order, `${path}.order`, 0, 5),
    orderZ: c.int(o.orderZ ?? 0, `${path}.orderZ`, 0, 5),
    forceSeparateZ: (o.forceSeparateZ as boolean | null | undefined) ?? null,
    anisotropyThreshold: c.num(o.anisotropyThreshold ?? 3, `${path}.anisotropyThreshold`, 1),
  };
}

function checkAxes(c: Checker, v: unknown, path: string): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) c.fail(path, 'must be an array of axes 0, 1, 2');
  return v.map((a, n) => c.int(a, `${path}[${n}]`, 0, 2));
}

function checkNnunet(c: Checker, o: Record<string, unknown>, normalization: Normalization): NnunetPreprocessing {
  const t = o.transpose;
  if (!Array.isArray(t) || t.length !== 3 || [...t].sort().join() !== '0,1,2')
    c.fail('preprocessing.transpose', 'must be a permutation of [0, 1, 2]');
  const pre = c.obj(o.presample ?? {}, 'preprocessing.presample');
  const res = c.obj(o.resampling, 'preprocessing.resampling');
  return {
    mode: 'nnunet',
    orientation: o.orientation === undefined ? undefined : c.orientation(o.orientation, 'preprocessing.orientation'),
    presample:
      o.presample === undefined
        ? undefined
        : { spacing: c.vec3(pre.spacing, 'preprocessing.presample.spacing', false, 1e-6) },
    transpose: t as [number, number, number],
    spacing: c.vec3(o.spacing, 'preprocessing.spacing', false, 1e-6),
    patch: c.vec3(o.patch, 'preprocessing.patch', true, 1),
    overlap: c.num(o.overlap ?? 0.5, 'preprocessing.overlap', 0, 0.95),
    sigmaScale: c.num(o.sigmaScale ?? 0.125, 'preprocessing.sigmaScale', 1e-3, 10),
    mirrorAxes: checkAxes(c, o.mirrorAxes, 'preprocessing.mirrorAxes'),
    allowedMirrorAxes: checkAxes(c, o.allowedMirrorAxes, 'preprocessing.allowedMirrorAxes'),
    batch: c.int(o.batch ?? 1, 'preprocessing.batch', 1, 64),
    normalization,
    normalizeInMask: o.normalizeInMask === true,
    resampling: {
      data: checkResampling(c, res.data, 'preprocessing.resampling.data'),
      probabilities: checkResampling(c, res.probabilities, 'preprocessing.resampling.probabilities'),
    },
  };
}

function checkPreprocessing(c: Checker, v: unknown): Preprocessing {
  const o = c.obj(v, 'preprocessing');
  const mode = c.oneOf(o.mode, 'preprocessing.mode', ['sliding-window', 'whole-volume', 'nnunet'] as const);
  const normalization = checkNormalization(c, o.normalization, 'preprocessing.normalization');
  if (mode === 'nnunet') return checkNnunet(c, o, normalization);
  if (mode === 'sliding-window') {
    const mirror = o.mirrorAxes === undefined ? [] : o.mirrorAxes;
    if (!Array.isArray(mirror)) c.fail('preprocessing.mirrorAxes', 'must be an array of axes 0, 1, 2');
    return {
      mode,
      spacing: c.vec3(o.spacing, 'preprocessing.spacing', false, 1e-6),
      orientation: c.orientation(o.orientation, 'preprocessing.orientation'),
      patch: c.vec3(o.patch, 'preprocessing.patch', true, 1),
      overlap: c.num(o.overlap ?? 0.5, 'preprocessing.overlap', 0, 0.95),
      blending: c.oneOf(o.blending ?? 'gaussian', 'preprocessing.blending', ['gaussian', 'constant'] as const),
      sigmaScale: c.num(o.sigmaScale ?? 0.125, 'preprocessing.sigmaScale', 1e-3, 10),
      mirrorAxes: mirror.map((a, n) => c.int(a, `preprocessing.mirrorAxes[${n}]`, 0, 2)),
      batch: c.int(o.batch ?? 1, 'preprocessing.batch', 1, 64),
      normalization,
    };
  }
  const cf = c.obj(o.conform, 'preprocessing.conform');
  const crop = o.crop === undefined ? undefined : checkCrop(c, c.obj(o.crop, 'preprocessing.crop'));
  return {
    mode,
    conform: {
      dims: c.vec3(cf.dims, 'preprocessing.conform.dims', true, 1),
      spacing: c.vec3(cf.spacing, 'preprocessing.conform.spacing', false, 1e-6),
      orientation: c.orientation(cf.orientation, 'preprocessing.conform.orientation'),
      dtype: c.oneOf(cf.dtype ?? 'uint8', 'preprocessing.conform.dtype', ['uint8', 'float32'] as const),
    },
    crop,
    normalization,
  };
}

/**
 * Validate a parsed manifest.json. Throws VoxsegError('invalid-model') naming `source` and the
 * offending field. Fills defaults so the result is complete.
 */
export function parseManifest(json: unknown, source = 'manifest.json'): ModelManifest {
  const c: Checker = new Checker(source);
  const o = c.obj(json, '(root)');
  if (o.schema !== 'voxseg-model/1') c.fail('schema', `must be "voxseg-model/1", got ${JSON.stringify(o.schema)}`);
  const id = c.str(o.id, 'id');
  if (!ID_RE.test(id)) c.fail('id', 'use lower-case letters, digits, ".", "_" or "-" (at most 64)');
  const prov = c.obj(o.provenance, 'provenance');
  const intended = c.obj(o.intended, 'intended');
  if (!Array.isArray(intended.modality) || intended.modality.length === 0)
    c.fail('intended.modality', 'must be a non-empty array such as ["CT"]');
  const m = c.obj(o.model, 'model');
  const sha = m.sha256 === undefined ? undefined : c.str(m.sha256, 'model.sha256').toLowerCase();
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) c.fail('model.sha256', 'must be 64 hex digits');
  const channels = c.int(m.channels, 'model.channels', 1, 65536);
  if (!Array.isArray(o.labels) || o.labels.length === 0) c.fail('labels', 'must be a non-empty array');
  const seen = new Set<number>();
  const labels: LabelInfo[] = o.labels.map((l, n) => {
    const p = `labels[${n}]`;
    const lo = c.obj(l, p);
    const value = c.int(lo.value, `${p}.value`, 1, 65535);
    if (seen.has(value)) c.fail(`${p}.value`, `duplicate label value ${value}`);
    seen.add(value);
    if (!Array.isArray(lo.color) || lo.color.length !== 3) c.fail(`${p}.color`, 'must be [r, g, b] with 0..255');
    return {
      value,
      name: c.str(lo.name, `${p}.name`),
      color: lo.color.map((x, q) => c.int(x, `${p}.color[${q}]`, 0, 255)) as [number, number, number],
      category: c.concept(lo.category, `${p}.category`),
      type: c.concept(lo.type, `${p}.type`),
      typeModifier: c.concept(lo.typeModifier, `${p}.typeModifier`),
    };
  });
  const post = c.obj(o.postprocessing, 'postprocessing');
  const decision = c.oneOf(post.decision, 'postprocessing.decision', ['argmax', 'threshold'] as const);
  let thresholds: number[] | undefined;
  if (decision === 'threshold') {
    if (!Array.isArray(post.thresholds) || post.thresholds.length !== channels)
      c.fail('postprocessing.thresholds', `must list one threshold per output channel (${channels})`);
    thresholds = post.thresholds.map((t, n) => c.num(t, `postprocessing.thresholds[${n}]`));
  }
  let channelLabels: number[] | undefined;
  if (post.channelLabels !== undefined) {
    if (!Array.isArray(post.channelLabels) || post.channelLabels.length !== channels)
      c.fail('postprocessing.channelLabels', `must list one label value per output channel (${channels})`);
    channelLabels = post.channelLabels.map((t, n) => c.int(t, `postprocessing.channelLabels[${n}]`, 0, 65535));
  }
  const produced = channelLabels ?? Array.from({ length: channels }, (_, n) => (decision === 'threshold' ? n + 1 : n));
  for (const v of produced)
    if (v !== 0 && !seen.has(v)) c.fail('labels', `output channel gives label ${v}, which has no entry in labels`);
  let largestComponent: number[] | undefined;
  if (post.largestComponent !== undefined) {
    if (!Array.isArray(post.largestComponent)) c.fail('postprocessing.largestComponent', 'must list label values');
    largestComponent = post.largestComponent.map((t, n) => c.int(t, `postprocessing.largestComponent[${n}]`, 1, 65535));
    for (const v of largestComponent)
      if (!produced.includes(v)) c.fail('postprocessing.largestComponent', `label ${v} is not one the model outputs`);
  }
  return {
    schema: 'voxseg-model/1',
    id,
    name: c.str(o.name, 'name'),
    version: c.str(o.version, 'version'),
    license: c.str(o.license, 'license'),
    description: o.description === undefined ? undefined : c.str(o.description, 'description'),
    provenance: {
      source: c.str(prov.source, 'provenance.source'),
      data: c.str(prov.data, 'provenance.data', true),
      training: c.str(prov.training, 'provenance.training', true),
    },
    intended: {
      modality: intended.modality.map((x, n) => c.str(x, `intended.modality[${n}]`).toUpperCase()),
      bodyPart: c.str(intended.bodyPart, 'intended.bodyPart'),
      notes: c.str(intended.notes, 'intended.notes', true),
    },
    model: {
      file: checkModelFile(c, m.file, 'model.file'),
      sha256: sha,
      input: c.str(m.input, 'model.input'),
      output: c.str(m.output, 'model.output'),
      layout: c.oneOf(m.layout ?? 'NCDHW', 'model.layout', ['NCDHW', 'NCWHD'] as const),
      channels,
      expectedSeconds:
        m.expectedSeconds === undefined ? undefined : c.num(m.expectedSeconds, 'model.expectedSeconds', 0),
    },
    labels,
    preprocessing: checkPreprocessing(c, o.preprocessing),
    postprocessing: {
      activation: c.oneOf(post.activation ?? 'none', 'postprocessing.activation', [
        'softmax',
        'sigmoid',
        'none',
      ] as const),
      decision,
      thresholds,
      channelLabels,
      labelResampling: c.oneOf(post.labelResampling ?? 'nearest', 'postprocessing.labelResampling', [
        'nearest',
        'linear',
      ] as const),
      largestComponent,
      largestForeground:
        post.largestForeground === undefined
          ? undefined
          : checkBool(c, post.largestForeground, 'postprocessing.largestForeground'),
      maskedImage:
        post.maskedImage === undefined ? undefined : checkBool(c, post.maskedImage, 'postprocessing.maskedImage'),
    },
    validation: checkValidation(c, o.validation),
    report: o.report === undefined ? undefined : checkReportFile(c, o.report),
  };
}

function checkBool(c: Checker, v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') c.fail(path, 'must be true or false');
  return v;
}

function checkValidation(c: Checker, v: unknown): ModelManifest['validation'] {
  if (v === undefined) return undefined;
  const o = c.obj(v, 'validation');
  const d = c.obj(o.dice, 'validation.dice');
  const dice: Record<string, number> = {};
  for (const [name, x] of Object.entries(d)) dice[name] = c.num(x, `validation.dice.${name}`, 0, 1);
  return {
    cases: c.int(o.cases, 'validation.cases', 0),
    epoch: o.epoch === undefined ? undefined : c.int(o.epoch, 'validation.epoch', 0),
    dice,
  };
}

/**
 * A file the manifest names (the network, its pre-model) resolves inside the model folder: a
 * relative path without `..`, `.` or empty segments, no backslash, drive or NUL; anything else is
 * refused before a byte is read.
 */
function checkModelFile(c: Checker, v: unknown, path: string): string {
  const s = c.str(v, path);
  const segments = s.split('/');
  if (s.startsWith('/') || /[\\\0]|^[A-Za-z]:/.test(s) || segments.some((p) => p === '' || p === '.' || p === '..'))
    c.fail(path, `must be a file inside the model folder (e.g. "model.onnx"), got ${JSON.stringify(s)}`);
  return s;
}

function checkReportFile(c: Checker, v: unknown): string {
  const s = c.str(v, 'report');
  if (s.includes('/') || s.includes('\\') || s.startsWith('.'))
    c.fail('report', `must be a file name beside the manifest, got ${JSON.stringify(s)}`);
  return s;
}

/** Label value produced by each output channel. */
export function channelLabelValues(m: ModelManifest): number[] {
  const p = m.postprocessing;
  return (
    p.channelLabels ?? Array.from({ length: m.model.channels }, (_, n) => (p.decision === 'threshold' ? n + 1 : n))
  );
}

/** Parse manifest text (JSON), with a clear error for bad JSON. */
export function parseManifestText(text: string, source = 'manifest.json'): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VoxsegError('invalid-model', `not valid JSON (${(err as Error).message})`, { file: source });
  }
  return parseManifest(json, source);
}
