/**
 * Chromium (Debian's /usr/bin/chromium) through playwright-core, with WebGL2 on SwiftShader,
 * plus page helpers shared by the e2e tests.
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { hasShared } from '../../unit/helpers/shared';
import { decodePng, pixelStats, type PixelStats } from './png';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const resultsDir = join(repoRoot, 'test-results');
export const CHROMIUM = process.env.VOXSEG_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * `describe` for a browser suite: skipped, with the reason in its title, when Chromium or one
 * of the `shared` reference-data paths (relative to ../shared/data) is missing.
 */
export function describeBrowser(name: string, shared: string[], fn: () => void): void {
  const missing = shared.filter((rel) => !hasShared(rel));
  if (!hasChromium) describe.skip(`${name} [skipped: ${CHROMIUM} not found (apt-get install chromium)]`, fn);
  else if (missing.length)
    describe.skip(`${name} [skipped: reference data ../shared/data/${missing.join(', ')} not found]`, fn);
  else describe(name, fn);
}

export type View = 'axial' | 'sagittal' | 'coronal' | 'volume3d';
export const VIEWS: View[] = ['axial', 'sagittal', 'coronal', 'volume3d'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium switches, e.g. '--enable-unsafe-webgpu' (a software adapter here). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'voxseg-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      ...extraArgs,
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Open the app; page console errors and uncaught exceptions are collected in `log`. */
export async function openApp(
  context: BrowserContext,
  baseUrl: string,
  query = '?demo=0',
): Promise<{ page: Page; log: string[] }> {
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  await page.goto(baseUrl + query);
  await page.waitForSelector('[data-testid="series-browser"]');
  return { page, log };
}

/** Wait until `count` volumes have been shown and the session is ready. */
export async function waitShown(page: Page, count = 1, timeout = 240_000): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const app = document.querySelector('.app') as HTMLElement | null;
      return !!app && Number(app.dataset.shown) >= n && app.dataset.status === 'ready';
    },
    count,
    { timeout, polling: 250 },
  );
  // Two more frames so that the last render reached the canvases.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Screenshot a view (saved as test-results/<name>-<view>.png) and measure its pixels. */
export async function viewStats(page: Page, view: View, name: string): Promise<PixelStats> {
  mkdirSync(resultsDir, { recursive: true });
  const png = await page
    .locator(`[data-testid="view-${view}"] .viewport`)
    .screenshot({ path: join(resultsDir, `${name}-${view}.png`) });
  return pixelStats(decodePng(png));
}

export async function screenshotPage(page: Page, name: string): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: join(resultsDir, `${name}.png`) });
}

export function saveLog(name: string, log: string[]): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}-console.log`), log.join('\n') + '\n');
}
