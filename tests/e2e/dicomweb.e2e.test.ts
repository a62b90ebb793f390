/**
 * The app against a real Orthanc (DICOMweb plugin), served with `voxseg serve`'s server
 * (`startServer`, proxying /dicomweb/NAME to Orthanc). Orthanc holds the real CT
 * (ct-abdomen-j2k, given UIDs first) and a generated phantom study of another patient.
 *
 * 1. The study browser lists both; name, date and modality searches narrow them; the CT opened
 *    from Orthanc has the same voxels as the same files opened locally; a model runs; a brush
 *    stroke; Send to PACS; Orthanc then holds a SEG that dciodvfy accepts and whose referenced
 *    SOP instances are the series' own (Orthanc's REST API, pydicom); reopening the study offers
 *    the SEG under its series and it loads voxel-identical to what was sent.
 * 2. A local series whose files have blank UIDs: Send to PACS says so, and once the user agrees
 *    sends the images with the UIDs the SEG references filled in; Orthanc links them.
 * 3. A wrong password: a clear message naming the server.
 * Every page runs under `voxseg serve`'s Content-Security-Policy: test 1 fails on any violation,
 * test 3 shows that an inline script is refused and reported (so that check can fail).
 * 4. Orthanc stopped in the middle of a retrieval, once the axial view already shows the CT
 *    arriving (its pixels while instances are still missing): a clear message, the study that was
 *    open back on screen and its edits untouched; Orthanc started again, Retry completes with the right voxels, fetching only
 *    the instances still missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve-server';
import { orthancMissing, startOrthanc, type Orthanc } from '../orthanc/orthanc';
import { sharedPath } from '../unit/helpers/shared';
import { voxseg } from '../unit/cli/run';
import { blankUids } from '../unit/io/seg/write-helpers';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  saveLog,
  resultsDir,
  screenshotPage,
  waitShown,
  type Browser,
} from './helpers/browser';
import { decodePng, pixelStats, type PixelStats } from './helpers/png';
import { screenVolume, slowRelay, withUids, type SlowRelay } from './helpers/dicomweb';
import { filesIn } from './helpers/files';

const J2K = 'dicom/ct-abdomen-j2k';
const PYTHON = '/usr/bin/python3';
const hasPydicom = spawnSync(PYTHON, ['-c', 'import pydicom']).status === 0;
const hasDciodvfy = spawnSync('sh', ['-c', 'command -v dciodvfy']).status === 0;

const missing = orthancMissing();
const suite = (name: string, fn: () => void) =>
  missing ? describe.skip(`${name} [skipped: ${missing}]`, fn) : describeBrowser(name, [J2K], fn);

interface EditState {
  revision: number;
  hashes: number[];
}
const editState = (page: Page) => page.evaluate(() => window.__voxsegTest?.edit() ?? null) as Promise<EditState | null>;
const labelBytes = async (page: Page) =>
  Buffer.from(await page.evaluate(() => window.__voxsegTest?.labels()?.base64 ?? ''), 'base64');

async function settled(page: Page, before: number): Promise<EditState> {
  await expect.poll(async () => (await editState(page))?.revision ?? -1, { timeout: 30_000 }).toBeGreaterThan(before);
  return (await editState(page))!;
}

/** A brush stroke across the middle of the axial view. */
async function brush(page: Page): Promise<void> {
  await page.keyboard.press('b');
  const box = (await page.locator('[data-testid="view-axial"] .viewport').boundingBox())!;
  const y = box.y + box.height * 0.45;
  await page.mouse.move(box.x + box.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.65, y, { steps: 8 });
  await page.mouse.up();
}

/** Search with the form as it is; returns the studies' UIDs. */
async function search(page: Page): Promise<string[]> {
  await page.locator('[data-testid="pacs-search"]').click();
  await page.waitForSelector('[data-testid="pacs-dialog"][data-searching="false"]');
  return page.locator('[data-testid="pacs-study"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-uid')!));
}

async function openPacs(page: Page): Promise<void> {
  if ((await page.locator('[data-testid="pacs-dialog"]').count()) === 0)
    await page.locator('[data-testid="pacs-open"]').click();
  await page.waitForSelector('[data-testid="pacs-dialog"]');
}

