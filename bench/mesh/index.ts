/**
 * Mesh bench: wall time and triangle count of voxseg's mesher (`meshLabels`, default options and
 * raw extraction) against vtk.js `vtkImageMarchingCubes` run once per label, on a real
 * TotalSegmentator label map and a 512x512x300 phantom label map, all in the same run; and the
 * time of a local re-mesh after a brush edit (`IncrementalMesher.update`).
 * Every measurement runs in its own Node child (child.ts), one engine per child.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Vec3 } from '../../src/core/types';
import type { BenchOptions, BenchSection, GoalCheck, SectionResult } from '../lib/section';
import { max, median, min } from '../lib/stats';
import { fmt, markdownTable } from '../lib/table';
import { REPO } from '../loading/datasets';
import type { EditRun, MeshEngine, MeshJob, MeshRun } from './child';
import { meshInputs, type MeshInput } from './inputs';

const SPEED_GOAL = 10;
const EDIT_GOAL_MS = 100;
/** Above this many voxels a vtk.js run takes about a minute: one run unless --reps is given. */
const BIG = 10_000_000;

const LABEL: Record<Exclude<MeshEngine, 'edit'>, string> = {
  voxseg: 'voxseg meshLabels (defaults)',
  'voxseg-raw': 'voxseg meshLabels { smoothing: 0 }',
  vtk: 'vtk.js ImageMarchingCubes per label',
};
const WHAT: Record<Exclude<MeshEngine, 'edit'>, string> = {
  voxseg: 'surface nets + windowed-sinc smoothing + volume restore, all labels in one call',
  'voxseg-raw': 'surface nets only (the voxels’ own faces), all labels in one call',
  vtk: 'per label: 0/1 Uint8 mask → vtkImageData (spacing, origin) → marching cubes, contour 0.5, normals + merged points',
};

interface Info {
  dims: Vec3;
  spacing: Vec3;
  dtype: string;
  labels: number;
  /** What meshLabels' defaults chose for this grid. */
  defaultSmoothing?: { iterations: number; passBand: number };
}

interface VtkLabelLine {
  rep: number;
  label: number;
  maskMs: number;
  mcMs: number;
  triangles: number;
  points: number;
}

interface EngineResult {
  engine: MeshEngine;
  info?: Info;
  runs: MeshRun[];
  /** vtk: per-label lines of the first repetition (all that is known when a run is cut off). */
  labelLines: VtkLabelLine[];
  meshAll?: { ms: number; triangles: number };
  edits: EditRun[];
  error?: string;
  timedOut?: boolean;
}

function runChild(job: MeshJob, timeoutMs: number): EngineResult {
  const child = join(REPO, 'bench/mesh/child.ts');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, JSON.stringify(job)], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const out: EngineResult = { engine: job.engine, runs: [], labelLines: [], edits: [] };
  let done = false;
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as { kind: string } & Record<string, unknown>;
    if (o.kind === 'info') out.info = o as unknown as Info;
    else if (o.kind === 'run') out.runs.push(o as unknown as MeshRun);
    else if (o.kind === 'label' && o.rep === 1) out.labelLines.push(o as unknown as VtkLabelLine);
    else if (o.kind === 'meshAll') out.meshAll = o as unknown as EngineResult['meshAll'];
    else if (o.kind === 'edit') out.edits.push(o as unknown as EditRun);
    else if (o.kind === 'done') done = true;
  }
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    out.timedOut = true;
    out.error = `cut off at the ${Math.round(timeoutMs / 1000)} s limit`;
  } else if (r.status !== 0 || !done)
    out.error = `child exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' / ')}`;
  return out;
}

const med = (runs: MeshRun[], f: (r: MeshRun) => number) => median(runs.map(f));
const mb = (bytes: number) => fmt(bytes / 1e6);

/** Median time of an engine, or for a vtk.js run cut off in its first repetition an estimate. */
interface Timing {
  ms: number;
  /** 'measured' | 'estimated' (labels not reached extrapolated) | 'lower bound' (not one label finished). */
  kind: 'measured' | 'estimated' | 'lower bound';
  note?: string;
}

