/**
 * Inference bench: seconds per volume, model seconds and peak memory of voxseg's segmentation
 * engine on each runtime, all measured in the same run:
 * - browser-wasm: the app's path (InferenceClient → module worker → onnxruntime-web WASM, threads =
 *   all cores) in headless Chromium on a cross-origin isolated page;
 * - native: runPipeline + nativePredictor (onnxruntime-node) in a Node child process;
 * - node-wasm: the same worker in Node worker_threads (`voxseg segment --device wasm`).
 * Rows: meshnet-gwm (whole-volume 256^3), a sliding-window U-Net on a 512x512x300 CT, an imported
 * nnU-Net model of TotalSegmentator's 3 mm shape on the same CT and the conversion time of a
 * ~30 M-parameter nnU-Net checkpoint (`nnunet.ts`), the memory of a 14-class 128^3 pipeline at the
 * CT's own spacing (native), a WebGPU functional check, and the accuracy of real converted
 * brainchop tissue models on a real T1 against FSL FAST (`tissue.ts`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { markdownTable, fmt, ratio } from '../lib/table';
import { median, min, max } from '../lib/stats';
import { buildAndServe } from '../lib/vite-page';
import type { BenchOptions, BenchSection, GoalCheck, SectionResult } from '../lib/section';
import { REPO } from '../loading/datasets';
import { runInferenceInBrowser } from './browser';
import { caseFile, prepareCases, writeCaseFiles } from './cases';
import { prepareNnunet, runConversion, type ConversionResult, type NnunetPrep } from './nnunet';
import type { BenchDevice, InferenceCase, InferenceRun } from './shared';
import { runTissue, type TissueResult } from './tissue';

const SPEED_GOAL = 2;
const MEMORY_GOAL = 4e9;
const LABEL: Record<BenchDevice, string> = {
  'browser-wasm': 'browser WASM (Chromium worker)',
  'browser-webgpu': 'browser WebGPU (Chromium worker)',
  native: 'native (onnxruntime-node)',
  'node-wasm': 'Node WASM (onnxruntime-web, worker_threads)',
};

interface Cell {
  caseId: string;
  device: BenchDevice;
  runs: InferenceRun[];
  errors: string[];
}

function runNode(c: InferenceCase, device: 'native' | 'node-wasm', timeoutMs: number): InferenceRun {
  const child = join(REPO, 'bench/inference/node-child.ts');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, caseFile(c), device], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: timeoutMs,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw new Error(`no result within ${Math.round(timeoutMs / 1000)} s`);
  if (r.status !== 0)
    throw new Error(
      `node child exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' / ')}`,
    );
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as InferenceRun;
}

async function measure(cell: Cell, c: InferenceCase, url: string, timeoutMs: number, rep: number): Promise<void> {
  if (cell.errors.length) return; // a device that failed once is not retried
  try {
    const d = cell.device;
    const r =
      d === 'native' || d === 'node-wasm'
        ? runNode(c, d, timeoutMs)
        : await runInferenceInBrowser(url, c, d === 'browser-webgpu' ? 'webgpu' : 'wasm', timeoutMs);
    cell.runs.push(r);
    console.log(
      `  ${c.id} rep ${rep} ${d.padEnd(14)} ${fmt(r.seconds, 1).padStart(6)} s  model ${fmt(r.modelSeconds, 1).padStart(6)} s  cpu ${fmt(r.cpuSeconds, 1).padStart(6)} s  ` +
        `peak +${fmt(r.peakGrowthBytes / 1e6)} MB (rss ${fmt(r.peakRssBytes / 1e6)} MB)  ${r.patches} patch(es) on ${r.modelGrid.join('x')}  ${r.used}${r.adapter ? ` (${r.adapter})` : ''}` +
        (r.warmupMs !== undefined ? `  [warm-up ${fmt(r.warmupMs)} ms]` : '') +
        (r.notes.length ? `  notes: ${r.notes.join('; ')}` : ''),
    );
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    cell.errors.push(msg);
    console.log(`  ${c.id} rep ${rep} ${cell.device.padEnd(14)} FAILED: ${msg}`);
  }
}

/** Share of voxels whose label must differ, from the two label histograms: ½ Σ|a − b| / N. */
function histogramDelta(a: Record<string, number> | undefined, b: Record<string, number> | undefined): number {
  if (!a || !b) return NaN;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  let diff = 0;
  let n = 0;
  for (const k of keys) {
    diff += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
    n += a[k] ?? 0;
  }
  return diff / 2 / n;
}

