/**
 * The bundled brain models in static/models: complete and consistent on their own (manifest,
 * ONNX and pre-model checksums, license, catalogue, size), and exactly what `npm run models`
 * generates from brainchop's zoo when the zoo is at hand.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRAIN_MODELS, brainModelFiles } from '../../../scripts/models/brainchop-zoo';
import { parseManifestText } from '../../../src/inference/manifest';
import { checkModel, checkPreModel, webgpuBlockers } from '../../../src/inference/model-check';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { parseReport } from '../../../src/inference/report';
import { describeShared, repoRoot, sharedPath } from '../helpers/shared';

const out = join(repoRoot, 'static/models');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('bundled brain models', () => {
  it('each folder holds a valid manifest, its ONNX (and pre-model) with matching sha256, the MIT license, and runs on WebGPU', () => {
    let bytes = 0;
    for (const e of BRAIN_MODELS) {
      const dir = join(out, e.id);
      const m = parseManifestText(readFileSync(join(dir, 'manifest.json'), 'utf8'), `${e.id}/manifest.json`);
      expect(m.id).toBe(e.id);
      expect(m.license).toBe('MIT');
      expect(m.intended).toMatchObject({ modality: e.modality, bodyPart: 'HEAD' });
      expect(m.provenance.source).toMatch(new RegExp(`models-list entry ${e.settingsId} `));
      const onnx = new Uint8Array(readFileSync(join(dir, m.model.file)));
      expect(m.model.sha256).toBe(sha(onnx));
      const info = inspectOnnx(onnx, e.id);
      checkModel(info, m, e.id);
      expect(webgpuBlockers(info)).toEqual([]);
      bytes += onnx.length;
      const pre = m.preprocessing.mode === 'whole-volume' ? m.preprocessing.crop?.preModel : undefined;
      if (pre) {
        const p = new Uint8Array(readFileSync(join(dir, pre.file)));
        expect(pre.sha256).toBe(sha(p));
        checkPreModel(inspectOnnx(p, pre.file), pre, pre.file);
        bytes += p.length;
      }
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(
        /^MIT License\n\nCopyright \(c\) 2021 neuroneural\/brainchop/,
      );
      expect(m.postprocessing.largestForeground).toBe(true);
      expect(m.postprocessing.maskedImage).toBe(e.id === 'brainchop-brain-extraction' ? true : undefined);
      if (m.report) expect(parseReport(JSON.parse(readFileSync(join(dir, m.report), 'utf8'))).model.id).toBe(e.id);
    }
    // Everything committed for them (reports included) stays well under the 15 MB budget.
    const onDisk = BRAIN_MODELS.reduce(
      (a, e) =>
        a +
        ['manifest.json', 'model.onnx', 'premodel.onnx', 'LICENSE', 'report.json', 'report.md'].reduce(
          (b, f) => b + size(join(out, e.id, f)),
          0,
        ),
      0,
    );
    expect(onDisk).toBeGreaterThanOrEqual(bytes);
    expect(onDisk).toBeLessThan(15e6);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).models as string[];
    for (const e of BRAIN_MODELS) expect(index).toContain(e.id);
  });

  it('the parcellations crop with the light tissue model, the others with a threshold or the non-zero box', () => {
    const crop = (id: string) => {
      const m = parseManifestText(readFileSync(join(out, id, 'manifest.json'), 'utf8'));
      return m.preprocessing.mode === 'whole-volume' ? m.preprocessing.crop : undefined;
    };
    const light = readFileSync(join(out, 'brainchop-tissue-light/model.onnx'));
    for (const id of ['brainchop-parcellation-50', 'brainchop-atlas-104']) {
      expect(crop(id)?.preModel?.sha256).toBe(sha(light));
      expect(crop(id)?.threshold).toBeUndefined();
    }
    expect(crop('brainchop-brain-extraction')).toEqual({ padding: 20, threshold: 0.5 });
    expect(crop('brainchop-tissue')).toEqual({ padding: 0, threshold: 0.2 });
    expect(crop('brainchop-tissue-light')).toEqual({ padding: 18 });
  });
});

describeShared('models/brainchop-tfjs/models-list.json', 'bundled brain models: regenerated from the zoo', () => {
  it('npm run models gives exactly the committed files', async () => {
    const files = await brainModelFiles(sharedPath('models/brainchop-tfjs'), out);
    expect(files).not.toBeNull();
    expect(Object.keys(files!).length).toBeGreaterThanOrEqual(BRAIN_MODELS.length * 3);
    for (const [rel, data] of Object.entries(files!)) {
      const committed = readFileSync(join(out, rel));
      expect(Buffer.compare(committed, Buffer.from(data)), `static/models/${rel} is stale: run npm run models`).toBe(0);
    }
  });
});

function size(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
