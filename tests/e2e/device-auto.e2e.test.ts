/**
 * Device = Auto on a machine without a GPU: Chromium with --enable-unsafe-webgpu offers its
 * software WebGPU adapter (SwiftShader), which runs 3-D networks many times slower than WASM.
 * Auto must see that, run on WASM, say why on the panel, finish within 2× of an explicit WASM run
 * and give the same labels. The bundled tissue-band model on the real CT, one page for everything.
 *
 * What the page's own `navigator.gpu` reports is the reference: with an adapter, the reason must
 * name it as software (or a fallback adapter); without one (a browser built without WebGPU), the
 * reason must say there is none.
 */
import type { Page } from 'playwright-core';
import { expect, inject, it } from 'vitest';
import { sharedPath } from '../unit/helpers/shared';
import { describeBrowser, launchBrowser, openApp, saveLog, screenshotPage, waitShown } from './helpers/browser';
import { pageLabels } from './helpers/models';

/**
 * Run the selected model on `device`. `seconds`: the engine's own time, model load and device
 * choice included (`data-seconds` of the device line); `wall`: click to result on the page.
 */
async function run(page: Page, device: 'auto' | 'wasm'): Promise<{ seconds: number; wall: number; line: string }> {
  await page.locator('[data-testid="device-select"]').selectOption(device);
  // This run is over when the panel is done with a new engine time (or failed).
  const seconds = () =>
    page.evaluate(() => (document.querySelector('[data-testid="run-device"]') as HTMLElement | null)?.dataset.seconds);
  const before = await seconds();
  const t0 = performance.now();
  await page.locator('[data-testid="segment-run"]').click();
  await page.waitForFunction(
    (prev) => {
      const run = (document.querySelector('[data-testid="segment-panel"]') as HTMLElement | null)?.dataset.run;
      const s = (document.querySelector('[data-testid="run-device"]') as HTMLElement | null)?.dataset.seconds;
      return run === 'failed' || (run === 'done' && !!s && s !== prev);
    },
    before,
    { timeout: 120_000, polling: 100 },
  );
  const wall = (performance.now() - t0) / 1000;
  const banner = await page.locator('[data-testid="notices"] .notice.error').allTextContents();
  const panel = page.locator('[data-testid="segment-panel"]');
  expect(await panel.getAttribute('data-run'), `run status; banner: ${banner}`).toBe('done');
  const engine = Number(await seconds());
  expect(engine, "the engine's seconds on the device line").toBeGreaterThan(0);
  const line = await page.locator('[data-testid="run-device"]').textContent();
  return { seconds: engine, wall, line: (line ?? '').trim() };
}

describeBrowser('Device = Auto on a software WebGPU adapter', ['nifti/ct/example_ct.nii.gz'], () => {
  it('runs the tissue-band model on WASM, says why, within 2× of WASM and with the same labels', async () => {
    const browser = await launchBrowser(['--enable-unsafe-webgpu', '--enable-features=Vulkan']);
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const adapter = await page.evaluate(async () => {
        const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        const a = (await gpu?.requestAdapter()) as { info?: Record<string, unknown> } | null | undefined;
        return a ? { fallback: a.info?.isFallbackAdapter, arch: a.info?.architecture, vendor: a.info?.vendor } : null;
      });
      console.log(`page's WebGPU adapter: ${JSON.stringify(adapter)}`);
      await page.setInputFiles('[data-testid="file-input"]', sharedPath('nifti/ct/example_ct.nii.gz'));
      await waitShown(page);
      await expect.poll(() => page.locator('[data-testid="model-select"] option').count()).toBeGreaterThan(1);
      await page.locator('[data-testid="model-select"]').selectOption('bundled/ct-tissue-bands');

      // WASM first: the first run of a page also starts the engine (about a second here), which is
      // not Auto's to pay.
      const wasm = await run(page, 'wasm');
      expect(wasm.line).toMatch(/^WASM, \d+ threads? — the user's choice$/);
      const onWasm = await pageLabels(page);
      // Clear the views, so that the labels read next are surely Auto's.
      await page.locator('[data-testid="overlay-clear"]').click();
      await expect.poll(async () => (await pageLabels(page)).length).toBe(0);
      const auto = await run(page, 'auto');
      await expect.poll(async () => (await pageLabels(page)).length, { timeout: 30_000 }).toBe(onWasm.length);
      const onAuto = await pageLabels(page);
      await screenshotPage(page, 'device-auto');
      expect(auto.line, 'Auto ran on WASM').toMatch(/^WASM, \d+ threads? — /);
      if (adapter) {
        // Chromium's software adapter (SwiftShader, a fallback adapter): the reason names it.
        expect(adapter.arch === 'swiftshader' || adapter.fallback === true, 'a software adapter here').toBe(true);
        expect(auto.line).toMatch(/the WebGPU adapter is (software \(SwiftShader\)|a fallback \(software\) adapter)/);
        if (adapter.arch === 'swiftshader') expect(auto.line).toContain('software (SwiftShader)');
      } else expect(auto.line).toContain('the browser offers no WebGPU adapter');

      const report = (name: string, r: { seconds: number; wall: number; line: string }) =>
        console.log(
          `${name}: ${r.seconds.toFixed(1)} s in the engine, ${r.wall.toFixed(1)} s on the page, "${r.line}"`,
        );
      report('WASM', wasm);
      report('Auto', auto);
      // One run can be slowed by other work on a busy machine (the engine's time is wall-clock): before
      // judging the ratio, run both once more and keep each one's best. A software-adapter run (tens
      // of seconds here against a few) fails both rounds.
      let [autoBest, wasmBest] = [auto.seconds, wasm.seconds];
      if (autoBest > 2 * wasmBest) {
        const [wasm2, auto2] = [await run(page, 'wasm'), await run(page, 'auto')];
        report('WASM again', wasm2);
        report('Auto again', auto2);
        [autoBest, wasmBest] = [Math.min(autoBest, auto2.seconds), Math.min(wasmBest, wasm2.seconds)];
      }
      expect(autoBest, `Auto ${autoBest.toFixed(1)} s vs WASM ${wasmBest.toFixed(1)} s`).toBeLessThanOrEqual(
        2 * wasmBest,
      );
      expect(onAuto.length).toBeGreaterThan(0);
      expect(onAuto.length).toBe(onWasm.length);
      expect(onAuto.equals(onWasm), 'the same label map on Auto and on WASM').toBe(true);
      const labelled = onWasm.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
      expect(labelled, 'the model labelled part of the CT').toBeGreaterThan(0.05 * onWasm.length);
    } finally {
      saveLog('device-auto', log);
      await browser.close();
    }
  }, 300_000);
});