const med = (cell: Cell | undefined, f: (r: InferenceRun) => number) =>
  cell?.runs.length ? median(cell.runs.map(f)) : NaN;
const mb = (bytes: number) => fmt(bytes / 1e6);
const pct = (x: number) => (!Number.isFinite(x) ? '—' : x === 0 ? '0%' : `${(100 * x).toFixed(x < 0.001 ? 3 : 2)}%`);

function speedTable(c: InferenceCase, cells: Cell[]): string {
  const native = cells.find((x) => x.device === 'native');
  const rows = cells.map((cell) => {
    if (!cell.runs.length) return [LABEL[cell.device], `FAILED: ${cell.errors[0] ?? 'not run'}`];
    const s = med(cell, (r) => r.seconds);
    const m = med(cell, (r) => r.modelSeconds);
    const first = cell.runs[0];
    const isNative = cell.device === 'native';
    const cpu = med(cell, (r) => r.cpuSeconds);
    const spread =
      cell.runs.length > 1
        ? ` (${fmt(min(cell.runs.map((r) => r.seconds)), 1)}–${fmt(max(cell.runs.map((r) => r.seconds)), 1)})`
        : '';
    return [
      LABEL[cell.device],
      `${fmt(s, 1)}${spread}`,
      fmt(m, 1),
      first.patches,
      fmt(cpu, 1),
      mb(med(cell, (r) => r.peakGrowthBytes)),
      mb(med(cell, (r) => r.peakRssBytes)),
      mb(med(cell, (r) => r.enginePeakBytes)),
      first.threads,
      isNative
        ? ''
        : ratio(
            s,
            med(native, (r) => r.seconds),
          ),
      isNative
        ? ''
        : ratio(
            m,
            med(native, (r) => r.modelSeconds),
          ),
      isNative
        ? ''
        : ratio(
            cpu,
            med(native, (r) => r.cpuSeconds),
          ),
      isNative ? 'reference' : pct(histogramDelta(first.voxelsPerLabel, native?.runs[0]?.voxelsPerLabel)),
    ];
  });
  const grid = cells.find((x) => x.runs.length)?.runs[0].modelGrid.join('x') ?? '?';
  return [
    `### ${c.label}`,
    '',
    `Model: ${c.modelInfo}. Model grid ${grid}.`,
    '',
    markdownTable(
      [
        'device',
        cells.some((x) => x.runs.length > 1) ? 's / volume (min–max)' : 's / volume',
        'model s',
        'patches',
        'CPU s',
        'peak growth MB',
        'peak RSS MB',
        'engine peakBytes MB',
        'threads',
        '/ native (s / volume)',
        '/ native (model s)',
        '/ native (CPU s)',
        'label histogram Δ vs native',
      ],
      rows,
    ),
  ].join('\n');
}

function memoryTable(c: InferenceCase, cell: Cell): string {
  const r = cell.runs[0];
  const p = c.manifest.preprocessing;
  const win =
    p.mode === 'sliding-window'
      ? `${p.patch.join('x')} patches, overlap ${p.overlap}, ${p.spacing.join('x')} mm, ${p.orientation}`
      : '';
  const row = r
    ? [
        LABEL[cell.device],
        r.modelGrid.join('x'),
        r.patches,
        fmt(r.seconds, 1),
        fmt(r.modelSeconds, 1),
        fmt(r.cpuSeconds, 1),
        mb(r.peakRssBytes),
        mb(r.peakGrowthBytes),
        mb(r.enginePeakBytes),
        r.peakRssBytes < MEMORY_GOAL ? 'met' : 'MISSED',
      ]
    : [LABEL[cell.device], `FAILED: ${cell.errors[0] ?? 'not run'}`];
  return [
    `### ${c.label}`,
    '',
    `Model: ${c.modelInfo}; ${win}. One run (memory does not vary between runs).`,
    '',
    markdownTable(
      [
        'pipeline',
        'model grid',
        'patches',
        's / volume',
        'model s',
        'CPU s',
        'peak RSS MB',
        'peak growth MB',
        'summary.peakBytes MB',
        `peak RSS < ${MEMORY_GOAL / 1e9} GB`,
      ],
      [row],
    ),
  ].join('\n');
}

