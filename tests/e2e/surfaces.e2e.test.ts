/**
 * The 3D surfaces of the demo phantom's true labels: meshed in the mesh worker, shown in the 3D
 * view and screenshot from two camera presets (anterior, posterior) (the organs must show in their own colours, on the
 * correct side), saved as a PNG and exported as one STL holding every segment.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PHANTOM_LABELS } from '../../src/phantom/labels';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  resultsDir,
  saveLog,
  screenshotPage,
  waitShown,
  type Browser,
} from './helpers/browser';
import { decodePng, type Rgba } from './helpers/png';

/**
 * Pixels per label, classified by colour: lighting scales a surface's colour, so compare
 * chromaticity (each channel over the sum) with every label's, nearest within a tolerance.
 * Returns count and mean position (fractions of the image) per label name.
 */
function organPixels(img: Rgba): Map<string, { count: number; x: number; y: number }> {
  const chroma = (r: number, g: number, b: number) => [r / (r + g + b), g / (r + g + b), b / (r + g + b)];
  const refs = PHANTOM_LABELS.map((l) => ({ name: l.name, c: chroma(...l.color) }));
  const acc = new Map<string, { count: number; sx: number; sy: number }>();
  const d = img.data;
  for (let i = 0; i < img.width * img.height; i++) {
    const r = d[4 * i],
      g = d[4 * i + 1],
      b = d[4 * i + 2];
    if (r + g + b < 90) continue; // background and deep shadow
    const c = chroma(r, g, b);
    let best = '',
      bestD = 0.035;
    for (const ref of refs) {
      const dist = Math.hypot(c[0] - ref.c[0], c[1] - ref.c[1], c[2] - ref.c[2]);
      if (dist < bestD) [best, bestD] = [ref.name, dist];
    }
    if (!best) continue;
    const a = acc.get(best) ?? { count: 0, sx: 0, sy: 0 };
    a.count++;
    a.sx += i % img.width;
    a.sy += Math.floor(i / img.width);
    acc.set(best, a);
  }
  const out = new Map<string, { count: number; x: number; y: number }>();
  for (const [name, a] of acc)
    out.set(name, { count: a.count, x: a.sx / a.count / img.width, y: a.sy / a.count / img.height });
  return out;
}

async function view3d(page: Page, name: string): Promise<Rgba> {
  mkdirSync(resultsDir, { recursive: true });
  const png = await page
    .locator('[data-testid="view-volume3d"] .viewport')
    .screenshot({ path: join(resultsDir, `${name}-volume3d.png`) });
  return decodePng(png);
}

const frames = (page: Page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describeBrowser('3D surfaces of a label map', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('meshes the demo true labels, shows distinct organs from two camera presets, saves PNG and STL', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      await page.locator('[data-testid="show-truth"]').click();
      await page.waitForSelector('[data-testid="surface-panel"][data-status="shown"]', { timeout: 180_000 });
      const rows = page.locator('[data-testid="surface-row"]');
      expect(await rows.count()).toBe(PHANTOM_LABELS.length);

      await page.locator('[data-testid="camera-anterior"]').click();
      await frames(page);
      await screenshotPage(page, 'surfaces-anterior');
      const front = organPixels(await view3d(page, 'surfaces-anterior'));
      await page.locator('[data-testid="camera-posterior"]').click();
      await frames(page);
      const top = organPixels(await view3d(page, 'surfaces-posterior'));
      const summary = (m: Map<string, { count: number; x: number }>) =>
        [...m].map(([n, v]) => `${n}:${v.count}@${v.x.toFixed(2)}`).join(' ');
      const visible = (m: Map<string, { count: number }>) => [...m].filter(([, v]) => v.count > 300).map(([n]) => n);
      // Several organs, each in its own colour, from both sides.
      expect(visible(front).length, summary(front)).toBeGreaterThanOrEqual(4);
      expect(visible(top).length, summary(top)).toBeGreaterThanOrEqual(4);
      for (const organ of ['liver', 'spleen']) {
        expect(front.get(organ)?.count ?? 0, `${organ} from the front: ${summary(front)}`).toBeGreaterThan(300);
        expect(top.get(organ)?.count ?? 0, `${organ} from behind: ${summary(top)}`).toBeGreaterThan(300);
      }
      // Seen from the front the patient's right (liver) is on the screen's left; from behind it is
      // on the screen's right.
      expect(front.get('liver')!.x).toBeLessThan(front.get('spleen')!.x);
      expect(top.get('liver')!.x).toBeGreaterThan(top.get('spleen')!.x);

      // PNG screenshot of the 3D view, through the browser's download.
      const [png] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-testid="surface-screenshot"]').click(),
      ]);
      expect(png.suggestedFilename()).toBe('voxseg-3d.png');
      const pngBytes = readFileSync((await png.path())!);
      expect([...pngBytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
      expect(decodePng(pngBytes).width).toBeGreaterThan(100);

      // One binary STL with every segment: its triangle count is the panel's total.
      const total = Number(
        ((await page.locator('[data-testid="surface-summary"]').textContent()) ?? '')
          .match(/([\d,]+) triangles/)![1]
          .replace(/,/g, ''),
      );
      await page.locator('[data-testid="surface-format"]').selectOption('stl');
      await page.getByLabel('One file').check();
      const [stl] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-testid="surface-export"]').click(),
      ]);
      expect(stl.suggestedFilename()).toBe('labels.stl');
      const stlBytes = readFileSync((await stl.path())!);
      const triangles = stlBytes.readUInt32LE(80);
      expect(triangles).toBe(total);
      expect(stlBytes.length).toBe(84 + 50 * triangles);
      expect(log.filter((l) => l.includes('[pageerror]'))).toEqual([]);
    } finally {
      saveLog('surfaces', log);
      await page.close();
    }
  });
});
