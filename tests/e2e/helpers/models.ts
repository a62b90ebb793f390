/** Running a model from files in the app, reading its labels back, and cutting test inputs. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import { indexToWorld } from '../../../src/volume/geometry';
import { allocateVoxels, createVolume } from '../../../src/volume/volume';
import { launchBrowser, openApp, saveLog, screenshotPage, waitShown } from './browser';

/** The label map on screen, as bytes. */
export const pageLabels = async (page: Page): Promise<Buffer> =>
  Buffer.from(await page.evaluate(() => window.__voxsegTest?.labels()?.base64 ?? ''), 'base64');

/** Pick a model from files (manifest.json + model.onnx), run it on `device`, return the "Ran on …" text. */
export async function runModel(
  page: Page,
  files: { name: string; buffer: Buffer }[],
  device: 'wasm' | 'webgpu',
  timeout: number,
  onRunning?: () => Promise<void>,
): Promise<string> {
  await page.setInputFiles(
    '[data-testid="model-files-input"]',
    files.map((f) => ({ ...f, mimeType: 'application/octet-stream' })),
  );
  await page.locator('[data-testid="device-select"]').selectOption(device);
  await page.locator('[data-testid="segment-run"]').click();
  const panel = page.locator('[data-testid="segment-panel"]');
  await expect.poll(() => panel.getAttribute('data-run')).toMatch(/running|done/);
  await onRunning?.();
  await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', { timeout });
  const banner = await page.locator('[data-testid="notices"] .notice.error').allTextContents();
  expect(await panel.getAttribute('data-run'), `run status; banner: ${banner}`).toBe('done');
  return (await page.locator('[data-testid="segment-device"]').textContent()) ?? '';
}

/** A block of `volume` (same world positions, same voxel type) starting at index `start`. */
export function blockOf(volume: Volume, start: Vec3, size: Vec3): Volume {
  const [nx, ny] = volume.header.dims;
  const [bi, bj, bk] = size;
  const voxels = allocateVoxels(volume.header.dtype, bi * bj * bk);
  for (let k = 0; k < bk; k++)
    for (let j = 0; j < bj; j++)
      for (let i = 0; i < bi; i++)
        voxels[i + bi * (j + bj * k)] = volume.voxels[start[0] + i + nx * (start[1] + j + ny * (start[2] + k))];
  const h = volume.header;
  return createVolume({
    dims: size,
    spacing: [...h.spacing] as Vec3,
    origin: indexToWorld(h, start),
    direction: [...h.direction] as Mat3,
    voxels,
  });
}

/** The files the model picker takes for a manifest + ONNX pair. */
export function modelFiles(manifest: unknown, onnx: Uint8Array): { name: string; buffer: Buffer }[] {
  return [
    { name: 'manifest.json', buffer: Buffer.from(JSON.stringify(manifest)) },
    { name: 'model.onnx', buffer: Buffer.from(onnx) },
  ];
}

/**
 * Open `input` in a Chromium with its software WebGPU adapter, run the model on WebGPU (asserting
 * it really ran there, not a WASM fallback), then on WASM; both label maps. `name` names the
 * screenshot of the WebGPU result and the console log.
 */
export async function labelsOnWebgpuAndWasm(
  baseUrl: string,
  files: { name: string; buffer: Buffer }[],
  input: string,
  name: string,
): Promise<{ onGpu: Buffer; onCpu: Buffer }> {
  const browser = await launchBrowser(['--enable-unsafe-webgpu', '--enable-features=Vulkan']);
  const { page, log } = await openApp(browser.context, baseUrl);
  try {
    const hasAdapter = await page.evaluate(
      async () =>
        !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()),
    );
    expect(hasAdapter, 'Chromium exposes a WebGPU adapter with --enable-unsafe-webgpu').toBe(true);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await waitShown(page);
    const gpu = await runModel(page, files, 'webgpu', 400_000);
    // Not a fallback: "Ran on WASM … WebGPU cannot run …" names WebGPU too.
    expect(gpu, 'device used').toMatch(/^\s*Ran on\s+WebGPU/);
    const onGpu = await pageLabels(page);
    await screenshotPage(page, name);
    const cpu = await runModel(page, files, 'wasm', 400_000);
    expect(cpu).toMatch(/^\s*Ran on\s+WASM/);
    return { onGpu, onCpu: await pageLabels(page) };
  } finally {
    saveLog(name, log);
    await browser.close();
  }
}
