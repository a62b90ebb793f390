/**
 * (a) The start-up demo: a phantom generated in the browser, written as DICOM, scanned and
 * loaded through the real loader, is shown in all four views.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
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

describeBrowser('demo phantom', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads at start-up and renders axial, sagittal, coronal and 3D', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      // COOP/COEP from `vite preview` make the page cross-origin isolated (SharedArrayBuffer).
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      // The progress bar shows while the demo is generated / scanned / decoded.
      await page.waitForSelector('[data-testid="progress"]', { timeout: 30_000 });
      // For people reviewing the run; a software-rendered page can be too busy to paint in time.
      await screenshotPage(page, 'demo-progress').catch((e) =>
        console.warn(`demo-progress screenshot skipped: ${e.message.split('\n')[0]}`),
      );
      await waitShown(page);
      await screenshotPage(page, 'demo');
      const rows = page.locator('[data-testid="series-row"]');
      await expect.poll(() => rows.count()).toBe(1);
      for (const view of VIEWS) {
        const s = await viewStats(page, view, 'demo');
        expect.soft(s.foreground, `${view} foreground fraction`).toBeGreaterThan(0.05);
        expect.soft(s.lumaStd, `${view} luminance std`).toBeGreaterThan(8);
      }
      // Orientation letters on the 2D views (radiological convention: patient left on screen right).
      const axial = page.locator('[data-testid="view-axial"]');
      await expect.poll(() => axial.locator('.edge.right').textContent()).toBe('L');
      expect(await axial.locator('.edge.top').textContent()).toBe('A');
      expect(await page.locator('[data-testid="view-coronal"] .edge.top').textContent()).toBe('S');
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);

      // Mouse tools on the axial view: wheel scrolls slices, left drag changes window/level.
      const box = (await axial.locator('.viewport').boundingBox())!;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      const sliceText = () => axial.locator('.slice').textContent();
      const before = await sliceText();
      await page.mouse.move(cx, cy);
      await page.mouse.wheel(0, 300);
      await expect.poll(sliceText).not.toBe(before);
      const info = () => axial.locator('.info').textContent();
      expect(await info()).toBe('W 400  L 40');
      await page.mouse.move(cx - 40, cy - 30);
      await page.mouse.down();
      await page.mouse.move(cx + 40, cy + 30, { steps: 2 }); // each step re-renders all views (slow on SwiftShader)
      await page.mouse.up();
      await expect.poll(info).not.toBe('W 400  L 40');
      // Shift+click moves the crosshairs: the sagittal view changes slice.
      const sag = () => page.locator('[data-testid="view-sagittal"] .slice').textContent();
      const sagBefore = await sag();
      await page.keyboard.down('Shift');
      await page.mouse.click(cx + box.width / 5, cy + box.height / 5); // off the crosshair lines
      await page.keyboard.up('Shift');
      await expect.poll(sag).not.toBe(sagBefore);
      await screenshotPage(page, 'demo-interacted');
    } finally {
      saveLog('demo', log);
    }
  });
});
