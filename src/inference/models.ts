/**
 * Where models come from: the bundled catalogue (`static/models/index.json` + one folder per model)
 * or files the user picks (an ONNX file + its manifest.json, or a folder holding them).
 * No onnxruntime here: the worker checks the ONNX itself.
 */
import { VoxsegError } from '../core/errors';
import { parseManifestText, type ModelManifest } from './manifest';
import type { ModelBytes } from './protocol';
import { parseReport, type EvalReport } from './report';

export interface ModelEntry {
  manifest: ModelManifest;
  /** Where the ONNX bytes come from. URL entries are fetched by the worker. */
  model: ModelBytes;
  /** The crop pre-model's ONNX, when the manifest names one (`preprocessing.crop.preModel`). */
  preModel?: ModelBytes;
  /** 'imported': converted in the browser (an nnU-Net result folder or zip) and kept there. */
  origin: 'bundled' | 'user' | 'imported';
  /** Evaluation report beside the model (manifest `report`), when it could be read. */
  report?: EvalReport;
}

/** Bundled models: `${base}models/index.json` lists folder ids; each folder has manifest.json. */
export async function listBundledModels(base = './'): Promise<ModelEntry[]> {
  const root = new URL('models/', new URL(base, globalThis.location?.href ?? 'http://localhost/'));
  const res = await fetch(new URL('index.json', root));
  if (!res.ok)
    throw new VoxsegError('not-found', `model catalogue models/index.json could not be read (HTTP ${res.status})`);
  const index = (await res.json()) as { models?: string[] };
  const entries: ModelEntry[] = [];
  for (const id of index.models ?? []) {
    const dir = new URL(`${id}/`, root);
    const r = await fetch(new URL('manifest.json', dir));
    if (!r.ok) throw new VoxsegError('not-found', `models/${id}/manifest.json could not be read (HTTP ${r.status})`);
    const manifest = parseManifestText(await r.text(), `models/${id}/manifest.json`);
    const pre = preModelOf(manifest);
    entries.push({
      manifest,
      model: { url: new URL(manifest.model.file, dir).href },
      ...(pre ? { preModel: { url: new URL(pre.file, dir).href } } : {}),
      origin: 'bundled',
      report: await fetchReport(dir, manifest, id),
    });
  }
  return entries;
}

/** The report a manifest names; a missing or bad one is logged, not fatal (the model still runs). */
async function fetchReport(dir: URL, manifest: ModelManifest, id: string): Promise<EvalReport | undefined> {
  if (!manifest.report) return undefined;
  try {
    const r = await fetch(new URL(manifest.report, dir));
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return parseReport(await r.json(), `models/${id}/${manifest.report}`);
  } catch (err) {
    console.warn(`models/${id}/${manifest.report} could not be read: ${(err as Error).message}`);
    return undefined;
  }
}

/** Minimal file shape shared by browser File and test doubles. */
export interface PickedFile {
  name: string;
  /** Path inside a picked folder, if any (webkitRelativePath). */
  webkitRelativePath?: string;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A model from files the user picked: exactly one manifest (*.json) and the ONNX file it names
 * (matched by file name; a single .onnx file is taken even when names differ).
 */
export async function modelFromFiles(files: readonly PickedFile[]): Promise<ModelEntry> {
  const manifests = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  const onnx = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (manifests.length === 0)
    throw new VoxsegError(
      'invalid-model',
      'no manifest.json among the picked files: pick the model folder, or the .onnx file together with its manifest.json',
    );
  const manifestFile =
    manifests.find((f) => f.name === 'manifest.json') ??
    (manifests.filter((f) => !/report/i.test(f.name)).length === 1
      ? manifests.find((f) => !/report/i.test(f.name))
      : undefined);
  if (!manifestFile)
    throw new VoxsegError(
      'invalid-model',
      `several JSON files were picked (${manifests.map((f) => f.name).join(', ')}) and none is named manifest.json`,
    );
  const manifest = parseManifestText(await manifestFile.text(), manifestFile.name);
  const wanted = manifest.model.file.split('/').pop();
  const pre = preModelOf(manifest);
  const preName = pre?.file.split('/').pop();
  const main = onnx.filter((f) => f.name !== preName);
  const file = main.find((f) => f.name === wanted) ?? (main.length === 1 ? main[0] : undefined);
  if (!file)
    throw new VoxsegError(
      'not-found',
      `the manifest names ${manifest.model.file}, which is not among the picked files`,
      { file: manifestFile.name },
    );
  const preFile = pre ? onnx.find((f) => f.name === preName) : undefined;
  if (pre && !preFile)
    throw new VoxsegError(
      'not-found',
      `the manifest's crop needs the pre-model ${pre.file}, which is not among the picked files: pick the whole model folder`,
      { file: manifestFile.name },
    );
  const reportFile = manifest.report ? manifests.find((f) => f.name === manifest.report) : undefined;
  let report: EvalReport | undefined;
  if (reportFile) {
    try {
      report = parseReport(JSON.parse(await reportFile.text()), reportFile.name);
    } catch (err) {
      console.warn(`${reportFile.name} could not be read: ${(err as Error).message}`);
    }
  }
  return {
    manifest,
    model: { bytes: await file.arrayBuffer() },
    ...(preFile ? { preModel: { bytes: await preFile.arrayBuffer() } } : {}),
    origin: 'user',
    report,
  };
}

function preModelOf(manifest: ModelManifest) {
  return manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.crop?.preModel : undefined;
}

/** Throw when `bytes` do not have the manifest's sha256 (nothing to check when it gives none). */
export async function checkSha256(bytes: Uint8Array, expected: string | undefined, file: string): Promise<void> {
  if (!expected) return;
  const sum = await sha256Hex(bytes);
  if (sum !== expected)
    throw new VoxsegError(
      'invalid-model',
      `sha256 ${sum} does not match the manifest's ${expected} (wrong or damaged file)`,
      { file },
    );
}

/** Hex sha256 of bytes (Web Crypto; available in browsers, workers and Node 20). */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
