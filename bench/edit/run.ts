/**
 * One editing path (voxseg's own brush or Cornerstone3D's stock BrushTool) in one fresh headless
 * Chromium on the app itself: open the demo phantom at the bench's size, then measure tool
 * switches, brush strokes (step by step and free-running), the memory of a stroke history and
 * undo. Mouse input comes from Playwright (`page.mouse`, i.e. real input events through the
 * browser); times are taken in the page by the probe (probe.ts). See bench/README.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { topFunctions, type CpuProfile, type HotFunction } from '../lib/cpuprofile';
import { chromiumChildren, cpuMs } from '../lib/proc';
import { ARGS, CHROMIUM, removeProfile } from '../loading/browser';
import { waitShown } from '../../tests/e2e/helpers/browser';
import type { BreakpointSpot } from './app';
import { PROBE, type ProbeRecord } from './probe';
import { screenshotDiff, settleMemory, type HeapSample } from './readings';

export type EditPath = 'voxseg' | 'stock';

export interface EditJob {
  path: EditPath;
  /** The app's URL (ends in '/'). */
  url: string;
  dims: [number, number, number];
  radiusMm: number;
  /** Mouse moves per stroke. */
  steps: number;
  /** Strokes driven one step at a time (each step waits for the axial draw). */
  strokes: number;
  /** Strokes whose moves are sent back to back. */
  freeStrokes: number;
  /** Strokes in all before the memory reading and undo (the timed ones count). */
  history: number;
  /** Mouse moves of each untimed stroke (same path, fewer moves: both brushes join successive points). */
  historySteps: number;
  /** Write a main-thread CPU profile of one extra step-by-step stroke here (and summarise it). */
  profilePath?: string;
  undos: number;
  switches: number;
  /** Slice scrolls timed to the axial draw (the drawing floor). */
  scrolls: number;
  stepTimeoutMs: number;
  timeoutMs: number;
  /** Where to catch Cornerstone's HistoryMemo (stock undo); null: not in this build. */
  memoSpot: BreakpointSpot | null;
}

/** One timed stroke: what the probe recorded, the renderer + GPU process CPU ms during it. */
export interface StrokeRecord extends ProbeRecord {
  cpuMs: { renderer: number; gpu: number };
  ms: number;
}

export interface EditRun {
  path: EditPath;
  loadMs: number;
  /** From ready to the first steady frames (ms; null: never within the limit). */
  settleMs: number | null;
  /** Voxels the first stroke painted (counted by the hook over the label layers), or null. */
  firstStrokeVoxels: number | null;
  /** Changed pixels of the axial view over the first stroke (when voxel counts could not tell). */
  firstStrokePixels?: number;
  stepStrokes: StrokeRecord[];
  freeStrokes: StrokeRecord[];
  /** With a profile: the hottest main-thread functions of the profiled stroke, and that stroke. */
  hot?: HotFunction[];
  profiledStroke?: StrokeRecord;
  /** Slice scroll (wheel in the axial view) → axial view drawn (IMAGE_RENDERED), ms: the cost of drawing alone. */
  scrolls: (number | null)[];
  /** Tool switch: ms from the key press (voxseg) or call (stock) to the DOM / the next frame. */
  switches: { what: string; applied: number; frame: number }[];
  undos: { ms: number | null; syncMs?: number }[];
  undoNote?: string;
  memory: {
    before: HeapSample;
    after: HeapSample;
    strokes: number;
    historyBytes?: number;
    historyEntries?: number;
    note?: string;
  };
  notes: string[];
  log: string[];
}

const TOOL_KEYS: [string, string][] = [
  ['b', 'brush'],
  ['e', 'eraser'],
  ['t', 'threshold'],
  ['f', 'fill'],
  ['x', 'scissors'],
  ['n', 'navigate'],
];

const probe = <T>(page: Page, js: string) => page.evaluate(js) as Promise<T>;

/**
 * Wait until the page draws 30 frames in a row less than 50 ms apart (nothing left rendering);
 * returns the ms waited, or null after `timeoutMs`.
 */
