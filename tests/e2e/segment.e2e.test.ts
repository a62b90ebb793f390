/**
 * The Auto-segment panel and the label overlay: the demo phantom's true labels drawn over the
 * right anatomy in the organ colours, hidden per segment and as a whole, dropped with the study;
 * a bad model manifest reported in the banner while the views keep working; a tiny model loaded
 * from files run in the inference worker (result checked against the true labels), cancelled and
 * run again; and, when a model is bundled, a run with it (Dice against the true labels) and a cancel.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { OnnxGraph } from '../../src/inference/onnx/writer';
import { PHANTOM_LABELS } from '../../src/phantom/labels';
import { dice } from '../../src/volume/metrics';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  resultsDir,
  saveLog,
  screenshotPage,
  viewStats,
  waitShown,
  type Browser,
} from './helpers/browser';
import { decodePng, type Rgba } from './helpers/png';

/** The trained phantom model is shipped (training/README.md); the first model of the catalogue. */
const BUNDLED = existsSync(join(repoRoot, 'static/models/abdomen-phantom/manifest.json'));
const color = (name: string) => PHANTOM_LABELS.find((l) => l.name === name)!.color;

/** Screenshot the axial view (test-results/<name>-axial.png) and decode it. */
async function axialImage(page: Page, name: string): Promise<Rgba> {
  mkdirSync(resultsDir, { recursive: true });
  const png = await page
    .locator('[data-testid="view-axial"] .viewport')
    .screenshot({ path: join(resultsDir, `${name}-axial.png`) });
  return decodePng(png);
}

/**
 * Pixels showing `rgb` blended at `alpha` over some grey (the CT): p = alpha*c + (1-alpha)*g for
 * one g in every channel. Returns how many and their mean position as fractions of the view.
 */
function blendedPixels(
  img: Rgba,
  rgb: readonly number[],
  alpha: number,
  tol = 10,
): { count: number; x: number; y: number } {
  let count = 0,
    sx = 0,
    sy = 0;
  const d = img.data;
  for (let i = 0; i < img.width * img.height; i++) {
    const g0 = (d[4 * i] - alpha * rgb[0]) / (1 - alpha);
    const g1 = (d[4 * i + 1] - alpha * rgb[1]) / (1 - alpha);
    const g2 = (d[4 * i + 2] - alpha * rgb[2]) / (1 - alpha);
    if (Math.max(g0, g1, g2) - Math.min(g0, g1, g2) > tol || Math.min(g0, g1, g2) < -tol) continue;
    count++;
    sx += i % img.width;
    sy += Math.floor(i / img.width);
  }
  return { count, x: count ? sx / count / img.width : NaN, y: count ? sy / count / img.height : NaN };
}

/** Pixels within `tol` of `rgb` in every channel (an opaque overlay). */
function exactPixels(img: Rgba, rgb: readonly number[], tol = 12): { count: number; x: number; y: number } {
  let count = 0,
    sx = 0,
    sy = 0;
  const d = img.data;
  for (let i = 0; i < img.width * img.height; i++) {
    if (
      Math.abs(d[4 * i] - rgb[0]) > tol ||
      Math.abs(d[4 * i + 1] - rgb[1]) > tol ||
      Math.abs(d[4 * i + 2] - rgb[2]) > tol
    )
      continue;
    count++;
    sx += i % img.width;
    sy += Math.floor(i / img.width);
  }
  return { count, x: count ? sx / count / img.width : NaN, y: count ? sy / count / img.height : NaN };
}

/**
 * A tiny "tissue bands" model for the demo CT: a 1x1x1 convolution whose three logits are linear
 * in x = HU/100, so argmax gives 0 below -200 HU (air, fat), 1 from -200 to 300 HU (soft tissue),
 * 2 above 300 HU (bone). Its manifest says MR, to check the modality warning does not block.
 */
