/**
 * The left panel in the browser, on one page: a failed open (a text file picked while the demo
 * is open) leaves the demo on screen (status, series rows, title, the image in the views) and the
 * banner names the file and the cause; before and after a model run, at 1600×1000 and 1280×800,
 * the series rows lie wholly inside their container and on screen, and the edit tools are inside
 * the viewport without scrolling the panel (also with the demo's true labels, more segments than
 * the segment list shows at once). Geometry is measured on the elements (their boxes and
 * the element actually drawn at each box's centre); the screenshots (panel-<when>-<size>.png)
 * are for a person to look at.
 *
 * Lean by design: a small demo grid (`?demo-dims`) and the smallest bundled CT model (the
 * intensity-band model), which gives a multi-segment label map like any model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  saveLog,
  screenshotPage,
  viewStats,
  waitShown,
  type Browser,
} from './helpers/browser';

const MODEL = 'ct-tissue-bands';
const HAS_MODEL = existsSync(join(repoRoot, `static/models/${MODEL}/manifest.json`));
const SIZES = [
  { width: 1600, height: 1000 },
  { width: 1280, height: 800 },
];

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  /** The element drawn at the box's centre is this element or inside it (nothing covers it). */
  onTop: boolean;
}

interface Geometry {
  viewport: { width: number; height: number };
  seriesBox: Box;
  rows: Box[];
  tools: Box[];
  panelsScrollTop: number;
}

/** Boxes of the series rows, their section, and the edit tool buttons. */
function geometry(page: Page): Promise<Geometry> {
  return page.evaluate(() => {
    const box = (el: Element) => {
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, onTop: !!hit && el.contains(hit) };
    };
    const all = (sel: string) => [...document.querySelectorAll(sel)].map(box);
    return {
      viewport: { width: innerWidth, height: innerHeight },
      seriesBox: box(document.querySelector('aside .series')!),
      rows: all('[data-testid="series-row"]'),
      tools: all('[data-testid="edit-panel"] [role="toolbar"] button'),
      panelsScrollTop: document.querySelector('[data-testid="left-panels"]')!.scrollTop,
    };
  });
}

