/**
 * Inference bench page. The harness (bench/inference/browser.ts) drives it through `window.inferenceBench`:
 *   [harness: setInputFiles(volume, model)] → prepare(spec) → [harness: gc, memory baseline] → run()
 * The job runs exactly as in the app: an InferenceClient over a module worker running
 * src/inference/worker.ts (onnxruntime-web). prepare() reads the files and runs a tiny warm-up job
 * in the same worker (runtime loaded, WASM compiled, threads started), all outside the clock.
 */
import { InferenceClient, type WorkerLike } from '../../src/inference/client';
import type { Volume } from '../../src/core/types';
import type { DeviceRequest } from '../../src/inference/protocol';
import { volumeFromBytes, warmupJob, type InferenceCase } from '../inference/shared';

export interface PageSpec {
  case: InferenceCase;
  device: DeviceRequest;
  threads: number;
}

export interface PageRun {
  ms: number;
  summary: import('../../src/inference/protocol').SegmentSummary;
}

const input = document.getElementById('files') as HTMLInputElement;
const log = (s: string) => ((document.getElementById('log') as HTMLElement).textContent += s + '\n');

let job: { spec: PageSpec; volume: Volume; model: ArrayBuffer; client: InferenceClient } | undefined;

function fileNamed(path: string): File {
  const name = path.split('/').pop();
  const f = Array.from(input.files ?? []).find((x) => x.name === name);
  if (!f) throw new Error(`file ${name} was not selected`);
  return f;
}

declare global {
  interface Window {
    inferenceBench: typeof inferenceBench;
  }
}

const inferenceBench = {
  async prepare(spec: PageSpec): Promise<{
    crossOriginIsolated: boolean;
    hardwareConcurrency: number;
    warmupMs: number;
    warmupDevice: string;
    gpu: boolean;
  }> {
    const c = spec.case;
    const volume = volumeFromBytes(c.volume, new Uint8Array(await fileNamed(c.volume.path).arrayBuffer()));
    const model = await fileNamed(c.model).arrayBuffer();
    const client = new InferenceClient(
      () =>
        new Worker(new URL('../../src/inference/worker.ts', import.meta.url), {
          type: 'module',
          name: 'voxseg-inference',
        }) as unknown as WorkerLike,
    );
    const w = warmupJob();
    const t0 = performance.now();
    const warm = await client.segment(w.volume, {
      manifest: w.manifest,
      model: { bytes: w.onnx.slice().buffer },
      device: spec.device,
      threads: spec.threads,
    });
    const warmupMs = performance.now() - t0;
    job = { spec, volume, model, client };
    log(`prepared ${c.id} on ${spec.device}: warm-up ${warmupMs.toFixed(0)} ms on ${warm.summary.device.device}`);
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      warmupMs,
      warmupDevice: warm.summary.device.device,
      gpu: 'gpu' in navigator,
    };
  },
  /** The measured job: InferenceClient.segment() → labels on the study grid. */
  async run(): Promise<PageRun> {
    if (!job) throw new Error('prepare() first');
    const { spec, volume, model, client } = job;
    const t0 = performance.now();
    const r = await client.segment(volume, {
      manifest: spec.case.manifest,
      model: { bytes: model },
      device: spec.device,
      threads: spec.threads,
    });
    const ms = performance.now() - t0;
    log(`${spec.case.id}: ${ms.toFixed(0)} ms on ${r.summary.device.device}`);
    client.dispose();
    return { ms, summary: r.summary };
  },
};

window.inferenceBench = inferenceBench;