function timing(e: EngineResult | undefined, timeoutMs: number): Timing | undefined {
  if (!e) return undefined;
  if (e.runs.length) return { ms: med(e.runs, (r) => r.ms), kind: 'measured' };
  if (e.engine !== 'vtk' || !e.timedOut || !e.info) return undefined;
  const done = e.labelLines;
  if (done.length === 0)
    return { ms: timeoutMs, kind: 'lower bound', note: `no label finished within ${fmt(timeoutMs / 1000)} s` };
  const spent = done.reduce((s, l) => s + l.maskMs + l.mcMs, 0);
  return {
    ms: (spent / done.length) * e.info.labels,
    kind: 'estimated',
    note: `${done.length} of ${e.info.labels} labels finished in the ${fmt(timeoutMs / 1000)} s limit (${fmt(spent / 1000, 1)} s); the rest estimated at their mean time per label`,
  };
}

function timeCell(t: Timing | undefined, e: EngineResult): string {
  if (!t) return `FAILED: ${e.error ?? 'no result'}`;
  if (t.kind === 'estimated') return `est. ${fmt(t.ms)}`;
  if (t.kind === 'lower bound') return `> ${fmt(t.ms)}`;
  const spread =
    e.runs.length > 1 ? ` (${fmt(min(e.runs.map((r) => r.ms)))}–${fmt(max(e.runs.map((r) => r.ms)))})` : '';
  return `${fmt(t.ms)}${spread}`;
}

function ratioCell(vtk: Timing | undefined, t: Timing | undefined): string {
  if (!vtk || !t || t.kind !== 'measured') return '—';
  const x = `${(vtk.ms / t.ms).toFixed(1)}x`;
  return vtk.kind === 'measured' ? x : vtk.kind === 'estimated' ? `est. ${x}` : `> ${x}`;
}

function speedTable(
  input: MeshInput,
  engines: EngineResult[],
  timeoutMs: number,
): { markdown: string; vtk?: Timing; timings: Map<MeshEngine, Timing | undefined> } {
  const timings = new Map(engines.map((e) => [e.engine, timing(e, timeoutMs)]));
  const vtk = timings.get('vtk');
  const rows = engines.map((e) => {
    const name = LABEL[e.engine as Exclude<MeshEngine, 'edit'>];
    const t = timings.get(e.engine);
    const partial = !e.runs.length && e.labelLines.length ? e.labelLines : undefined;
    const sum = (f: (l: VtkLabelLine) => number) => (partial ? partial.reduce((s, l) => s + f(l), 0) : NaN);
    const tag = (v: string) => (partial && v !== '—' ? `${v} (${partial.length} labels)` : v);
    return [
      name,
      WHAT[e.engine as Exclude<MeshEngine, 'edit'>],
      timeCell(t, e),
      e.runs.length ? fmt(med(e.runs, (r) => r.cpuMs)) : '—',
      e.engine === 'vtk' ? tag(fmt(e.runs.length ? med(e.runs, (r) => r.maskMs ?? NaN) : sum((l) => l.maskMs))) : '—',
      e.engine === 'vtk' ? tag(fmt(e.runs.length ? med(e.runs, (r) => r.mcMs ?? NaN) : sum((l) => l.mcMs))) : '—',
      e.runs.length ? fmt(e.runs[0].triangles) : tag(fmt(sum((l) => l.triangles))),
      e.runs.length ? fmt(e.runs[0].vertices) : tag(fmt(sum((l) => l.points))),
      e.runs.length ? mb(med(e.runs, (r) => r.peakGrowthBytes)) : '—',
      e.engine === 'vtk' ? '—' : ratioCell(vtk, t),
    ];
  });
  const info = engines.find((e) => e.info)?.info;
  const reps = [...new Set(engines.map((e) => e.runs.length))];
  const notes = engines.flatMap((e) => {
    const t = timings.get(e.engine);
    const why = t?.note ?? (t && e.error); // without a timing the row itself says FAILED
    return why ? [`${LABEL[e.engine as 'vtk']}: ${why}.`] : [];
  });
  return {
    vtk,
    timings,
    markdown: [
      `### ${input.label}`,
      '',
      info
        ? `${info.dims.join('x')} voxels (${fmt(info.dims[0] * info.dims[1] * info.dims[2])}), spacing ${info.spacing.map((s) => fmt(s, 2)).join('x')} mm, ${info.dtype}, ${info.labels} labels. Runs per engine: ${reps.join('/')}.` +
          (info.defaultSmoothing
            ? ` meshLabels' defaults here: ${info.defaultSmoothing.iterations} smoothing iterations, pass band ${info.defaultSmoothing.passBand}.`
            : '')
        : '',
      '',
      markdownTable(
        [
          'method',
          'exactly what runs',
          engines.some((e) => e.runs.length > 1) ? 'ms (min–max)' : 'ms',
          'CPU ms',
          'mask ms',
          'marching cubes ms',
          'triangles',
          'vertices',
          'peak growth MB',
          'vtk.js / this',
        ],
        rows,
      ),
      ...notes.map((n) => `\n${n}`),
    ].join('\n'),
  };
}

