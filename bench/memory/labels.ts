/**
 * Memory after a model run with its 3D surfaces: the app is built (its own vite.config.ts, into
 * bench/out/memory-app so no other build is touched) and served with COOP/COEP, opened in a fresh
 * headless Chromium on the demo phantom at `--dims` (default 512,512,500), the bundled 7-organ
 * `abdomen-phantom` model runs on WASM, and once the surfaces are shown the script reads:
 *
 * - VmRSS of the page's renderer process (dedicated workers run as threads inside it, so this is
 *   page + inference worker + mesh worker), from /proc/<pid>/status;
 * - the summed VmRSS of the whole browser process tree (browser, GPU, utility, renderers; shared
 *   pages counted once per process, so an upper bound);
 * - `performance.measureUserAgentSpecificMemory()` (JS and array buffers of the page and its
 *   workers; the page is cross-origin isolated; Chromium runs with ForceEagerMeasureMemory so it
 *   answers at once instead of at the next natural garbage collection), when it answers in a minute.
 *
 * Readings are taken after garbage collection of the page (`--expose-gc`) and 5 s of quiet.
 * Usage: node bin/run-ts.js bench/memory/labels.ts [--dims=512,512,500] [--reuse] [--timeout=1200]
 * (--reuse: serve the previous build). Prints one JSON object and writes bench/out/memory-labels.json.
 */
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build, preview } from 'vite';
import { cmdline, readMem } from '../lib/proc';
import { ARGS, CHROMIUM, removeProfile } from '../loading/browser';
import { OUT, REPO } from '../loading/datasets';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const dims = (arg('dims') ?? '512,512,500').split(',').map(Number);
const reuse = process.argv.includes('--reuse');
const timeoutMs = Number(arg('timeout') ?? 1200) * 1000;
const outDir = join(OUT, 'memory-app');
const MB = 2 ** 20;

/** Pids of every process below `root` (inclusive). */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** The browser's processes by Chromium --type ('browser' for the root), with VmRSS. */
function processes(browserPid: number): { pid: number; type: string; rss: number }[] {
  return tree(browserPid).map((pid) => {
    const args = cmdline(pid).flatMap((a) => a.split(' '));
    const type = args.find((a) => a.startsWith('--type='))?.slice(7) ?? (pid === browserPid ? 'browser' : 'other');
    return { pid, type, rss: readMem(pid)?.rss ?? 0 };
  });
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const g = (globalThis as unknown as { gc?: () => void }).gc;
    g?.();
    await new Promise((r) => setTimeout(r, 5000));
    g?.();
  });
}

