/**
 * An imported nnU-Net v2 network — transposed convolutions written as 1x1x1 Conv + depth-to-space,
 * instance norm, leaky ReLU, skip concatenations — runs on Chromium's WebGPU (software adapter with
 * --enable-unsafe-webgpu: a correctness check, not a speed figure) without falling back to WASM,
 * and agrees with WASM on a block of a real CT.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { nnunetSourceFiles } from '../../src/cli/nnunet-source';
import { readNifti, writeNifti } from '../../src/dicom/nifti/index';
import { importNnunet } from '../../src/inference/nnunet/import';
import { indexToWorld } from '../../src/volume/geometry';
import { createVolume } from '../../src/volume/volume';
import { sharedPath } from '../unit/helpers/shared';
import { describeBrowser, launchBrowser, openApp, repoRoot, saveLog, screenshotPage, waitShown } from './helpers/browser';

const python = '/usr/bin/python3';
const hasTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'voxseg-e2e-nnunet-gpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pageLabels = async (page: Page) => Buffer.from(await page.evaluate(() => window.__voxsegTest?.labels()?.base64 ?? ''), 'base64');

async function runModel(page: Page, files: { name: string; buffer: Buffer }[], device: 'wasm' | 'webgpu'): Promise<string> {
  await page.setInputFiles('[data-testid="model-files-input"]', files.map((f) => ({ ...f, mimeType: 'application/octet-stream' })));
  await page.locator('[data-testid="device-select"]').selectOption(device);
  await page.locator('[data-testid="segment-run"]').click();
  await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', { timeout: 400_000 });
  const banner = await page.locator('[data-testid="notices"] .notice.error').allTextContents();
  expect(await page.locator('[data-testid="segment-panel"]').getAttribute('data-run'), `run status; banner: ${banner}`).toBe('done');
  return (await page.locator('[data-testid="segment-device"]').textContent()) ?? '';
}

const run = hasTorch ? describeBrowser : (name: string, _shared: string[], fn: () => void) => describe.skip(`${name} [skipped: /usr/bin/python3 with torch (Debian python3-torch) not found]`, fn);

run('nnU-Net network on WebGPU', ['nifti/ct/example_ct.nii.gz'], () => {
  it('an imported nnU-Net model runs on WebGPU (no WASM fallback) and agrees with WASM', async () => {
    const made = spawnSync(python, ['training/nnunet_reference.py', 'make', '--case', 'tiny', '--schema', 'new', '--out', join(tmp, 'model'), '--seed', '11'], { cwd: repoRoot, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const folder = JSON.parse(made.stdout.trim().split('\n').pop()!).folder as string;
    const conv = await importNnunet(await nnunetSourceFiles(folder), folder);
    const model = [
      { name: 'manifest.json', buffer: Buffer.from(JSON.stringify(conv.manifest)) },
      { name: 'model.onnx', buffer: Buffer.from(conv.onnx) },
    ];
    // A 48 x 48 x 24 block of the real CT (3 mm, the model's spacing): a few 32^3 tiles.
    const ct = readNifti(readFileSync(sharedPath('nifti/ct/example_ct.nii.gz')));
    const [nx, ny] = ct.header.dims;
    const start = [37, 30, 50];
    const [bi, bj, bk] = [48, 48, 24];
    const voxels = new Int16Array(bi * bj * bk);
    for (let k = 0; k < bk; k++)
      for (let j = 0; j < bj; j++)
        for (let i = 0; i < bi; i++) voxels[i + bi * (j + bj * k)] = ct.voxels[start[0] + i + nx * (start[1] + j + ny * (start[2] + k))];
    const block = createVolume({ dims: [bi, bj, bk], spacing: [...ct.header.spacing], origin: indexToWorld(ct.header, start as [number, number, number]), direction: [...ct.header.direction], voxels });
    const input = join(tmp, 'block.nii.gz');
    writeFileSync(input, writeNifti(block, { gzip: true }));

    const browser = await launchBrowser(['--enable-unsafe-webgpu', '--enable-features=Vulkan']);
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const hasAdapter = await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
      expect(hasAdapter, 'Chromium exposes a WebGPU adapter with --enable-unsafe-webgpu').toBe(true);
      await page.setInputFiles('[data-testid="file-input"]', input);
      await waitShown(page);
      const gpu = await runModel(page, model, 'webgpu');
      expect(gpu, 'device used').toMatch(/^\s*Ran on\s+WebGPU/);
      const onGpu = await pageLabels(page);
      await screenshotPage(page, 'nnunet-webgpu');
      const cpu = await runModel(page, model, 'wasm');
      expect(cpu).toMatch(/^\s*Ran on\s+WASM/);
      const onCpu = await pageLabels(page);
      expect(onGpu.length).toBe(bi * bj * bk);
      let same = 0;
      const seen = new Set<number>();
      for (let n = 0; n < onCpu.length; n++) {
        if (onGpu[n] === onCpu[n]) same++;
        seen.add(onCpu[n]);
      }
      expect(seen.size, 'more than one label in the block').toBeGreaterThan(1);
      expect(same / onCpu.length, 'WebGPU vs WASM agreement').toBeGreaterThanOrEqual(0.999);
    } finally {
      saveLog('nnunet-webgpu', log);
      await browser.close();
    }
  }, 900_000);
});
