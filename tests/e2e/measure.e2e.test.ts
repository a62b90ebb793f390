/**
 * Measurements on the demo CT (the demo's own DICOM files, built in Node by the code the demo
 * worker runs, opened as a folder): a length drawn with the mouse between two analytic phantom
 * landmarks (aorta centre -> spinal canal centre) equals their true distance within one voxel;
 * an ellipse and a rectangle ROI's statistics equal the values computed here from the same voxels
 * (the files loaded in Node by the same loader, the ROI geometry read back from the app, a brute
 * force over the slice); an angle; the probe under the mouse; Export SR downloads a file that
 * dciodvfy accepts and pydicom reads back with the length. One page.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Vec3, Volume } from '../../src/core/types';
import { buildDemoFiles } from '../../src/app/demo/build';
import { DEMO_OPTIONS } from '../../src/app/demo/protocol';
import type { Measurement } from '../../src/app/measure/measurements';
import { phantomLandmarks } from '../../src/phantom/landmarks';
import { worldToIndex } from '../../src/volume/geometry';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  saveLog,
  screenshotPage,
  waitShown,
  type Browser,
} from './helpers/browser';
import { loadSeriesInNode } from './helpers/series';

const hasDciodvfy = spawnSync('sh', ['-c', 'command -v dciodvfy']).status === 0;
const list = (page: Page) => page.evaluate(() => window.__voxsegMeasure?.list() ?? []) as Promise<Measurement[]>;

/** Page coordinates of an LPS point in the axial view. */
async function onAxial(page: Page, p: Vec3): Promise<[number, number]> {
  const box = (await page.locator('[data-testid="view-axial"] .viewport').boundingBox())!;
  const q = await page.evaluate((w) => window.__voxsegMeasure!.toView('axial', w), p);
  return [box.x + q!.x, box.y + q!.y];
}

async function drag(page: Page, a: [number, number], b: [number, number]): Promise<void> {
  await page.mouse.move(a[0] - 5, a[1] - 5);
  await page.mouse.move(a[0], a[1], { steps: 2 });
  await page.mouse.down();
  await page.waitForTimeout(100);
  await page.mouse.move(b[0], b[1], { steps: 10 });
  await page.waitForTimeout(100);
  await page.mouse.up();
}

/** Wait for the measurement list to reach `n` and return its last entry. */
async function added(page: Page, n: number): Promise<Measurement> {
  await expect.poll(async () => (await list(page)).length, { timeout: 15_000 }).toBe(n);
  return (await list(page))[n - 1];
}

/** Brute force over the axial slice the ROI lies on: voxel centres inside the shape. */
function bruteForce(ct: Volume, m: Measurement) {
  const [c, cu, cv] = m.points;
  const a = Math.hypot(cu[0] - c[0], cu[1] - c[1]);
  const b = Math.hypot(cv[0] - c[0], cv[1] - c[1]);
  const { dims, origin, spacing } = ct.header;
  // The slice whose voxel centres lie within [-s/2, s/2) of the plane.
  const k = Math.floor((c[2] - origin[2]) / spacing[2] + 0.5);
  const values: number[] = [];
  for (let j = 0; j < dims[1]; j++)
    for (let i = 0; i < dims[0]; i++) {
      const x = (origin[0] + i * spacing[0] - c[0]) / a;
      const y = (origin[1] + j * spacing[1] - c[1]) / b;
      const inside = m.kind === 'ellipse' ? x * x + y * y <= 1 : Math.abs(x) <= 1 && Math.abs(y) <= 1;
      if (inside) values.push(ct.voxels[i + j * dims[0] + k * dims[0] * dims[1]]);
    }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { count: values.length, mean, std, min: Math.min(...values), max: Math.max(...values) };
}

