/**
 * Loading bench: time to volume, throughput and peak memory of the voxseg DICOM loader against
 * a dcmjs-based loader and Cornerstone3D's dicom-image-loader, all in headless Chromium on the same
 * files in the same run (plus a Node row for voxseg's CLI path).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { topFunctions, type CpuProfile } from '../lib/cpuprofile';
import { compareSummaries, type VolumeSummary } from '../browser/checksum';
import { markdownTable, fmt, ratio } from '../lib/table';
import { median, min, max } from '../lib/stats';
import { buildAndServe } from '../lib/vite-page';
import type { BenchOptions, BenchSection, GoalCheck, SectionResult } from '../lib/section';
import { ioFloor, runInBrowser, type RunResult } from './browser';
import { j2kDataset, OUT, phantomDataset, REPO, warmPageCache, type Dataset } from './datasets';

export const BROWSER_LOADERS = ['voxseg', 'dcmjs', 'cornerstone'] as const;
/** Extra browser loaders accepted by --loaders= (diagnostics; never compared against the goals). */
const DIAGNOSTIC_LOADERS = ['voxseg-gc'];
const LABEL: Record<string, string> = {
  voxseg: 'voxseg (browser)',
  dcmjs: 'dcmjs-based (browser)',
  cornerstone: 'Cornerstone dicom-image-loader (browser)',
  'voxseg-node': 'voxseg (Node CLI path)',
  'voxseg-gc': 'diagnostic: voxseg + gc() every 25 slices',
};
const SPEED_GOAL = 1.5;
const MEMORY_GOAL = 1.5;
const BYTES: Record<string, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

interface Row {
  loader: string;
  runs: RunResult[];
  errors: string[];
}

interface Aggregate {
  loader: string;
  ok: boolean;
  error?: string;
  ms?: number;
  cpuMs?: number;
  msMin?: number;
  msMax?: number;
  filesPerS?: number;
  mbPerS?: number;
  peakMB?: number;
  voxelMB?: number;
  peakRatio?: number;
  dtype?: string;
  dims?: number[];
  check?: string;
  peakMethod?: string;
  runsMs?: number[];
  runsPeakMB?: number[];
  warnings?: string[];
}

function dtypeBytes(dtype: string): number {
  const d = dtype.toLowerCase().replace(/array$/, '');
  return BYTES[d] ?? NaN;
}

function runNode(dir: string, profileDir?: string): RunResult {
  const child = join(REPO, 'bench/loading/node-child.ts');
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=200'] : [];
  const r = spawnSync(process.execPath, ['--expose-gc', ...prof, '--import', 'tsx', child, dir], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: 300_000,
  });
  if (r.status !== 0)
    throw new Error(
      `node child exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' / ')}`,
    );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as Omit<RunResult, 'crossOriginIsolated'>), crossOriginIsolated: false } as RunResult;
}

function aggregate(row: Row, ds: Dataset, reference: VolumeSummary | undefined): Aggregate {
  if (row.runs.length === 0) return { loader: row.loader, ok: false, error: row.errors[0] ?? 'no runs' };
  const ms = median(row.runs.map((r) => r.ms));
  const peak = median(row.runs.map((r) => r.peakBytes));
  const first = row.runs[0];
  const voxels = first.dims.reduce((a, b) => a * b, 1);
  const voxelBytes = voxels * dtypeBytes(first.dtype);
  const checks = row.runs.map((r) => (reference ? compareSummaries(reference, r.summary) : ''));
  const bad = checks.find((c) => c !== '');
  return {
    loader: row.loader,
    ok: !bad && row.errors.length === 0,
    error: row.errors[0],
    ms,
    cpuMs: median(row.runs.map((r) => r.cpuMs)),
    msMin: min(row.runs.map((r) => r.ms)),
    msMax: max(row.runs.map((r) => r.ms)),
    filesPerS: ds.paths.length / (ms / 1000),
    mbPerS: ds.bytes / 1e6 / (ms / 1000),
    peakMB: peak / 1e6,
    voxelMB: voxelBytes / 1e6,
    peakRatio: peak / voxelBytes,
    dtype: first.dtype,
    dims: first.dims,
    check: reference ? (bad ? `MISMATCH: ${bad}` : 'ok') : 'reference',
    peakMethod: first.peakMethod,
    runsMs: row.runs.map((r) => Math.round(r.ms)),
    runsPeakMB: row.runs.map((r) => Math.round(r.peakBytes / 1e6)),
    warnings: [...new Set(row.runs.flatMap((r) => r.warnings))].slice(0, 5),
  };
}

