/**
 * Importing an nnU-Net v2 model in the browser: a result zip with TotalSegmentator's dataset name
 * and label names (random weights, written by PyTorch: training/nnunet_reference.py) is added
 * through "Add model…" while the real J2K CT is open; the conversion shows its progress; the card
 * shows the source, the labels, the grid, the fold, the stored size and the estimate for the study;
 * the model runs (WASM) and its structures come out as segments with TotalSegmentator's names;
 * after a reload the model is still listed and runs at once, without converting, to the same
 * labels; a truncated zip gives an error naming it and nothing is kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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

const J2K = 'dicom/ct-abdomen-j2k';
const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
/** The label names of the generated model (TotalSegmentator's first seven classes). */
const NAMES = ['spleen', 'kidney_right', 'kidney_left', 'gallbladder', 'liver', 'stomach', 'pancreas'];
const DATASET = 'Dataset297_TotalSegmentator_total_3mm_1559subj';

/** Model folders kept in the page's origin private file system (`models/`). */
const storedIds = (page: Page) =>
  page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('models', { create: true });
    const out: { id: string; files: string[] }[] = [];
    for await (const [name, h] of (
      dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
    ).entries()) {
      if (h.kind !== 'directory') continue;
      const files: string[] = [];
      for await (const [f] of (h as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries())
        files.push(f);
      out.push({ id: name, files: files.sort() });
    }
    return out;
  });

/** Record every stage the import progress bar shows (it may come and go between two polls). */
const watchImportProgress = (page: Page) =>
  page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __importStages: string[] }).__importStages = seen;
    const look = () => {
      const bar = document.querySelector('[data-testid="import-progress"]');
      const label = bar?.getAttribute('aria-label');
      if (label && seen[seen.length - 1] !== label) seen.push(label);
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
const importStages = (page: Page) =>
  page.evaluate(() => (window as unknown as { __importStages: string[] }).__importStages);

async function openJ2k(page: Page): Promise<void> {
  await page.setInputFiles('[data-testid="folder-input"]', sharedPath(J2K));
  await waitShown(page);
}

async function runWasm(
  page: Page,
): Promise<{ labels: Buffer; dims: number[]; segments: { value: number; name: string }[] }> {
  await page.locator('[data-testid="device-select"]').selectOption('wasm');
  await page.locator('[data-testid="segment-run"]').click();
  await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
    timeout: 240_000,
  });
  const banner = await page.locator('[data-testid="notices"] .notice').allTextContents();
  expect(
    await page.locator('[data-testid="segment-panel"]').getAttribute('data-run'),
    `run status; banner: ${banner}`,
  ).toBe('done');
  await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 60_000 });
  const labels = await page.evaluate(() => window.__voxsegTest?.labels() ?? null);
  const edit = await page.evaluate(() => window.__voxsegTest?.edit() ?? null);
  return { labels: Buffer.from(labels!.base64, 'base64'), dims: labels!.dims, segments: edit!.segments };
}

/**
 * Screenshot the page area of an element into test-results/ (and return the path). A clip, not an
 * element screenshot: the panel keeps changing size while the 3D surfaces build, and an element
 * screenshot waits for it to stand still.
 */
