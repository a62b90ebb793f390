/**
 * Models matched to the study in the app: on the demo CT the catalogue proposes the CT models and
 * flags the brain models as not meant for it, with the reason; on a real brain T1 (NIfTI, no
 * modality recorded) the brain models come first; a single CT slice cannot be run, and the panel
 * says why. Screenshots (the panel, with the list of unsuited models opened): model-fit-demo-ct.png,
 * model-fit-demo-ct-brain-picked.png, model-fit-t1.png (+ model-fit-t1-page.png), model-fit-2d.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { hasShared, sharedPath } from '../unit/helpers/shared';
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

const T1 = 'nifti/mr/t1_crop.nii.gz';
const SLICE = 'dicom/debian/pydicom_test_files/CT_small.dcm';

/** The option labels of the model list, per group ("Suited to this study", "Not meant for this study"). */
async function groups(page: Page): Promise<Record<string, string[]>> {
  return page.locator('[data-testid="model-select"]').evaluate((select) => {
    const out: Record<string, string[]> = {};
    for (const g of Array.from(select.querySelectorAll('optgroup')))
      out[g.label] = Array.from(g.querySelectorAll('option')).map((o) => o.value);
    return out;
  });
}

async function shotPanel(page: Page, name: string): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  await page.locator('[data-testid="segment-panel"]').screenshot({ path: join(resultsDir, `${name}.png`) });
}

describeBrowser('models matched to the study', [], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('demo CT: CT models proposed, brain models flagged with the reason; a brain T1: brain models first', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'), '');
    try {
      await waitShown(page);
      const select = page.locator('[data-testid="model-select"]');
      await expect.poll(() => groups(page).then((g) => Object.keys(g).length), { timeout: 60_000 }).toBe(2);
      let g = await groups(page);
      expect(g['Suited to this study']).toEqual(['bundled/abdomen-phantom', 'bundled/ct-tissue-bands']);
      const brain = g['Not meant for this study'];
      expect(brain.length).toBeGreaterThanOrEqual(1);
      expect(brain.every((k) => k.startsWith('bundled/brainchop-'))).toBe(true);
      // the best-suited model is selected and said to suit the study
      expect(await select.inputValue()).toBe('bundled/abdomen-phantom');
      const fit = page.locator('[data-testid="model-fit"]');
      expect(await fit.getAttribute('data-fits')).toBe('true');
      // The demo's DICOM says CT and BodyPartExamined ABDOMEN: "is", not "looks like".
      expect(await fit.textContent()).toContain('For an abdominal CT; this is an abdominal CT.');
      // the brain models, with why not
      const unsuited = page.locator('[data-testid="model-unsuited"]');
      expect(await unsuited.locator('summary').textContent()).toBe(
        `${brain.length} models are not meant for this study`,
      );
      await unsuited.locator('summary').click({ timeout: 120_000 });
      const reasons = await unsuited.locator('[data-testid="unsuited-reason"]').allTextContents();
      expect(reasons).toContain('Expects a T1 brain MRI; this is an abdominal CT.');
      expect(await unsuited.locator('[data-testid="unsuited-model"]').count()).toBe(brain.length);
      await shotPanel(page, 'model-fit-demo-ct');
      // picking a brain model anyway: a warning with the reasons, Run stays enabled
      await select.selectOption('bundled/brainchop-tissue');
      expect(await fit.getAttribute('data-fits')).toBe('false');
      const text = await fit.textContent();
      expect(text).toContain('Expects a T1 brain MRI; this is an abdominal CT.');
      expect(text).toContain('This model is for MRI; the study is a CT.');
      expect(text).toContain('This model is for the head; the study shows the abdomen');
      expect(await page.locator('[data-testid="segment-run"]').isEnabled()).toBe(true);
      await shotPanel(page, 'model-fit-demo-ct-brain-picked');

      if (!hasShared(T1)) {
        console.warn(`skipped the brain T1 half: reference data ../shared/data/${T1} not found`);
        return;
      }
      await page.setInputFiles('[data-testid="file-input"]', [sharedPath(T1)]);
      await waitShown(page, 2);
      await expect.poll(() => groups(page).then((x) => x['Suited to this study']?.length ?? 0)).toBe(brain.length);
      g = await groups(page);
      expect(g['Suited to this study'].every((k) => k.startsWith('bundled/brainchop-'))).toBe(true);
      // ranked by score too: the any-body-part CT model before the abdominal one
      expect(g['Not meant for this study']).toEqual(['bundled/ct-tissue-bands', 'bundled/abdomen-phantom']);
      // the brain model picked on the CT suits the T1 and stays selected
      expect(await select.inputValue()).toBe('bundled/brainchop-tissue');
      expect(await fit.getAttribute('data-fits')).toBe('true');
      expect(await fit.textContent()).toContain('For a T1 brain MRI; this looks like a brain MRI.');
      await page.locator('[data-testid="model-unsuited"] summary').click({ timeout: 120_000 });
      expect(await page.locator('[data-testid="unsuited-reason"]').allTextContents()).toEqual([
        'Expects a CT of any body part; this looks like a brain MRI.',
        'Expects an abdominal CT; this looks like a brain MRI.',
      ]);
      await screenshotPage(page, 'model-fit-t1-page');
      await shotPanel(page, 'model-fit-t1');
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('model-fit', log);
    }
  });

  it.skipIf(!hasShared(SLICE))(
    'a single CT slice: Run is off and the panel says why, before anything runs',
    async () => {
      const { page, log } = await openApp(browser.context, inject('baseUrl'));
      try {
        await page.setInputFiles('[data-testid="file-input"]', [sharedPath(SLICE)]);
        await waitShown(page);
        const fit = page.locator('[data-testid="model-fit"]');
        await expect.poll(() => fit.getAttribute('data-fits'), { timeout: 60_000 }).toBe('false');
        expect(await fit.textContent()).toBe(
          'This is a 2-D image (128 x 128 x 1: one slice); the models segment 3-D volumes, so use the whole series.',
        );
        expect(await page.locator('[data-testid="segment-run"]').isDisabled()).toBe(true);
        await shotPanel(page, 'model-fit-2d');
      } finally {
        saveLog('model-fit-2d', log);
      }
    },
  );
});
