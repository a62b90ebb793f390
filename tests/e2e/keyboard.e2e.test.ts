/**
 * Reading with the keyboard only, on a real MR series (the skull-stripped T1 of the reference
 * data written as 142 DICOM MR images at test time, InstanceNumber 1 = the most inferior slice,
 * so Cornerstone's axial order runs against it). The files are handed to the file input and the
 * model and device chosen in their selects (form values, not mouse actions); everything after is
 * keys: Tab to the axial view, 20 slices with ↓, Home, cine for 2 s, window/level steps and a
 * preset, `?`, Ctrl+Enter (the tissue-band model on WASM: the cheapest that runs on any image),
 * Ctrl+Z (the result is taken off) and Ctrl+Shift+Z (it is back). At each screenshot the slice number shown is checked against the InstanceNumber of the
 * file whose ImagePositionPatient lies at the view's focal point.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  saveLog,
  screenshotPage,
  viewStats,
  waitShown,
  type Browser,
} from './helpers/browser';
import { canWriteMrSeries, nearestImage, writeMrSeries, type MrSeries } from './helpers/mr-series';
import type { TestSlice } from '../../src/app/test-hook';

const MR = 'nifti/mr/bet.nii.gz';
const axialSlice = (page: Page) => page.evaluate(() => window.__voxsegTest!.slice('axial')) as Promise<TestSlice>;
const axialText = (page: Page) => page.locator('[data-testid="view-axial"] .slice').textContent();

/** The counter on screen agrees with the viewer, and its "Im N" is the number of the file at the focal point. */
async function checkShown(page: Page, series: MrSeries, name: string): Promise<TestSlice> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const s = await axialSlice(page);
  const { file, distance } = nearestImage(series, s.focalPoint);
  expect(distance, `${name}: the focal point lies on an image plane`).toBeLessThan(0.51);
  expect(s.instance, `${name}: Im = InstanceNumber of ${file.path}`).toBe(file.instanceNumber);
  expect(await page.locator('[data-testid="axial-instance"]').textContent()).toBe(`Im ${file.instanceNumber}`);
  expect((await axialText(page))!.replace(/\s+/g, ' ').trim()).toBe(
    `Im ${file.instanceNumber} ${s.index} / ${s.total}`,
  );
  const stats = await viewStats(page, 'axial', `keyboard-${name}`);
  expect(stats.foreground, `${name}: the axial view shows the brain`).toBeGreaterThan(0.05);
  await screenshotPage(page, `keyboard-${name}`);
  return s;
}

