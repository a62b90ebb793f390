/**
 * `vite` dev mode (what developers run): cross-origin isolated, the pre-bundled JPEG 2000
 * decoder works there too (codec entry points in optimizeDeps.include; without them a decode
 * can hang while Vite re-optimizes), and so does the inference worker with onnxruntime-web
 * (excluded from pre-bundling) and its WASM threads.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  saveLog,
  viewStats,
  waitShown,
  type Browser,
} from './helpers/browser';

const J2K = 'dicom/ct-abdomen-j2k';
describeBrowser('vite dev server', [J2K], () => {
  let browser: Browser;
  let server: ViteDevServer;
  let url: string;
  beforeAll(async () => {
    server = await createServer({
      root: repoRoot,
      mode: 'e2e', // with the test hook
      logLevel: 'warn',
      cacheDir: join(repoRoot, '.cache/vite-e2e-dev'),
      server: { host: '127.0.0.1', port: 0 },
    });
    await server.listen();
    url = server.resolvedUrls!.local[0];
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves an isolated page that decodes the J2K CT', async () => {
    const { page, log } = await openApp(browser.context, url);
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.setInputFiles('[data-testid="folder-input"]', sharedPath(J2K));
      await waitShown(page);
      expect(await page.locator('[data-testid="series-dims"]').textContent()).toBe('512×512×20');
      expect((await viewStats(page, 'axial', 'dev-j2k')).foreground).toBeGreaterThan(0.05);

      // The bundled tissue-band model (any CT; the phantom model knows only phantoms) on this real
      // CT, in the dev server's worker.
      await expect.poll(() => page.locator('[data-testid="model-select"] option').count()).toBeGreaterThan(1);
      await page.locator('[data-testid="model-select"]').selectOption('bundled/ct-tissue-bands');
      await page.locator('[data-testid="device-select"]').selectOption('wasm');
      await page.locator('[data-testid="segment-run"]').click();
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
        timeout: 240_000,
      });
      const banner = await page.locator('[data-testid="notices"] .notice.error').allTextContents();
      expect(
        await page.locator('[data-testid="segment-panel"]').getAttribute('data-run'),
        `run; banner: ${banner}`,
      ).toBe('done');
      const labels = await page.evaluate(() => window.__voxsegTest?.labels() ?? null);
      expect(labels?.dims).toEqual([512, 512, 20]);
      const voxels = Buffer.from(labels!.base64, 'base64');
      const bone = voxels.reduce((n, v) => n + (v === 5 ? 1 : 0), 0);
      expect(bone / voxels.length, 'share of voxels labelled bone in an abdominal CT').toBeGreaterThan(0.005);
    } finally {
      saveLog('dev-j2k', log);
    }
  });
});
