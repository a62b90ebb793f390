/** `voxseg import-model <brainchop-model-dir | model.json> -o OUT_DIR`: brainchop tfjs model -> ONNX + manifest. */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VoxsegError } from '../../core/errors';
import {
  convertBrainchop,
  selectBrainchopSettings,
  type BrainchopConversion,
  type BrainchopSettings,
  type BrainchopSource,
} from '../../inference/brainchop/convert';
import { parseManifest } from '../../inference/manifest';
import { inspectOnnx } from '../../inference/onnx/reader';
import { importNnunet } from '../../inference/nnunet/import';
import { nnunetSourceFiles } from '../nnunet-source';
import { parse, parseInteger, usage, writeOutput, type CliIO, type Command } from '../util';

const help = `Usage: voxseg import-model <brainchop-model-dir | model.json> -o OUT_DIR
                           [--settings models-list.json] [--id N] [--name NAME]
       voxseg import-model --nnunet <RESULT_DIR | weights.zip> -o OUT_DIR
                           [--folds 0,1,...|all] [--checkpoint final|best] [--half] [--mirror]

--nnunet: convert an nnU-Net v2 result folder (DatasetNNN_Name/<Trainer>__<Plans>__<config>/
with plans.json, dataset.json, fold_K/checkpoint_final.pth), or the zip it is published in
(e.g. TotalSegmentator's weight releases), into OUT_DIR/model.onnx + manifest.json (+ LICENSE.txt
when the folder has one). Predictions follow nnU-Net's own predictor (resampling, normalization,
sliding window with Gaussian weights, fold averaging); TotalSegmentator models also get its
canonical orientation and resampling steps. PlainConvUNet and ResidualEncoderUNet, 3-D only.
  --folds LIST         folds to import (default: all present); logits are averaged over them
  --checkpoint WHICH   checkpoint_final.pth (default) or checkpoint_best.pth
  --half               store the weights as float16 (half the size)
  --mirror             mirroring test-time augmentation on the allowed axes (up to 8x slower)

Convert a brainchop MeshNet model (tfjs layers model.json + weight shards + colormap.json)
into OUT_DIR/model.onnx and OUT_DIR/manifest.json (voxseg-model/1, with the ONNX sha256).

The ONNX model takes 'input' [batch, 1, d, h, w] (voxseg NCDHW layout, dynamic spatial dims
for cropped volumes) and gives 'output' [batch, classes, d, h, w] logits (argmax).

Options:
  -o, --output DIR     output folder (required)
  --settings FILE      brainchop model list (models-list.json from brainchop-parameters.js):
                       transpose, crop, normalization, colormap and type of the model
  --id N               settings entry to use (default: the entry whose path names the model);
                       an entry with a preModelId also converts that model (found beside the
                       settings file, as brainchop lays out its models) into premodel.onnx
  --name NAME          display name in the manifest
  -h, --help           show this help

Without --settings the model is taken as brainchop's defaults: transposed input, cropping with
no padding, min-max normalization (quantile when model.json says so), labels from the
colormap whose size matches the output channels.
`;

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new VoxsegError(
      code === 'ENOENT' ? 'not-found' : 'unreadable',
      code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`,
      { file: path, cause },
    );
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(path));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new VoxsegError('invalid-model', `not valid JSON (${(err as Error).message})`, { file: path });
  }
}

/** Read a brainchop model folder (or its model.json): topology, weight shards and colormaps. */
export async function loadBrainchopModel(path: string): Promise<BrainchopSource & { modelFile: string }> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new VoxsegError('not-found', 'no such file or folder', { file: path, cause });
  }
  const jsonPath = info.isDirectory() ? join(path, 'model.json') : path;
  const dir = dirname(jsonPath);
  const modelJson = await readJson(jsonPath);
  const manifest = (modelJson as { weightsManifest?: { paths?: unknown }[] })?.weightsManifest;
  const shards = new Map<string, Uint8Array>();
  if (Array.isArray(manifest))
    for (const g of manifest)
      for (const p of Array.isArray(g?.paths) ? g.paths : [])
        shards.set(String(p), await readBytes(join(dir, String(p))));
  const colormaps: Record<string, unknown> = {};
  for (const n of (await readdir(dir)).filter((f) => /^colormap.*\.json$/i.test(f)).sort())
    colormaps[n] = await readJson(join(dir, n));
  return {
    modelJson,
    shard: (p) => shards.get(p) ?? new Uint8Array(0),
    colormaps,
    modelId: basename(dir),
    file: jsonPath,
    modelFile: basename(jsonPath),
  };
}

/** Load, convert and check a brainchop model (the manifest gets the ONNX sha256). */
export async function importBrainchop(
  path: string,
  opts: { settingsFile?: string; id?: number; name?: string } = {},
): Promise<BrainchopConversion> {
  const src = await loadBrainchopModel(path);
  if (opts.id !== undefined && !opts.settingsFile) throw usage('--id needs --settings');
  const list = opts.settingsFile ? await readJson(opts.settingsFile) : undefined;
  const settings = opts.settingsFile ? selectBrainchopSettings(list, src.modelId, src.modelFile, opts.id) : undefined;
  const preModel = settings?.preModelId ? await loadPreModel(list, settings.preModelId, opts.settingsFile!) : undefined;
  const postProcess = (list as { brainChopOpts?: { isPostProcessEnable?: boolean } } | undefined)?.brainChopOpts
    ?.isPostProcessEnable;
  const result = convertBrainchop(src, { settings, name: opts.name, preModel, postProcess });
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  result.manifest.model.sha256 = sha(result.onnx);
  const crop = result.manifest.preprocessing.mode === 'whole-volume' ? result.manifest.preprocessing.crop : undefined;
  if (result.preModel && crop?.preModel) {
    crop.preModel.sha256 = sha(result.preModel.onnx);
    inspectOnnx(result.preModel.onnx, result.preModel.file);
  }
  // Both outputs must pass voxseg's own checks before anything is written.
  inspectOnnx(result.onnx, 'model.onnx');
  parseManifest(JSON.parse(JSON.stringify(result.manifest)), 'manifest.json');
  return result;
}

/**
 * The pre-model a settings entry names (`preModelId`): its entry's path (e.g.
 * "/models/model5_gw_ae/model.json") is looked up as <folder>/model.json beside the settings file,
 * as brainchop's model zoo is laid out.
 */
async function loadPreModel(
  list: unknown,
  id: number,
  settingsFile: string,
): Promise<{ src: BrainchopSource; settings: BrainchopSettings }> {
  const settings = selectBrainchopSettings(list, '', 'model.json', id);
  const parts = String(settings.path ?? '')
    .split('/')
    .filter(Boolean);
  if (parts.length < 2)
    throw new VoxsegError('invalid-model', `settings entry ${id} (the pre-model) has no model path`, {
      file: settingsFile,
    });
  const folder = join(dirname(settingsFile), parts[parts.length - 2], parts[parts.length - 1]);
  return { src: await loadBrainchopModel(folder), settings };
}

export const importModelCommand: Command = {
  name: 'import-model',
  summary: 'convert a brainchop tfjs model or an nnU-Net v2 result folder/zip to ONNX + voxseg manifest',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      settings: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      nnunet: { type: 'boolean' },
      folds: { type: 'string' },
      checkpoint: { type: 'string' },
      half: { type: 'boolean' },
      mirror: { type: 'boolean' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1)
      throw usage(
        values.nnunet
          ? 'import-model --nnunet needs one result folder or zip'
          : 'import-model needs one brainchop model folder or model.json',
      );
    const outDir = values.output;
    if (!outDir) throw usage('import-model needs an output folder: -o DIR');
    const t0 = performance.now();
    if (values.nnunet) return runNnunetImport(positionals[0], outDir, values, io, t0);
    const r = await importBrainchop(positionals[0], {
      settingsFile: values.settings,
      id: parseInteger(values.id, 'id'),
      name: values.name,
    });
    const onnxPath = join(outDir, 'model.onnx');
    const manifestPath = join(outDir, 'manifest.json');
    await writeOutput(onnxPath, r.onnx);
    if (r.preModel) await writeOutput(join(outDir, r.preModel.file), r.preModel.onnx);
    await writeOutput(manifestPath, JSON.stringify(r.manifest, null, 2) + '\n');
    const s = r.summary;
    io.out(
      `${r.manifest.id}: ${s.layers} layers (${s.convolutions} Conv3D), ${s.parameters.toLocaleString('en-US')} parameters, ${s.classes} classes` +
        ` -> ${onnxPath} (${(r.onnx.length / 1024).toFixed(0)} KiB), ${manifestPath}\n`,
    );
    for (const n of s.notes) io.err(`note: ${n}\n`);
    io.err(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};

function parseFolds(text: string | undefined): (number | 'all')[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((f) => {
    const t = f.trim();
    if (t === 'all') return 'all';
    if (!/^\d+$/.test(t)) throw usage(`--folds needs fold numbers like 0,1,2 (or all), got ${JSON.stringify(text)}`);
    return Number(t);
  });
}

async function runNnunetImport(
  input: string,
  outDir: string,
  values: { folds?: string; checkpoint?: string; half?: boolean; mirror?: boolean; name?: string },
  io: CliIO,
  t0: number,
): Promise<number> {
  const checkpoint = values.checkpoint ?? 'final';
  if (checkpoint !== 'final' && checkpoint !== 'best')
    throw usage(`--checkpoint must be final or best, got ${JSON.stringify(checkpoint)}`);
  const files = await nnunetSourceFiles(input);
  let last = '';
  const r = await importNnunet(files, input, {
    folds: parseFolds(values.folds),
    checkpoint,
    half: values.half,
    mirror: values.mirror,
    onProgress: (stage) => {
      if (stage !== last) io.err(`${stage}\n`);
      last = stage;
    },
  });
  inspectOnnx(r.onnx, 'model.onnx');
  const onnxPath = join(outDir, 'model.onnx');
  const manifestPath = join(outDir, 'manifest.json');
  await writeOutput(onnxPath, r.onnx);
  if (r.license) await writeOutput(join(outDir, 'LICENSE.txt'), r.license);
  await writeOutput(manifestPath, JSON.stringify(r.manifest, null, 2) + '\n');
  io.out(
    `${r.manifest.id}: ${r.manifest.labels.length} labels, ${r.manifest.provenance.training} -> ${onnxPath} (${(r.onnx.length / 2 ** 20).toFixed(1)} MiB), ${manifestPath}\n`,
  );
  for (const n of r.notes) io.err(`note: ${n}\n`);
  io.err(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}