/** Expand a study in the browser and open its (only) image series. */
async function openSeries(page: Page, studyUid: string): Promise<void> {
  await page.locator(`[data-testid="pacs-study"][data-uid="${studyUid}"]`).click();
  await page.waitForSelector('[data-testid="pacs-study-detail"][data-state="done"]');
  await page.locator('[data-testid="pacs-series-open"]').first().click();
}

suite('DICOMweb: the app against a real Orthanc', () => {
  let orthanc: Orthanc;
  let relay: SlowRelay;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let ct: { bytes: Uint8Array[]; studyUid: string; seriesUid: string };
  let localCt: { dims: number[]; dtype: string; sha256: string };
  const tmp = mkdtempSync(join(tmpdir(), 'voxseg-dicomweb-e2e-'));
  const phantom = join(tmp, 'phantom');
  const blankDir = join(tmp, 'blank');

  beforeAll(async () => {
    orthanc = await startOrthanc();
    ct = await withUids(filesIn(sharedPath(J2K)));
    await orthanc.upload(ct.bytes);
    const r = voxseg(['phantom', '-o', phantom, '--dims', '64,64,24', '--spacing', '4,4,6', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    await orthanc.upload(filesIn(join(phantom, 'ct')));
    // Another phantom whose files have blank Study/Series/SOP Instance UIDs (not in Orthanc).
    const r2 = voxseg(['phantom', '-o', join(tmp, 'other'), '--dims', '48,48,24', '--spacing', '5,5,6', '--seed', '9']);
    expect(r2.code, r2.stderr).toBe(0);
    mkdirSync(blankDir);
    const other = filesIn(join(tmp, 'other', 'ct')).map((p) => ({
      name: basename(p),
      bytes: new Uint8Array(readFileSync(p)),
    }));
    for (const f of blankUids(other)) writeFileSync(join(blankDir, f.name), f.bytes);
    relay = await slowRelay(orthanc.url, 300);
    const basic = { kind: 'basic' as const, user: orthanc.user, password: orthanc.password };
    server = await startServer({
      root: join(repoRoot, '.cache/e2e-dist'),
      servers: [
        { name: 'orthanc', url: orthanc.dicomweb, auth: basic },
        // credentials from the browser (the user's own), passed through
        { name: 'open', url: orthanc.dicomweb, auth: { kind: 'none' } },
        { name: 'slow', url: `${relay.url}/dicom-web`, auth: basic },
      ],
    });
    browser = await launchBrowser();
    // Every page here runs under `voxseg serve`'s Content-Security-Policy: report its violations.
    await browser.context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP-VIOLATION ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
      );
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await relay?.close();
    await orthanc?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('searches, opens the CT as locally, segments, edits, sends the SEG and loads it back', async () => {
    const { page, log } = await openApp(browser.context, server.url, '?demo=0&dicomweb=orthanc=/dicomweb/orthanc');
    try {
      // The same files opened locally: the reference voxels.
      await page.setInputFiles('[data-testid="folder-input"]', sharedPath(J2K));
      await waitShown(page, 1);
      localCt = (await screenVolume(page))!;
      expect(localCt.dims).toEqual([512, 512, 20]);

      await openPacs(page);
      expect(await page.locator('[data-testid="pacs-server-select"] option:checked').textContent()).toBe('orthanc');
      const all = await search(page);
      expect(all.sort()).toEqual([ct.studyUid, (await phantomStudy(orthanc)).uid].sort());
      await screenshotPage(page, 'dicomweb-browser');
      await page.locator('[data-testid="pacs-q-name"]').fill('voxseg');
      expect(await search(page)).toEqual([(await phantomStudy(orthanc)).uid]);
      expect(await page.locator('[data-testid="pacs-study-patient"]').textContent()).toMatch(/voxseg/);
      await page.locator('[data-testid="pacs-q-name"]').fill('');
      await page.locator('[data-testid="pacs-q-from"]').fill('2022-01-01');
      expect(await search(page)).toEqual([ct.studyUid]);
      await page.locator('[data-testid="pacs-q-from"]').fill('');
      await page.locator('[data-testid="pacs-q-modality"]').fill('CT');
      expect((await search(page)).length).toBe(2);

      // The CT from Orthanc: the same voxels as the local files.
      await openSeries(page, ct.studyUid);
      await waitShown(page, 2);
      expect(await page.locator('[data-testid="pacs-dialog"]').count()).toBe(0);
      expect(await screenVolume(page)).toEqual(localCt);
      expect(await page.locator('.topbar .source').textContent()).toMatch(/^orthanc: /);

      // A model, then a brush stroke.
      await expect.poll(() => page.locator('[data-testid="model-select"] option').count()).toBeGreaterThan(1);
      await page.locator('[data-testid="model-select"]').selectOption('bundled/ct-tissue-bands');
      await page.locator('[data-testid="segment-run"]').click();
      await page.waitForSelector('[data-testid="segment-summary"][data-overlay="shown"]', { timeout: 180_000 });
      const afterModel = (await editState(page))!;
      await brush(page);
      const edited = await settled(page, afterModel.revision);
      expect(edited.hashes[0]).not.toBe(afterModel.hashes[0]);
      const sent = await labelBytes(page);

      // Send to PACS: back to the server the study came from; no images needed (its UIDs are real).
      await page.locator('[data-testid="pacs-send-open"]').click();
      await page.waitForSelector('[data-testid="pacs-send-dialog"]');
      expect(await page.locator('[data-testid="pacs-send-target"] option:checked').textContent()).toBe('orthanc');
      expect(await page.locator('[data-testid="pacs-send-blank"]').count()).toBe(0);
      await page.locator('[data-testid="pacs-send"]').click();
      const result = page.locator('[data-testid="pacs-send-result"]');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute('data-failed')).toBe('0');
      expect(await result.getAttribute('data-stored')).toBe('1');
      expect(await result.textContent()).toMatch(/orthanc stored 1 instance/);
      await screenshotPage(page, 'dicomweb-sent');
      await page.locator('[data-testid="pacs-send-close"]').click();

      // Orthanc holds the SEG: dciodvfy accepts it, it references exactly the series' instances.
      const segs = await storedSegs(orthanc);
      expect(segs).toHaveLength(1);
      const seg = segs[0];
      const segFile = join(tmp, 'sent-seg.dcm');
      writeFileSync(segFile, seg.bytes);
      expect(dciodvfyErrors(segFile)).toEqual([]);
      const own = await seriesInstances(orthanc, ct.seriesUid);
      expect(own).toHaveLength(20);
      if (hasPydicom) expect(referencedInstances(segFile)).toEqual(own);
      expect(seg.referencedSeries).toBe(ct.seriesUid);

      // The modality search now narrows to the study holding a SEG.
      await openPacs(page);
      await page.locator('[data-testid="pacs-q-modality"]').fill('SEG');
      expect(await search(page)).toEqual([ct.studyUid]);
      await page.locator('[data-testid="pacs-q-modality"]').fill('');
      await search(page);

      // Reopen the study: the SEG is offered under its series and loads as it was sent.
      await openSeries(page, ct.studyUid);
      await waitShown(page, 3);
      await openPacs(page);
      const row = page.locator(`[data-testid="pacs-study"][data-uid="${ct.studyUid}"]`);
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      const offered = page.locator('[data-testid="pacs-series"] + [data-testid="pacs-seg"]');
      await offered.waitFor();
      expect(await offered.getAttribute('data-uid')).toBe(seg.sopInstanceUid);
      await screenshotPage(page, 'dicomweb-seg-offered');
      await offered.locator('[data-testid="pacs-seg-load"]').click();
      await expect.poll(async () => (await labelBytes(page)).length, { timeout: 60_000 }).toBe(sent.length);
      expect(Buffer.compare(await labelBytes(page), sent)).toBe(0);
      expect(await page.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
      await screenshotPage(page, 'dicomweb-seg-loaded');
      // All of it (JPEG 2000 decoding in workers, a model on onnxruntime-web, the PACS dialogs)
      // ran under the CSP without a violation.
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(log.filter((l) => /CSP-VIOLATION|Content Security Policy/.test(l))).toEqual([]);
    } finally {
      saveLog('dicomweb', log);
    }
  });

  it('a local series with blank UIDs: the images go with the SEG, UIDs filled, after the user agrees', async () => {
    const { page, log } = await openApp(browser.context, server.url, '?demo=0');
    try {
      await page.setInputFiles('[data-testid="folder-input"]', blankDir);
      await waitShown(page, 1);
      await brush(page);
      await settled(page, 0);
      await page.locator('[data-testid="pacs-send-open"]').click();
      await page.locator('[data-testid="pacs-send-target"]').selectOption({ label: 'orthanc' });
      const warning = page.locator('[data-testid="pacs-send-blank"]');
      await warning.waitFor();
      expect(await warning.textContent()).toMatch(/blank StudyInstanceUID and SeriesInstanceUID/);
      expect(await page.locator('[data-testid="pacs-send"]').isDisabled()).toBe(true);
      await screenshotPage(page, 'dicomweb-blank-uids');
      await page.locator('[data-testid="pacs-send-images"]').check();
      await page.locator('[data-testid="pacs-send"]').click();
      const result = page.locator('[data-testid="pacs-send-result"]');
      await result.waitFor({ timeout: 60_000 });
      expect(await result.getAttribute('data-failed')).toBe('0');
      expect(await result.getAttribute('data-stored')).toBe('25');
      expect(await result.textContent()).toMatch(/the SEG and 24 images/);
      // Orthanc links them: the new SEG names a series Orthanc holds, and its 24 instances.
      const seg = (await storedSegs(orthanc)).find((g) => g.referencedSeries !== ct.seriesUid)!;
      expect(seg).toBeTruthy();
      const segFile = join(tmp, 'blank-seg.dcm');
      writeFileSync(segFile, seg.bytes);
      expect(dciodvfyErrors(segFile)).toEqual([]);
      const own = await seriesInstances(orthanc, seg.referencedSeries);
      expect(own).toHaveLength(24);
      // (a SEG references the images it has frames on: here the slice the stroke was drawn on)
      if (hasPydicom) {
        const refs = referencedInstances(segFile);
        expect(refs.length).toBeGreaterThan(0);
        expect(own).toEqual(expect.arrayContaining(refs));
      }
    } finally {
      saveLog('dicomweb-blank', log);
    }
  });

  it('a wrong password: a clear message naming the server', async () => {
    const { page, log } = await openApp(browser.context, server.url, '?demo=0');
    try {
      await openPacs(page);
      await page.locator('[data-testid="pacs-server-add"]').click();
      await page.locator('[data-testid="pacs-server-name"]').fill('Hospital PACS');
      await page.locator('[data-testid="pacs-server-url"]').fill('/dicomweb/open');
      await page.locator('[data-testid="pacs-server-auth"]').selectOption('basic');
      await page.locator('[data-testid="pacs-server-user"]').fill(orthanc.user);
      await page.locator('[data-testid="pacs-server-password"]').fill('not-the-password');
      await screenshotPage(page, 'dicomweb-server-form');
      await page.locator('[data-testid="pacs-server-save"]').click();
      expect(await page.locator('[data-testid="pacs-server-select"] option:checked').textContent()).toBe(
        'Hospital PACS',
      );
      await page.locator('[data-testid="pacs-search"]').click();
      const error = page.locator('[data-testid="pacs-error"]');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/^Hospital PACS: .*(user name or password|401)/);
      expect(await page.locator('[data-testid="pacs-study"]').count()).toBe(0);
      await screenshotPage(page, 'dicomweb-wrong-password');
      // The password is not in localStorage (it was not to be remembered).
      expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('not-the-password');
      // The CSP is enforced and its violations are seen (the check above can fail): an inline script is refused.
      await page.evaluate(() => {
        const el = document.createElement('script');
        el.textContent = 'window.__inlineRan = true';
        document.body.append(el);
      });
      await expect.poll(() => log.filter((l) => /CSP-VIOLATION script-src/.test(l)).length).toBeGreaterThan(0);
      expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    } finally {
      saveLog('dicomweb-password', log);
    }
  });

  it('Orthanc stopped mid-retrieval: a clear message, nothing lost, Retry resumes', async () => {
    const { page, log } = await openApp(browser.context, server.url, '?demo=0&dicomweb=slow=/dicomweb/slow');
    try {
      // A study with edits on screen (the phantom, opened locally).
      await page.setInputFiles('[data-testid="folder-input"]', join(phantom, 'ct'));
      await waitShown(page, 1);
      await brush(page);
      const before = await settled(page, 0);
      const source = await page.locator('.topbar .source').textContent();

      await openPacs(page);
      await page.locator('[data-testid="pacs-server-select"]').selectOption({ label: 'slow' });
      await search(page);
      // slow enough for several looks at the views while the series arrives
      relay.pace = 150;
      await openSeries(page, ct.studyUid);
      // Some instances in, not all: stop Orthanc.
      await page.waitForFunction(
        () => {
          const m = /: (\d+) of (\d+) instances/.exec(
            document.querySelector('[data-testid="progress"]')?.textContent ?? '',
          );
          return !!m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
        },
        null,
        { timeout: 60_000, polling: 20 },
      );
      // The series shows while it arrives: the axial view holds the CT's pixels (not the flat
      // fill of slices not yet in) while the progress still says instances are missing.
      const partial = await arrivingView(page);
      // hold the rest back at once (a screenshot takes long enough for the last instances to pass)
      relay.pace = 60_000;
      expect(partial.instances).toBeLessThan(20);
      console.log(`axial view while ${partial.instances} of 20 instances were in: ${JSON.stringify(partial.stats)}`);
      await screenshotPage(page, 'dicomweb-retrieving');
      const servedBefore = relay.served;
      // Orthanc goes down and its connections drop with it (a graceful stop would first finish
      // the transfer the relay is still reading).
      const stopping = orthanc.stop();
      relay.cut();
      await stopping;

      const notice = page.locator('[data-testid="notices"] .notice.error', {
        has: page.locator('[data-testid="pacs-retry"]'),
      });
      await notice.waitFor({ timeout: 60_000 });
      expect(await notice.textContent()).toMatch(
        /Could not retrieve CT Body 3\.0 from slow.*slow.*(dropped|reachable|HTTP 50)/s,
      );
      await screenshotPage(page, 'dicomweb-dropped');
      // Nothing lost: the same study, its edits, ready.
      await page.waitForSelector('.app[data-status="ready"]');
      await screenshotPage(page, 'dicomweb-restored');
      expect(await page.locator('.topbar .source').textContent()).toBe(source);
      expect((await editState(page))!.hashes).toEqual(before.hashes);
      expect((await editState(page))!.revision).toBe(before.revision);

      await orthanc.start();
      relay.pace = 40;
      const servedAtRestart = relay.served;
      await page.locator('[data-testid="pacs-retry"]').click();
      await waitShown(page, 2);
      expect(await screenVolume(page)).toEqual(localCt);
      await screenshotPage(page, 'dicomweb-retried');
      // Only the instances still missing were fetched again, one by one (the series came in one
      // request until the drop).
      expect(servedBefore).toBe(0);
      expect(relay.served - servedAtRestart).toBeLessThan(20);
      expect(relay.served - servedAtRestart).toBeGreaterThan(0);
    } finally {
      saveLog('dicomweb-retry', log);
    }
  });
});

/**
 * Poll the axial view during a retrieval of the CT (20 instances) until it shows the CT being
 * filled in while the progress (read after the look) says fewer than 20 instances are in. The
 * look is the middle half of the view (no corner texts): a slice not yet in is one flat grey
 * there, crossed by the crosshair lines; a CT slice has hundreds of grey levels and a wide spread.
 * Throws with everything it saw otherwise.
 */
async function arrivingView(page: Page): Promise<{ instances: number; stats: PixelStats }> {
  const count = () =>
    page.evaluate(() => {
      const text = document.querySelector('[data-testid="progress"]')?.textContent ?? '';
      const m = /: (\d+) of (\d+) instances/.exec(text);
      return m ? Number(m[1]) : 20;
    });
  const view = page.locator('[data-testid="view-axial"] .viewport');
  const seen: string[] = [];
  for (let i = 0; i < 400; i++) {
    const slice = await page.evaluate(
      () => document.querySelector('[data-testid="view-axial"] .slice')?.textContent ?? '',
    );
    const box = await view.boundingBox();
    let stats: PixelStats | null = null;
    if (/\/ 20\s*$/.test(slice) && box) {
      const clip = {
        x: box.x + box.width / 4,
        y: box.y + box.height / 4,
        width: box.width / 2,
        height: box.height / 2,
      };
      stats = pixelStats(decodePng(await page.screenshot({ clip, path: join(resultsDir, 'dicomweb-arriving.png') })));
    }
    const instances = await count();
    seen.push(`${instances} in, axial ${slice}: ${stats ? JSON.stringify(stats) : '-'}`);
    if (instances >= 20) break;
    if (stats && stats.levels > 64 && stats.lumaStd > 20) return { instances, stats };
    await page.waitForTimeout(25);
  }
  throw new Error(`the axial view did not show CT pixels before the last instance arrived:\n${seen.join('\n')}`);
}

/** The phantom's study as Orthanc lists it. */
async function phantomStudy(orthanc: Orthanc): Promise<{ uid: string }> {
  const studies =
    await orthanc.rest<{ MainDicomTags: Record<string, string>; PatientMainDicomTags: Record<string, string> }[]>(
      '/studies?expand',
    );
  const s = studies.find((x) => /voxseg/i.test(x.PatientMainDicomTags.PatientName ?? ''));
  if (!s) throw new Error('the phantom study is not in Orthanc');
  return { uid: s.MainDicomTags.StudyInstanceUID };
}

/** The SEG instances Orthanc holds: file, SOP Instance UID and the series each names (Orthanc's REST API). */
async function storedSegs(
  orthanc: Orthanc,
): Promise<{ bytes: Uint8Array; sopInstanceUid: string; referencedSeries: string }[]> {
  const series = await orthanc.rest<{ ID: string; MainDicomTags: Record<string, string> }[]>('/series?expand');
  const out = [];
  for (const s of series.filter((x) => x.MainDicomTags.Modality === 'SEG'))
    for (const inst of await orthanc.rest<{ ID: string; MainDicomTags: Record<string, string> }[]>(
      `/series/${s.ID}/instances`,
    )) {
      const r = await fetch(`${orthanc.url}/instances/${inst.ID}/file`, {
        headers: { authorization: orthanc.authorization },
      });
      expect(r.ok).toBe(true);
      const tags = await orthanc.rest<Record<string, unknown>>(`/instances/${inst.ID}/simplified-tags`);
      const refs = tags.ReferencedSeriesSequence as { SeriesInstanceUID: string }[] | undefined;
      out.push({
        bytes: new Uint8Array(await r.arrayBuffer()),
        sopInstanceUid: inst.MainDicomTags.SOPInstanceUID,
        referencedSeries: refs?.[0]?.SeriesInstanceUID ?? '',
      });
    }
  return out;
}

/** dciodvfy's errors for a file ([] when it accepts it, or when dciodvfy is not installed). */
function dciodvfyErrors(file: string): string[] {
  if (!hasDciodvfy) return [];
  const out = spawnSync('dciodvfy', [file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return `${out.stdout}\n${out.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

/** SOP Instance UIDs of a series as Orthanc holds it, sorted. */
async function seriesInstances(orthanc: Orthanc, seriesUid: string): Promise<string[]> {
  const series = await orthanc.rest<{ ID: string; MainDicomTags: Record<string, string> }[]>('/series?expand');
  const s = series.find((x) => x.MainDicomTags.SeriesInstanceUID === seriesUid)!;
  const inst = await orthanc.rest<{ MainDicomTags: Record<string, string> }[]>(`/series/${s.ID}/instances`);
  return inst.map((i) => i.MainDicomTags.SOPInstanceUID).sort();
}

/** The SEG's ReferencedSeriesSequence instances, read with pydicom, sorted. */
function referencedInstances(file: string): string[] {
  const py = `import pydicom,sys,json
d=pydicom.dcmread(sys.argv[1])
print(json.dumps(sorted(i.ReferencedSOPInstanceUID for s in d.ReferencedSeriesSequence for i in s.ReferencedInstanceSequence)))`;
  const r = spawnSync(PYTHON, ['-c', py, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}