describeBrowser('Measurements', [], () => {
  let browser: Browser;
  let dir = '';
  let ct: Volume;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'voxseg-measure-'));
    const { files } = buildDemoFiles(DEMO_OPTIONS, () => undefined);
    for (const f of files) writeFileSync(join(dir, f.name), f.bytes);
    ct = await loadSeriesInNode(files.map((f) => join(dir, f.name)));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('length between landmarks, ROI statistics, angle, probe and a valid SR', async () => {
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      await page.setInputFiles('[data-testid="folder-input"]', dir);
      await waitShown(page);
      const axial = page.locator('[data-testid="view-axial"] .viewport');
      const box = (await axial.boundingBox())!;

      // The probe under the mouse: the slice shown, and the value of the nearest voxel.
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await expect
        .poll(() => page.evaluate(() => window.__voxsegMeasure?.hover()?.view), { timeout: 20_000 })
        .toBe('axial');
      const hover = (await page.evaluate(() => window.__voxsegMeasure!.hover()))!;
      const ijk = worldToIndex(ct.header, hover.world).map(Math.round);
      const [nx, ny] = ct.header.dims;
      expect(hover.value).toBe(ct.voxels[ijk[0] + ijk[1] * nx + ijk[2] * nx * ny]);
      await expect(page.locator('[data-testid="measure-readout"]').textContent()).resolves.toContain(
        `${hover.value} HU`,
      );
      await expect(page.locator('[data-testid="axial-probe"]').textContent()).resolves.toContain(`${hover.value} HU`);

      // Length from the aorta's centre to the spinal canal's, on the slice shown.
      const z = hover.world[2];
      const k = Math.floor((z - ct.header.origin[2]) / ct.header.spacing[2] + 0.5);
      const marks = phantomLandmarks(DEMO_OPTIONS, k);
      const aorta: Vec3 = [marks.aorta![0], marks.aorta![1], z];
      const canal: Vec3 = [marks.canal[0], marks.canal[1], z];
      const truth = Math.hypot(aorta[0] - canal[0], aorta[1] - canal[1]);
      await page.locator('[data-testid="measure-length"]').click();
      expect(await page.evaluate(() => window.__voxsegMeasure!.tool())).toBe('length');
      await drag(page, await onAxial(page, aorta), await onAxial(page, canal));
      const length = await added(page, 1);
      expect(length.kind).toBe('length');
      expect(length.view).toBe('axial');
      const voxel = ct.header.spacing[0];
      expect(Math.abs(length.values.length! - truth), `length ${length.values.length} vs ${truth}`).toBeLessThan(voxel);

      // Ellipse in the liver, rectangle over the aorta and spine: statistics from the same voxels.
      await page.locator('[data-testid="measure-ellipse"]').click();
      const liver = await onAxial(page, [-55, -5, z]);
      await drag(page, liver, [liver[0] + 25, liver[1] + 20]);
      const ellipse = await added(page, 2);
      await page.locator('[data-testid="measure-rectangle"]').click();
      // (away from the text boxes, which the tools draw to the right of each measurement)
      const from = await onAxial(page, [-95, 25, z]);
      await drag(page, from, [from[0] + 35, from[1] + 35]);
      const rect = await added(page, 3);
      for (const m of [ellipse, rect]) {
        const want = bruteForce(ct, m);
        expect(want.count, `${m.label} voxels`).toBeGreaterThan(100);
        expect(m.values.count).toBe(want.count);
        expect(m.values.mean).toBeCloseTo(want.mean, 6);
        expect(m.values.std).toBeCloseTo(want.std, 6);
        expect(m.values.min).toBe(want.min);
        expect(m.values.max).toBe(want.max);
      }
      // The liver is ~60 HU in the demo's phase: the ellipse lies in it.
      expect(ellipse.values.mean!).toBeGreaterThan(40);
      expect(ellipse.values.mean!).toBeLessThan(80);

      // A right angle behind the canal (vertex second), clear of the other measurements' handles.
      await page.locator('[data-testid="measure-angle"]').click();
      const vertex: Vec3 = [canal[0], canal[1] + 25, z];
      for (const p of [[vertex[0] - 30, vertex[1], z], vertex, [vertex[0], vertex[1] + 30, z]] as Vec3[]) {
        const [x, y] = await onAxial(page, p);
        await page.mouse.move(x, y, { steps: 3 });
        await page.mouse.down();
        await page.mouse.up();
        await page.waitForTimeout(150);
      }
      const angle = await added(page, 4);
      expect(Math.abs(angle.values.angle! - 90)).toBeLessThan(3);
      // A probe point keeps the value of the voxel nearest it.
      await page.locator('[data-testid="measure-probe"]').click();
      const [probeX, probeY] = await onAxial(page, [90, 60, z]);
      await page.mouse.move(probeX - 4, probeY - 4);
      await page.mouse.move(probeX, probeY, { steps: 3 });
      await page.mouse.down();
      await page.waitForTimeout(100);
      await page.mouse.up();
      const probe = await added(page, 5);
      const pi = worldToIndex(ct.header, probe.points[0]).map(Math.round);
      expect(probe.values.value).toBe(ct.voxels[pi[0] + pi[1] * nx + pi[2] * nx * ny]);
      await page.locator('[data-testid="measure-probe"]').click();
      expect(await page.evaluate(() => window.__voxsegMeasure!.tool())).toBe(null);
      await screenshotPage(page, 'measure');

      // Export SR: dciodvfy accepts it, pydicom reads the length back.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('[data-testid="measure-export-sr"]').click(),
      ]);
      const file = join(dir, 'sr.dcm');
      await download.saveAs(file);
      if (hasDciodvfy) {
        const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
        const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
        expect(errors).toEqual([]);
      }
      const py = spawnSync(
        '/usr/bin/python3',
        [join(dirname(fileURLToPath(import.meta.url)), '../unit/io/sr/sr_read.py'), file],
        { encoding: 'utf8' },
      );
      expect(py.status, py.stderr).toBe(0);
      const sr = JSON.parse(py.stdout);
      expect(sr.groups.map((g: { id: string }) => g.id)).toEqual(['Length 1', 'Ellipse 1', 'Rectangle 1', 'Angle 1']);
      expect(sr.groups[0].values.Length.value).toBeCloseTo(length.values.length!, 3);
      expect(sr.groups[1].values.Mean.value).toBeCloseTo(ellipse.values.mean!, 3);
    } catch (err) {
      await screenshotPage(page, 'measure-failed').catch(() => undefined);
      throw err;
    } finally {
      saveLog('measure', log);
      await page.close();
    }
  }, 120_000);
});