async function uaMemory(
  page: Page,
): Promise<{ bytes: number; breakdown: { bytes: number; types: string[]; scope: string }[] } | string> {
  return page.evaluate(async () => {
    const perf = performance as Performance & {
      measureUserAgentSpecificMemory?: () => Promise<{
        bytes: number;
        breakdown: { bytes: number; types: string[]; attribution: { scope: string; url: string }[] }[];
      }>;
    };
    if (!crossOriginIsolated) return 'not cross-origin isolated';
    if (!perf.measureUserAgentSpecificMemory) return 'measureUserAgentSpecificMemory is not available';
    const timeout = new Promise<string>((r) => setTimeout(() => r('no answer within 60 s'), 60_000));
    const m = await Promise.race([perf.measureUserAgentSpecificMemory(), timeout]);
    if (typeof m === 'string') return m;
    return {
      bytes: m.bytes,
      breakdown: m.breakdown
        .filter((b) => b.bytes > 0)
        .map((b) => ({
          bytes: b.bytes,
          types: b.types,
          scope: b.attribution.map((a) => `${a.scope} ${a.url.replace(/^.*\/assets\//, '')}`).join(', '),
        })),
    };
  });
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found`);
  const t0 = performance.now();
  if (!(reuse && existsSync(join(outDir, 'index.html')))) {
    await build({
      root: REPO,
      configFile: join(REPO, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    });
    console.error(`built the app in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const server = await preview({
    root: REPO,
    configFile: join(REPO, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 4799, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const profile = mkdtempSync(join(tmpdir(), 'voxseg-memory-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      ...ARGS,
      '--enable-blink-features=ForceEagerMeasureMemory',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
  const log: string[] = [];
  try {
    const browserPid = findBrowserPid(profile);
    const page = await context.newPage();
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && log.push(`[error] ${m.text()}`));
    const tOpen = performance.now();
    await page.goto(`${url}?demo-dims=${dims.join(',')}`);
    await page.waitForFunction(
      () =>
        (document.querySelector('.app') as HTMLElement | null)?.dataset.status === 'ready' &&
        Number((document.querySelector('.app') as HTMLElement).dataset.shown) >= 1,
      null,
      { timeout: timeoutMs, polling: 500 },
    );
    const loadS = (performance.now() - tOpen) / 1000;
    await settle(page);
    const beforeRun = processes(browserPid);
    await page.waitForSelector('[data-testid="model-select"] option[value="bundled/abdomen-phantom"]', {
      state: 'attached',
      timeout: 60_000,
    });
    await page.locator('[data-testid="model-select"]').selectOption('bundled/abdomen-phantom');
    await page.locator('[data-testid="device-select"]').selectOption('wasm');
    const tRun = performance.now();
    await page.locator('[data-testid="segment-run"]').click({ timeout: timeoutMs });
    await page.waitForSelector('[data-testid="segment-panel"]:is([data-run="done"], [data-run="failed"])', {
      timeout: timeoutMs,
    });
    const runS = (performance.now() - tRun) / 1000;
    if ((await page.locator('[data-testid="segment-panel"]').getAttribute('data-run')) !== 'done')
      throw new Error(`the model run failed: ${await page.locator('[data-testid="notices"]').textContent()}`);
    await page.waitForSelector('[data-testid="surface-panel"][data-status="shown"]', { timeout: timeoutMs });
    const surfacesS = (performance.now() - tRun) / 1000 - runS;
    const rows = await page.locator('[data-testid="surface-row"]').count();
    await settle(page);
    const after = processes(browserPid);
    const ua = await uaMemory(page);
    const renderer = (ps: typeof after) => Math.max(...ps.filter((p) => p.type === 'renderer').map((p) => p.rss));
    const total = (ps: typeof after) => ps.reduce((s, p) => s + p.rss, 0);
    const result = {
      dims,
      crossOriginIsolated: await page.evaluate(() => crossOriginIsolated),
      seconds: { load: +loadS.toFixed(1), run: +runS.toFixed(1), surfaces: +surfacesS.toFixed(1) },
      surfaceRows: rows,
      rendererRssMB: {
        beforeRun: +(renderer(beforeRun) / MB).toFixed(0),
        afterSurfaces: +(renderer(after) / MB).toFixed(0),
      },
      treeRssMB: { beforeRun: +(total(beforeRun) / MB).toFixed(0), afterSurfaces: +(total(after) / MB).toFixed(0) },
      processes: after.map((p) => ({ type: p.type, rssMB: +(p.rss / MB).toFixed(0) })),
      uaMemoryMB:
        typeof ua === 'string'
          ? ua
          : {
              total: +(ua.bytes / MB).toFixed(0),
              parts: ua.breakdown.map((b) => ({
                mb: +(b.bytes / MB).toFixed(1),
                types: b.types.join('+'),
                scope: b.scope,
              })),
            },
      errors: log,
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'memory-labels.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await context.close();
    removeProfile(profile);
    await server.close();
  }
}

/** With a persistent context Playwright may not expose the browser process: find it by its profile. */
function findBrowserPid(profile: string): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const args = cmdline(Number(name)).flatMap((a) => a.split(' '));
    if (args.includes(`--user-data-dir=${profile}`) && !args.some((a) => a.startsWith('--type='))) return Number(name);
  }
  throw new Error('the browser process was not found in /proc');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
