/**
 * The newer codecs in the browser, through the load workers and the WASM the build ships: an
 * HTJ2K series (1.2.840.10008.1.2.4.201, written by OpenJPH's own `ojph_compress`) opens with
 * the same voxels as its native source; a series carrying two named windows and a VOI LUT offers
 * them in the top bar's "From the file…" menu, and picking one sets that window. The series are
 * generated here (decode_fixtures.py); skipped without pydicom or ojph_compress.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, openApp, saveLog, waitShown, type Browser } from './helpers/browser';
import { generate, hasTools, readNpy, tempDir } from '../unit/io/dicom/decode-fixtures';

const missing = hasTools('ojph_compress');
const suite = missing ? describe.skip : describe;

suite(`codecs in the browser${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let browser: Browser;
  let out = '';
  beforeAll(async () => {
    out = tempDir('htj2k-e2e');
    generate('htj2k', out);
    generate('lut', out);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('an HTJ2K series decodes in the load workers to the voxels of its native source', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const dir = join(out, 'u12-201');
      await page.setInputFiles(
        '[data-testid="file-input"]',
        readdirSync(dir).map((f) => join(dir, f)),
      );
      await waitShown(page);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
      const shown = await page.evaluate(() => window.__voxsegTest?.volume() ?? null);
      expect(shown?.dims).toEqual([64, 48, 3]);
      const bytes = new Uint8Array(Buffer.from(shown!.base64, 'base64')).buffer; // aligned copy
      const ctor = shown!.dtype === 'int16' ? Int16Array : shown!.dtype === 'float32' ? Float32Array : Uint16Array;
      const voxels = new ctor(bytes);
      const ref = readNpy(join(out, 'ref-u12.npy')).data;
      expect(voxels.length).toBe(ref.length);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) if (voxels[i] !== ref[i]) diff++;
      expect(diff, `voxels differing from the native source (dtype ${shown!.dtype})`).toBe(0);
    } finally {
      saveLog('codecs-htj2k', log);
    }
  }, 300_000);

  it("the file's windows (WindowCenter/Width with explanations, a VOI LUT) are offered and applied", async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const dir = join(out, 'voi');
      await page.setInputFiles(
        '[data-testid="file-input"]',
        readdirSync(dir).map((f) => join(dir, f)),
      );
      await waitShown(page);
      const menu = page.locator('[data-testid="file-window-presets"]');
      const options = (await menu.locator('option').allTextContents()).slice(1);
      expect(options.slice(0, 2)).toEqual(['SOFT (W 400 / L 40)', 'BONE (W 1800 / L 400)']);
      expect(options[2]).toMatch(/RAMP.*table, approximated/);
      const info = page.locator('[data-testid="axial-info"]');
      await menu.selectOption({ index: 2 });
      await expect.poll(() => info.textContent()).toBe('W 1800  L 400');
      await menu.selectOption({ index: 1 });
      await expect.poll(() => info.textContent()).toBe('W 400  L 40');
    } finally {
      saveLog('codecs-windows', log);
    }
  }, 300_000);
});
