/**
 * One inference job in a fresh headless Chromium (new profile → new browser and renderer
 * processes), on the cross-origin isolated bench page (bench/browser/inference.html):
 * - seconds: performance.now() around InferenceClient.segment() in the page (worker already
 *   started and the runtime warmed up by a tiny job; the measured job creates its own session);
 * - CPU: the renderer's user + system time (all threads: page, inference worker, WASM threads);
 * - peak memory: renderer VmHWM during the job minus its VmRSS before it (after gc()), the HWM reset
 *   beforehand via /proc/PID/clear_refs (else VmRSS sampled every 20 ms). The inference worker and
 *   onnxruntime-web's WASM threads are threads of the renderer, so the WASM heap counts. With
 *   WebGPU, buffers in the GPU process are not counted.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARGS, CHROMIUM, removeProfile } from '../loading/browser';
import { measureRenderers } from '../lib/proc';
import type { PageRun, PageSpec } from '../browser/inference';
import type { InferenceCase, InferenceRun } from './shared';

/**
 * WebGPU in headless Chromium without a GPU: Dawn on SwiftShader (Vulkan on the CPU). Only says
 * whether the path works; its timings are not a speed figure.
 */
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface',
];

/** Reading the input files and the warm-up job. */
const PREPARE_TIMEOUT_MS = 120_000;

export async function runInferenceInBrowser(
  url: string,
  c: InferenceCase,
  device: 'wasm' | 'webgpu',
  timeoutMs: number,
): Promise<InferenceRun> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'voxseg-bench-'));
  let ctx: BrowserContext | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let prepStuck = false;
  let closing: Promise<void> | undefined;
  try {
    const args = device === 'webgpu' ? [...ARGS, ...WEBGPU_ARGS] : ARGS;
    ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args });
    const cx = ctx;
    timer = setTimeout(() => {
      timedOut = true;
      closing = cx.close().catch(() => {});
    }, timeoutMs);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(timeoutMs);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      // (The page has no favicon: its 404 is noise.)
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    await page.goto(new URL('inference.html', url).href);
    await page.waitForFunction(() => 'inferenceBench' in window);
    await page.setInputFiles('#files', [c.volume.path, c.model]);
    const threads = await page.evaluate(() => navigator.hardwareConcurrency);
    const spec: PageSpec = { case: c, device, threads };
    // The warm-up job takes seconds; if it does not end, the runtime never started (e.g. WASM threads).
    const prepTimer = setTimeout(
      () => {
        prepStuck = true;
        closing = cx.close().catch(() => {});
      },
      Math.min(timeoutMs, PREPARE_TIMEOUT_MS),
    );
    const prep = await page
      .evaluate((s) => window.inferenceBench.prepare(s), spec)
      .finally(() => clearTimeout(prepTimer));

    const { result: run, span } = await measureRenderers(page, userDataDir, (): Promise<PageRun> =>
      page.evaluate(() => window.inferenceBench.run()),
    );
    const s = run.summary;
    const notes = [...s.device.notes, ...errors.slice(0, 3).map((e) => `page: ${e.slice(0, 200)}`)];
    if (!prep.crossOriginIsolated) notes.push('page NOT cross-origin isolated');
    return {
      device: device === 'webgpu' ? 'browser-webgpu' : 'browser-wasm',
      seconds: run.ms / 1000,
      modelSeconds: s.inferenceSeconds,
      cpuSeconds: span.cpuMs / 1000,
      peakGrowthBytes: span.growthBytes,
      peakRssBytes: span.peakBytes,
      peakMethod: span.method,
      enginePeakBytes: s.peakBytes,
      patches: s.patches,
      modelGrid: [...s.modelGrid],
      threads: s.device.threads,
      used: s.device.device,
      adapter: s.device.adapter,
      notes,
      voxelsPerLabel: s.voxelsPerLabel,
      warmupMs: prep.warmupMs,
      crossOriginIsolated: prep.crossOriginIsolated,
    };
  } catch (e) {
    if (prepStuck)
      throw new Error(
        `${c.id} on browser ${device}: the 16^3 warm-up job did not finish within ${PREPARE_TIMEOUT_MS / 1000} s (runtime or its WASM threads not starting?)`,
      );
    if (timedOut) throw new Error(`${c.id} on browser ${device}: no result within ${Math.round(timeoutMs / 1000)} s`);
    throw e;
  } finally {
    clearTimeout(timer);
    await (closing ?? ctx?.close().catch(() => {}));
    removeProfile(userDataDir);
  }
}