async function shot(page: Page, selector: string | null, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.png`);
  try {
    await settle(page);
    let clip: { x: number; y: number; width: number; height: number } | undefined;
    if (selector) {
      await page.locator(selector).scrollIntoViewIfNeeded();
      const box = (await page.locator(selector).boundingBox())!;
      clip = {
        x: Math.max(0, box.x),
        y: Math.max(0, box.y),
        width: Math.min(box.width, 1400 - box.x),
        height: Math.min(box.height, 900 - Math.max(0, box.y)),
      };
    }
    await page.screenshot({ path, clip, timeout: 120_000 });
  } catch (err) {
    // Screenshots are for people to look at, not assertions: a busy software-rendered page may not paint in time.
    console.warn(`screenshot ${name} skipped: ${(err as Error).message.split('\n')[0]}`);
  }
  return path;
}

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

/** Wait until the models kept by earlier visits are listed. */
const storedListed = (page: Page) =>
  page.waitForSelector('[data-testid="segment-panel"][data-stored="listed"]', { timeout: 90_000 });

const suite = (fn: () => void) =>
  hasTorch
    ? describeBrowser('nnU-Net import in the browser', [J2K], fn)
    : describe.skip(
        'nnU-Net import in the browser [skipped: /usr/bin/python3 with torch (Debian python3-torch) not found, needed to write the test model]',
        fn,
      );

suite(() => {
  let browser: Browser;
  let tmp: string;
  let zip: string;
  let truncated: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'voxseg-nnunet-e2e-'));
    const r = spawnSync(
      python,
      ['training/nnunet_reference.py', 'make', '--case', 'tiny-totalseg', '--schema', 'new', '--out', tmp, '--zip'],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`nnunet_reference.py make failed (${r.status}):\n${r.stderr}`);
    const made = JSON.parse(r.stdout.trim().split('\n').pop()!) as { folder: string; zip: string };
    zip = made.zip;
    expect(basename(zip)).toBe(`${DATASET}.zip`);
    const bytes = readFileSync(zip);
    truncated = join(tmp, 'TotalSegmentator_truncated.zip');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('cancels a conversion at once; nothing is kept and the next import works', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      // Click Cancel from inside the page as soon as it shows: the tiny model converts in about a second.
      const cancelled = page.evaluate(async () => {
        for (let i = 0; i < 2000; i++) {
          const cancel = document.querySelector<HTMLButtonElement>('[data-testid="import-cancel"]');
          if (cancel) {
            cancel.click();
            return true;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        return false;
      });
      await page.setInputFiles('[data-testid="model-files-input"]', zip);
      expect(await cancelled, 'the Cancel button showed during the conversion').toBe(true);
      const panel = page.locator('[data-testid="segment-panel"]');
      expect(await panel.getAttribute('data-import')).toBe('cancelled');
      expect(await page.locator('[data-testid="import-cancelled"]').textContent()).toContain('nothing was kept');
      // Give a worker that was not really stopped time to finish: still nothing.
      await page.waitForTimeout(3000);
      expect(await panel.getAttribute('data-import')).toBe('cancelled');
      expect(await storedIds(page)).toEqual([]);
      expect(await page.locator('[data-testid="model-select"] option', { hasText: '(imported)' }).count()).toBe(0);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);

      // The same page converts the next time (a fresh worker), and Remove deletes it again.
      await page.setInputFiles('[data-testid="model-files-input"]', zip);
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-import="done"], [data-import="failed"])', {
        timeout: 120_000,
      });
      expect(await panel.getAttribute('data-import')).toBe('done');
      expect(await storedIds(page)).toHaveLength(1);
      await page.locator('[data-testid="model-remove"]').click();
      await expect.poll(() => storedIds(page)).toEqual([]);
    } finally {
      saveLog('nnunet-cancel', log);
      await page.close();
    }
  });

  it('adds a result zip with progress, shows its card, runs it on the J2K CT, and after a reload runs it again without converting', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await openJ2k(page);
      const panel = page.locator('[data-testid="segment-panel"]');
      expect(await storedIds(page)).toEqual([]);

      // (c) Add model… with the zip; the conversion reports its stages.
      await watchImportProgress(page);
      await page.setInputFiles('[data-testid="model-files-input"]', zip);
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-import="done"], [data-import="failed"])', {
        timeout: 120_000,
      });
      const banner = await page.locator('[data-testid="notices"] .notice').allTextContents();
      expect(await panel.getAttribute('data-import'), `import status; banner: ${banner}`).toBe('done');
      const stages = await importStages(page);
      expect(stages.join(' | ')).toMatch(/Reading fold 0/);
      expect(stages.join(' | ')).toMatch(/Building the ONNX graph/);
      expect(await page.locator('[data-testid="import-progress"]').count()).toBe(0);

      // The card: source, labels with colours, grid, fold, storage, estimate for the open study.
      const card = page.locator('[data-testid="model-card"]');
      expect(await card.getAttribute('data-origin')).toBe('imported');
      const cardText = (await card.textContent()) ?? '';
      expect(cardText).toContain(DATASET);
      expect(cardText).toContain('nnUNetTrainer__nnUNetPlans__3d_fullres');
      expect(await page.locator('[data-testid="model-label-count"]').textContent()).toBe('7 structures');
      const labelNames = await page.locator('[data-testid="model-labels"] .label').allTextContents();
      expect(labelNames.map((s) => s.trim())).toEqual(NAMES);
      expect(await page.locator('[data-testid="model-labels"] .swatch').count()).toBe(7);
      expect(await page.locator('[data-testid="model-grid"]').textContent()).toContain(
        '3 × 3 × 3 mm; patch 32 × 32 × 32',
      );
      expect(await page.locator('[data-testid="model-folds"]').textContent()).toContain('1 (fold 0)');
      expect(await page.locator('[data-testid="model-device"]').textContent()).toContain('WebGPU or WASM');
      const stored = page.locator('[data-testid="model-stored"]');
      expect(await stored.getAttribute('data-storage')).toBe('opfs');
      expect(await stored.textContent()).toMatch(/\d+ kB in this browser/);
      // The J2K CT (512 x 512 x 20 at 0.977 x 0.977 x 2 mm) on a 3 mm grid: 167 x 167 x 13.
      const estimate = (await page.locator('[data-testid="model-estimate"]').textContent()) ?? '';
      expect(estimate).toMatch(/model grid 167 × 167 × 13, \d+ tiles; about .+ on WASM/);
      await shot(page, '[data-testid="model-card"]', 'nnunet-card');
      await shot(page, null, 'nnunet-imported');

      // Kept in the browser: the model folder with its four files.
      const ids = await storedIds(page);
      expect(ids).toHaveLength(1);
      expect(ids[0].files).toEqual(['import.json', 'manifest.json', 'model.onnx']);

      // (d) Run it on the study: TotalSegmentator's names as segments, voxels labelled.
      const first = await runWasm(page);
      expect(first.dims).toEqual([512, 512, 20]);
      expect(first.segments.map((s) => s.name)).toEqual(NAMES);
      const labelled = first.labels.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
      expect(labelled, 'voxels labelled by the model').toBeGreaterThan(1000);
      expect(first.labels.reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(7);
      expect(await page.locator('[data-testid="segment-row"]').count()).toBe(7);
      await shot(page, null, 'nnunet-result');
      await shot(page, '[data-testid="segment-summary"]', 'nnunet-result-segments');

      // (e) Reload: listed at once, runs without a conversion, same labels.
      await page.reload();
      await page.waitForSelector('[data-testid="series-browser"]');
      await watchImportProgress(page);
      await storedListed(page);
      const option = page.locator('[data-testid="model-select"] option', { hasText: '(imported)' });
      expect(await option.count()).toBe(1);
      await openJ2k(page);
      await page.locator('[data-testid="model-select"]').selectOption((await option.getAttribute('value'))!);
      expect(await page.locator('[data-testid="model-card"]').getAttribute('data-origin')).toBe('imported');
      const again = await runWasm(page);
      expect(await importStages(page), 'no conversion after the reload').toEqual([]);
      expect(await panel.getAttribute('data-import')).toBe('idle');
      expect(again.segments.map((s) => s.name)).toEqual(NAMES);
      expect(again.labels.equals(first.labels), 'the stored model gives the same labels').toBe(true);
      await shot(page, null, 'nnunet-after-reload');
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('nnunet-import', log);
      await page.close();
    }
  });

  it('(f) names a truncated zip in the error and keeps nothing', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await storedListed(page);
      const before = await storedIds(page);
      const optionsBefore = await page.locator('[data-testid="model-select"] option').count();
      await page.setInputFiles('[data-testid="model-files-input"]', truncated);
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-import="done"], [data-import="failed"])', {
        timeout: 60_000,
      });
      expect(await page.locator('[data-testid="segment-panel"]').getAttribute('data-import')).toBe('failed');
      const notice = page.locator('[data-testid="notices"] .notice.error');
      await expect.poll(() => notice.count()).toBe(1);
      const text = (await notice.textContent()) ?? '';
      expect(text).toContain('Could not import the model');
      expect(text).toContain('TotalSegmentator_truncated.zip');
      expect(text).toMatch(/truncated|corrupt/);
      await shot(page, null, 'nnunet-truncated');
      expect(await storedIds(page)).toEqual(before);
      expect(await page.locator('[data-testid="model-select"] option').count()).toBe(optionsBefore);
    } finally {
      saveLog('nnunet-truncated', log);
      await page.close();
    }
  });

  it('imports a zip dropped on the Auto-segment panel; DICOM files dropped there open as a study', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const dropOnPanel = async (paths: string[]) => {
        await page.evaluate(() => {
          const input = Object.assign(document.createElement('input'), {
            type: 'file',
            multiple: true,
            id: 'e2e-panel-drop',
            hidden: true,
          });
          document.body.append(input);
        });
        await page.setInputFiles('#e2e-panel-drop', paths);
        await page.evaluate(() => {
          const input = document.getElementById('e2e-panel-drop') as HTMLInputElement;
          const dt = new DataTransfer();
          for (const f of Array.from(input.files ?? [])) dt.items.add(f);
          input.remove();
          const panel = document.querySelector('[data-testid="segment-panel"]')!;
          window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
          panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
          panel.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        });
      };
      await dropOnPanel([zip]);
      await page.waitForSelector('[data-testid="segment-panel"]:is([data-import="done"], [data-import="failed"])', {
        timeout: 120_000,
      });
      expect(await page.locator('[data-testid="segment-panel"]').getAttribute('data-import')).toBe('done');
      // The page's drop zone did not take it as a study, and its overlay is gone.
      expect(await page.locator('.app').getAttribute('data-status')).toBe('idle');
      expect(await page.locator('[data-testid="dropzone"]').count()).toBe(0);
      expect(await page.locator('[data-testid="model-card"]').getAttribute('data-origin')).toBe('imported');
      expect((await storedIds(page)).map((s) => s.id)).toHaveLength(1);

      const dicom = readdirSync(sharedPath(J2K))
        .filter((n) => n.startsWith('CT.'))
        .map((n) => join(sharedPath(J2K), n));
      await dropOnPanel(dicom);
      await waitShown(page);
      expect(await page.locator('[data-testid="series-row"]').count()).toBe(1);
      expect(await page.locator('[data-testid="segment-panel"]').getAttribute('data-import')).toBe('done');
    } finally {
      saveLog('nnunet-drop', log);
      await page.close();
    }
  });

  it('removes a kept model', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await storedListed(page);
      const option = page.locator('[data-testid="model-select"] option', { hasText: '(imported)' });
      expect(await option.count()).toBe(1);
      await page.locator('[data-testid="model-select"]').selectOption((await option.getAttribute('value'))!);
      await page.locator('[data-testid="model-remove"]').click();
      await expect.poll(() => option.count()).toBe(0);
      expect(await storedIds(page)).toEqual([]);
    } finally {
      saveLog('nnunet-remove', log);
      await page.close();
    }
  });
});