const quiet = (page: Page, timeoutMs = 180_000) =>
  probe<number | null>(page, `__editBench.quiet(50, 30, ${timeoutMs})`);

/** Launch Chromium as the bench does, with WebGL2 on SwiftShader as the e2e tests run it. */
async function launch(): Promise<{ ctx: BrowserContext; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'voxseg-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [...ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  return { ctx, profile };
}

function processCpu(profile: string): { renderer: number; gpu: number } {
  const sum = (type: string) => chromiumChildren(profile, type).reduce((a, p) => a + cpuMs(p), 0);
  return { renderer: sum('renderer'), gpu: sum('gpu-process') };
}

/** The stroke path of stroke `s` in page pixels: a horizontal line across the axial view, on one of 4 rows. */
function strokePath(
  box: { x: number; y: number; width: number; height: number },
  s: number,
  steps: number,
): [number, number][] {
  const y = box.y + box.height * (0.35 + 0.1 * (s % 4));
  const x0 = box.x + box.width * 0.25;
  const x1 = box.x + box.width * 0.75;
  return Array.from({ length: steps + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / steps, y] as [number, number]);
}

export async function runEditPath(job: EditJob): Promise<EditRun> {
  const { ctx, profile } = await launch();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void ctx.close().catch(() => {});
  }, job.timeoutMs);
  const log: string[] = [];
  try {
    return await measure(job, ctx, profile, log);
  } catch (e) {
    if (timedOut) throw new Error(`${job.path}: no result within ${Math.round(job.timeoutMs / 1000)} s`);
    throw e;
  } finally {
    clearTimeout(timer);
    await ctx.close().catch(() => {});
    removeProfile(profile);
  }
}

