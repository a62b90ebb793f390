/**
 * Editing through the UI on a real CT (the J2K abdomen, 512x512x20): brush, eraser, threshold
 * brush, fill, undo and redo, each checked on the label map voxels the page holds; and a reload
 * in the middle of work on the demo study, after which the saved segmentation is restored.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { readSeg } from '../../src/io/seg/index';
import type { Page } from 'playwright-core';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  saveLog,
  screenshotPage,
  waitShown,
  type Browser,
} from './helpers/browser';
import { filesIn } from './helpers/files';
import { loadSeriesInNode } from './helpers/series';

const J2K = 'dicom/ct-abdomen-j2k';
const NX = 512;
const NY = 512;
const NXY = NX * NY;

interface EditState {
  revision: number;
  counts: Record<number, number>;
  hashes: number[];
  undo: string | null;
  redo: string | null;
  segments: { value: number; name: string; locked: boolean; review?: string }[];
}

const editState = (page: Page) => page.evaluate(() => window.__voxsegTest?.edit() ?? null) as Promise<EditState | null>;

async function labels(page: Page): Promise<Uint8Array> {
  const l = await page.evaluate(() => window.__voxsegTest?.labels() ?? null);
  expect(l?.dtype).toBe('uint8');
  return new Uint8Array(Buffer.from(l!.base64, 'base64'));
}

/** Wait until the editor finished `n` more changes than `before`. */
async function settled(page: Page, before: number, n = 1): Promise<EditState> {
  await expect
    .poll(async () => (await editState(page))?.revision ?? -1, { timeout: 30_000 })
    .toBeGreaterThanOrEqual(before + n);
  return (await editState(page))!;
}

/** Axial view box in page pixels. */
async function axialBox(page: Page) {
  const box = await page.locator('[data-testid="view-axial"] .viewport').boundingBox();
  if (!box) throw new Error('axial view not laid out');
  return box;
}

async function drag(page: Page, points: [number, number][]): Promise<void> {
  await page.mouse.move(points[0][0], points[0][1]);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(x, y, { steps: 4 });
  await page.mouse.up();
}

/** Indices of voxels whose value differs between `a` and `b`. */
function changed(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

function count(a: Uint8Array, v: number): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === v) n++;
  return n;
}

