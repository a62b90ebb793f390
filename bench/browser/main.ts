/**
 * Bench page. The harness (bench/loading/browser.ts) drives it through `window.bench`:
 *   prepare(loader) → [harness: gc, memory baseline, setInputFiles] → run() → [harness: read peak] → check()
 * Each loader module is imported on demand so the others' code is never loaded in the same page.
 */
import { summarize, type VolumeSummary } from './checksum';
import { crc32 } from '../../src/core/crc32';
import type { BrowserLoader, LoadedVolume, WebSeries } from './loaders/types';

const LOADERS: Record<string, () => Promise<{ default: BrowserLoader }>> = {
  voxseg: () => import('./loaders/voxseg'),
  dcmjs: () => import('./loaders/dcmjs'),
  cornerstone: () => import('./loaders/cornerstone'),
  // diagnostic variant, only with --loaders=...,voxseg-gc
  'voxseg-gc': () => import('./loaders/voxseg-gc'),
  // DICOMweb loaders (the dicomweb section): a series from a server reached same-origin
  'voxseg-wadors': () => import('./loaders/voxseg-wadors'),
  'cornerstone-wadors': () => import('./loaders/cornerstone-wadors'),
  // diagnostic (opt-in): voxseg's loading code fed by one WADO-RS request for the whole series
  // diagnostic: the network floor (plain fetches of the series' instances, no parsing)
  'fetch-floor': () => import('./loaders/fetch-floor'),
  'fetch-floor-series': () => import('./loaders/fetch-floor').then((m) => ({ default: m.seriesFloor })),
};

interface RunReport {
  ms: number;
  dims: number[];
  dtype: string;
  warnings: string[];
  phases: Record<string, number>;
  netBytes?: number;
}

function report(ms: number, r: LoadedVolume): RunReport {
  return {
    ms,
    dims: [...r.dims],
    dtype: r.dtype,
    warnings: (r.warnings ?? []).slice(0, 5),
    phases: r.phases ?? {},
    netBytes: r.netBytes,
  };
}

let loader: BrowserLoader | undefined;
let result: LoadedVolume | undefined;
const input = document.getElementById('files') as HTMLInputElement;
const log = (s: string) => ((document.getElementById('log') as HTMLElement).textContent += s + '\n');

declare global {
  interface Window {
    bench: typeof bench;
  }
}

const bench = {
  async prepare(name: string): Promise<{ crossOriginIsolated: boolean; hardwareConcurrency: number }> {
    const get = LOADERS[name];
    if (!get) throw new Error(`unknown loader ${name}`);
    loader = (await get()).default;
    await loader.prepare();
    log(`prepared ${name}`);
    return { crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency };
  },
  fileCount(): number {
    return input.files?.length ?? 0;
  },
  /** Load the selected files; returns the time to volume in ms (performance.now()). */
  async run(): Promise<RunReport> {
    if (!loader?.load) throw new Error('prepare() a file loader first');
    const files = Array.from(input.files ?? []);
    if (files.length === 0) throw new Error('no files selected');
    const t0 = performance.now();
    result = await loader.load(files);
    const ms = performance.now() - t0;
    log(`loaded ${files.length} files in ${ms.toFixed(0)} ms`);
    return report(ms, result);
  },
  /** Load a series from a DICOMweb server (same-origin base); time to volume in ms. */
  async runWeb(series: WebSeries): Promise<RunReport> {
    if (!loader?.loadWeb) throw new Error('prepare() a DICOMweb loader first');
    // Bytes over the wire, loader-independent: the page's resource timings of the server's URLs.
    performance.setResourceTimingBufferSize(1 << 16);
    performance.clearResourceTimings();
    const t0 = performance.now();
    result = await loader.loadWeb(series);
    const ms = performance.now() - t0;
    const served = new URL(series.base, location.href).href;
    const net = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.name.startsWith(served))
      .reduce((s, e) => s + e.encodedBodySize, 0);
    log(`loaded series ${series.seriesUid} in ${ms.toFixed(0)} ms`);
    return { ...report(ms, result), netBytes: net || result.netBytes };
  },
  /** File-I/O floor of the selected files (see diagnostics.ts). */
  async diagnose(): Promise<Record<string, number>> {
    const { ioFloor } = await import('./diagnostics');
    return ioFloor(Array.from(input.files ?? []));
  },
  /**
   * Fingerprint of the loaded volume (run after the memory reading: it may allocate); with `crc`,
   * also the CRC-32 of the voxel array's bytes (exact equality of two loads of the same dtype).
   */
  async check(crc = false): Promise<VolumeSummary> {
    if (!result) throw new Error('run() first');
    const voxels = await result.voxels();
    const summary = summarize(result.dims, result.dtype, voxels);
    if (crc && ArrayBuffer.isView(voxels))
      summary.crc32 = crc32(new Uint8Array(voxels.buffer, voxels.byteOffset, voxels.byteLength));
    return summary;
  },
};

window.bench = bench;