const frames = (page: Page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** At each size: a screenshot, and the series rows and edit tools wholly in view. */
async function checkLayout(page: Page, when: string, rowCount: number, sizes = SIZES): Promise<void> {
  for (const size of sizes) {
    const t0 = Date.now();
    await page.setViewportSize(size);
    await frames(page);
    await screenshotPage(page, `panel-${when}-${size.width}x${size.height}`);
    const g = await geometry(page);
    const at = `${when} at ${size.width}×${size.height}`;
    expect(g.rows, at).toHaveLength(rowCount);
    for (const r of g.rows) {
      // inside the series section (not clipped by it) and on screen, not covered
      expect(r.top, `series row top ${at}`).toBeGreaterThanOrEqual(g.seriesBox.top - 0.5);
      expect(r.bottom, `series row bottom ${at}`).toBeLessThanOrEqual(g.seriesBox.bottom + 0.5);
      expect(r.bottom, `series row on screen ${at}`).toBeLessThanOrEqual(g.viewport.height);
      expect(r.onTop, `series row covered ${at}`).toBe(true);
    }
    expect(g.panelsScrollTop, at).toBe(0);
    expect(g.tools.length, `edit tools ${at}`).toBeGreaterThanOrEqual(4);
    for (const t of g.tools) {
      expect(t.top, `edit tool below the series ${at}`).toBeGreaterThanOrEqual(g.seriesBox.bottom - 0.5);
      expect(t.bottom, `edit tool inside the viewport ${at}`).toBeLessThanOrEqual(g.viewport.height);
      expect(t.right, `edit tool inside the viewport ${at}`).toBeLessThanOrEqual(g.viewport.width);
      expect(t.onTop, `edit tool covered or clipped ${at}`).toBe(true);
    }
    console.info(`layout ${at} checked in ${Date.now() - t0} ms`);
  }
}

describeBrowser('left panel', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it.skipIf(!HAS_MODEL)(
    'a failed open keeps the study; series rows and edit tools in view before and after a run',
    async () => {
      const { page, log } = await openApp(browser.context, inject('baseUrl'), '?demo-dims=128,128,48');
      const t0 = Date.now();
      try {
        await page.setViewportSize(SIZES[0]);
        await waitShown(page);
        console.info(`demo shown in ${Date.now() - t0} ms`);
        const rows = page.locator('[data-testid="series-row"]');
        const rowTexts = await rows.allTextContents();
        const title = await page.locator('.source').textContent();
        expect(rowTexts.length).toBeGreaterThan(0);
        expect(title).toBe('Demo phantom');

        // A text file picked while the demo is open.
        await page.setInputFiles('[data-testid="file-input"]', {
          name: 'notes.txt',
          mimeType: 'text/plain',
          buffer: Buffer.from('Clinical notes, not an image.\n'),
        });
        const error = page.locator('[data-testid="notices"] .notice.error');
        await expect.poll(() => error.textContent(), { timeout: 30_000 }).toContain('notes.txt');
        expect(await error.textContent()).toMatch(/not a DICOM file/);
        expect(await page.locator('.app').getAttribute('data-status')).toBe('ready');
        expect(await rows.allTextContents()).toEqual(rowTexts);
        expect(await page.locator('.source').textContent()).toBe(title);
        console.info(`failed open reported in ${Date.now() - t0} ms since start`);
        expect((await viewStats(page, 'axial', 'panel-failed-open')).foreground).toBeGreaterThan(0.05);
        await error.locator('button[aria-label="Dismiss"]').click();

        await checkLayout(page, 'before-run', rowTexts.length);

        // A model run: the label map and its segment list join the panel; the card folds to one line.
        await page.setViewportSize(SIZES[0]);
        await page.waitForSelector(`[data-testid="model-select"] option[value="bundled/${MODEL}"]`, {
          state: 'attached',
          timeout: 60_000,
        });
        await page.locator('[data-testid="model-select"]').selectOption(`bundled/${MODEL}`);
        await page.locator('[data-testid="device-select"]').selectOption('wasm');
        const t1 = Date.now();
        await page.locator('[data-testid="segment-run"]').click();
        const panel = page.locator('[data-testid="segment-panel"]');
        await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
          timeout: 120_000,
        });
        expect(await panel.getAttribute('data-run')).toBe('done');
        await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 60_000 });
        console.info(`model run and overlay in ${Date.now() - t1} ms`);
        expect(await page.locator('[data-testid="model-details"]').isVisible()).toBe(false);
        expect(await page.locator('[data-testid="model-details-toggle"]').getAttribute('aria-expanded')).toBe('false');
        expect(await page.locator('[data-testid="segment-run"]').isVisible()).toBe(true);

        await checkLayout(page, 'after-run', rowTexts.length);

        // More segments than the list shows at once (the demo's true labels): the tools stay in view.
        await page.locator('[data-testid="show-truth"]').click();
        await expect
          .poll(() => page.locator('[data-testid="segment-summary"] tbody tr').count(), { timeout: 30_000 })
          .toBeGreaterThan(6);
        await checkLayout(page, 'demo-labels', rowTexts.length, [SIZES[1]]);
        await page.setViewportSize(SIZES[0]);

        // The card opens again, and a closed section stays closed after a reload of the panel state.
        await page.locator('[data-testid="model-details-toggle"]').click();
        expect(await page.locator('[data-testid="model-card"]').isVisible()).toBe(true);
        await page.locator('[data-testid="section-surfaces-toggle"]').click();
        expect(await page.locator('[data-testid="surface-panel"]').isVisible()).toBe(false);
        expect(await page.evaluate(() => localStorage.getItem('voxseg.section.surfaces'))).toBe('0');
        await page.locator('[data-testid="section-surfaces-toggle"]').click();
        expect(await page.locator('[data-testid="surface-panel"]').isVisible()).toBe(true);
      } finally {
        saveLog('panel', log);
        await page.close();
      }
    },
    240_000,
  );
});
