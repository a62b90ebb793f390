/**
 * Edit bench: voxseg's own brush against Cornerstone3D's stock BrushTool, in the app itself, on
 * the demo phantom at clinical size (512x512x500 by default), all in the same run: brush stroke
 * step → label draw latency, tool switch time, undo time and the memory of a 100-stroke history.
 * Each path runs in its own fresh Chromium (run.ts); the paths alternate within a repetition.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, BenchSection, GoalCheck, SectionResult } from '../lib/section';
import { median } from '../lib/stats';
import { fmt, markdownTable, ratio } from '../lib/table';
import { historyMemoBreakpoint, serveApp } from './app';
import { heapBytes } from './readings';
import { OUT } from '../loading/datasets';
import { runEditPath, type EditJob, type EditPath, type EditRun, type StrokeRecord } from './run';

const STEP_GOAL_MS = 16;
const SWITCH_GOAL_MS = 50;
const SPEEDUP_GOAL = 20;
const LABEL: Record<EditPath, string> = { voxseg: 'voxseg brush', stock: 'Cornerstone3D BrushTool' };
const VIEWS = ['axial', 'sagittal', 'coronal'];

/** Nearest-rank percentile of the finite values (NaN when none). */
export function percentile(values: number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))] : NaN;
}

interface StepStats {
  /** Input → first axial label draw, ms (NaN: no draw before the next input / the timeout). */
  axial: number[];
  /** Input → the last of the three 2D views' first draw (NaN when one of them did not draw in the step). */
  all: number[];
  /** 2D views that drew the labels within each step (0..3), summed over the steps. */
  viewsDrawn: number;
  /** The same as `axial`, from the event's timeStamp (when the browser took the input). */
  fromStamp: number[];
  /** Input → end of its synchronous handling (the edit itself, before any drawing). */
  handling: number[];
  /** Input → the axial view's first IMAGE_RENDERED after it (the render pass, before the labels' event). */
  image: number[];
  steps: number;
  draws: number;
  /** CPU ms of the renderer processes (page main thread + workers) and of the GPU process (SwiftShader). */
  rendererMs: number;
  gpuMs: number;
  strokeMs: number[];
}

/** Latencies of every input of `strokes`; `bounded`: a draw counts only before the next input. */
function stepStats(strokes: StrokeRecord[], bounded: boolean): StepStats {
  const out: StepStats = {
    axial: [],
    all: [],
    fromStamp: [],
    handling: [],
    image: [],
    viewsDrawn: 0,
    steps: 0,
    draws: 0,
    rendererMs: 0,
    gpuMs: 0,
    strokeMs: [],
  };
  for (const s of strokes) {
    out.steps += s.inputs.length;
    out.draws += s.draws.filter((d) => d.view === 'axial').length;
    out.rendererMs += s.cpuMs.renderer;
    out.gpuMs += s.cpuMs.gpu;
    out.strokeMs.push(s.ms);
    s.inputs.forEach((t, i) => {
      const end = bounded ? (s.inputs[i + 1] ?? Infinity) : Infinity;
      const first = (view: string) => s.draws.find((d) => d.view === view && d.time >= t && d.time < end)?.time ?? NaN;
      const axial = first('axial');
      out.axial.push(axial - t);
      out.fromStamp.push(axial - s.stamps[i]);
      out.handling.push((s.handled[i] ?? NaN) - t);
      out.image.push((s.images.find((d) => d.view === 'axial' && d.time >= t && d.time < end)?.time ?? NaN) - t);
      const each = VIEWS.map(first);
      out.all.push(Math.max(...each) - t);
      out.viewsDrawn += each.filter(Number.isFinite).length;
    });
  }
  return out;
}

const p = (v: number[], q: number) => percentile(v, q);
const ms = (v: number) => fmt(v, 1);