async function benchDataset(ds: Dataset, url: string, loaders: string[], opts: BenchOptions, withNode: boolean) {
  warmPageCache(ds);
  const rows = new Map<string, Row>(loaders.map((l) => [l, { loader: l, runs: [], errors: [] }]));
  if (withNode) rows.set('voxseg-node', { loader: 'voxseg-node', runs: [], errors: [] });
  // Interleave loaders within each repetition so drift (thermal, page cache) hits all alike.
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const [name, row] of rows) {
      if (row.errors.length > 0) continue; // a loader that failed once is not retried
      try {
        const timeoutMs = (Number(opts.filters.timeout) || 300) * 1000;
        const r = name === 'voxseg-node' ? runNode(ds.dir) : await runInBrowser(url, name, ds.paths, { timeoutMs });
        row.runs.push(r);
        console.log(
          `  ${ds.id} rep ${rep} ${name.padEnd(12)} ${fmt(r.ms).padStart(7)} ms  cpu ${fmt(r.cpuMs).padStart(7)} ms  peak ${fmt(r.peakBytes / 1e6).padStart(5)} MB  ${r.dims.join('x')} ${r.dtype}` +
            (r.phases
              ? `  [${Object.entries(r.phases)
                  .map(([k, v]) => `${k} ${fmt(v)}`)
                  .join(', ')}]`
              : ''),
        );
      } catch (e) {
        const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
        row.errors.push(msg);
        console.log(`  ${ds.id} rep ${rep} ${name.padEnd(12)} FAILED: ${msg}`);
      }
    }
  }
  if (opts.filters.profile) await profileRuns(ds, url, opts.filters.profile.split(','));
  if (opts.filters.diagnose) {
    const io = await ioFloor(url, ds.paths);
    console.log(`\n  browser file-I/O floor, ${ds.id} (ms, one fresh browser):`);
    for (const [k, v] of Object.entries(io)) console.log(`    ${k.padEnd(52)} ${fmt(v).padStart(7)}`);
  }
  // Reference fingerprint: the first loader with results, preferring the dcmjs baseline (simplest code).
  const refRow = ['dcmjs', 'voxseg', 'cornerstone', 'voxseg-node']
    .map((l) => rows.get(l))
    .find((r) => r && r.runs.length > 0);
  const reference = refRow?.runs[0].summary;
  const aggs = [...rows.values()].map((r) => aggregate(r, ds, r === refRow ? undefined : reference));
  if (refRow) {
    const a = aggs.find((x) => x.loader === refRow.loader)!;
    // The reference must at least agree with itself across repetitions.
    const bad = refRow.runs.map((r) => compareSummaries(reference!, r.summary)).find((c) => c);
    a.check = bad ? `MISMATCH between runs: ${bad}` : 'reference';
    a.ok = !bad && refRow.errors.length === 0;
  }
  return aggs;
}