describeBrowser('keyboard reading', [MR], () => {
  let browser: Browser;
  let series: MrSeries | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (series) rmSync(series.dir, { recursive: true, force: true });
  });

  it.runIf(canWriteMrSeries())(
    'open, Tab, arrows, cine, window/level, ?, Ctrl+Enter, Ctrl+Z on a real MR series',
    { timeout: 240_000 },
    async () => {
      series = writeMrSeries(sharedPath(MR), 1, 'bottom');
      expect(series.files).toHaveLength(142);
      const { page, log } = await openApp(browser.context, inject('baseUrl'));
      try {
        await page.setInputFiles(
          '[data-testid="file-input"]',
          series.files.map((f) => f.path),
        );
        await waitShown(page);
        await page.waitForSelector('[data-testid="model-select"] option[value="bundled/ct-tissue-bands"]', {
          state: 'attached',
        });
        await page.locator('[data-testid="model-select"]').selectOption('bundled/ct-tissue-bands', { force: true });
        await page.locator('[data-testid="device-select"]').selectOption('wasm', { force: true });
        const start = await checkShown(page, series, 'opened');

        // Tab to the axial view: it takes the keyboard focus and shows the ring.
        const axialFocused = () => page.evaluate(() => !!document.activeElement?.closest('[data-testid="view-axial"]'));
        for (let i = 0; i < 120 && !(await axialFocused()); i++) await page.keyboard.press('Tab');
        expect(await axialFocused()).toBe(true);
        const focusedEl = await page.evaluate(() => {
          const a = document.activeElement as HTMLElement;
          return `${a.tagName}.${a.className} ${a.getAttribute('data-testid') ?? ''}`;
        });
        expect(focusedEl).toMatch(/^DIV\.viewport/);
        expect(
          await page.evaluate(() =>
            document.querySelector('[data-testid="view-axial"] .viewport')!.matches(':focus-visible'),
          ),
        ).toBe(true);

        // 20 slices on: the counter and the image number both go up by 20 (InstanceNumber order).
        for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowDown');
        await expect.poll(async () => (await axialSlice(page)).index).toBe(start.index + 20);
        const scrolled = await checkShown(page, series, 'scrolled');
        expect(scrolled.instance).toBe(start.instance! + 20);
        const high = nearestImage(series, scrolled.focalPoint).file.position[2];
        const low = nearestImage(series, start.focalPoint).file.position[2];
        expect(high, 'higher image numbers lie further up the head').toBeGreaterThan(low);
        await page.keyboard.press('Home');
        await expect.poll(async () => (await axialSlice(page)).index).toBe(1);

        // Cine for 2 s: the slice keeps changing, then stops.
        const seen = new Set<number>();
        await page.keyboard.press('Space');
        expect(await page.locator('[data-testid="cine"]').getAttribute('data-playing')).toBe('true');
        const until = Date.now() + 2000;
        while (Date.now() < until) {
          seen.add((await axialSlice(page)).index);
          await page.waitForTimeout(100);
        }
        await page.keyboard.press('Space');
        expect(seen.size, `slices seen during cine: ${[...seen]}`).toBeGreaterThanOrEqual(4);
        const stopped = (await axialSlice(page)).index;
        await page.waitForTimeout(400);
        expect((await axialSlice(page)).index).toBe(stopped);
        await checkShown(page, series, 'cine');

        // Window/level: two steps wider, one level step up, then the brain preset.
        const info = page.locator('[data-testid="axial-info"]');
        const parse = async () =>
          (/W (-?\d+)\s+L (-?\d+)/.exec((await info.textContent()) ?? '') ?? []).slice(1).map(Number);
        const [w0, l0] = await parse();
        await page.keyboard.press('Control+ArrowRight');
        await page.keyboard.press('Control+ArrowRight');
        await page.keyboard.press('Control+ArrowUp');
        await expect.poll(parse).not.toEqual([w0, l0]);
        const [w1, l1] = await parse();
        expect(Math.abs(w1 - w0 * 1.21)).toBeLessThanOrEqual(1.5);
        expect(Math.abs(l1 - (l0 + (w0 * 1.21) / 20))).toBeLessThanOrEqual(1.5);
        await page.keyboard.press('Shift+Digit4');
        await expect.poll(() => info.textContent()).toBe('W 80  L 40');
        await screenshotPage(page, 'keyboard-window');

        // ? lists every shortcut, Esc closes it.
        await page.keyboard.press('Shift+Slash');
        const sheet = page.locator('[data-testid="shortcuts"]');
        await sheet.waitFor();
        for (const k of ['Ctrl+Enter', 'Ctrl+Z', 'Space', 'PageUp / PageDown', 'Shift+4', 'B', '3'])
          expect(await sheet.locator('kbd', { hasText: k }).count(), k).toBeGreaterThan(0);
        await screenshotPage(page, 'keyboard-shortcuts');
        await page.keyboard.press('Escape');
        await sheet.waitFor({ state: 'detached' });

        // Ctrl+Enter runs the model.
        const t0 = Date.now();
        await page.keyboard.press('Control+Enter');
        const panel = page.locator('[data-testid="segment-panel"]');
        await expect.poll(() => panel.getAttribute('data-run'), { timeout: 120_000 }).toBe('done');
        const runSeconds = (Date.now() - t0) / 1000;
        const labelled = () =>
          page.evaluate(() => {
            const e = window.__voxsegTest!.edit();
            return e ? Object.entries(e.counts).reduce((n, [v, c]) => n + (Number(v) ? c : 0), 0) : 0;
          });
        await expect.poll(labelled).toBeGreaterThan(100_000);
        await checkShown(page, series, 'labels');
        // Ctrl+Z takes the model's result off (it is one undoable change, the first one too), and
        // Ctrl+Shift+Z brings it back voxel for voxel.
        type Edit = { hashes: number[]; undo: string | null; redo: string | null };
        const edit = () => page.evaluate(() => window.__voxsegTest!.edit()) as Promise<Edit>;
        const result = await edit();
        expect(result.undo, 'the result can be undone').toMatch(/^Load /);
        await page.keyboard.press('Control+z');
        await expect.poll(labelled).toBe(0);
        expect((await edit()).redo, 'the result can be redone').not.toBeNull();
        await screenshotPage(page, 'keyboard-undone');
        await page.keyboard.press('Control+Shift+Z');
        await expect.poll(async () => (await edit()).hashes).toEqual(result.hashes);
        expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
        console.log(`keyboard e2e: model run ${runSeconds.toFixed(1)} s`);
      } finally {
        saveLog('keyboard', log);
      }
    },
  );
  if (!canWriteMrSeries()) it.skip('[skipped: /usr/bin/python3 with pydicom, numpy and nibabel not found]', () => {});
});
