/**
 * The inference memory budget (inference/budget.ts): hostile manifests (a 512^3 or 1024^3 patch,
 * batch 64, a 1200^3 conform grid) are refused with the estimate and the budget, while every
 * bundled model fits the browser's budget. The estimate is checked against an analytic floor: it
 * can never be below the float32 input and output tensors the runtime must hold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUDGET, checkMemoryBudget, manifestMemoryNeed } from '../../../src/inference/budget';
import { parseManifest, type ModelManifest } from '../../../src/inference/manifest';
import { onnxCost } from '../../../src/inference/onnx/cost';
import { nonFiniteNote, withFiniteVoxels } from '../../../src/inference/finite';
import { sessionError } from '../../../src/inference/session-error';
import { createVolume } from '../../../src/volume/volume';
import { repoRoot } from '../helpers/shared';

const MODELS = join(repoRoot, 'static', 'models');

function bundled(id: string): { manifest: ModelManifest; raw: Record<string, unknown> } {
  const raw = JSON.parse(readFileSync(join(MODELS, id, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  return { manifest: parseManifest(raw, `${id}/manifest.json`), raw };
}

function variant(id: string, pre: Record<string, unknown>): ModelManifest {
  const { raw } = bundled(id);
  return parseManifest({ ...raw, preprocessing: { ...(raw.preprocessing as object), ...pre } }, 'model.json');
}

describe('memory budget', () => {
  it('every bundled model fits the browser budget', () => {
    const ids = (JSON.parse(readFileSync(join(MODELS, 'index.json'), 'utf8')) as { models: string[] }).models;
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) {
      const { manifest } = bundled(id);
      const cost = onnxCost(readFileSync(join(MODELS, id, manifest.model.file)));
      const need = checkMemoryBudget(manifest, BROWSER_BUDGET, id, { firstStageChannels: cost.firstConvChannels });
      expect(need.bytes, id).toBeLessThan(BROWSER_BUDGET);
    }
  });

  it('a 1024^3 patch is refused with the estimate and the budget', () => {
    const m = variant('ct-tissue-bands', { patch: [1024, 1024, 1024], batch: 1 });
    const floor = 1024 ** 3 * 4 * (1 + 6); // float32 input + 6-channel output
    expect(manifestMemoryNeed(m).bytes).toBeGreaterThanOrEqual(floor);
    expect(() => checkMemoryBudget(m, 8e9, 'model.json', { hint: 'change it with --memory-budget' })).toThrow(
      /^model\.json: a 1024×1024×1024 patch with 6 output channels needs about \d+ GB \(input and output tensors 30 GB, activations \(2×16 channels\) \d+ GB\), more than the 8\.0 GB memory budget \(change it with --memory-budget\)$/,
    );
  });

  it('a 512^3 patch, batch 64 and a 1200^3 conform grid are refused; the bundled sizes pass', () => {
    const budget = 8e9;
    expect(() => checkMemoryBudget(variant('ct-tissue-bands', { patch: [512, 512, 512] }), budget, 'm')).toThrow(
      /a 512×512×512 patch in batches of 2/,
    );
    expect(() =>
      checkMemoryBudget(variant('ct-tissue-bands', { batch: 64, patch: [128, 128, 128] }), budget, 'm'),
    ).toThrow(/a 128×128×128 patch in batches of 64 with 6 output channels needs about/);
    // the graph's fixed batch dim caps the manifest's batch, as the pipeline does
    expect(
      checkMemoryBudget(variant('ct-tissue-bands', { batch: 64, patch: [128, 128, 128] }), budget, 'm', {
        graphBatch: 1,
      }).bytes,
    ).toBeLessThan(budget);
    const conform = (dims: number[]) => ({ conform: { dims, spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' } });
    const huge = variant('brainchop-tissue', conform([1200, 1200, 1200]));
    expect(() => checkMemoryBudget(huge, budget, 'm')).toThrow(/a 1200×1200×1200 conform grid needs about/);
    // even cropped (a quarter of the grid assumed), 1200^3 does not fit
    const cropped = variant('brainchop-brain-extraction', conform([1200, 1200, 1200]));
    expect(() => checkMemoryBudget(cropped, budget, 'm')).toThrow(/conformed and normalized image 8\.6 GB/);
    expect(checkMemoryBudget(variant('brainchop-tissue', conform([256, 256, 256])), budget, 'm').bytes).toBeLessThan(
      budget,
    );
  });
});

describe('non-finite voxels before inference', () => {
  it('are counted and replaced with the finite minimum; an all-NaN image is refused', () => {
    const v = new Float32Array([5, NaN, -3, Infinity, 7, -Infinity, 2, 1]);
    const vol = createVolume({ dims: [2, 2, 2], voxels: v });
    expect(nonFiniteNote(vol)).toBe(
      '3 of 8 voxels are NaN or infinite; replaced with the image minimum (-3) before inference',
    );
    const r = withFiniteVoxels(vol);
    expect(Array.from(r.volume.voxels)).toEqual([5, -3, -3, -3, 7, -3, 2, 1]);
    expect(Number.isNaN(vol.voxels[1])).toBe(true); // the input is not changed
    const nan = createVolume({ dims: [2, 1, 1], voxels: new Float32Array([NaN, NaN]) });
    expect(() => withFiniteVoxels(nan)).toThrow(/every voxel is NaN or infinite/);
    expect(nonFiniteNote(createVolume({ dims: [2, 1, 1], voxels: new Int16Array(2) }))).toBeUndefined();
  });
});

describe('ONNX runtime errors', () => {
  it('name the file and the cause', () => {
    expect(sessionError(new Error('Failed to load model because protobuf parsing failed.'), 'model.onnx').message).toBe(
      'model.onnx: not a valid ONNX model (protobuf parsing failed)',
    );
    const native = new Error(
      '/onnxruntime_src/onnxruntime/core/graph/model.cc:197 onnxruntime::Model::Model(onnx::ModelProto&&, const onnxruntime::PathString&) Missing model IR version.\n',
    );
    expect(sessionError(native, 'm.onnx').message).toBe('m.onnx: not a valid ONNX model (Missing model IR version)');
    expect(sessionError(new RangeError('Array buffer allocation failed'), 'm.onnx').code).toBe('out-of-memory');
  });
});