function bandsModel(): { manifest: object; onnx: Buffer } {
  const g = new OnnxGraph('bands');
  g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
  g.initializer('w', new Float32Array([-1, 0, 1]), [3, 1, 1, 1, 1]);
  g.initializer('b', new Float32Array([-2, 0, -3]), [3]);
  g.node('Conv', ['input', 'w', 'b'], ['output'], { kernel_shape: [1, 1, 1] });
  g.output('output', 'float32', ['batch', 3, 'd', 'h', 'w']);
  const manifest = {
    schema: 'voxseg-model/1',
    id: 'test-bands',
    name: 'Test bands',
    version: '0.1',
    license: 'MIT',
    description: 'Soft tissue and bone by thresholds, as a 1x1x1 convolution (end-to-end test model).',
    provenance: { source: 'tests/e2e/segment.e2e.test.ts' },
    intended: { modality: ['MR'], bodyPart: 'abdomen' },
    model: { file: 'bands.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 3, expectedSeconds: 5 },
    labels: [
      { value: 1, name: 'soft tissue', color: [230, 120, 60] },
      { value: 2, name: 'bone', color: [80, 160, 255] },
    ],
    preprocessing: {
      mode: 'sliding-window',
      spacing: [1.35, 1.35, 3],
      orientation: 'LPS',
      patch: [128, 128, 32],
      overlap: 0.25,
      blending: 'constant',
      normalization: { kind: 'ct', clip: [-1000, 1000], mean: 0, std: 100 },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  };
  return { manifest, onnx: Buffer.from(g.toBytes({ producer: 'voxseg-e2e' })) };
}

/** Fraction of the voxels labelled `truthValue` in `truth` that `result` labels `value`. */
function agreement(truth: Buffer, truthValue: number, result: Buffer, value: number): number {
  let n = 0,
    hit = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] !== truthValue) continue;
    n++;
    if (result[i] === value) hit++;
  }
  return hit / n;
}

const pageLabels = async (page: Page) =>
  Buffer.from(await page.evaluate(() => window.__voxsegTest?.labels()?.base64 ?? ''), 'base64');
const overlayState = (page: Page) => page.locator('[data-testid="segment-summary"]').getAttribute('data-overlay');
const frames = (page: Page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/**
 * Wait until the page paints quickly again (three frames in a row under 100 ms). A banner
 * resizes the views, and without a GPU the 3D view takes seconds to redraw; screenshots wait.
 */
const settle = (page: Page) =>
  page.evaluate(async () => {
    let quick = 0;
    for (let last = performance.now(), t0 = last; quick < 3 && last - t0 < 120_000;) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      quick = now - last < 100 ? quick + 1 : 0;
      last = now;
    }
  });