function webgpuTable(cases: InferenceCase[], cells: Cell[]): string {
  const ref = cells.find((x) => x.caseId === 'webgpu' && x.device === 'browser-wasm');
  const rows = cells.map((cell) => {
    const c = cases.find((x) => x.id === cell.caseId)!;
    const r = cell.runs[0];
    const requested = cell.device === 'browser-webgpu' ? 'webgpu' : 'wasm';
    if (!r) {
      const why = (cell.errors[0] ?? 'not run').replace(/^page\.evaluate: /, '').slice(0, 220);
      return [
        c.id,
        requested,
        'FAILED',
        '',
        '',
        '',
        '',
        `${why}${requested === 'webgpu' ? ' (the job failed: no fallback to WASM)' : ''}`,
      ];
    }
    const isRef = cell === ref;
    return [
      c.id,
      requested,
      r.used,
      r.adapter ?? '',
      fmt(r.seconds, 1),
      fmt(r.modelSeconds, 1),
      isRef ? 'reference' : pct(histogramDelta(r.voxelsPerLabel, ref?.runs[0]?.voxelsPerLabel)),
      r.notes.join('; '),
    ];
  });
  return [
    '### WebGPU path (software adapter: timings are not a speed figure)',
    '',
    `${cases.find((x) => x.id === 'webgpu')?.label ?? ''}. Chromium with --enable-unsafe-webgpu on SwiftShader (no GPU on this machine); device 'webgpu' requested, warm-up job on the same device first.`,
    '',
    markdownTable(
      [
        'case',
        'requested',
        'used',
        'adapter',
        's / volume (software adapter)',
        'model s',
        'label histogram Δ vs WASM',
        'notes / error',
      ],
      rows,
    ),
  ].join('\n');
}