function editTable(input: MeshInput, e: EngineResult, radius: number): string {
  const rows = e.edits.map((x) => [
    x.i + 1,
    x.label,
    `(${x.centre.join(', ')})`,
    fmt(x.changed),
    x.remeshed.map((m) => m.label).join(', '),
    fmt(x.remeshed.reduce((s, m) => s + m.triangles, 0)),
    fmt(x.ms, 1),
  ]);
  const ms = e.edits.map((x) => x.ms);
  return [
    `### Local edit re-mesh: ${input.label}`,
    '',
    `\`new IncrementalMesher(labels)\` (default options), \`meshAll()\` (${e.meshAll ? `${fmt(e.meshAll.ms)} ms, ${fmt(e.meshAll.triangles)} triangles` : 'failed'}), then per edit: a ball of radius ${radius} voxels of one label ` +
      'painted into `labels.voxels` in place, centred on that label’s border voxel nearest its bounding-box centre (so it grows into the neighbouring region: ' +
      'background or another organ), then the timed `update({ lo, hi })` over the ball’s box. Edits accumulate, as in a painting session.',
    '',
    e.edits.length
      ? markdownTable(
          [
            'edit',
            'label painted',
            'centre (i, j, k)',
            'voxels changed',
            'labels re-meshed',
            'triangles re-meshed',
            'update ms',
          ],
          rows,
        )
      : `FAILED: ${e.error ?? 'no edits'}`,
    '',
    e.edits.length
      ? `Median update: **${fmt(median(ms), 1)} ms** over ${ms.length} edits (min ${fmt(min(ms), 1)}, max ${fmt(max(ms), 1)}).`
      : '',
    e.error && e.edits.length ? `\n${e.error}` : '',
  ].join('\n');
}