function parseDims(s: string | undefined): [number, number, number] {
  const d = (s ?? '512,512,500').split(',').map(Number);
  if (d.length !== 3 || d.some((x) => !Number.isInteger(x) || x < 16 || x > 1024))
    throw new Error(`--edit-dims: three integers 16..1024, got ${s}`);
  return d as [number, number, number];
}

export const editSection: BenchSection = {
  name: 'edit',
  async run(opts: BenchOptions): Promise<SectionResult> {
    const f = opts.filters;
    const num = (key: string, def: number) =>
      f[key] !== undefined && Number.isFinite(Number(f[key])) ? Number(f[key]) : def;
    const dims = parseDims(f['edit-dims']);
    const paths = (f.paths?.split(',') ?? ['voxseg', 'stock']) as EditPath[];
    const reps = opts.repsGiven ? opts.reps : 1;
    const steps = num('steps', 100);
    const strokes = num('strokes', 5);
    const free = num('free', 1);
    const history = Math.max(num('history', 100), strokes + free);
    const profiling = f['edit-profile'] === 'yes';
    const server = await serveApp(f['reuse-build'] === 'yes', !profiling);
    const memoSpot = historyMemoBreakpoint(!profiling);
    if (profiling) mkdirSync(join(OUT, 'profiles'), { recursive: true });
    const runs: EditRun[] = [];
    const failures: string[] = [];
    try {
      for (let rep = 1; rep <= reps; rep++) {
        for (const path of paths) {
          const job: EditJob = {
            path,
            url: server.url,
            dims,
            radiusMm: num('brush-mm', 5),
            steps,
            strokes,
            freeStrokes: free,
            history,
            historySteps: num('history-steps', 10),
            profilePath: profiling
              ? join(OUT, 'profiles', `edit-${path}${reps > 1 ? `-${rep}` : ''}.cpuprofile`)
              : undefined,
            undos: num('undos', 20),
            switches: num('switches', 30),
            scrolls: num('scrolls', 10),
            stepTimeoutMs: num('step-timeout', 2) * 1000,
            timeoutMs: num('timeout', 3000) * 1000,
            memoSpot,
          };
          console.log(
            `bench: edit ${path} rep ${rep} (${dims.join('x')}, ${strokes}+${free} timed strokes of ${steps} steps, ${history} in all)`,
          );
          try {
            const r = await runEditPath(job);
            runs.push(r);
            const s = stepStats(r.stepStrokes, true);
            console.log(
              `  ${path}: loaded in ${fmt(r.loadMs / 1000, 1)} s, steady frames ${r.settleMs === null ? 'never' : `${fmt(r.settleMs / 1000, 1)} s`} later; step p50 ${ms(p(s.axial, 0.5))} p95 ${ms(p(s.axial, 0.95))} ms; first stroke ${r.firstStrokeVoxels ?? '?'} voxels`,
            );
            for (const l of r.log.slice(0, 5)) console.log(`  ${path}: ${l}`);
          } catch (e) {
            failures.push(`${path} rep ${rep}: ${e instanceof Error ? e.message : e}`);
            console.log(`  ${path} FAILED: ${e instanceof Error ? e.message : e}`);
          }
        }
      }
    } finally {
      await server.close();
    }
    return report(runs, failures, {
      dims,
      steps,
      strokes,
      free,
      history,
      historySteps: num('history-steps', 10),
      reps,
      radiusMm: num('brush-mm', 5),
      memoFound: memoSpot !== null,
    });
  },
};

interface Setup {
  dims: [number, number, number];
  steps: number;
  strokes: number;
  free: number;
  history: number;
  historySteps: number;
  reps: number;
  radiusMm: number;
  memoFound: boolean;
}

