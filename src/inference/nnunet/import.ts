/**
 * nnU-Net v2 result folder (or the zip it is published in) -> ONNX bytes + voxseg manifest.
 *
 * A result folder is `DatasetNNN_Name/<Trainer>__<Plans>__<configuration>/` with plans.json,
 * dataset.json and fold_K/checkpoint_final.pth (or checkpoint_best.pth); TotalSegmentator's weight
 * zips hold one. Everything is read from `SourceFile`s so the same code runs on a picked folder in
 * the browser, a zip, or files on disk in the CLI. Nothing is kept when any step fails.
 *
 * - Folds: every fold_K (and fold_all) present unless told; their logits are averaged inside the
 *   ONNX graph, as nnU-Net v2 averages logits over folds.
 * - Labels: dataset.json `labels` must be consecutive 0..n-1 (region-based models are refused);
 *   channel c is label value c. Names get colours and SNOMED-CT codes from the terminology table.
 * - TotalSegmentator (dataset name contains "TotalSegmentator"): its own steps around nnU-Net go
 *   into the manifest — canonical RAS orientation, resampling to the configuration spacing before
 *   and of the labels after, and tile step 0.8 for the 1.5 mm CT parts (0.5 otherwise).
 * - Mirroring TTA is off by default (TotalSegmentator runs without it); the axes the trainer allows
 *   are kept in the manifest for the card and for `--mirror`.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3 } from '../../core/types';
import { parseManifest, type LabelInfo, type ModelManifest, type Normalization } from '../manifest';
import { sha256Hex } from '../models';
import { readTorchCheckpoint } from './checkpoint';
import { buildNnunetOnnx } from './network';
import { parsePlans } from './plans';
import { terminologyFor } from './terminology';
import type { NnunetPlan, SourceFile, WeightMap } from './types';

export interface NnunetImportOptions {
  /** Folds to import (default: every fold folder present); 'all' is nnU-Net's fold_all. */
  folds?: (number | 'all')[];
  /** Which checkpoint of each fold (default 'final'). */
  checkpoint?: 'final' | 'best';
  /** Store the weights as float16 (half the size). */
  half?: boolean;
  /** Turn on mirroring TTA on the axes the trainer allows (8x slower for 3 axes). */
  mirror?: boolean;
  /** Model id in the manifest (default: from the dataset and configuration). */
  id?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface NnunetImportResult {
  /** The ONNX model (manifest.model.file is 'model.onnx'; manifest.model.sha256 is its hash). */
  onnx: Uint8Array;
  manifest: ModelManifest;
  /** License text found in the folder or zip (LICENSE*, license*), if any. */
  license?: string;
  /** Things the user should know (folds, skipped files, ...). */
  notes: string[];
}

interface ResultFolder {
  root: string;
  datasetName: string;
  trainer: string;
  plansName: string;
  configuration: string;
  plans: SourceFile;
  dataset: SourceFile;
  folds: Map<string, SourceFile[]>;
}

const decoder = new TextDecoder();

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The path prefix of the files inside folder `dir` ('' for the root). */
function prefixOf(dir: string): string {
  return dir ? `${dir}/` : '';
}

function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.?\//, '');
}

/** Locate the trainer folder: the folder holding plans.json, dataset.json and fold_* folders. */
function findResultFolder(files: readonly SourceFile[], source: string): ResultFolder {
  const byPath = new Map(files.map((f) => [normalizePath(f.path), f]));
  const plansFiles = [...byPath.keys()].filter((p) => baseOf(p) === 'plans.json');
  const candidates = plansFiles.filter((p) => byPath.has(`${prefixOf(dirOf(p))}dataset.json`));
  const withFolds = candidates.filter((p) =>
    [...byPath.keys()].some((q) => q.startsWith(`${prefixOf(dirOf(p))}fold_`)),
  );
  if (plansFiles.length === 0)
    throw new VoxsegError(
      'invalid-model',
      'no plans.json found: pick an nnU-Net v2 result folder (DatasetNNN_Name/<Trainer>__<Plans>__<configuration>/ with plans.json, dataset.json and fold_K/checkpoint_final.pth) or the zip it was published in',
      { file: source },
    );
  if (candidates.length === 0)
    throw new VoxsegError('invalid-model', `${plansFiles[0]} has no dataset.json beside it`, { file: source });
  if (withFolds.length === 0)
    throw new VoxsegError('invalid-model', `no fold_K folder with a checkpoint beside ${candidates[0]}`, {
      file: source,
    });
  if (withFolds.length > 1)
    throw new VoxsegError(
      'invalid-model',
      `several nnU-Net result folders found (${withFolds.map(dirOf).join(', ')}); import one at a time`,
      { file: source },
    );
  const plansPath = withFolds[0];
  const root = dirOf(plansPath);
  const prefix = prefixOf(root);
  const folder = baseOf(root);
  const parts = folder.split('__');
  const folds = new Map<string, SourceFile[]>();
  for (const [p, f] of byPath) {
    if (!p.startsWith(prefix)) continue;
    const m = /^fold_(\d+|all)\/([^/]+)$/.exec(p.slice(prefix.length));
    if (!m) continue;
    const list = folds.get(m[1]) ?? [];
    list.push(f);
    folds.set(m[1], list);
  }
  return {
    root,
    datasetName: baseOf(dirOf(root)) || '',
    trainer: parts.length === 3 ? parts[0] : '',
    plansName: parts.length === 3 ? parts[1] : '',
    configuration: parts.length === 3 ? parts[2] : '',
    plans: byPath.get(plansPath)!,
    dataset: byPath.get(`${prefix}dataset.json`)!,
    folds,
  };
}

