/**
 * The built app under `voxseg serve`'s headers (src/cli/serve-server.ts): cross-origin isolated,
 * and no Content-Security-Policy violation while it opens the demo, decodes a JPEG 2000 series
 * (WebAssembly codecs in workers, when the reference data is there) and runs a bundled model on
 * WASM (onnxruntime-web, its worker and WebAssembly). A blocked inline script on the same page
 * proves that violations are seen at all.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve-server';
import { hasShared, sharedPath } from '../unit/helpers/shared';
import { describeBrowser, launchBrowser, repoRoot, saveLog, waitShown, type Browser } from './helpers/browser';

describeBrowser('voxseg serve: the app under its Content-Security-Policy', [], () => {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer({
      root: join(repoRoot, '.cache/e2e-dist'),
      servers: [{ name: 'pacs', url: 'http://127.0.0.1:9/dicom-web', auth: { kind: 'none' } }],
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs without CSP violations: demo, JPEG 2000 decoding, a model on WASM', async () => {
    const page = await browser.context.newPage();
    const log: string[] = [];
    const violations: string[] = [];
    page.on('console', (m) => {
      const text = m.text();
      if (/Content Security Policy|CSP-VIOLATION/.test(text)) violations.push(text);
      if (m.type() === 'error' || m.type() === 'warning') log.push(`[${m.type()}] ${text}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP-VIOLATION ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
    try {
      await page.goto(server.url);
      await waitShown(page);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      const option = page.locator('[data-testid="model-select"] option', { hasText: 'intensity bands' });
      await expect.poll(() => option.count(), { timeout: 60_000 }).toBeGreaterThan(0);
      await page.locator('[data-testid="model-select"]').selectOption((await option.first().getAttribute('value'))!);
      await page.locator('[data-testid="device-select"]').selectOption('wasm');
      await page.locator('[data-testid="segment-run"]').click();
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
        timeout: 300_000,
      });
      expect(await page.locator('[data-testid="segment-panel"]').getAttribute('data-run')).toBe('done');

      if (hasShared('dicom/ct-abdomen-j2k')) {
        const dir = sharedPath('dicom/ct-abdomen-j2k');
        await page.setInputFiles(
          '[data-testid="file-input"]',
          readdirSync(dir).map((f) => join(dir, f)),
        );
        await waitShown(page, 2);
      } else console.log('JPEG 2000 part skipped: reference data ../shared/data/dicom/ct-abdomen-j2k not found');

      expect(violations, 'CSP violations while the app ran').toEqual([]);
      // the policy is enforced and its violations are seen: an inline script is refused
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.append(s);
      });
      await expect.poll(() => violations.length).toBeGreaterThan(0);
      expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
      expect(violations.join('\n')).toMatch(/script-src/);
    } finally {
      saveLog('serve-csp', log);
      await page.close();
    }
  });
});