function report(runs: EditRun[], failures: string[], setup: Setup): SectionResult {
  const of = (path: EditPath) => runs.filter((r) => r.path === path);
  const paths = (['voxseg', 'stock'] as EditPath[]).filter((x) => of(x).length);
  const step = new Map(
    paths.map((x) => [
      x,
      stepStats(
        of(x).flatMap((r) => r.stepStrokes),
        true,
      ),
    ]),
  );
  const free = new Map(
    paths.map((x) => [
      x,
      stepStats(
        of(x).flatMap((r) => r.freeStrokes),
        false,
      ),
    ]),
  );
  const goals: GoalCheck[] = [];

  const rows = (fn: (x: EditPath, mode: string, s: StepStats, base?: StepStats) => (string | number)[]) => [
    ...paths.map((x) => fn(x, 'one step at a time', step.get(x)!, step.get('voxseg'))),
    ...paths.filter((x) => free.get(x)!.steps).map((x) => fn(x, 'free-running', free.get(x)!, free.get('voxseg'))),
  ];
  const latency = markdownTable(
    [
      'path',
      'mode',
      'steps',
      'p50 ms',
      'p95 ms',
      'max ms',
      'no draw',
      'p95 from event ms',
      '2D views drawn / step',
      'p95 all 2D views ms',
      'stock / voxseg (p95)',
    ],
    rows((x, mode, s, base) => [
      LABEL[x],
      mode,
      s.steps,
      ms(p(s.axial, 0.5)),
      ms(p(s.axial, 0.95)),
      ms(Math.max(...s.axial.filter(Number.isFinite))),
      s.axial.filter((v) => !Number.isFinite(v)).length,
      ms(p(s.fromStamp, 0.95)),
      fmt(s.viewsDrawn / Math.max(1, s.steps), 2),
      ms(p(s.all, 0.95)),
      x === 'stock' && base ? ratio(p(s.axial, 0.95), p(base.axial, 0.95), 1) : '—',
    ]),
  );
  const scroll = new Map(paths.map((x) => [x, of(x).flatMap((r) => r.scrolls.map((v) => v ?? NaN))]));
  const floor = markdownTable(
    ['path', 'scrolls', 'p50 ms', 'p95 ms', 'max ms', 'no draw'],
    paths.map((x) => {
      const v = scroll.get(x)!;
      return [
        LABEL[x],
        v.length,
        ms(p(v, 0.5)),
        ms(p(v, 0.95)),
        v.length ? ms(Math.max(...v.filter(Number.isFinite))) : '—',
        v.filter((t) => !Number.isFinite(t)).length,
      ];
    }),
  );
  const cost = markdownTable(
    [
      'path',
      'mode',
      'handling p50 ms',
      'handling p95 ms',
      'handling stock / voxseg (p95)',
      'view drawn p50 ms',
      'axial draws / step',
      'renderer CPU ms / step',
      'GPU process CPU ms / step',
    ],
    rows((x, mode, s, base) => [
      LABEL[x],
      mode,
      ms(p(s.handling, 0.5)),
      ms(p(s.handling, 0.95)),
      x === 'stock' && base ? ratio(p(s.handling, 0.95), p(base.handling, 0.95), 1) : '—',
      ms(p(s.image, 0.5)),
      fmt(s.draws / Math.max(1, s.steps), 2),
      ms(s.rendererMs / Math.max(1, s.steps)),
      ms(s.gpuMs / Math.max(1, s.steps)),
    ]),
  );

  const sw = new Map(paths.map((x) => [x, of(x).flatMap((r) => r.switches)]));
  const switches = markdownTable(
    ['path', 'what', 'switches', 'p50 ms', 'p95 ms', 'p50 to next frame ms', 'p95 to next frame ms'],
    paths.map((x) => {
      const v = sw.get(x)!;
      return [
        LABEL[x],
        x === 'voxseg' ? 'key b/e/t/f/x/n → edit panel shows the tool' : '`stockBrush({…})` / `stockBrush(null)` call',
        v.length,
        ms(
          p(
            v.map((s) => s.applied),
            0.5,
          ),
        ),
        ms(
          p(
            v.map((s) => s.applied),
            0.95,
          ),
        ),
        ms(
          p(
            v.map((s) => s.frame),
            0.5,
          ),
        ),
        ms(
          p(
            v.map((s) => s.frame),
            0.95,
          ),
        ),
      ];
    }),
  );

  const un = new Map(paths.map((x) => [x, of(x).flatMap((r) => r.undos)]));
  const undoMs = (x: EditPath) => (un.get(x) ?? []).map((u) => u.ms ?? NaN);
  const undo = markdownTable(
    ['path', 'what', 'undos', 'p50 ms', 'p95 ms', 'max ms', 'no redraw', 'stock / voxseg (p50)'],
    paths.map((x) => {
      const v = undoMs(x);
      const what =
        x === 'voxseg'
          ? 'Ctrl+Z → axial label draw and edit revision advanced'
          : setup.memoFound && v.length
            ? '`DefaultHistoryMemo.undo()` → axial label draw'
            : 'not measurable';
      return [
        LABEL[x],
        what,
        v.length,
        ms(p(v, 0.5)),
        ms(p(v, 0.95)),
        v.length ? ms(Math.max(...v.filter(Number.isFinite))) : '—',
        v.filter((t) => !Number.isFinite(t)).length,
        x === 'stock' ? ratio(p(v, 0.5), p(undoMs('voxseg'), 0.5), 1) : '—',
      ];
    }),
  );

  const copy = setup.dims[0] * setup.dims[1] * setup.dims[2];
  const mb = (b: number) => fmt(b / 1e6, 2);
  const memRows = paths.map((x) => {
    const m = of(x).map((r) => r.memory);
    const d = (fn: (h: EditRun['memory']['before']) => number) => median(m.map((y) => fn(y.after) - fn(y.before)));
    const heap = d(heapBytes);
    const own = median(m.map((y) => y.historyBytes ?? NaN));
    return [
      LABEL[x],
      m[0]?.strokes ?? '—',
      Number.isFinite(own) ? mb(own) : '—',
      mb(d((h) => h.usedSize)),
      mb(d((h) => h.backingStorageSize)),
      mb(heap),
      ratio(heap, copy, 2),
      mb(d((h) => h.rendererRss)),
      mb(d((h) => h.gpuRss)),
    ];
  });
  const memory = markdownTable(
    [
      'path',
      'strokes',
      'own history MB',
      'JS heap Δ MB',
      'array buffers Δ MB',
      'heap + buffers Δ MB',
      'Δ / one label map copy',
      'renderer RSS Δ MB',
      'GPU process RSS Δ MB',
    ],
    memRows,
  );

  // Goals.
  const v = step.get('voxseg');
  const st = step.get('stock');
  if (v)
    goals.push({
      what: `voxseg brush: stroke step → axial label draw, p95 (${setup.dims.join('x')})`,
      target: `≤ ${STEP_GOAL_MS} ms`,
      actual: `${ms(p(v.axial, 0.95))} ms`,
      met: p(v.axial, 0.95) <= STEP_GOAL_MS,
    });
  const vs = sw.get('voxseg');
  if (vs?.length)
    goals.push({
      what: 'voxseg tool switch (key → edit panel shows it), p95',
      target: `≤ ${SWITCH_GOAL_MS} ms`,
      actual: `${ms(
        p(
          vs.map((s) => s.applied),
          0.95,
        ),
      )} ms`,
      met:
        p(
          vs.map((s) => s.applied),
          0.95,
        ) <= SWITCH_GOAL_MS,
    });
  const speed = (what: string, stock: number, mine: number, slow: boolean) => {
    const x = stock / mine;
    goals.push({
      what: `${what}: stock / voxseg`,
      target: `≥ ${SPEEDUP_GOAL}x`,
      actual: Number.isFinite(x) ? `${x.toFixed(1)}x` : '—',
      met: x >= SPEEDUP_GOAL,
      info: !slow,
    });
  };
  if (v && st) speed('stroke step latency p95', p(st.axial, 0.95), p(v.axial, 0.95), p(st.axial, 0.95) > STEP_GOAL_MS);
  if (v && st)
    speed(
      'stroke step input handling p95',
      p(st.handling, 0.95),
      p(v.handling, 0.95),
      p(st.handling, 0.95) > STEP_GOAL_MS,
    );
  if (un.get('voxseg')?.length && un.get('stock')?.length)
    speed('undo p50', p(undoMs('stock'), 0.5), p(undoMs('voxseg'), 0.5), p(undoMs('stock'), 0.5) > STEP_GOAL_MS);
  const ss = sw.get('stock');
  if (vs?.length && ss?.length)
    speed(
      'tool switch p50 (to next frame)',
      p(
        ss.map((s) => s.frame),
        0.5,
      ),
      p(
        vs.map((s) => s.frame),
        0.5,
      ),
      p(
        ss.map((s) => s.frame),
        0.5,
      ) > SWITCH_GOAL_MS,
    );

  const load = paths.map((x) => `${LABEL[x]} ${fmt(median(of(x).map((r) => r.loadMs)) / 1000, 1)} s`).join(', ');
  const painted = paths.map((x) => {
    const r = of(x)[0];
    return `${LABEL[x]} ${r.firstStrokeVoxels !== null ? `${fmt(r.firstStrokeVoxels)} voxels` : `no voxel of the app's label map (${r.firstStrokePixels} view pixels changed)`}`;
  });
  const hot = runs
    .filter((r) => r.hot?.length)
    .map((r) => {
      const st = r.profiledStroke ? stepStats([r.profiledStroke], true) : undefined;
      const head = `${LABEL[r.path]}: one extra stroke of ${st?.steps ?? '?'} steps, step p50 ${st ? ms(p(st.axial, 0.5)) : '—'} ms, renderer ${st ? ms(st.rendererMs / st.steps) : '—'} / GPU process ${st ? ms(st.gpuMs / st.steps) : '—'} CPU ms per step; main-thread self time:`;
      return `${head}\n\n${markdownTable(
        ['function', 'where', 'self ms', 'total ms'],
        r.hot!.map((h) => [h.name, h.where, ms(h.selfMs), ms(h.totalMs)]),
      )}`;
    });
  const notes = [
    ...failures.map((x) => `FAILED: ${x}`),
    ...runs.flatMap((r) => r.notes),
    ...runs.filter((r) => r.undoNote).map((r) => `${LABEL[r.path]} undo: ${r.undoNote}.`),
  ];
  const markdown = [
    `Demo phantom ${setup.dims.join('x')} (${fmt(copy)} voxels; one uint8 label map copy = ${mb(copy)} MB), brush radius ${setup.radiusMm} mm (2D circle), ` +
      `${setup.strokes} strokes of ${setup.steps} steps driven one step at a time + ${setup.free} free-running, across the axial view; ${setup.reps} repetition(s), each path in a fresh browser. ` +
      `Load to ready: ${load}. First stroke painted: ${painted.join('; ')}.`,
    '### Brush stroke step → axial label draw',
    latency,
    '### What a step costs',
    cost,
    '### Drawing alone: slice scroll (one wheel notch in the axial view) → axial view drawn',
    floor,
    '### Tool switch',
    switches,
    '### Undo',
    undo,
    `### Memory of ${setup.history} strokes of history`,
    memory,
    ...(hot.length ? ['### Where the time goes (--edit-profile, unminified build)', ...hot] : []),
    ...notes.map((n) => `Note: ${n}`),
  ].join('\n\n');
  const data = {
    setup,
    runs: runs.map((r) => ({
      path: r.path,
      loadMs: r.loadMs,
      firstStrokeVoxels: r.firstStrokeVoxels,
      firstStrokePixels: r.firstStrokePixels,
      step: stepStats(r.stepStrokes, true),
      free: stepStats(r.freeStrokes, false),
      scrolls: r.scrolls,
      switches: r.switches,
      undos: r.undos,
      undoNote: r.undoNote,
      memory: r.memory,
      notes: r.notes,
      log: r.log.slice(0, 20),
    })),
    failures,
  };
  return { title: 'Editing', markdown, data, goals };
}
