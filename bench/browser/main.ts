/**
 * Bench page. The harness (bench/loading/browser.ts) drives it through `window.bench`:
 *   prepare(loader) → [harness: gc, memory baseline, setInputFiles] → run() → [harness: read peak] → check()
 * Each loader module is imported on demand so the others' code is never loaded in the same page.
 */
import { summarize, type VolumeSummary } from './checksum';
import type { BrowserLoader, LoadedVolume } from './loaders/types';

const LOADERS: Record<string, () => Promise<{ default: BrowserLoader }>> = {
  voxseg: () => import('./loaders/voxseg'),
  dcmjs: () => import('./loaders/dcmjs'),
  cornerstone: () => import('./loaders/cornerstone'),
  // diagnostic variant, only with --loaders=...,voxseg-gc
  'voxseg-gc': () => import('./loaders/voxseg-gc'),
};

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
  async run(): Promise<{
    ms: number;
    dims: number[];
    dtype: string;
    warnings: string[];
    phases: Record<string, number>;
  }> {
    if (!loader) throw new Error('prepare() first');
    const files = Array.from(input.files ?? []);
    if (files.length === 0) throw new Error('no files selected');
    const t0 = performance.now();
    result = await loader.load(files);
    const ms = performance.now() - t0;
    log(`loaded ${files.length} files in ${ms.toFixed(0)} ms`);
    return {
      ms,
      dims: [...result.dims],
      dtype: result.dtype,
      warnings: (result.warnings ?? []).slice(0, 5),
      phases: result.phases ?? {},
    };
  },
  /** File-I/O floor of the selected files (see diagnostics.ts). */
  async diagnose(): Promise<Record<string, number>> {
    const { ioFloor } = await import('./diagnostics');
    return ioFloor(Array.from(input.files ?? []));
  },
  /** Fingerprint of the loaded volume (run after the memory reading: it may allocate). */
  async check(): Promise<VolumeSummary> {
    if (!result) throw new Error('run() first');
    return summarize(result.dims, result.dtype, await result.voxels());
  },
};

window.bench = bench;
