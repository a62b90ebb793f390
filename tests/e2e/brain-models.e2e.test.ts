/**
 * The brain workflow in the app, on a real conformed T1 (256^3, 1 mm): the bundled brain
 * extraction runs on WASM and gives the "Brain Mask" segment (compared voxel by voxel with the
 * independent Python reference of brainchop's pipeline); its skull-stripped image is shown as
 * a series of the same study (the page's image on screen is checked voxel by voxel against the T1
 * and the mask) with the mask still over it, and saved as .nii.gz (the download is read back with
 * voxseg's NIfTI reader); the 17-region parcellation then runs on the skull-stripped image and its
 * segments come out with brainchop's names and colours (from the bundled manifest) and plausible
 * sizes; going back to the original series keeps the parcellation on screen.
 * Each model run is timed (WASM in headless Chromium; test-results/brain-models-timings.json).
 * Screenshots: brain-extraction.png, brain-skull-stripped.png, brain-parcellation.png,
 * brain-parcellation-original.png.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Volume } from '../../src/core/types';
import { readNifti } from '../../src/io/nifti';
import { brainchopReference, hasReferencePython, referencePythonMissing } from '../unit/helpers/brainchop-reference';
import { sharedPath } from '../unit/helpers/shared';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  resultsDir,
  saveLog,
  waitShown,
  type Browser,
} from './helpers/browser';
import { pageLabels } from './helpers/models';

const T1 = 'nifti/mr/t1_crop.nii.gz';
const EXTRACTION = 'brainchop-brain-extraction';
const PARCELLATION = 'brainchop-parcellation-18';
const manifestOf = (id: string) => join(repoRoot, 'static/models', id, 'manifest.json');
const bundled = existsSync(manifestOf(EXTRACTION)) && existsSync(manifestOf(PARCELLATION));

interface Label {
  value: number;
  name: string;
  color: [number, number, number];
}

/** The image on screen, as the page holds it. */
async function pageVolume(page: Page): Promise<{ dims: number[]; dtype: string; description: string; voxels: Buffer }> {
  const v = await page.evaluate(() => window.__voxsegTest?.volume() ?? null);
  expect(v, 'an image is on screen').not.toBeNull();
  return { dims: v!.dims, dtype: v!.dtype, description: v!.description, voxels: Buffer.from(v!.base64, 'base64') };
}

/** Voxels per label value. */
function counts(labels: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of labels) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Where `image` differs from "the T1 inside the mask, 0 outside": [voxels inside that differ, voxels outside that are not 0]. */
function maskedMismatch(image: ArrayLike<number>, t1: ArrayLike<number>, mask: ArrayLike<number>): [number, number] {
  let inside = 0,
    outside = 0;
  for (let i = 0; i < t1.length; i++) {
    if (mask[i] !== 0) inside += image[i] === t1[i] ? 0 : 1;
    else outside += image[i] === 0 ? 0 : 1;
  }
  return [inside, outside];
}

/** Pick a bundled model (its option carries the manifest's name), run it on WASM, wait for its labels; seconds taken. */
async function runBundled(page: Page, id: string, name: string): Promise<number> {
  const select = page.locator('[data-testid="model-select"]');
  await page.waitForSelector(`[data-testid="model-select"] option[value="bundled/${id}"]`, {
    state: 'attached',
    timeout: 60_000,
  });
  expect(await select.locator(`option[value="bundled/${id}"]`).textContent()).toContain(name);
  await select.selectOption(`bundled/${id}`);
  await page.locator('[data-testid="device-select"]').selectOption('wasm');
  const panel = page.locator('[data-testid="segment-panel"]');
  const t0 = Date.now();
  await page.locator('[data-testid="segment-run"]').click();
  await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
    timeout: 1_500_000,
  });
  const seconds = (Date.now() - t0) / 1000;
  const banner = await page.locator('[data-testid="notices"] .notice.error').allTextContents();
  expect(await panel.getAttribute('data-run'), `run status; banner: ${banner}`).toBe('done');
  expect(await page.locator('[data-testid="segment-device"]').textContent()).toMatch(/^\s*Ran on\s+WASM/);
  await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
  return seconds;
}