describeBrowser('Editing label maps', [J2K], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('paints, erases, thresholds, fills, undoes and redoes on a real CT', async () => {
    const ct = await loadSeriesInNode(filesIn(sharedPath(J2K)));
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await page.setInputFiles('[data-testid="folder-input"]', sharedPath(J2K));
      await waitShown(page);
      await page
        .locator('[data-testid="segment-add"]')
        .or(page.locator('[data-testid="tool-brush"]'))
        .first()
        .waitFor();
      // No segmentation yet: the brush's first press makes one, with a first segment.
      await page.keyboard.press('b');
      expect(await page.locator('[data-testid="edit-panel"]').getAttribute('data-tool')).toBe('brush');
      await page.locator('[data-testid="brush-size"]').fill('10');
      const box = await axialBox(page);
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;

      // 1. Brush: a horizontal stroke, 2D circle of radius 10 mm, on the slice shown only.
      await drag(page, [
        [cx - 60, cy - 40],
        [cx + 60, cy - 40],
      ]);
      let s = await settled(page, 0);
      const afterBrush = await labels(page);
      const painted = changed(new Uint8Array(afterBrush.length), afterBrush);
      expect(painted.length, 'painted voxels').toBeGreaterThan(1000);
      const slices = new Set(painted.map((i) => Math.floor(i / NXY)));
      expect(slices.size, 'a 2D brush paints one slice').toBe(1);
      const js = painted.map((i) => Math.floor((i % NXY) / NX));
      const height = Math.max(...js) - Math.min(...js) + 1;
      // 20 mm across at 0.977 mm pixels.
      expect(height).toBeGreaterThanOrEqual(19);
      expect(height).toBeLessThanOrEqual(22);
      expect(s.counts[1]).toBe(painted.length);
      expect(s.undo).toMatch(/brush/i);
      await screenshotPage(page, 'edit-brush');

      // 2. Eraser across the middle of the stroke: only removes, only segment 1.
      await page.keyboard.press('e');
      await page.locator('[data-testid="brush-size"]').fill('3');
      await drag(page, [
        [cx, cy - 80],
        [cx, cy],
      ]);
      s = await settled(page, s.revision);
      const afterErase = await labels(page);
      const erased = changed(afterBrush, afterErase);
      expect(erased.length, 'erased voxels').toBeGreaterThan(20);
      expect(erased.every((i) => afterBrush[i] === 1 && afterErase[i] === 0)).toBe(true);
      expect(s.counts[1]).toBe(painted.length - erased.length);

      // 3. Threshold brush on a second segment, range 150..3000 HU: every new voxel is in range.
      await page.locator('[data-testid="segment-add"]').click();
      s = await settled(page, s.revision);
      await page.keyboard.press('t');
      await page.locator('[data-testid="threshold-lo"]').fill('150');
      await page.locator('[data-testid="threshold-lo"]').press('Enter');
      await page.locator('[data-testid="threshold-hi"]').fill('3000');
      await page.locator('[data-testid="threshold-hi"]').press('Enter');
      await page.locator('[data-testid="brush-size"]').fill('30');
      await drag(page, [
        [cx - 30, cy + 60],
        [cx + 30, cy + 90],
        [cx, cy + 120],
      ]);
      s = await settled(page, s.revision);
      const afterThreshold = await labels(page);
      const thr = changed(afterErase, afterThreshold);
      expect(thr.length, 'voxels in range under the brush').toBeGreaterThan(10);
      const hu = ct.voxels;
      expect(
        thr.every((i) => afterThreshold[i] === 2 && hu[i] >= 150 && hu[i] <= 3000),
        'threshold brush stays in range',
      ).toBe(true);
      // The brush covered voxels out of range too: they stay background.
      expect(s.counts[2]).toBe(thr.length);

      // 4. Fill (2D) inside the first stroke with segment 2: exactly one 4-connected part of
      //    segment 1 in that slice turns into 2.
      // (the row's count cell: its name cell is a text field)
      await page.locator('[data-testid="segment-row"][data-value="2"] td.num').first().click();
      await page.keyboard.press('f');
      expect(await page.locator('[data-testid="edit-panel"]').getAttribute('data-tool')).toBe('fill');
      await page.mouse.click(cx - 45, cy - 40);
      s = await settled(page, s.revision);
      const afterFill = await labels(page);
      const filled = changed(afterThreshold, afterFill);
      expect(filled.length).toBeGreaterThan(100);
      expect(filled.every((i) => afterThreshold[i] === 1 && afterFill[i] === 2)).toBe(true);
      const part = component(afterThreshold, filled[0], 1);
      expect(filled.length).toBe(part.size);
      expect(filled.every((i) => part.has(i))).toBe(true);
      expect(count(afterFill, 1), 'the other part of the stroke stays').toBeGreaterThan(0);
      await screenshotPage(page, 'edit-fill');

      // 5. Undo twice (fill, then threshold), redo twice: exact voxels each time.
      const hash = async () => (await editState(page))!.hashes[0];
      const hFill = await hash();
      await page.keyboard.press('Control+z');
      s = await settled(page, s.revision);
      expect(Buffer.compare(Buffer.from(await labels(page)), Buffer.from(afterThreshold))).toBe(0);
      await page.locator('[data-testid="undo"]').click();
      s = await settled(page, s.revision);
      expect(Buffer.compare(Buffer.from(await labels(page)), Buffer.from(afterErase))).toBe(0);
      expect(s.redo).toBeTruthy();
      await page.keyboard.press('Control+Shift+z');
      s = await settled(page, s.revision);
      expect(Buffer.compare(Buffer.from(await labels(page)), Buffer.from(afterThreshold))).toBe(0);
      await page.locator('[data-testid="redo"]').click();
      s = await settled(page, s.revision);
      expect(await hash()).toBe(hFill);
      expect(Buffer.compare(Buffer.from(await labels(page)), Buffer.from(afterFill))).toBe(0);
      expect(s.counts[1]).toBe(count(afterFill, 1));
      expect(s.counts[2]).toBe(count(afterFill, 2));
      // The segment list counts what the label map holds.
      const row2 = page.locator('[data-testid="segment-row"][data-value="2"]');
      expect((await row2.textContent())?.replace(/\u2009/g, '')).toContain(String(count(afterFill, 2)));
      await screenshotPage(page, 'edit-redo');

      // 6. Export as DICOM SEG: it reads back (in Node, onto the same series) to the same voxels.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-testid="export-seg"]').click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/\.seg\.dcm$/);
      const segBytes = new Uint8Array(readFileSync((await download.path())!));
      const seg = readSeg(segBytes, ct, download.suggestedFilename());
      expect(seg.segments.map((x) => x.label)).toEqual(['Segment 1', 'Segment 2']);
      const back = new Uint8Array(afterFill.length);
      for (const e of seg.segmentLayer) {
        const layer = seg.layers[e.layer].voxels;
        const ours = e.number; // exported in list order: Segment 1 → 1, Segment 2 → 2
        for (let i = 0; i < layer.length; i++) if (layer[i] === e.value) back[i] = ours;
      }
      expect(Buffer.compare(Buffer.from(back), Buffer.from(afterFill)), 'SEG voxels equal the label map').toBe(0);
      await expect.poll(() => page.locator('[data-testid="transfer-message"]').textContent()).toMatch(/2 segments/);

      // 7. Keep largest component (K) of segment 2: what stays is one connected part, the
      //    largest of before, and nothing else changed.
      await page.keyboard.press('k');
      s = await settled(page, s.revision);
      const afterLargest = await labels(page);
      const removed = changed(afterFill, afterLargest);
      expect(removed.length, 'scattered threshold voxels removed').toBeGreaterThan(0);
      expect(removed.every((i) => afterFill[i] === 2 && afterLargest[i] === 0)).toBe(true);
      const kept = count(afterLargest, 2);
      const first = afterLargest.findIndex((v) => v === 2);
      expect(component(afterLargest, first, 2).size, 'one 4-connected part in its slice').toBe(kept);
      expect(s.undo).toMatch(/largest/i);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('edit', log);
    }
  });

  it('restores the work after a reload', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      // The tissue-band model's result (quick on the demo): five AI segments awaiting review.
      await expect.poll(() => page.locator('[data-testid="model-select"] option').count()).toBeGreaterThan(1);
      await page.locator('[data-testid="model-select"]').selectOption('bundled/ct-tissue-bands');
      await page.locator('[data-testid="segment-run"]').click();
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 180_000 });
      let s = (await editState(page))!;
      expect(s.segments.map((x) => x.review)).toEqual(['proposed', 'proposed', 'proposed', 'proposed', 'proposed']);
      // Accept soft tissue, reject bone, rename vessels, lock fat, paint, add a segment.
      await page.locator('[data-testid="segment-row"][data-value="3"] [data-testid="segment-accept"]').click();
      s = await settled(page, s.revision);
      await page.locator('[data-testid="segment-row"][data-value="5"] [data-testid="segment-reject"]').click();
      s = await settled(page, s.revision);
      const name = page.locator('[data-testid="segment-row"][data-value="4"] [data-testid="segment-name"]');
      await name.fill('Vessels (checked)');
      await name.press('Enter');
      s = await settled(page, s.revision);
      await page.locator('[data-testid="segment-row"][data-value="2"] [data-testid="segment-lock"]').click();
      s = await settled(page, s.revision);
      await page.locator('[data-testid="segment-row"][data-value="1"] td.num').first().click();
      await page.keyboard.press('b');
      const box = await axialBox(page);
      await drag(page, [
        [box.x + box.width * 0.3, box.y + box.height * 0.3],
        [box.x + box.width * 0.7, box.y + box.height * 0.35],
      ]);
      s = await settled(page, s.revision);
      const beforeLast = s;
      await page.locator('[data-testid="segment-add"]').click();
      s = await settled(page, s.revision);
      await drag(page, [
        [box.x + box.width * 0.4, box.y + box.height * 0.6],
        [box.x + box.width * 0.6, box.y + box.height * 0.6],
      ]);
      s = await settled(page, s.revision);
      const last = s;
      await screenshotPage(page, 'edit-before-reload');

      await page.reload();
      await waitShown(page);
      // The saved work is offered once, in the list at the top of the panel (not again in Edit);
      // the CT painted in the first test is listed too.
      const item = page.locator('[data-testid="restore-item"][data-source="demo"]');
      await item.waitFor({ timeout: 30_000 });
      await screenshotPage(page, 'edit-restore-offer');
      expect(await page.locator('[data-testid="restore-offer"]').count()).toBe(0);
      await item.locator('[data-testid="restore-item-open"]').click();
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
      const restored = (await editState(page))!;
      // At most the last change may be lost.
      const match = [last, beforeLast].find((x) => x.hashes[0] === restored.hashes[0]);
      expect(match, 'restored voxels equal the last or second-to-last saved state').toBeTruthy();
      expect(restored.segments.map((x) => [x.value, x.name, x.locked, x.review ?? ''])).toEqual(
        match!.segments.map((x) => [x.value, x.name, x.locked, x.review ?? '']),
      );
      expect(restored.segments.find((x) => x.value === 4)?.name).toBe('Vessels (checked)');
      expect(restored.segments.find((x) => x.value === 3)?.review).toBe('accepted');
      expect(restored.segments.find((x) => x.value === 2)?.locked).toBe(true);
      // Rejected bone is gone (its value 5 went to the segment added later).
      expect(restored.segments.some((x) => x.name === 'bone')).toBe(false);
      expect(restored.counts[5] ?? 0).toBe(last.counts[5] ?? 0);
      await screenshotPage(page, 'edit-restored');
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('edit-restore', log);
    }
  });
});

/** The 4-connected part (in its k-slice) of voxels equal to `value` containing voxel `seed`. */
function component(labels: Uint8Array, seed: number, value: number): Set<number> {
  const k = Math.floor(seed / NXY);
  const out = new Set<number>([seed]);
  const stack = [seed];
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % NX;
    const y = Math.floor((i % NXY) / NX);
    for (const [dx, dy] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ]) {
      const nx = x + dx;
      const ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= NX || ny >= NY) continue;
      const j = k * NXY + ny * NX + nx;
      if (labels[j] === value && !out.has(j)) {
        out.add(j);
        stack.push(j);
      }
    }
  }
  return out;
}