async function readJson(f: SourceFile, source: string): Promise<Record<string, unknown>> {
  const text = decoder.decode(await f.read());
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new VoxsegError('invalid-model', `${f.path} is not valid JSON (${(err as Error).message})`, { file: source });
  }
}

interface DatasetInfo {
  labels: string[];
  channels: string[];
  license?: string;
  description?: string;
  reference?: string;
}

function parseDataset(json: Record<string, unknown>, file: string, source: string): DatasetInfo {
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-model', `${file}: ${msg}`, { file: source });
  };
  const labels = json.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    fail('"labels" must map label names to values');
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.some(([, v]) => Array.isArray(v)))
    fail(
      'this is a region-based model (labels map to lists of values; regions_class_order): voxseg imports models with one label per output channel',
    );
  const names: string[] = [];
  for (const [name, v] of entries) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      fail(`label ${JSON.stringify(name)} must have a non-negative integer value`);
    if (names[v as number] !== undefined) fail(`label value ${v} is used twice`);
    names[v as number] = name;
  }
  for (let v = 0; v < names.length; v++)
    if (names[v] === undefined) fail(`label values must be consecutive from 0; ${v} is missing`);
  if (names.length < 2) fail('needs at least one label besides background');
  const ch = (json.channel_names ?? json.modality) as Record<string, unknown> | undefined;
  if (typeof ch !== 'object' || ch === null) fail('"channel_names" is missing');
  const channels = Object.keys(ch as object)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => String((ch as Record<string, unknown>)[k]));
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return {
    labels: names,
    channels,
    license: str(json.licence) ?? str(json.license),
    description: str(json.description),
    reference: str(json.reference),
  };
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
}

function normalizationOf(plan: NnunetPlan, source: string): { normalization: Normalization; inMask: boolean } {
  const scheme = plan.normalizationSchemes[0];
  const mask = plan.useMaskForNorm[0] === true;
  switch (scheme) {
    case 'CTNormalization': {
      const p = plan.intensityProperties['0'];
      if (!p)
        throw new VoxsegError(
          'invalid-model',
          'plans.json: CTNormalization needs foreground_intensity_properties_per_channel["0"]',
          { file: source },
        );
      return {
        normalization: {
          kind: 'ct',
          clip: [p.percentile_00_5, p.percentile_99_5],
          mean: p.mean,
          std: Math.max(p.std, 1e-8),
        },
        inMask: false,
      };
    }
    case 'ZScoreNormalization':
      return { normalization: { kind: 'zscore', foreground: false }, inMask: mask };
    case 'NoNormalization':
      return { normalization: { kind: 'none' }, inMask: false };
    case 'RescaleTo01Normalization':
      return { normalization: { kind: 'minmax' }, inMask: false };
    default:
      throw new VoxsegError(
        'unsupported',
        `plans.json: normalization scheme ${JSON.stringify(scheme)} is not supported (CTNormalization, ZScoreNormalization, NoNormalization, RescaleTo01Normalization are)`,
        { file: source },
      );
  }
}

/** nnU-Net axis a (of the transposed numpy array) is model-grid axis 2 - a. */
function gridAxes(axes: readonly number[]): number[] {
  return axes.map((a) => 2 - a).sort();
}

function reversed(v: readonly number[]): Vec3 {
  return [v[2], v[1], v[0]];
}

