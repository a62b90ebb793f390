/**
 * Real DICOM through the UI: (b) a JPEG 2000 CT folder via "Open folder…", (c) two series
 * dropped together, (d) a garbage file next to a good series.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  saveLog,
  screenshotPage,
  viewStats,
  waitShown,
  VIEWS,
  type Browser,
} from './helpers/browser';
import { dropFiles, filesIn, garbageFile } from './helpers/files';

const J2K = 'dicom/ct-abdomen-j2k';
const GE = 'dicom/ct-3slice-ge';
describeBrowser('DICOM in the browser', [J2K, GE], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('(b) opens the J2K CT folder and shows 512x512x20 in all views', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await page.setInputFiles('[data-testid="folder-input"]', sharedPath(J2K));
      await page.waitForSelector('[data-testid="progress"]', { timeout: 30_000 });
      await waitShown(page);
      await screenshotPage(page, 'j2k');
      const rows = page.locator('[data-testid="series-row"]');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('[data-testid="series-dims"]').textContent()).toBe('512×512×20');
      expect(await rows.first().textContent()).toContain('CT');
      // Voxel values decoded by the load workers: HU range and spacing of the reference series.
      expect(await page.locator('[data-testid="sagittal-info"]').textContent()).toBe(
        '-1024 … 1839 HU · 0.977 × 0.977 × 2 mm',
      );
      for (const view of VIEWS) {
        const s = await viewStats(page, view, 'j2k');
        expect.soft(s.foreground, `${view} foreground fraction`).toBeGreaterThan(0.05);
        expect.soft(s.lumaStd, `${view} luminance std`).toBeGreaterThan(8);
      }
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
      // Window presets change the 2D views.
      const before = await viewStats(page, 'axial', 'j2k-soft');
      await page.getByRole('button', { name: 'Lung', exact: true }).click();
      await expect.poll(() => page.locator('[data-testid="view-axial"] .info').textContent()).toBe('W 1500  L -600');
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const lung = await viewStats(page, 'axial', 'j2k-lung');
      expect(
        Math.abs(lung.lumaStd - before.lumaStd) + Math.abs(lung.foreground - before.foreground) * 100,
      ).toBeGreaterThan(1);
    } finally {
      saveLog('j2k', log);
    }
  });

  it('(c) lists two series dropped together', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await dropFiles(page, [...filesIn(sharedPath(J2K)), ...filesIn(sharedPath(GE), (n) => n.endsWith('.dcm'))]);
      await waitShown(page);
      await screenshotPage(page, 'two-series');
      const dims = await page.locator('[data-testid="series-dims"]').allTextContents();
      expect(dims.sort()).toEqual(['512×512×20', '512×512×3']);
      // Switch to the other series by clicking its row.
      await page.locator('[data-testid="series-row"]', { hasText: '512×512×3' }).click();
      await waitShown(page, 2);
      await screenshotPage(page, 'two-series-second');
      expect((await viewStats(page, 'axial', 'two-series-second')).foreground).toBeGreaterThan(0.05);
    } finally {
      saveLog('two-series', log);
    }
  });

  it('(d) names a garbage file in an error banner and still loads the good series', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const garbage = garbageFile('garbage-not-dicom.dcm');
      await page.setInputFiles('[data-testid="file-input"]', [
        ...filesIn(sharedPath(GE), (n) => n.endsWith('.dcm')),
        garbage,
      ]);
      await waitShown(page);
      await screenshotPage(page, 'garbage');
      const banner = page.locator('[data-testid="notices"]');
      await expect.poll(() => banner.textContent()).toContain('garbage-not-dicom.dcm');
      expect(await page.locator('[data-testid="series-row"]').count()).toBe(1);
      expect(await page.locator('[data-testid="rejected"]').textContent()).toContain('garbage-not-dicom.dcm');
      expect((await viewStats(page, 'axial', 'garbage')).foreground).toBeGreaterThan(0.05);
      // The banner can be dismissed.
      await banner.locator('button[aria-label="Dismiss"]').first().click();
      await expect.poll(() => page.locator('[data-testid="notices"]').count()).toBe(0);
    } finally {
      saveLog('garbage', log);
    }
  });
});
