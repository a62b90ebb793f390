/**
 * Restore that finds the work: two brush strokes on the demo, a reload, and the list of saved work
 * at the top of the left panel (visible without scrolling, naming the demo study); Open brings the
 * labels back exactly and with them the undo history (Ctrl+Z gives the labels after the first
 * stroke). The demo after the reload comes from the browser's storage, a click on Demo from memory.
 * One page; the demo on a small grid (?demo-dims) to keep it quick.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
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

interface EditState {
  revision: number;
  hashes: number[];
  undo: string | null;
}

const editState = (page: Page) => page.evaluate(() => window.__voxsegTest?.edit() ?? null) as Promise<EditState | null>;

async function settled(page: Page, before: number): Promise<EditState> {
  await expect.poll(async () => (await editState(page))?.revision ?? -1, { timeout: 30_000 }).toBeGreaterThan(before);
  return (await editState(page))!;
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  await page.mouse.move(to[0], to[1], { steps: 6 });
  await page.mouse.up();
}

/** Journal records saved in the page's IndexedDB with change label `label`. */
function savedChanges(page: Page, label: string): Promise<number> {
  return page.evaluate(
    (l) =>
      new Promise<number>((resolve) => {
        const r = indexedDB.open('voxseg-autosave');
        r.onsuccess = () => {
          const all = r.result.transaction('records').objectStore('records').getAll();
          all.onsuccess = () => resolve((all.result as { label?: string }[]).filter((x) => x.label === l).length);
          all.onerror = () => resolve(-1);
        };
        r.onerror = () => resolve(-1);
      }),
    label,
  );
}

const demoFrom = (page: Page) => page.locator('.app').getAttribute('data-demo');

describeBrowser('Restore that finds the work', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lists saved work after a reload and restores the labels with their undo history', async () => {
    let t = Date.now();
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '?demo-dims=128,128,50');
    try {
      await expect.poll(() => demoFrom(page), { timeout: 120_000 }).toBeTruthy();
      const firstFilesMs = Date.now() - t;
      await waitShown(page);
      const firstMs = Date.now() - t;
      expect(await demoFrom(page)).toBe('generated');
      expect(await page.locator('[data-testid="restore-list"]').count(), 'nothing saved yet').toBe(0);

      // Two strokes with the brush (the first press makes a segmentation with a first segment).
      await page.keyboard.press('b');
      await page.locator('[data-testid="brush-size"]').fill('8');
      const box = (await page.locator('[data-testid="view-axial"] .viewport').boundingBox())!;
      const at = (fx: number, fy: number): [number, number] => [box.x + box.width * fx, box.y + box.height * fy];
      await drag(page, at(0.35, 0.4), at(0.6, 0.42));
      const one = await settled(page, 0);
      await drag(page, at(0.4, 0.6), at(0.65, 0.58));
      const two = await settled(page, one.revision);
      expect(two.hashes[0]).not.toBe(one.hashes[0]);
      expect(two.undo).toBeTruthy();
      await expect.poll(() => savedChanges(page, two.undo!), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

      t = Date.now();
      await page.reload();
      await expect.poll(() => demoFrom(page), { timeout: 120_000 }).toBeTruthy();
      const secondFilesMs = Date.now() - t;
      await waitShown(page);
      const secondMs = Date.now() - t;
      expect(await demoFrom(page), 'the demo after a reload comes from storage').toBe('stored');
      console.log(
        `demo files ready / shown: first visit ${firstFilesMs} / ${firstMs} ms, after the reload (cached) ${secondFilesMs} / ${secondMs} ms`,
      );

      // The list is the first thing in the left panel, fully visible without scrolling.
      const list = page.locator('[data-testid="restore-list"]');
      await list.waitFor({ timeout: 15_000 });
      const panel = (await page.locator('aside').boundingBox())!;
      const lb = (await list.boundingBox())!;
      expect(Math.abs(lb.y - panel.y), 'at the top of the left panel').toBeLessThanOrEqual(2);
      expect(lb.y + lb.height).toBeLessThanOrEqual(page.viewportSize()!.height);
      const item = list.locator('[data-testid="restore-item"]');
      expect(await item.count()).toBe(1);
      expect(await item.getAttribute('data-source')).toBe('demo');
      expect(await item.textContent()).toContain('Demo phantom CT');
      expect(await item.locator('[data-testid="restore-item-facts"]').textContent()).toMatch(/1 segment\b.*changed/);
      await list.screenshot({ path: join(resultsDir, 'restore-list.png') });
      await screenshotPage(page, 'restore-list-page');

      // Open: the demo on screen gets its work back, no offer, and the list goes.
      const before = (await editState(page))?.revision ?? 0;
      await item.locator('[data-testid="restore-item-open"]').click();
      await expect.poll(async () => (await editState(page))?.hashes[0], { timeout: 30_000 }).toBe(two.hashes[0]);
      const restored = (await editState(page))!;
      expect(restored.undo, 'the undo history came back').toBe(two.undo);
      await expect.poll(() => list.count()).toBe(0);
      expect(await page.locator('[data-testid="restore-offer"]').count()).toBe(0);

      await page.locator('[data-testid="view-axial"] .viewport').hover();
      await page.keyboard.press('Control+z');
      const undone = await settled(page, Math.max(before, restored.revision));
      expect(undone.hashes[0], 'undo after the restore gives the labels after the first stroke').toBe(one.hashes[0]);
      await screenshotPage(page, 'restore-undone');

      // Demo again: from this tab's memory.
      await page.getByRole('button', { name: 'Demo', exact: true }).click();
      await expect.poll(() => demoFrom(page), { timeout: 30_000 }).toBe('memory');
      await waitShown(page);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('restore', log);
    }
  });
});