export const inferenceSection: BenchSection = {
  name: 'inference',
  async run(opts: BenchOptions): Promise<SectionResult> {
    // Runs are long (tens of seconds each): one repetition unless --reps is given.
    const reps = opts.repsGiven ? opts.reps : 1;
    // --tissue-only is short for --cases=tissue (no browser build, no phantom).
    const wanted = opts.filters['tissue-only']
      ? ['tissue']
      : (opts.filters.cases?.split(',') ?? ['meshnet', 'unet', 'nnunet', 'memory', 'webgpu', 'tissue']);
    const devices = (opts.filters.devices?.split(',') ?? ['browser', 'native', 'node-wasm']).map((d) =>
      d === 'browser' ? 'browser-wasm' : d,
    ) as BenchDevice[];
    const timeoutMs = (Number(opts.filters.timeout) || 600) * 1000;
    const unetBase = Number(opts.filters['unet-base']) || 6;
    const engineCases = ['meshnet', 'unet', 'nnunet', 'memory', 'webgpu'].some((id) => wanted.includes(id));
    const { cases, notes, ct } = engineCases
      ? prepareCases({ regen: opts.regen, unetBase })
      : { cases: [] as InferenceCase[], notes: [] as string[], ct: undefined };
    let nn: NnunetPrep | undefined;
    if (ct && wanted.includes('nnunet')) {
      nn = await prepareNnunet({ regen: opts.regen, patch: opts.filters['nnunet-patch'], ct });
      notes.push(...nn.notes);
      if (nn.case) {
        cases.push(nn.case);
        writeCaseFiles([nn.case]);
      }
    }
    const get = (id: string) =>
      cases.find((c) => c.id === id && wanted.includes(id === 'webgpu-maxpool' ? 'webgpu' : id));

    const page = engineCases
      ? await buildAndServe(join(REPO, 'bench/browser/vite.config.ts'))
      : { url: '', close: async () => {} };
    const speed = ['meshnet', 'unet', 'nnunet'].map(get).filter((c): c is InferenceCase => !!c);
    // The nnU-Net row (minutes per job) runs on the browser and native only, unless --devices names others.
    const devicesOf = (c: InferenceCase) =>
      c.id === 'nnunet' && !opts.filters.devices ? devices.filter((d) => d !== 'node-wasm') : devices;
    const cells = new Map(
      speed.map((c) => [c.id, devicesOf(c).map((device): Cell => ({ caseId: c.id, device, runs: [], errors: [] }))]),
    );
    const memCase = get('memory');
    const memCell: Cell = { caseId: 'memory', device: 'native', runs: [], errors: [] };
    const gpuCells: Cell[] = [
      { caseId: 'webgpu', device: 'browser-wasm', runs: [], errors: [] },
      { caseId: 'webgpu', device: 'browser-webgpu', runs: [], errors: [] },
      { caseId: 'webgpu-maxpool', device: 'browser-webgpu', runs: [], errors: [] },
    ];
    let conversion: ConversionResult | undefined;
    try {
      if (nn?.conversion) {
        // Seconds per run: three repetitions unless --reps is given.
        console.log('bench: inference nnU-Net conversion (folder and zip, each against reading its files)');
        conversion = runConversion(nn.conversion, opts.repsGiven ? opts.reps : 3, timeoutMs);
      }
      // Devices interleaved within each repetition so drift hits all of them alike.
      for (let rep = 1; rep <= reps; rep++)
        for (const c of speed) {
          console.log(`bench: inference ${c.label}, rep ${rep}/${reps}`);
          for (const cell of cells.get(c.id)!) await measure(cell, c, page.url, timeoutMs, rep);
        }
      if (memCase) {
        console.log(`bench: inference ${memCase.label} (native, one run)`);
        await measure(memCell, memCase, page.url, timeoutMs, 1);
      }
      if (get('webgpu')) {
        console.log('bench: inference WebGPU check (one run each)');
        for (const cell of gpuCells) await measure(cell, get(cell.caseId)!, page.url, timeoutMs, 1);
      }
    } finally {
      await page.close();
    }
    let tissue: TissueResult | undefined;
    if (wanted.includes('tissue')) tissue = runTissue({ only: opts.filters['tissue-models']?.split(','), timeoutMs });

    const goals: GoalCheck[] = [];
    const parts: string[] = [];
    for (const c of speed) {
      const row = cells.get(c.id)!;
      parts.push(speedTable(c, row));
      const native = row.find((x) => x.device === 'native');
      for (const d of ['browser-wasm', 'node-wasm'] as const) {
        const cell = row.find((x) => x.device === d);
        if (!cell || !native) continue;
        const r = med(cell, (x) => x.seconds) / med(native, (x) => x.seconds);
        const rm = med(cell, (x) => x.modelSeconds) / med(native, (x) => x.modelSeconds);
        const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '—');
        // The goal is the browser's; Node's WASM row and the model-only ratio are for information.
        goals.push({
          what: `${c.id}: ${d} / native, s per volume`,
          target: `≤ ${SPEED_GOAL}x`,
          actual: x(r),
          met: r <= SPEED_GOAL,
          info: d !== 'browser-wasm',
        });
        goals.push({
          what: `${c.id}: ${d} / native, model s`,
          target: `≤ ${SPEED_GOAL}x`,
          actual: x(rm),
          met: rm <= SPEED_GOAL,
          info: true,
        });
      }
      if (c.id === 'nnunet') {
        for (const cell of row) {
          const peak = med(cell, (r) => r.peakRssBytes);
          const actual = Number.isFinite(peak) ? `${(peak / 1e9).toFixed(2)} GB` : 'failed';
          const p = c.manifest.preprocessing;
          const patch = p.mode === 'whole-volume' ? '' : `, ${p.patch.join('x')} patches`;
          goals.push({
            what: `nnunet: peak RSS of the ${cell.device} process (${c.manifest.model.channels}-channel model${patch}, 512x512x300 CT)`,
            target: `≤ ${MEMORY_GOAL / 1e9} GB`,
            actual,
            met: peak <= MEMORY_GOAL,
          });
        }
      }
    }
    if (conversion) parts.push(conversion.markdown);
    if (memCase) {
      parts.push(memoryTable(memCase, memCell));
      const r = memCell.runs[0];
      const gb = (b: number | undefined) => (b !== undefined ? `${(b / 1e9).toFixed(2)} GB` : 'failed');
      goals.push({
        what: 'memory: peak RSS, 14-class 128^3 model on a 512x512x300 CT (native pipeline)',
        target: `< ${MEMORY_GOAL / 1e9} GB`,
        actual: gb(r?.peakRssBytes),
        met: !!r && r.peakRssBytes < MEMORY_GOAL,
      });
      goals.push({
        what: 'memory: engine estimate (summary.peakBytes), same run',
        target: `< ${MEMORY_GOAL / 1e9} GB`,
        actual: gb(r?.enginePeakBytes),
        met: !!r && r.enginePeakBytes < MEMORY_GOAL,
        info: true,
      });
    }
    if (get('webgpu')) {
      parts.push(webgpuTable(cases, gpuCells));
      const r = gpuCells[1].runs[0];
      goals.push({
        what: 'webgpu: U-Net runs on WebGPU (software adapter)',
        target: "device 'webgpu' used",
        actual: r ? r.used : 'failed',
        met: r?.used === 'webgpu',
        info: true,
      });
    }
    const first = [...[...cells.values()].flat(), ...gpuCells].find((x) => x.device === 'browser-wasm' && x.runs.length)
      ?.runs[0];
    // The footnote of the engine tables (the tissue table carries its own).
    if (engineCases)
      parts.push(
        [
          `${reps === 1 ? 'One run' : `Median of ${reps} runs`} per device (devices interleaved; the memory and WebGPU rows run once). ` +
            's / volume = wall time of the whole job from the segment call to labels on the study grid: session creation, preprocessing, model, decision, labels back; ' +
            'the runtime is loaded before the clock (browser/Node WASM: a 16^3 warm-up job in the same worker compiles the WASM and starts its threads, as in an app that has segmented before). ' +
            'model s = time inside the ONNX runs (summary.inferenceSeconds). CPU s = user + system time of the measured process (browser: the renderer, all its threads). ' +
            'Peak = VmHWM during the job (reset via clear_refs just before it) − VmRSS before it: browser = the renderer process (page + inference worker + WASM threads and heap), ' +
            'Node = the child process (worker threads included); peak RSS = the absolute high-water mark (input volume and runtime included). ' +
            "engine peakBytes = the engine's own estimate (summary.peakBytes). MB = 10^6 bytes. " +
            'label histogram Δ = ½ Σ|countₐ − count_b| / voxels: a lower bound on the share of voxels labelled differently (random weights: near-tied logits make small differences normal).',
          first
            ? `Browser page cross-origin isolated: ${first.crossOriginIsolated ? 'yes' : 'NO'}, WASM threads ${first.threads}.`
            : '',
          ...notes.map((n) => `Note: ${n}`),
        ]
          .filter(Boolean)
          .join('\n'),
      );
    if (tissue) parts.push(tissue.markdown);
    const plain = (cs: Cell[]) => cs.map(({ runs, errors, caseId, device }) => ({ caseId, device, errors, runs }));
    return {
      title: 'Inference',
      markdown: parts.join('\n\n'),
      data: {
        reps,
        unetBase,
        cases: cases.map((c) => ({ id: c.id, label: c.label, modelInfo: c.modelInfo })),
        speed: plain([...cells.values()].flat()),
        memory: plain([memCell]),
        webgpu: plain(gpuCells),
        nnunetConversion: conversion && { runs: conversion.runs, errors: conversion.errors },
        tissue: tissue && { runs: tissue.runs, errors: tissue.errors },
      },
      goals,
    };
  },
};