/** One extra, untimed run per loader with a CPU profile; prints the hottest functions. */
async function profileRuns(ds: Dataset, url: string, loaders: string[]): Promise<void> {
  const dir = join(OUT, 'profiles');
  mkdirSync(dir, { recursive: true });
  for (const loader of loaders) {
    let file: string;
    try {
      if (loader === 'voxseg-node') {
        const before = new Set(readdirSync(dir));
        runNode(ds.dir, dir);
        const made = readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.cpuprofile'));
        if (made.length === 0) throw new Error('node wrote no profile');
        file = join(dir, `${ds.id}-${loader}.cpuprofile`);
        renameSync(join(dir, made[0]), file);
      } else {
        file = join(dir, `${ds.id}-${loader}.cpuprofile`);
        await runInBrowser(url, loader, ds.paths, { profilePath: file });
      }
    } catch (e) {
      console.log(`  profile ${loader}: FAILED ${e instanceof Error ? e.message.split('\n')[0] : e}`);
      continue;
    }
    const top = topFunctions(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, 12);
    console.log(`\n  CPU profile ${ds.id} / ${loader} (main thread) → ${file}`);
    console.log(
      markdownTable(
        ['function', 'where', 'self ms', 'total ms'],
        top.map((f) => [f.name, f.where, Math.round(f.selfMs), Math.round(f.totalMs)]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
}

function datasetTable(ds: Dataset, aggs: Aggregate[]): string {
  const vox = aggs.find((a) => a.loader === 'voxseg');
  const rows = aggs.map((a) => {
    if (a.ms === undefined) return [LABEL[a.loader], `FAILED: ${a.error}`];
    const speed = a.loader.startsWith('voxseg') ? '' : ratio(a.ms, vox?.ms);
    return [
      LABEL[a.loader],
      `${fmt(a.ms)} (${fmt(a.msMin)}–${fmt(a.msMax)})`,
      fmt(a.cpuMs),
      fmt(a.filesPerS, 0),
      fmt(a.mbPerS, 0),
      fmt(a.peakMB, 0),
      a.peakRatio !== undefined ? `${a.peakRatio.toFixed(2)}x` : '—',
      a.dtype,
      speed,
      a.check,
    ];
  });
  return [
    `### ${ds.label}: ${ds.paths.length} files, ${fmt(ds.bytes / 1e6, 1)} MB`,
    '',
    markdownTable(
      [
        'loader',
        'time to volume ms (min–max)',
        'CPU ms',
        'files/s',
        'MB/s',
        'peak MB',
        'peak / voxel bytes',
        'dtype',
        'voxseg speedup',
        'result check',
      ],
      rows,
    ),
  ].join('\n');
}

export const loadingSection: BenchSection = {
  name: 'loading',
  async run(opts: BenchOptions): Promise<SectionResult> {
    const loaders = (opts.filters.loaders?.split(',') ?? [...BROWSER_LOADERS]).filter((l) =>
      [...BROWSER_LOADERS, ...DIAGNOSTIC_LOADERS].includes(l),
    );
    const withNode = opts.filters.node !== 'no';
    const wanted = opts.filters.datasets?.split(',') ?? ['phantom', 'j2k'];
    const dims = (opts.filters.dims?.split(',').map(Number) ?? [512, 512, 500]) as [number, number, number];

    const datasets: Dataset[] = [];
    const notes: string[] = [];
    if (wanted.includes('phantom')) datasets.push(await phantomDataset(dims, opts.regen));
    if (wanted.includes('j2k')) {
      const j = j2kDataset();
      if ('missing' in j) notes.push(j.missing);
      else datasets.push(j);
    }

    if (opts.filters.profile) process.env.VOXSEG_BENCH_MINIFY = '0';
    const page = await buildAndServe(join(REPO, 'bench/browser/vite.config.ts'));
    const results: Record<string, Aggregate[]> = {};
    try {
      for (const ds of datasets) {
        console.log(
          `bench: loading ${ds.label} (${ds.paths.length} files, ${fmt(ds.bytes / 1e6)} MB), ${opts.reps} reps`,
        );
        results[ds.id] = await benchDataset(ds, page.url, loaders, opts, withNode);
      }
    } finally {
      await page.close();
    }

    const goals: GoalCheck[] = [];
    const summaryRows: string[][] = [];
    for (const ds of datasets) {
      const aggs = results[ds.id];
      const get = (l: string) => aggs.find((a) => a.loader === l);
      const v = get('voxseg');
      const vsD = v?.ok && get('dcmjs')?.ms ? get('dcmjs')!.ms! / v.ms! : NaN;
      const vsC = v?.ok && get('cornerstone')?.ms ? get('cornerstone')!.ms! / v.ms! : NaN;
      const mem = v?.ok ? v.peakRatio! : NaN;
      const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '—');
      summaryRows.push([ds.label, x(vsD), x(vsC), x(mem)]);
      if (loaders.includes('dcmjs'))
        goals.push({
          what: `${ds.id}: voxseg speedup vs dcmjs`,
          target: `≥ ${SPEED_GOAL}x`,
          actual: x(vsD),
          met: vsD >= SPEED_GOAL,
        });
      if (loaders.includes('cornerstone'))
        goals.push({
          what: `${ds.id}: voxseg speedup vs Cornerstone`,
          target: `≥ ${SPEED_GOAL}x`,
          actual: x(vsC),
          met: vsC >= SPEED_GOAL,
        });
      // The memory goal is about large series; on small ones fixed costs (wasm heaps, workers) dominate.
      const info = !ds.id.startsWith('phantom-');
      goals.push({
        what: `${ds.id}: voxseg peak memory / voxel bytes`,
        target: `≤ ${MEMORY_GOAL}x`,
        actual: x(mem),
        met: mem <= MEMORY_GOAL,
        info,
      });
    }

    const markdown = [
      datasets.map((ds) => datasetTable(ds, results[ds.id])).join('\n\n'),
      '',
      markdownTable(
        [
          'dataset',
          `voxseg vs dcmjs (goal ≥ ${SPEED_GOAL}x)`,
          `voxseg vs Cornerstone (goal ≥ ${SPEED_GOAL}x)`,
          `voxseg peak / voxel bytes (goal ≤ ${MEMORY_GOAL}x)`,
        ],
        summaryRows,
      ),
      '',
      `Median of ${opts.reps} runs, each in a fresh Chromium profile/process; time = files already selected → voxel array complete. ` +
        'CPU ms = CPU time of the renderer process (all threads, workers included; Node: the child process) during the load, median. ' +
        'MB = 10^6 bytes (file bytes for MB/s). Peak = renderer VmHWM − VmRSS before the load (after gc()); workers included. ' +
        "voxel bytes = dims × bytes of the loader's output dtype. \"voxseg speedup\" = that loader's time / voxseg's. " +
        'The dcmjs baseline decodes JPEG 2000 on the main thread with the same OpenJPEG wasm codec Cornerstone uses. ' +
        'The Node row has no speedup (different runtime).',
      ...notes.map((n) => `Note: ${n}`),
    ].join('\n');
    return {
      title: 'DICOM loading',
      markdown,
      data: { datasets: datasets.map(({ paths: _p, ...d }) => ({ ...d, files: _p.length })), results },
      goals,
    };
  },
};