export const meshSection: BenchSection = {
  name: 'mesh',
  async run(opts: BenchOptions): Promise<SectionResult> {
    const maps = opts.filters.maps?.split(',') ?? ['seg', 'phantom'];
    const engines = (opts.filters.engines?.split(',') ?? ['voxseg', 'voxseg-raw', 'vtk', 'edit']) as MeshEngine[];
    const phantomDims = (opts.filters['mesh-dims']?.split(',').map(Number) ?? [512, 512, 300]) as Vec3;
    const timeoutMs = (Number(opts.filters.timeout) || 600) * 1000;
    const edits = Number(opts.filters.edits) || 8;
    const radius = Number(opts.filters.radius) || 8;
    const { inputs, notes } = meshInputs({ inputs: maps, phantomDims });

    const goals: GoalCheck[] = [];
    const parts: string[] = [];
    const data: Record<string, unknown> = {};
    for (const input of inputs) {
      const results: EngineResult[] = [];
      for (const engine of engines.filter((x) => x !== 'edit')) {
        const voxels = input.kind === 'phantom' ? input.dims[0] * input.dims[1] * input.dims[2] : 0;
        const reps = engine === 'vtk' && voxels > BIG && !opts.repsGiven ? 1 : opts.reps;
        console.log(`bench: mesh ${input.id} ${engine} (${reps} run${reps > 1 ? 's' : ''})`);
        const r = runChild({ engine, input, reps }, timeoutMs);
        results.push(r);
        for (const run of r.runs)
          console.log(
            `  ${input.id} ${engine.padEnd(10)} rep ${run.rep} ${fmt(run.ms).padStart(7)} ms  cpu ${fmt(run.cpuMs).padStart(7)} ms  ${fmt(run.triangles)} triangles` +
              (run.maskMs !== undefined ? `  [mask ${fmt(run.maskMs)} ms, marching cubes ${fmt(run.mcMs)} ms]` : '') +
              `  peak +${mb(run.peakGrowthBytes)} MB`,
          );
        if (r.error)
          console.log(
            `  ${input.id} ${engine} ${r.timedOut ? 'TIMED OUT' : 'FAILED'}: ${r.error}${r.labelLines.length ? ` (${r.labelLines.length} labels done)` : ''}`,
          );
      }
      if (results.length) {
        const t = speedTable(input, results, timeoutMs);
        parts.push(t.markdown);
        const x = (num?: Timing, den?: Timing) => (num && den && den.kind === 'measured' ? num.ms / den.ms : NaN);
        const show = (v: number) =>
          Number.isFinite(v)
            ? `${t.vtk?.kind === 'estimated' ? 'est. ' : t.vtk?.kind === 'lower bound' ? '> ' : ''}${v.toFixed(1)}x`
            : '—';
        for (const engine of ['voxseg', 'voxseg-raw'] as const) {
          if (!t.timings.has(engine) || !t.vtk) continue;
          const r = x(t.vtk, t.timings.get(engine));
          // The goal is on the phantom map with default options; the rest is information.
          goals.push({
            what: `${input.id}: vtk.js time / ${LABEL[engine]}`,
            target: `≥ ${SPEED_GOAL}x`,
            actual: show(r),
            met: r >= SPEED_GOAL,
            info: input.id !== 'phantom' || engine !== 'voxseg',
          });
        }
      }
      let edit: EngineResult | undefined;
      if (engines.includes('edit') && input.id === 'phantom') {
        console.log(`bench: mesh ${input.id} edit (${edits} edits, radius ${radius} voxels)`);
        edit = runChild({ engine: 'edit', input, reps: 1, edits, radius }, timeoutMs);
        for (const e of edit.edits)
          console.log(
            `  edit ${e.i + 1}: label ${e.label} at (${e.centre.join(', ')}), ${e.changed} voxels changed, re-meshed ${e.remeshed.map((m) => m.label).join(',')} in ${fmt(e.ms, 1)} ms`,
          );
        if (edit.error) console.log(`  edit FAILED: ${edit.error}`);
        parts.push(editTable(input, edit, radius));
        const m = median(edit.edits.map((e) => e.ms));
        goals.push({
          what: `${input.id}: local edit re-mesh (IncrementalMesher.update), median of ${edit.edits.length} edits`,
          target: `≤ ${EDIT_GOAL_MS} ms`,
          actual: Number.isFinite(m) ? `${m.toFixed(1)} ms` : 'failed',
          met: m <= EDIT_GOAL_MS,
        });
      }
      data[input.id] = {
        input,
        engines: results.map(({ engine, info, runs, labelLines, error, timedOut }) => ({
          engine,
          info,
          runs,
          partialLabels: runs.length ? undefined : labelLines,
          error,
          timedOut,
          timing: timing(
            results.find((r) => r.engine === engine),
            timeoutMs,
          ),
        })),
        edit: edit && {
          radius,
          meshAll: edit.meshAll,
          edits: edit.edits,
          medianMs: median(edit.edits.map((e) => e.ms)),
          error: edit.error,
        },
      };
    }
    parts.push(
      [
        'Each engine runs in its own Node child. Before the clock the input is loaded, the same engine meshes a small phantom label map once (its hot code compiled) and garbage is collected. ' +
          'ms = wall time of one whole-map run: voxseg = the `meshLabels` call (its label-counting pass included); vtk.js = the loop over the labels present (the list is made before the clock), ' +
          'split into mask ms (0/1 mask + vtkImageData per label) and marching cubes ms (the filter’s `getOutputData()`). Median over the runs; ' +
          `vtk.js on maps over ${BIG / 1e6}M voxels runs once unless --reps is given. CPU ms = user + system time of the child during the run. ` +
          'Peak growth = VmHWM during the run (reset via clear_refs) − VmRSS before it. vtk.js / this = vtk.js ms / that row’s ms (> 1: voxseg is faster). ' +
          'Triangle counts differ by method: marching cubes on a 0/1 mask puts its vertices on the grid edges between inside and outside voxel centres, surface nets one vertex per boundary cell ' +
          '(smoothing moves voxseg’s vertices, it does not change their number). vtk.js’s surfaces are open where a label touches the border of the grid (the mask is not padded); voxseg’s are closed.',
        ...notes.map((n) => `Note: ${n}`),
      ].join('\n'),
    );
    return {
      title: 'Meshing',
      markdown: parts.join('\n\n'),
      data: { reps: opts.reps, timeoutS: timeoutMs / 1000, ...data },
      goals,
    };
  },
};