async function measure(job: EditJob, ctx: BrowserContext, profile: string, log: string[]): Promise<EditRun> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(job.timeoutMs);
  page.on('console', (m) => {
    if (m.type() === 'error') log.push(`[console.error] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  const cdp = await ctx.newCDPSession(page);
  const notes: string[] = [];

  // Catch Cornerstone's DefaultHistoryMemo as its module loads (both paths, so both pages run alike).
  if (job.memoSpot) {
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.setBreakpointByUrl', {
      ...job.memoSpot,
      condition: '((globalThis.__csHistoryMemos ??= []).push(this), false)',
    });
  }
  const t0 = performance.now();
  await page.goto(`${job.url}?demo-dims=${job.dims.join(',')}`);
  await page.waitForSelector('[data-testid="series-browser"]');
  await waitShown(page, 1, job.timeoutMs);
  const loadMs = performance.now() - t0;
  if (job.memoSpot) await cdp.send('Debugger.disable');
  await probe(page, PROBE);
  const settleMs = await quiet(page);
  if (settleMs === null) notes.push(`${job.path}: the page never drew steadily within 180 s of loading`);

  // A segmentation with one segment on screen: the 'Add segment' key (A) starts an empty label
  // map with segment 1 when there is none (what '+ Segment' does once an overlay is shown).
  let rev = await probe<number>(page, '__editBench.revision()');
  await page.keyboard.press('a');
  if ((await probe<number | null>(page, `__editBench.waitRevision(${rev}, 60000)`)) === null)
    throw new Error('the A key made no segment');
  await probe(page, `__editBench.waitDraw(0, 30000)`);
  // The stock path's BrushTool joins the 2D views' tool groups now, outside the clock (stock-brush.ts).
  if (job.path === 'stock') await page.evaluate(() => window.__voxsegBench!.install());
  await quiet(page);

  const switches = job.path === 'voxseg' ? await voxsegSwitches(page, job.switches) : await stockSwitches(page, job);
  if (job.path === 'voxseg') {
    await page.keyboard.press('b');
    await page.waitForSelector('[data-testid="edit-panel"][data-tool="brush"]');
    const size = page.locator('[data-testid="brush-size"]');
    if (Number(await size.inputValue()) !== job.radiusMm) await size.fill(String(job.radiusMm));
    // Focus back on the page, away from the slider (its keys would not reach the shortcuts).
    await page.locator('[data-testid="view-axial"] .viewport').hover();
  } else {
    await page.evaluate((r) => window.__voxsegBench!.stockBrush({ radiusMm: r, segmentIndex: 1 }), job.radiusMm);
  }

  const view = page.locator('[data-testid="view-axial"] .viewport');
  const box = await view.boundingBox();
  if (!box) throw new Error('the axial view is not laid out');
  const counts = async () => (await page.evaluate(() => window.__voxsegTest!.edit()?.counts[1] ?? 0)) as number;

  const scrolls = await scrollDraws(page, box, job.scrolls);
  await quiet(page);
  const before = await settleMemory(cdp, profile);
  const voxels0 = await counts();
  const shot0 = await view.screenshot();
  const stepStrokes: StrokeRecord[] = [];
  const freeStrokes: StrokeRecord[] = [];
  let historyEntries = 0;
  let firstStrokeVoxels: number | null = null;
  let hot: HotFunction[] | undefined;
  let profiledStroke: StrokeRecord | undefined;
  let firstStrokePixels: number | undefined;
  for (let s = 0; s < job.history; s++) {
    const timed = s < job.strokes ? 'step' : s < job.strokes + job.freeStrokes ? 'free' : 'untimed';
    if (timed !== 'untimed') await quiet(page, 60_000);
    rev = await probe<number>(page, '__editBench.revision()');
    const profiled = job.profilePath !== undefined && s === job.strokes + job.freeStrokes;
    if (profiled)
      await cdp
        .send('Profiler.enable')
        .then(() => cdp.send('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => cdp.send('Profiler.start'));
    const rec = await stroke(
      page,
      profile,
      strokePath(box, s, timed === 'untimed' && !profiled ? job.historySteps : job.steps),
      timed === 'step' || profiled,
      job.stepTimeoutMs,
    );
    if (profiled) {
      const { profile: cpu } = await cdp.send('Profiler.stop');
      writeFileSync(job.profilePath!, JSON.stringify(cpu));
      hot = topFunctions(cpu as CpuProfile, 12);
      profiledStroke = rec;
    }
    if (job.path === 'voxseg') {
      if ((await probe<number | null>(page, `__editBench.waitRevision(${rev}, 10000)`)) !== null) historyEntries++;
      else log.push(`stroke ${s + 1}: the edit revision did not advance`);
    } else await page.evaluate(() => window.__editBench!.frame().then(() => window.__editBench!.frame()));
    if (timed === 'step') stepStrokes.push(rec);
    if (timed === 'free') freeStrokes.push(rec);
    if (s === 0) {
      const voxels1 = await counts();
      if (voxels1 > voxels0) firstStrokeVoxels = voxels1 - voxels0;
      else {
        firstStrokePixels = screenshotDiff(shot0, await view.screenshot());
        notes.push(
          `${job.path}: the first stroke changed no voxel of the label map the app holds; the axial view changed in ${firstStrokePixels} pixels`,
        );
      }
    }
    // Every 4 strokes (4 rows) one slice further.
    if (s % 4 === 3) {
      const t = await probe<number>(page, 'performance.now()');
      await page.mouse.wheel(0, 100);
      await probe(page, `__editBench.waitImage(${t}, 3000)`);
    }
    if ((s + 1) % 25 === 0) console.log(`  ${job.path}: ${s + 1}/${job.history} strokes`);
  }
  await quiet(page);
  const after = await settleMemory(cdp, profile);
  const state = await page.evaluate(() => window.__voxsegTest!.edit());
  const memory: EditRun['memory'] = { before, after, strokes: job.history };
  if (job.path === 'voxseg') {
    memory.historyBytes = state?.historyBytes;
    memory.historyEntries = historyEntries;
  }

  await quiet(page);
  const undo = job.path === 'voxseg' ? await voxsegUndos(page, job.undos) : await stockUndos(page, job.undos);
  return {
    path: job.path,
    loadMs,
    settleMs,
    scrolls,
    firstStrokeVoxels,
    firstStrokePixels,
    hot,
    profiledStroke,
    stepStrokes,
    freeStrokes,
    switches,
    undos: undo.times,
    undoNote: undo.note,
    memory,
    notes,
    log,
  };
}

/**
 * One stroke along `pts`: press at the first point, move through the rest, release. `wait`: each
 * move waits for the axial view's next label draw (or the step timeout) before the next one;
 * otherwise moves go back to back and the stroke waits for the draw after the last one.
 */
async function stroke(
  page: Page,
  profile: string,
  pts: [number, number][],
  wait: boolean,
  stepTimeoutMs: number,
): Promise<StrokeRecord> {
  await page.mouse.move(pts[0][0], pts[0][1]);
  await probe(page, '__editBench.take()');
  const t = await probe<number>(page, 'performance.now()');
  await page.mouse.down();
  await probe(page, `__editBench.waitDraw(${t}, ${stepTimeoutMs})`);
  const cpu0 = processCpu(profile);
  const w0 = performance.now();
  await probe(page, '__editBench.take(); __editBench.rec = true');
  for (const [x, y] of pts.slice(1)) {
    await page.mouse.move(x, y);
    if (wait) await probe(page, `__editBench.waitDraw(__editBench.inputs.at(-1) ?? 0, ${stepTimeoutMs})`);
  }
  if (!wait)
    await probe(page, `__editBench.waitDraw(__editBench.inputs.at(-1) ?? 0, ${Math.max(stepTimeoutMs, 10_000)})`);
  const rec = await probe<ProbeRecord>(page, '(() => { __editBench.rec = false; return __editBench.take(); })()');
  const ms = performance.now() - w0;
  const cpu1 = processCpu(profile);
  await page.mouse.up();
  return { ...rec, ms, cpuMs: { renderer: cpu1.renderer - cpu0.renderer, gpu: cpu1.gpu - cpu0.gpu } };
}

/**
 * One wheel notch in the axial view at a time (Cornerstone's stack scroll: one slice), each until
 * the axial view drew the new slice (IMAGE_RENDERED; image and labels are drawn in one pass):
 * what drawing costs with no edit at all.
 */
async function scrollDraws(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
  n: number,
): Promise<(number | null)[]> {
  const out: (number | null)[] = [];
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
  for (let i = 0; i < n; i++) {
    await quiet(page, 20_000);
    const t = await probe<number>(page, 'performance.now()');
    await page.mouse.wheel(0, 100);
    out.push(
      await probe<number | null>(
        page,
        `__editBench.waitImage(${t}, 5000).then((d) => { const w = __editBench.wheels.find((x) => x >= ${t}); return d === null || w === undefined ? null : d - w; })`,
      ),
    );
  }
  return out;
}

/** Tool keys in turn (b e t f x n, over and over), each until the edit panel shows the tool. */
async function voxsegSwitches(page: Page, n: number): Promise<EditRun['switches']> {
  const out: EditRun['switches'] = [];
  // Start from navigate, so the first key (b) is a change.
  let current = await page.locator('[data-testid="edit-panel"]').getAttribute('data-tool');
  for (let i = 0; out.length < n && i < n + 6; i++) {
    const [key, tool] = TOOL_KEYS[i % TOOL_KEYS.length];
    if (tool === current) continue;
    await quiet(page, 20_000);
    const t = await probe<number>(page, 'performance.now()');
    await page.keyboard.press(key);
    const r = await probe<{ dom: number; frame: number } | null>(
      page,
      `__editBench.waitTool(${JSON.stringify(tool)}, ${t}, 5000)`,
    );
    const keyAt = await probe<number | undefined>(page, `__editBench.keys.filter((k) => k >= ${t})[0]`);
    current = tool;
    out.push({
      what: `key ${key} → ${tool}`,
      applied: r && keyAt !== undefined ? r.dom - keyAt : NaN,
      frame: r && keyAt !== undefined ? r.frame - keyAt : NaN,
    });
  }
  return out;
}

/** `stockBrush(options)` / `stockBrush(null)` in turn, timed around the call in the page. */
async function stockSwitches(page: Page, job: EditJob): Promise<EditRun['switches']> {
  const out: EditRun['switches'] = [];
  for (let i = 0; i < job.switches; i++) {
    const on = i % 2 === 0;
    await quiet(page, 20_000);
    const r = await page.evaluate(
      ([on, radiusMm]) => {
        const t0 = performance.now();
        window.__voxsegBench!.stockBrush(on ? { radiusMm, segmentIndex: 1 } : null);
        const t1 = performance.now();
        return window.__editBench!.frame().then((f) => ({ applied: t1 - t0, frame: f - t0 }));
      },
      [on, job.radiusMm] as const,
    );
    out.push({ what: on ? 'stockBrush({…})' : 'stockBrush(null)', ...r });
  }
  return out;
}

/** Ctrl+Z, each until the axial view redrew and the edit revision advanced. */
async function voxsegUndos(page: Page, n: number): Promise<{ times: EditRun['undos']; note?: string }> {
  const times: EditRun['undos'] = [];
  for (let i = 0; i < n; i++) {
    await quiet(page, 30_000);
    const rev = await probe<number>(page, '__editBench.revision()');
    const t = await probe<number>(page, 'performance.now()');
    await page.keyboard.press('Control+z');
    const r = await probe<{ key?: number; draw: number | null; rev: number | null }>(
      page,
      `Promise.all([__editBench.waitDraw(${t}, 5000), __editBench.waitRevision(${rev}, 5000)]).then(([draw, rev]) => ({ key: __editBench.keys.filter((k) => k >= ${t})[0], draw, rev }))`,
    );
    times.push({
      ms: r.key !== undefined && r.draw !== null && r.rev !== null ? Math.max(r.draw, r.rev) - r.key : null,
    });
    await probe(page, '__editBench.frame()');
  }
  return { times };
}

/** Cornerstone's DefaultHistoryMemo.undo(), called in the page, until the axial view redrew. */
async function stockUndos(page: Page, n: number): Promise<{ times: EditRun['undos']; note?: string }> {
  const avail = await page.evaluate(() => {
    const memos = window.__csHistoryMemos ?? [];
    return { found: memos.length, undoAvailable: memos.map((m) => m.undoAvailable), size: memos[0]?.size };
  });
  if (!avail.found)
    return {
      times: [],
      note: 'Cornerstone’s HistoryMemo could not be reached from the page (not found in the built bundle)',
    };
  const before = (await page.evaluate(() => window.__voxsegTest!.edit()?.counts[1] ?? 0)) as number;
  const times: EditRun['undos'] = [];
  for (let i = 0; i < n; i++) {
    await quiet(page, 30_000);
    const r = await page.evaluate(() => {
      const memo = (window.__csHistoryMemos ?? []).find((m) => m.undoAvailable > 0);
      if (!memo) return null;
      const t0 = performance.now();
      memo.undo();
      const t1 = performance.now();
      return window.__editBench!.waitDraw(t0, 5000).then((d) => ({ syncMs: t1 - t0, ms: d === null ? null : d - t0 }));
    });
    if (!r) break;
    times.push(r);
    await probe(page, '__editBench.frame()');
  }
  const after = (await page.evaluate(() => window.__voxsegTest!.edit()?.counts[1] ?? 0)) as number;
  const note =
    `DefaultHistoryMemo (ring of ${avail.size} entries; ${avail.undoAvailable.join('/')} undoable before) reached through a DevTools breakpoint; ` +
    `segment 1 voxels ${before} → ${after} over ${times.length} undos` +
    (times.length < n ? ` (only ${times.length} of ${n} were possible)` : '');
  return { times, note };
}
