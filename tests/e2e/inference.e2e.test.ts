/**
 * The browser inference worker on real data: the MeshNet brain model on t1_crop reproduces its
 * golden argmax through the app (WASM) while the page thread stays free, and a brainchop model converted by voxseg runs on
 * Chromium's WebGPU (software adapter with --enable-unsafe-webgpu; a correctness check, not a
 * speed figure) and agrees with WASM on a cropped input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, expect, inject, it } from 'vitest';
import { importBrainchop } from '../../src/cli/commands/import-model';
import { readNifti, writeNifti } from '../../src/io/nifti/index';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  saveLog,
  screenshotPage,
  waitShown,
  type Browser,
} from './helpers/browser';
import { blockOf, labelsOnWebgpuAndWasm, modelFiles, pageLabels, runModel } from './helpers/models';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-e2e-inference-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Longest delay of a 0 ms timer on the page over `ms` (how long the page thread was blocked):
 * the page must stay responsive while the model runs in the worker.
 */
const pageStall = (page: Page, ms: number) =>
  page.evaluate(async (span) => {
    let worst = 0;
    for (const end = performance.now() + span; performance.now() < end;) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 0));
      worst = Math.max(worst, performance.now() - t0);
    }
    return worst;
  }, ms);

describeBrowser('inference worker on real data', ['models/meshnet-gwm/model.onnx', 'nifti/mr/t1_crop.nii.gz'], () => {
  it('meshnet-gwm on t1_crop in the browser worker (WASM) reproduces the golden argmax', async () => {
    const browser: Browser = await launchBrowser();
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await page.setInputFiles('[data-testid="file-input"]', sharedPath('nifti/mr/t1_crop.nii.gz'));
      await waitShown(page);
      const manifest = readFileSync(join(repoRoot, 'tests/fixtures/models/meshnet-gwm.manifest.json'));
      let stall = Infinity;
      const device = await runModel(
        page,
        [
          { name: 'manifest.json', buffer: manifest },
          { name: 'model.onnx', buffer: readFileSync(sharedPath('models/meshnet-gwm/model.onnx')) },
        ],
        'wasm',
        400_000,
        async () => {
          // While the model itself runs (a 256^3 job of many seconds), the page thread stays free.
          await page.waitForSelector('[data-testid="segment-progress"][aria-label="Running the model"]', {
            timeout: 120_000,
          });
          stall = await pageStall(page, 3000);
        },
      );
      expect(device).toContain('WASM');
      console.log(`longest page-thread stall while the model ran: ${stall.toFixed(1)} ms`);
      expect(stall, 'longest page-thread stall while the model runs (ms)').toBeLessThan(250);
      await screenshotPage(page, 'inference-meshnet-wasm');
      const labels = await pageLabels(page);
      const golden = readNifti(readFileSync(sharedPath('models/meshnet-gwm/t1_crop_model.onnx_argmax.nii.gz'))).voxels;
      expect(labels.length).toBe(golden.length);
      let same = 0;
      for (let n = 0; n < golden.length; n++) if (labels[n] === golden[n]) same++;
      expect(same / golden.length, 'agreement with the golden argmax').toBeGreaterThanOrEqual(0.9999);
    } finally {
      saveLog('inference-meshnet', log);
      await browser.close();
    }
  }, 600_000);
});

describeBrowser('WebGPU path', ['models/brainchop-tfjs/model5_gw_ae/model.json', 'nifti/mr/t1_crop.nii.gz'], () => {
  it('a converted brainchop model runs on WebGPU (software adapter) and agrees with WASM on a cropped input', async () => {
    // The converted model has dynamic spatial dims, so the head crop makes a small input.
    const conv = await importBrainchop(sharedPath('models/brainchop-tfjs/model5_gw_ae'), {
      settingsFile: sharedPath('models/brainchop-tfjs/models-list.json'),
      id: 1,
    });
    const model = modelFiles(conv.manifest, conv.onnx);
    // A 64^3 block of brain from t1_crop as its own NIfTI (same world positions).
    const t1 = readNifti(readFileSync(sharedPath('nifti/mr/t1_crop.nii.gz')));
    const d = 64;
    const crop = blockOf(t1, [96, 96, 96], [d, d, d]);
    const input = join(tmp, 'crop.nii.gz');
    writeFileSync(input, writeNifti(crop, { gzip: true }));

    const { onGpu, onCpu } = await labelsOnWebgpuAndWasm(inject('baseUrl'), model, input, 'inference-webgpu');
    expect(onGpu.length).toBe(d * d * d);
    let same = 0;
    let tissue = 0;
    for (let n = 0; n < onCpu.length; n++) {
      if (onGpu[n] === onCpu[n]) same++;
      if (onCpu[n] > 0) tissue++;
    }
    // (brainchop keeps only the largest connected labelled region, so fragments of the block drop out.)
    expect(tissue, 'grey/white matter found in the block').toBeGreaterThan(0.05 * onCpu.length);
    expect(same / onCpu.length, 'WebGPU vs WASM agreement').toBeGreaterThanOrEqual(0.999);
  }, 900_000);
});
