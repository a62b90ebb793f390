/**
 * Runs one loader once in a fresh headless Chromium (new profile → new browser and renderer
 * processes, so no memory carries over between runs) and measures:
 * - time to volume: performance.now() around the loader call inside the page;
 * - peak memory: renderer process VmHWM after the load minus its VmRSS before it (after gc()),
 *   the HWM reset beforehand via /proc/PID/clear_refs. Dedicated workers are threads of the
 *   renderer process, so their memory is included.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureRenderers } from '../lib/proc';
import type { VolumeSummary } from '../browser/checksum';
import type { WebSeries } from '../browser/loaders/types';

export const CHROMIUM = process.env.VOXSEG_CHROMIUM ?? '/usr/bin/chromium';

export interface RunResult {
  ms: number;
  /** CPU time used by the renderer process(es) during the load (main thread + workers), ms. */
  cpuMs: number;
  /** Peak RSS growth of the renderer, bytes. */
  peakBytes: number;
  /** 'hwm' (exact, reset via clear_refs) or 'sampled' (20 ms VmRSS polling). */
  peakMethod: 'hwm' | 'sampled';
  dims: number[];
  dtype: string;
  summary: VolumeSummary;
  warnings: string[];
  /** Loader-reported breakdown, ms. */
  phases?: Record<string, number>;
  crossOriginIsolated: boolean;
  /** DICOMweb runs: bytes received from the server (the page's resource timings). */
  netBytes?: number;
}

/** Chromium flags of every bench run (the inference section adds its own). */
export const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--js-flags=--expose-gc',
];

/** Delete a temporary browser profile; a browser still shutting down may hold it briefly. */
export function removeProfile(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.warn(`bench: could not remove ${dir}: ${e instanceof Error ? e.message : e}`);
  }
}

export interface RunOptions {
  timeoutMs?: number;
  /** Write a CPU profile of the page's main thread (CDP Profiler) to this path. Workers are not included. */
  profilePath?: string;
  /** Load this DICOMweb series (a DICOMweb loader) instead of the files in `paths`. */
  web?: WebSeries;
  /** Also take the CRC-32 of the voxel bytes (summary.crc32). */
  crc?: boolean;
}

export async function runInBrowser(
  url: string,
  loader: string,
  paths: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const userDataDir = mkdtempSync(join(tmpdir(), 'voxseg-bench-'));
  let ctx: BrowserContext | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let closing: Promise<void> | undefined;
  try {
    ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
    // page.evaluate has no timeout of its own: closing the browser makes a stuck run reject.
    const c = ctx;
    timer = setTimeout(() => {
      timedOut = true;
      closing = c.close().catch(() => {});
    }, timeoutMs);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(timeoutMs);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => 'bench' in window);
    const prep = await page.evaluate((name) => window.bench.prepare(name), loader);
    if (!opts.web) {
      await page.setInputFiles('#files', paths);
      const n = await page.evaluate(() => window.bench.fileCount());
      if (n !== paths.length) throw new Error(`file input holds ${n} files, expected ${paths.length}`);
    }
    const web = opts.web;

    const cdp = opts.profilePath ? await ctx.newCDPSession(page) : undefined;
    const { result: run, span } = await measureRenderers(page, userDataDir, async () => {
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      const r = web
        ? await page.evaluate((s) => window.bench.runWeb(s), web)
        : await page.evaluate(() => window.bench.run());
      if (cdp && opts.profilePath) {
        const { profile } = await cdp.send('Profiler.stop');
        writeFileSync(opts.profilePath, JSON.stringify(profile));
      }
      return r;
    });
    const summary = await page.evaluate((crc) => window.bench.check(crc), opts.crc ?? false);
    if (errors.length) run.warnings.push(...errors.slice(0, 3).map((e) => `page error: ${e}`));
    return {
      ms: run.ms,
      cpuMs: span.cpuMs,
      peakBytes: span.growthBytes,
      peakMethod: span.method,
      dims: run.dims,
      dtype: run.dtype,
      summary,
      warnings: run.warnings,
      phases: run.phases,
      crossOriginIsolated: prep.crossOriginIsolated,
      netBytes: run.netBytes,
    };
  } catch (e) {
    if (timedOut) throw new Error(`${loader}: no result within ${Math.round(timeoutMs / 1000)} s`);
    throw e;
  } finally {
    clearTimeout(timer);
    await (closing ?? ctx?.close().catch(() => {}));
    removeProfile(userDataDir);
  }
}

export async function chromiumVersion(): Promise<string> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}

/** Time plain File reads of the dataset in a fresh browser (see browser/diagnostics.ts). */
export async function ioFloor(url: string, paths: string[]): Promise<Record<string, number>> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'voxseg-bench-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(300_000);
    await page.goto(url);
    await page.waitForFunction(() => 'bench' in window);
    await page.setInputFiles('#files', paths);
    return await page.evaluate(() => window.bench.diagnose());
  } finally {
    await ctx.close().catch(() => {});
    removeProfile(userDataDir);
  }
}