/** The segment list as the panel shows it: value, name and colour of each row. */
const segmentRows = (page: Page): Promise<Label[]> =>
  page.locator('[data-testid="segment-row"]').evaluateAll((rows) =>
    rows.map((r) => {
      const hex = (r.querySelector('[data-testid="segment-color"]') as HTMLInputElement).value;
      return {
        value: Number((r as HTMLElement).dataset.value),
        name: (r.querySelector('[data-testid="segment-name"]') as HTMLInputElement).value,
        color: [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number],
      };
    }),
  );

/** The series list: description and whether it is selected. */
const seriesRows = (page: Page) =>
  page
    .locator('[data-testid="series-row"]')
    .evaluateAll((rows) =>
      rows.map((r) => ({ text: r.textContent ?? '', selected: r.getAttribute('aria-selected') === 'true' })),
    );

/** Wait until the page paints quickly again (three frames in a row under 100 ms, at most 2 minutes). */
const settle = (page: Page) =>
  page.evaluate(async () => {
    let quick = 0;
    for (let last = performance.now(), t0 = last; quick < 3 && last - t0 < 120_000;) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      quick = now - last < 100 ? quick + 1 : 0;
      last = now;
    }
  });

/** A screenshot of the page for people to look at (test-results/<name>.png); a page too busy to paint skips it. */
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  try {
    await settle(page);
    await page.screenshot({ path: join(resultsDir, `${name}.png`), timeout: 120_000 });
  } catch (err) {
    console.warn(`screenshot ${name} skipped: ${(err as Error).message.split('\n')[0]}`);
  }
}

const suite = (fn: () => void) =>
  bundled
    ? describeBrowser('brain models in the app: extraction, skull-stripped image, parcellation', [T1], fn)
    : describe.skip(
        `brain models in the app [skipped: the bundled brain models (static/models/${EXTRACTION}, ${PARCELLATION}) are missing: npm run models]`,
        fn,
      );

