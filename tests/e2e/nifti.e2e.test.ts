/**
 * NIfTI files are listed as series next to DICOM and shown like them (CT in HU with the soft
 * tissue window; MR with the percentile window and the data-driven 3D preset).
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

const CT = 'nifti/ct/example_ct.nii.gz';
const MR = 'nifti/mr/example_mr_sm.nii.gz';
describeBrowser('NIfTI in the browser', [CT, MR], () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lists a CT and an MR NIfTI and shows each', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await page.setInputFiles('[data-testid="file-input"]', [sharedPath(CT), sharedPath(MR)]);
      await waitShown(page);
      await screenshotPage(page, 'nifti-ct');
      const dims = await page.locator('[data-testid="series-dims"]').allTextContents();
      expect(dims.sort()).toEqual(['117×91×20', '122×101×112']);
      for (const view of VIEWS) {
        const s = await viewStats(page, view, 'nifti-ct');
        expect.soft(s.foreground, `${view} foreground fraction`).toBeGreaterThan(0.05);
      }
      await page.locator('[data-testid="series-row"]', { hasText: '117×91×20' }).click();
      await waitShown(page, 2);
      await screenshotPage(page, 'nifti-mr');
      for (const view of VIEWS) {
        const s = await viewStats(page, view, 'nifti-mr');
        expect.soft(s.foreground, `${view} foreground fraction`).toBeGreaterThan(0.03);
      }
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    } finally {
      saveLog('nifti', log);
    }
  });
});