function modalityOf(channels: string[]): string[] {
  const c = channels.join(' ').toUpperCase();
  if (/\bCT\b|HU/.test(c)) return ['CT'];
  if (/MR|T1|T2|FLAIR|ADC|DWI/.test(c)) return ['MR'];
  return channels.map((x) => x.toUpperCase());
}

export async function importNnunet(
  files: readonly SourceFile[],
  source: string,
  opts: NnunetImportOptions = {},
): Promise<NnunetImportResult> {
  const report = opts.onProgress ?? (() => {});
  const check = () => {
    if (opts.signal?.aborted) throw new VoxsegError('cancelled', 'model import cancelled');
  };
  const notes: string[] = [];
  report('Reading plans.json and dataset.json', 0, 1);
  const folder = findResultFolder(files, source);
  const datasetJson = await readJson(folder.dataset, source);
  const dataset = parseDataset(datasetJson, folder.dataset.path, source);
  if (dataset.channels.length !== 1)
    throw new VoxsegError(
      'unsupported',
      `${folder.dataset.path}: the model takes ${dataset.channels.length} input channels (${dataset.channels.join(', ')}); voxseg runs single-channel models`,
      { file: source },
    );
  const plansJson = await readJson(folder.plans, source);
  const configuration =
    folder.configuration || (typeof datasetJson.configuration === 'string' ? datasetJson.configuration : '3d_fullres');
  const plan = parsePlans(
    plansJson,
    `${source}: ${folder.plans.path}`,
    configuration,
    dataset.labels.length,
    dataset.channels.length,
  );
  check();

  // Folds and their checkpoints.
  const want = opts.checkpoint ?? 'final';
  const present = [...folder.folds.keys()].sort((a, b) => (a === 'all' ? 1 : b === 'all' ? -1 : Number(a) - Number(b)));
  const chosen = opts.folds ? opts.folds.map(String) : present;
  const missing = chosen.filter((f) => !folder.folds.has(f));
  if (missing.length)
    throw new VoxsegError(
      'not-found',
      `fold ${missing.join(', ')} not found in ${folder.root || 'the result folder'} (present: ${present.join(', ') || 'none'})`,
      { file: source },
    );
  const checkpointOf = (fold: string) =>
    folder.folds.get(fold)!.find((x) => baseOf(x.path) === `checkpoint_${want}.pth`);
  const without = chosen.filter((fold) => !checkpointOf(fold));
  if (without.length && (opts.folds || without.length === chosen.length)) {
    const fold = without[0];
    const other = folder.folds
      .get(fold)!
      .map((x) => baseOf(x.path))
      .filter((n) => n.endsWith('.pth'));
    throw new VoxsegError(
      'not-found',
      `fold_${fold} has no checkpoint_${want}.pth${other.length ? ` (it has ${other.join(', ')}; choose it with the checkpoint option)` : ''}`,
      { file: source },
    );
  }
  // Without an explicit fold list, fold folders lacking the checkpoint (an unfinished fold) are skipped.
  if (without.length) notes.push(`skipped ${without.map((f) => `fold_${f}`).join(', ')}: no checkpoint_${want}.pth`);
  const checkpoints = chosen
    .filter((fold) => !without.includes(fold))
    .map((fold) => ({ fold, file: checkpointOf(fold)! }));
  const weights: WeightMap[] = [];
  let allowedMirror: number[] | null = null;
  let epochs: number | undefined;
  for (let n = 0; n < checkpoints.length; n++) {
    check();
    const { fold, file } = checkpoints[n];
    report(`Reading fold ${fold} (${(file.size / 2 ** 20).toFixed(0)} MiB)`, n, checkpoints.length);
    const ck = readTorchCheckpoint(await file.read(), `${source}: ${file.path}`);
    weights.push(ck.weights);
    if (ck.info.inferenceAllowedMirroringAxes) allowedMirror = ck.info.inferenceAllowedMirroringAxes;
    if (ck.info.currentEpoch !== null) epochs = ck.info.currentEpoch;
  }
  check();
  report('Building the ONNX graph', 0, 1);
  const built = buildNnunetOnnx(plan.architecture, weights, {
    patch: plan.patchSize,
    half: opts.half,
    name: folder.datasetName || 'nnunet',
    onProgress: (done, total) => report('Building the ONNX graph', done, total),
  });
  notes.push(...built.notes);
  check();
  report('Hashing the model', 0, 1);
  const sha256 = await sha256Hex(built.bytes);

  // Manifest.
  const totalseg = /totalsegmentator/i.test(folder.datasetName);
  const spacing = reversed(plan.spacing);
  const { normalization, inMask } = normalizationOf(plan, source);
  const mirrorAllowed = gridAxes(allowedMirror ?? [0, 1, 2]);
  const labels: LabelInfo[] = dataset.labels.slice(1).map((name, n) => {
    const value = n + 1;
    const t = terminologyFor(name);
    return { value, name, color: t.color, category: t.category, type: t.type, typeModifier: t.typeModifier };
  });
  const modality = modalityOf(dataset.channels);
  const isCt = modality.includes('CT');
  const overlap = totalseg && isCt && Math.max(...spacing) < 3 ? 0.2 : 0.5;
  const foldText = checkpoints
    .map(({ fold: f }) => f)
    .map((f) => (f === 'all' ? 'all' : `fold ${f}`))
    .join(', ');
  const id = opts.id ?? slug(`${folder.datasetName || 'nnunet'}-${configuration}`);
  const manifestJson = {
    schema: 'voxseg-model/1',
    id,
    name: `${folder.datasetName || 'nnU-Net model'} (${configuration})`,
    version: epochs !== undefined ? `epoch ${epochs}` : '1',
    license:
      dataset.license ??
      (totalseg
        ? 'Apache-2.0 (TotalSegmentator weights of the open tasks; check the license of your task)'
        : 'unspecified (see the model source)'),
    description:
      dataset.description ??
      (totalseg
        ? 'TotalSegmentator (nnU-Net v2), imported from its published weights'
        : 'nnU-Net v2 model imported from its result folder'),
    provenance: {
      source: `nnU-Net v2 result folder ${folder.datasetName}/${baseOf(folder.root)} (${foldText}, checkpoint_${want}.pth)`,
      data: dataset.reference,
      training: `${folder.trainer || 'nnU-Net trainer'}, plans ${folder.plansName || plan.plansName}, ${plan.architecture.network}, ${built.parameters.toLocaleString('en-US')} parameters per fold${opts.half ? ', float16 weights' : ''}`,
    },
    intended: {
      modality,
      bodyPart: totalseg ? 'whole body' : 'see the model source',
      notes: `nnU-Net ${configuration}; spacing ${spacing.join(' x ')} mm; folds: ${foldText}`,
    },
    model: {
      file: 'model.onnx',
      sha256,
      input: 'input',
      output: 'output',
      layout: 'NCDHW',
      channels: dataset.labels.length,
    },
    labels,
    preprocessing: {
      mode: 'nnunet',
      orientation: totalseg ? 'RAS' : undefined,
      presample: totalseg ? { spacing } : undefined,
      transpose: plan.transposeForward,
      spacing,
      patch: reversed(plan.patchSize),
      overlap,
      sigmaScale: 0.125,
      mirrorAxes: opts.mirror ? mirrorAllowed : [],
      allowedMirrorAxes: mirrorAllowed,
      batch: 1,
      normalization,
      normalizeInMask: inMask,
      resampling: {
        data: {
          order: plan.resamplingData.order,
          orderZ: plan.resamplingData.orderZ,
          forceSeparateZ: plan.resamplingData.forceSeparateZ,
          anisotropyThreshold: plan.resamplingData.anisotropyThreshold,
        },
        probabilities: {
          order: plan.resamplingProbabilities.order,
          orderZ: plan.resamplingProbabilities.orderZ,
          forceSeparateZ: plan.resamplingProbabilities.forceSeparateZ,
          anisotropyThreshold: plan.resamplingProbabilities.anisotropyThreshold,
        },
      },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  };
  const manifest = parseManifest(manifestJson, `${source} (generated manifest)`);
  if (checkpoints.length > 1) notes.push(`${checkpoints.length} folds: their logits are averaged inside the model`);
  const license = await findLicense(files, folder.root);
  return { onnx: built.bytes, manifest, license, notes };
}

/** A LICENSE/licence file in the result folder or above it, if any (text, at most 64 KiB). */
async function findLicense(files: readonly SourceFile[], root: string): Promise<string | undefined> {
  const near = files
    .filter((f) => /^(licen[cs]e|copying)(\.(txt|md))?$/i.test(baseOf(f.path)) && f.size < 65536)
    .sort(
      (a, b) =>
        Math.abs(dirOf(normalizePath(a.path)).length - root.length) -
        Math.abs(dirOf(normalizePath(b.path)).length - root.length),
    );
  if (!near.length) return undefined;
  return decoder.decode(await near[0].read());
}