suite(() => {
  let browser: Browser;
  let page: Page;
  let log: string[];
  let t1: Volume;
  let mask: Buffer;
  const timings: Record<string, number> = {};
  const started = Date.now();

  beforeAll(async () => {
    t1 = readNifti(new Uint8Array(readFileSync(sharedPath(T1))), 't1_crop.nii.gz');
    browser = await launchBrowser();
    ({ page, log } = await openApp(browser.context, inject('baseUrl')));
    await page.setInputFiles('[data-testid="file-input"]', [sharedPath(T1)]);
    await waitShown(page);
  });

  afterAll(async () => {
    timings.total = (Date.now() - started) / 1000;
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'brain-models-timings.json'), JSON.stringify(timings, null, 2) + '\n');
    console.log(`brain models e2e timings (s): ${JSON.stringify(timings)}`);
    if (log) saveLog('brain-models', log);
    await browser?.close();
  });

  it('brain extraction runs on WASM and gives the Brain Mask segment', async () => {
    expect(t1.header.dims).toEqual([256, 256, 256]);
    timings.extraction = await runBundled(page, EXTRACTION, 'Brain extraction (skull strip)');
    const edit = await page.evaluate(() => window.__voxsegTest?.edit() ?? null);
    expect(edit!.segments.map((s) => s.name)).toEqual(['Brain Mask']);
    expect(await segmentRows(page)).toEqual([{ value: 1, name: 'Brain Mask', color: [217, 119, 33] }]);
    mask = await pageLabels(page);
    expect(mask.length).toBe(256 ** 3);
    // The result line offers the skull-stripped image.
    const line = page.locator('[data-testid="masked-image"]');
    expect(await line.getAttribute('data-shown')).toBe('false');
    expect(await line.locator('[data-testid="masked-show"]').textContent()).toBe('Show skull-stripped image');
    await shot(page, 'brain-extraction');
    const n = counts(mask);
    expect([...n.keys()].sort()).toEqual([0, 1]);
    // A brain: 0.9 to 2 litres of 1 mm voxels, inside the head (the T1 is not 0 there).
    const brain = n.get(1)!;
    let inHead = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] && t1.voxels[i] > 0) inHead++;
    expect(brain, 'brain mask voxels (1 mm^3)').toBeGreaterThan(900_000);
    expect(brain).toBeLessThan(2_000_000);
    expect(inHead / brain, 'fraction of the mask inside the head').toBeGreaterThan(0.99);
    // The app's worker against brainchop's procedure computed independently (training/brainchop_reference.py).
    if (hasReferencePython) {
      const ref = await brainchopReference({ id: 16, input: sharedPath(T1) });
      let same = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] === ref.labels[i]) same++;
      console.log(
        `brain extraction in the app vs the Python reference: ${((100 * same) / mask.length).toFixed(4)}% of voxels (${mask.length - same} differ)`,
      );
      expect(same / mask.length).toBeGreaterThanOrEqual(0.9999);
      // Keeps the brain: the grey and white matter of the light tissue model (brainchop's pipeline in
      // Python, entry 1) lie inside the mask.
      const tissue = (await brainchopReference({ id: 1, input: sharedPath(T1) })).labels;
      let tissueVoxels = 0;
      let tissueOutside = 0;
      for (let i = 0; i < mask.length; i++)
        if (tissue[i]) {
          tissueVoxels++;
          if (!mask[i]) tissueOutside++;
        }
      expect(tissueOutside / tissueVoxels, 'grey/white matter outside the mask').toBeLessThan(0.002);
    } else console.warn(`brain extraction not compared with the reference ${referencePythonMissing}`);
    // Removes the skull: a large share of the head's non-zero voxels (scalp, skull, neck) is outside.
    let bright = 0;
    for (let i = 0; i < mask.length; i++) if (t1.voxels[i] > 0) bright++;
    expect((bright - inHead) / bright, 'non-zero head voxels removed').toBeGreaterThan(0.25);
  }, 1_800_000);

  it('the skull-stripped image is shown as a series of the study, with the mask still over it', async () => {
    expect(mask, 'the extraction ran').toBeDefined();
    await page.locator('[data-testid="masked-show"]').click();
    await waitShown(page, 2);
    await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
    const rows = await seriesRows(page);
    expect(rows.length).toBe(2);
    expect(rows[1].text).toContain('t1_crop.nii.gz — brain extracted');
    expect(rows[1].text).toContain('made here');
    expect(rows.map((r) => r.selected)).toEqual([false, true]);
    // The page shows the masked image: the T1 inside the mask, 0 outside, on the T1's grid.
    const shown = await pageVolume(page);
    expect(shown.dims).toEqual([256, 256, 256]);
    expect(shown.dtype).toBe(t1.header.dtype);
    expect(shown.description).toContain('brain extracted');
    expect(maskedMismatch(shown.voxels, t1.voxels, mask)).toEqual([0, 0]);
    // The segmentation was kept: same labels, same segment.
    expect(Buffer.compare(await pageLabels(page), mask)).toBe(0);
    expect((await segmentRows(page)).map((s) => s.name)).toEqual(['Brain Mask']);
    const line = page.locator('[data-testid="masked-image"]');
    expect(await line.getAttribute('data-shown')).toBe('true');
    expect(await line.locator('[data-testid="masked-original"]').textContent()).toBe('Show original');
    await shot(page, 'brain-skull-stripped');
    // Scalp, skull and neck are gone (a real mask, not the crop box).
    let removed = 0;
    for (let i = 0; i < mask.length; i++) if (!mask[i] && t1.voxels[i] !== 0) removed++;
    expect(removed, 'T1 voxels outside the mask set to 0').toBeGreaterThan(100_000);
  }, 600_000);

  it('the skull-stripped image is saved as .nii.gz: the T1 inside the mask, 0 outside, on the T1 grid', async () => {
    expect(mask, 'the extraction ran').toBeDefined();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-testid="masked-save"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('t1_crop_brain.nii.gz');
    const saved = readNifti(new Uint8Array(readFileSync((await download.path())!)), download.suggestedFilename());
    expect(saved.header.dims).toEqual([256, 256, 256]);
    expect(saved.header.dtype).toBe(t1.header.dtype);
    saved.header.spacing.forEach((v, i) => expect(v).toBeCloseTo(t1.header.spacing[i], 5));
    saved.header.origin.forEach((v, i) => expect(v).toBeCloseTo(t1.header.origin[i], 3));
    saved.header.direction.forEach((v, i) => expect(v).toBeCloseTo(t1.header.direction[i], 5));
    expect(maskedMismatch(saved.voxels, t1.voxels, mask)).toEqual([0, 0]);
  }, 300_000);

  it('the 17-region parcellation runs on the skull-stripped image: brainchop names and colours, plausible sizes', async () => {
    expect(mask, 'the extraction ran').toBeDefined();
    const manifest = JSON.parse(readFileSync(manifestOf(PARCELLATION), 'utf8')) as { name: string; labels: Label[] };
    expect(manifest.labels.length).toBe(17);
    expect(manifest.labels.find((l) => l.name === 'Cerebral-White-Matter')?.color).toEqual([245, 245, 245]);
    timings.parcellation = await runBundled(page, PARCELLATION, 'Brain parcellation: 17 regions');
    const rows = await segmentRows(page);
    expect(rows).toEqual(manifest.labels.map(({ value, name, color }) => ({ value, name, color })));
    const labels = await pageLabels(page);
    const n = counts(labels);
    const size = (name: string) => n.get(manifest.labels.find((l) => l.name === name)!.value) ?? 0;
    const sizes = Object.fromEntries(manifest.labels.map((l) => [l.name, size(l.name)]));
    console.log(`parcellation voxels per region: ${JSON.stringify(sizes)}`);
    // every region found; the cerebral white matter and cortex are the two largest
    for (const l of manifest.labels) expect(size(l.name), l.name).toBeGreaterThan(50);
    const largest = manifest.labels
      .map((l) => l.name)
      .sort((a, b) => size(b) - size(a))
      .slice(0, 2)
      .sort();
    expect(largest).toEqual(['Cerebral-Cortex', 'Cerebral-White-Matter']);
    for (const name of ['Cerebral-Cortex', 'Cerebral-White-Matter']) {
      expect(size(name), name).toBeGreaterThan(200_000);
      expect(size(name), name).toBeLessThan(900_000);
    }
    expect(size('Lateral-Ventricle')).toBeGreaterThan(2_000);
    expect(size('Lateral-Ventricle')).toBeLessThan(100_000);
    // the regions lie in the brain: inside the mask the image was cut to
    let labelled = 0,
      outside = 0;
    for (let i = 0; i < labels.length; i++) {
      if (!labels[i]) continue;
      labelled++;
      if (!mask[i]) outside++;
    }
    expect(labelled).toBeGreaterThan(800_000);
    expect(labelled).toBeLessThan(2_000_000);
    expect(outside / labelled, 'fraction of parcellated voxels outside the brain mask').toBeLessThan(0.01);
    await shot(page, 'brain-parcellation');
  }, 1_800_000);

  it('back on the original series, the parcellation stays on screen', async () => {
    const before = await pageLabels(page);
    const rows = await segmentRows(page);
    expect(rows.length, 'the parcellation ran').toBe(17);
    await page.locator('[data-testid="masked-original"]').click();
    await waitShown(page, 3);
    await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 120_000 });
    expect((await seriesRows(page)).map((r) => r.selected)).toEqual([true, false]);
    const shown = await pageVolume(page);
    expect(
      Buffer.compare(shown.voxels, Buffer.from(t1.voxels.buffer, t1.voxels.byteOffset, t1.voxels.byteLength)),
    ).toBe(0);
    expect(Buffer.compare(await pageLabels(page), before)).toBe(0);
    expect(await segmentRows(page)).toEqual(rows);
    await shot(page, 'brain-parcellation-original');
  }, 600_000);
});
