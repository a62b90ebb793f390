/** `voxseg import-model <brainchop-model-dir | model.json> -o OUT_DIR`: brainchop tfjs model -> ONNX + manifest. */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VoxsegError } from '../../core/errors';
import { convertBrainchop, selectBrainchopSettings, type BrainchopConversion, type BrainchopSource } from '../../inference/brainchop/convert';
import { parseManifest } from '../../inference/manifest';
import { inspectOnnx } from '../../inference/onnx/reader';
import { parse, parseInteger, usage, writeOutput, type Command } from '../util';

const help = `Usage: voxseg import-model <brainchop-model-dir | model.json> -o OUT_DIR
                           [--settings models-list.json] [--id N] [--name NAME]

Convert a brainchop MeshNet model (tfjs layers model.json + weight shards + colormap.json)
into OUT_DIR/model.onnx and OUT_DIR/manifest.json (voxseg-model/1, with the ONNX sha256).

The ONNX model takes 'input' [batch, 1, d, h, w] (voxseg NCDHW layout, dynamic spatial dims
for cropped volumes) and gives 'output' [batch, classes, d, h, w] logits (argmax).

Options:
  -o, --output DIR     output folder (required)
  --settings FILE      brainchop model list (models-list.json from brainchop-parameters.js):
                       transpose, crop, normalization, colormap and type of the model
  --id N               settings entry to use (default: the entry whose path names the model)
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
    throw new VoxsegError(code === 'ENOENT' ? 'not-found' : 'unreadable', code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, { file: path, cause });
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
    for (const g of manifest) for (const p of Array.isArray(g?.paths) ? g.paths : []) shards.set(String(p), await readBytes(join(dir, String(p))));
  const colormaps: Record<string, unknown> = {};
  for (const n of (await readdir(dir)).filter((f) => /^colormap.*\.json$/i.test(f)).sort()) colormaps[n] = await readJson(join(dir, n));
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
  const settings = opts.settingsFile ? selectBrainchopSettings(await readJson(opts.settingsFile), src.modelId, src.modelFile, opts.id) : undefined;
  const result = convertBrainchop(src, { settings, name: opts.name });
  result.manifest.model.sha256 = createHash('sha256').update(result.onnx).digest('hex');
  // Both outputs must pass voxseg's own checks before anything is written.
  inspectOnnx(result.onnx, 'model.onnx');
  parseManifest(JSON.parse(JSON.stringify(result.manifest)), 'manifest.json');
  return result;
}

export const importModelCommand: Command = {
  name: 'import-model',
  summary: 'convert a brainchop tfjs model to ONNX + voxseg manifest',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      settings: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1) throw usage('import-model needs one brainchop model folder or model.json');
    const outDir = values.output;
    if (!outDir) throw usage('import-model needs an output folder: -o DIR');
    const t0 = performance.now();
    const r = await importBrainchop(positionals[0], { settingsFile: values.settings, id: parseInteger(values.id, 'id'), name: values.name });
    const onnxPath = join(outDir, 'model.onnx');
    const manifestPath = join(outDir, 'manifest.json');
    await writeOutput(onnxPath, r.onnx);
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
