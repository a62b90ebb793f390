/**
 * `npm run models`: regenerate the bundled models in static/models from the project's own code
 * (ONNX bytes, manifest with the ONNX sha256, and the catalogue index.json).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../src/inference/manifest';
import { buildTissueBands } from './ct-tissue-bands';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'static', 'models');

/** Every bundled model built here: id -> builder. */
export const BUNDLED = { 'ct-tissue-bands': buildTissueBands };

/**
 * Bundled models trained by training/ (copied into static/models/<id>/ with their report, see
 * training/README.md; tests/unit/inference/bundled-abdomen.test.ts holds the abdomen model to its
 * bar). Listed first: the app selects the first model of the catalogue.
 */
export const TRAINED: string[] = ['abdomen-phantom'];

export function bundledFiles(): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  for (const [id, build] of Object.entries(BUNDLED)) {
    const { onnx, manifest } = build();
    const full = { ...manifest, model: { ...manifest.model, sha256: createHash('sha256').update(onnx).digest('hex') } };
    parseManifest(full, `${id}/manifest.json`);
    files[`${id}/${manifest.model.file}`] = onnx;
    files[`${id}/manifest.json`] = JSON.stringify(full, null, 2) + '\n';
  }
  files['index.json'] = JSON.stringify({ models: [...TRAINED, ...Object.keys(BUNDLED)] }, null, 2) + '\n';
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [rel, data] of Object.entries(bundledFiles())) {
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    console.log(`wrote static/models/${rel} (${typeof data === 'string' ? data.length : data.byteLength} bytes)`);
  }
}
