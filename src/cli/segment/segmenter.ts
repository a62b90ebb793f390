/**
 * One model, opened once, segmenting volumes the way the app does: `native` runs the pipeline
 * on onnxruntime-node in this thread, `wasm` runs the browser's inference worker in a Node worker
 * thread. Shared by `voxseg segment` and `voxseg evaluate`.
 */
import { cpus, totalmem } from 'node:os';
import type { Volume } from '../../core/types';
import type { ModelManifest } from '../../inference/manifest';
import { runPipeline, type ModelShape } from '../../inference/pipeline';

export interface SegmentRun {
  labels: Volume;
  device: 'native' | 'wasm';
  threads: number;
  notes: string[];
  inferenceSeconds: number;
  patches: number;
  modelGrid: number[];
  peakBytes: number;
}

export interface Segmenter {
  /** The engine, as a report names it. */
  engine: string;
  segment(volume: Volume): Promise<SegmentRun>;
  release(): Promise<void>;
}

export async function openSegmenter(device: 'native' | 'wasm', bytes: Uint8Array, manifest: ModelManifest, shape: ModelShape): Promise<Segmenter> {
  if (device === 'native') {
    const { nativePredictor } = await import('./native');
    const native = await nativePredictor(bytes, manifest);
    const memoryBudget = Math.min(4 * 2 ** 30, totalmem() / 4);
    return {
      engine: 'onnxruntime-node',
      async segment(volume) {
        const r = await runPipeline(volume, manifest, native.predictor, shape, { memoryBudget });
        return { labels: r.labels, device, threads: native.threads, notes: r.notes, inferenceSeconds: r.inferenceSeconds, patches: r.patches, modelGrid: r.modelGrid, peakBytes: r.peakBytes };
      },
      release: () => native.release(),
    };
  }
  const { wasmClient } = await import('./wasm');
  const client = wasmClient();
  return {
    engine: 'onnxruntime-web (WASM, worker thread)',
    async segment(volume) {
      const r = await client.segment(volume, { manifest, model: { bytes: bytes.slice().buffer }, device: 'wasm', threads: cpus().length });
      const s = r.summary;
      return { labels: r.labels, device, threads: s.device.threads, notes: s.device.notes ?? [], inferenceSeconds: s.inferenceSeconds, patches: s.patches, modelGrid: s.modelGrid, peakBytes: s.peakBytes };
    },
    release: async () => client.dispose(),
  };
}