describeBrowser('auto-segment panel and label overlay', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the demo true labels over the right anatomy, in the organ colours, and hides them', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      const panel = page.locator('[data-testid="segment-panel"]');
      await expect.poll(() => panel.isVisible()).toBe(true);
      const before = await axialImage(page, 'segment-none');
      expect(blendedPixels(before, color('liver'), 0.5).count, 'liver colour before any overlay').toBeLessThan(50);

      await page.locator('[data-testid="show-truth"]').click();
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
      await frames(page);
      await screenshotPage(page, 'segment-truth');

      // The label map the page holds: the phantom's, on the study's grid.
      const labels = await page.evaluate(() => window.__voxsegTest?.labels() ?? null);
      expect(labels?.dims).toEqual([256, 256, 100]);
      expect(labels?.dtype).toBe('uint8');
      const voxels = Buffer.from(labels!.base64, 'base64');
      expect(voxels.length).toBe(256 * 256 * 100);
      const liverVoxels = voxels.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
      expect(liverVoxels).toBeGreaterThan(10_000);
      // The legend counts the same voxels.
      const liverRow = page.locator('[data-testid="segment-row"][data-value="1"]');
      expect((await liverRow.textContent())?.replace(/\u2009/g, '')).toContain(String(liverVoxels));

      // Half-transparent fill over the CT: liver colour blended with grey, on screen left
      // (patient right, radiological convention), spine at the bottom (posterior).
      const shown = await axialImage(page, 'segment-truth');
      const liver = blendedPixels(shown, color('liver'), 0.5);
      expect(liver.count, 'liver-coloured pixels').toBeGreaterThan(500);
      expect(liver.x, 'liver on screen left').toBeLessThan(0.5);
      const spine = blendedPixels(shown, color('spine'), 0.5);
      expect(spine.count, 'spine-coloured pixels').toBeGreaterThan(100);
      expect(spine.y, 'spine below the middle').toBeGreaterThan(0.5);

      // Opaque fill: the exact segment colours.
      await page.locator('[data-testid="overlay-opacity"]').fill('1');
      await expect
        .poll(async () => exactPixels(await axialImage(page, 'segment-opaque'), color('liver')).count, {
          timeout: 30_000,
        })
        .toBeGreaterThan(500);
      const opaque = await axialImage(page, 'segment-opaque');
      expect(exactPixels(opaque, color('aorta')).count, 'aorta colour').toBeGreaterThan(20);
      expect(exactPixels(opaque, color('spine')).count, 'spine colour').toBeGreaterThan(100);
      await page.locator('[data-testid="overlay-opacity"]').fill('0.5');

      // Hide one segment, then the whole overlay.
      await liverRow.locator('input[type="checkbox"]').uncheck();
      await expect
        .poll(async () => blendedPixels(await axialImage(page, 'segment-no-liver'), color('liver'), 0.5).count, {
          timeout: 30_000,
        })
        .toBeLessThan(50);
      expect(
        blendedPixels(await axialImage(page, 'segment-no-liver'), color('spine'), 0.5).count,
        'spine still shown',
      ).toBeGreaterThan(100);
      await liverRow.locator('input[type="checkbox"]').check();

      await page.locator('[data-testid="overlay-toggle"]').uncheck();
      await expect.poll(() => overlayState(page)).toBe('hidden');
      await frames(page);
      await screenshotPage(page, 'segment-hidden');
      const hidden = await axialImage(page, 'segment-hidden');
      expect(blendedPixels(hidden, color('liver'), 0.5).count, 'liver colour when hidden').toBeLessThan(50);
      expect(blendedPixels(hidden, color('spine'), 0.5).count, 'spine colour when hidden').toBeLessThan(50);

      await page.locator('[data-testid="overlay-toggle"]').check();
      await expect.poll(() => overlayState(page)).toBe('shown');
      await expect
        .poll(async () => blendedPixels(await axialImage(page, 'segment-reshown'), color('liver'), 0.5).count, {
          timeout: 30_000,
        })
        .toBeGreaterThan(500);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);

      // A new study drops the overlay of the old one.
      await page.getByRole('button', { name: 'Demo', exact: true }).click();
      await waitShown(page, 2);
      expect(await page.locator('[data-testid="segment-summary"]').count()).toBe(0);
      expect(await page.evaluate(() => window.__voxsegTest?.labels() ?? null)).toBeNull();
      expect(
        blendedPixels(await axialImage(page, 'segment-new-study'), color('liver'), 0.5).count,
        'liver colour on the new study',
      ).toBeLessThan(50);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('segment', log);
    }
  });

  it('reports a bad model manifest in the banner; the views keep working', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      const manifest = {
        schema: 'voxseg-model/1',
        id: 'broken-model',
        name: 'Broken',
        version: '1',
        license: 'MIT',
        provenance: { source: 'test' },
        intended: { modality: ['CT'], bodyPart: 'abdomen' },
        model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 2 },
        labels: [{ value: 1, name: 'liver', color: [300, 0, 0] }],
        preprocessing: {
          mode: 'sliding-window',
          spacing: [1, 1, 1],
          orientation: 'LPS',
          patch: [32, 32, 32],
          normalization: { kind: 'none' },
        },
        postprocessing: { activation: 'softmax', decision: 'argmax' },
      };
      await page.setInputFiles('[data-testid="model-files-input"]', [
        { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(manifest)) },
        { name: 'model.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from([8, 1, 2, 3]) },
      ]);
      const notice = page.locator('[data-testid="notices"] .notice.error');
      await expect.poll(() => notice.count()).toBe(1);
      await settle(page);
      const text = await notice.textContent();
      expect(text).toContain('Could not load the model');
      expect(text).toContain('manifest.json');
      expect(text).toContain('labels[0].color[0]');
      await screenshotPage(page, 'segment-bad-manifest');

      // Not valid JSON at all.
      await page.setInputFiles('[data-testid="model-files-input"]', [
        { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from('{ "schema": ') },
      ]);
      await expect.poll(() => notice.count()).toBe(2);
      expect(await notice.nth(1).textContent()).toContain('not valid JSON');
      await settle(page);

      // No broken model was added, and the views still render and respond.
      expect(await page.locator('[data-testid="model-select"] option', { hasText: 'Broken' }).count()).toBe(0);
      for (const view of ['axial', 'coronal'] as const) {
        const s = await viewStats(page, view, 'segment-bad-manifest');
        expect.soft(s.foreground, `${view} foreground fraction`).toBeGreaterThan(0.05);
      }
      const axial = page.locator('[data-testid="view-axial"]');
      const box = (await axial.locator('.viewport').boundingBox())!;
      const slice = () => axial.locator('.slice').textContent();
      const first = await slice();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, 300);
      await expect.poll(slice).not.toBe(first);
    } finally {
      saveLog('segment-bad-manifest', log);
    }
  });

  it('runs a model loaded from files in the worker, shows the result on the right voxels, cancels and runs again', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      const panel = page.locator('[data-testid="segment-panel"]');
      // The true labels first, to compare the model's output with.
      await page.locator('[data-testid="show-truth"]').click();
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
      const truth = await pageLabels(page);

      const { manifest, onnx } = bandsModel();
      await page.setInputFiles('[data-testid="model-files-input"]', [
        { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(manifest)) },
        { name: 'bands.onnx', mimeType: 'application/octet-stream', buffer: onnx },
      ]);
      const card = page.locator('[data-testid="model-card"]');
      await expect.poll(() => card.textContent()).toContain('Test bands');
      expect(await card.textContent()).toContain('soft tissue');
      // Meant for MR, the study is CT: a warning, and Run stays enabled.
      const fit = page.locator('[data-testid="model-fit"]');
      expect(await fit.getAttribute('data-fits')).toBe('false');
      expect(await fit.textContent()).toContain('This model is for MRI; the study is a CT.');
      await page.locator('[data-testid="device-select"]').selectOption('wasm');
      await page.locator('[data-testid="segment-run"]').click();
      await screenshotPage(page, 'segment-user-model-running').catch((e) =>
        console.warn(`running screenshot skipped: ${e.message.split('\n')[0]}`),
      );
      // The model itself takes seconds; most of the wait is the engine starting on a busy machine.
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
        timeout: 120_000,
      });
      const notices = page.locator('[data-testid="notices"] .notice.error');
      expect(await panel.getAttribute('data-run'), `run status; banner: ${await notices.allTextContents()}`).toBe(
        'done',
      );
      expect(await page.locator('[data-testid="segment-device"]').textContent()).toContain('WASM');
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 60_000 });
      const summary = await page.locator('[data-testid="segment-summary"]').textContent();
      expect(summary).toContain('Test bands 0.1');
      expect(summary).toMatch(/ s on WASM/);
      await frames(page);
      await screenshotPage(page, 'segment-user-model');

      // The result lies on the study's voxels: organs are soft tissue, the spine is bone.
      const result = await pageLabels(page);
      expect(result.length).toBe(truth.length);
      expect(agreement(truth, 1, result, 1), 'liver labelled soft tissue').toBeGreaterThan(0.95);
      expect(agreement(truth, 6, result, 2), 'spine labelled bone').toBeGreaterThan(0.6);
      expect(agreement(truth, 7, result, 0), 'lungs labelled background').toBeGreaterThan(0.95);
      const img = await axialImage(page, 'segment-user-model');
      expect(blendedPixels(img, [230, 120, 60], 0.5).count, 'soft-tissue colour').toBeGreaterThan(500);

      // Cancel a second run: the worker stops at once, the panel says so, the result stays.
      await page.locator('[data-testid="segment-run"]').click();
      // dispatchEvent: no wait for the button to be "stable"; the run may end before a real click lands.
      await page.locator('[data-testid="segment-cancel"]').dispatchEvent('click');
      await expect.poll(() => panel.getAttribute('data-run')).toBe('cancelled');
      expect(await page.locator('[data-testid="segment-progress"]').count()).toBe(0);
      expect(await overlayState(page)).toBe('shown');
      // A run after a cancel gets a fresh worker (and the model bytes again).
      await page.locator('[data-testid="segment-run"]').click();
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
        timeout: 120_000,
      });
      expect(await panel.getAttribute('data-run'), `second run; banner: ${await notices.allTextContents()}`).toBe(
        'done',
      );
      expect(await notices.count()).toBe(0);
    } finally {
      saveLog('segment-user-model', log);
    }
  });

  it.skipIf(!BUNDLED)(
    'runs the bundled model on the demo (Dice >= 0.90 per organ), shows the result, and cancels a second run',
    async () => {
      const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
      try {
        await waitShown(page);
        const panel = page.locator('[data-testid="segment-panel"]');
        // The true labels first, to score the model's output against.
        await page.locator('[data-testid="show-truth"]').click();
        await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
        const truth = await pageLabels(page);
        await expect.poll(() => page.locator('[data-testid="model-select"] option').count()).toBeGreaterThan(0);
        const card = page.locator('[data-testid="model-card"]');
        await expect.poll(() => card.isVisible()).toBe(true);
        // The first model of the catalogue is the trained phantom model; its card says what it is
        // for and shows its report, a row per organ.
        const cardText = (await card.textContent()) ?? '';
        expect(cardText).toContain('Abdominal organs');
        expect(cardText).toContain('synthetic');
        await expect.poll(() => page.locator('[data-testid="model-report-row"]').count()).toBe(PHANTOM_LABELS.length);
        await page.locator('[data-testid="device-select"]').selectOption('wasm');
        await page.locator('[data-testid="segment-run"]').click();
        await page.waitForSelector('[data-testid="segment-progress"]', { timeout: 30_000 });
        await screenshotPage(page, 'segment-running');
        await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
          timeout: 240_000,
        });
        expect(await panel.getAttribute('data-run'), 'run status').toBe('done');
        expect(await page.locator('[data-testid="segment-device"]').textContent()).toContain('WASM');
        await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 60_000 });
        await frames(page);
        await screenshotPage(page, 'segment-model');
        await axialImage(page, 'segment-model');
        expect(await page.locator('[data-testid="segment-summary"]').textContent()).toMatch(/ s on WASM/);
        const labels = await page.evaluate(() => window.__voxsegTest?.labels() ?? null);
        expect(labels?.dims).toEqual([256, 256, 100]);
        // What the user gets in the browser is as good as what Node measures (tests/unit/inference/bundled-abdomen).
        const result = Buffer.from(labels!.base64, 'base64');
        expect(result.length).toBe(truth.length);
        for (const l of PHANTOM_LABELS)
          expect(dice(truth, l.value, result, l.value), `Dice of ${l.name}`).toBeGreaterThanOrEqual(0.9);

        // A second run, cancelled: the worker stops, the panel says so, the overlay stays.
        // Run and cancel from inside the page: a second run reuses the compiled model and can finish
        // before an outside click on Cancel lands (the button is gone then).
        const cancelled = await page.evaluate(async () => {
          document.querySelector<HTMLButtonElement>('[data-testid="segment-run"]')!.click();
          for (let i = 0; i < 200; i++) {
            const cancel = document.querySelector<HTMLButtonElement>('[data-testid="segment-cancel"]');
            if (cancel) {
              cancel.click();
              return true;
            }
            await new Promise((r) => setTimeout(r, 5));
          }
          return false;
        });
        expect(cancelled, 'the Cancel button showed while the run started').toBe(true);
        await expect.poll(() => panel.getAttribute('data-run')).toBe('cancelled');
        expect(await page.locator('[data-testid="segment-progress"]').count()).toBe(0);
        expect(await overlayState(page)).toBe('shown');
        expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
      } finally {
        saveLog('segment-model', log);
      }
    },
  );
});
