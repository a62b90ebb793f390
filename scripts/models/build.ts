/**
 * `npm run models`: regenerate the bundled models in static/models from the project's own code
 * (ONNX bytes, manifest with the ONNX sha256, and the catalogue index.json): the hand-built CT
 * demo model, and brainchop's brain models converted from its tfjs zoo (brainchop-zoo.ts; kept
 * as committed when the zoo is not at hand).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../src/inference/manifest';
import { BRAIN_MODELS, brainModelFiles, brainchopZoo, committedBrainModels } from './brainchop-zoo';
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

/** Files of the models built from code alone (no brain models), index.json included. */
export function bundledFiles(brain: string[] = committedBrainModels(out)): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = {};
  for (const [id, build] of Object.entries(BUNDLED)) {
    const { onnx, manifest } = build();
    const full = { ...manifest, model: { ...manifest.model, sha256: createHash('sha256').update(onnx).digest('hex') } };
    parseManifest(full, `${id}/manifest.json`);
    files[`${id}/${manifest.model.file}`] = onnx;
    files[`${id}/manifest.json`] = JSON.stringify(full, null, 2) + '\n';
  }
  files['index.json'] = JSON.stringify({ models: [...TRAINED, ...Object.keys(BUNDLED), ...brain] }, null, 2) + '\n';
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const zoo = brainchopZoo(root);
  const brain = await brainModelFiles(zoo, out);
  if (!brain) console.log(`brainchop zoo not found at ${zoo}: keeping the committed brain models`);
  const files = brain ? { ...brain, ...bundledFiles(BRAIN_MODELS.map((e) => e.id)) } : bundledFiles();
  for (const [rel, data] of Object.entries(files)) {
    const path = join(out, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    console.log(`wrote static/models/${rel} (${typeof data === 'string' ? data.length : data.byteLength} bytes)`);
  }
}
