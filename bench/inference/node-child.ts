/**
 * Child process of the Node rows: one inference job, then one JSON line (InferenceRun) on stdout.
 *   node --expose-gc --import tsx bench/inference/node-child.ts CASE.json native|node-wasm
 * - native: inspectOnnx + checkModel + nativePredictor (onnxruntime-node, all cores) + runPipeline,
 *   as `voxseg segment --device native` does;
 * - node-wasm: the browser's worker (onnxruntime-web, WASM) in a worker thread through
 *   InferenceClient, as `voxseg segment --device wasm` does; warmed up first by a tiny job.
 * The volume and the ONNX bytes are read before the clock. Peak = VmHWM during the job (reset via
 * clear_refs just before it; worker threads included) − VmRSS before; fallback maxRSS.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { checkModel } from '../../src/inference/model-check';
import { inspectOnnx } from '../../src/inference/onnx/reader';
import { runPipeline } from '../../src/inference/pipeline';
import { countLabels } from '../../src/volume/labels';
import { beginSelfMeasure } from '../lib/proc';
import { volumeFromBytes, warmupJob, type InferenceCase, type InferenceRun } from './shared';

const [caseFile, device] = process.argv.slice(2);
if (!caseFile || (device !== 'native' && device !== 'node-wasm'))
  throw new Error('usage: node-child.ts CASE.json native|node-wasm');
const c = JSON.parse(readFileSync(caseFile, 'utf8')) as InferenceCase;
const volume = volumeFromBytes(c.volume, new Uint8Array(readFileSync(c.volume.path)));
const bytes = new Uint8Array(readFileSync(c.model));
const threads = cpus().length;

// Load the runtime before the clock (the CLI has it loaded before it reads the input).
const native = device === 'native' ? await import('../../src/cli/segment/native') : undefined;
const client = device === 'node-wasm' ? (await import('../../src/cli/segment/wasm')).wasmClient() : undefined;
let warmupMs: number | undefined;
if (client) {
  const w = warmupJob();
  const t = performance.now();
  await client.segment(w.volume, {
    manifest: w.manifest,
    model: { bytes: w.onnx.slice().buffer },
    device: 'wasm',
    threads,
  });
  warmupMs = performance.now() - t;
}

const measure = await beginSelfMeasure();

const cpu0 = process.cpuUsage();
const t0 = performance.now();

let run: Omit<InferenceRun, 'seconds' | 'cpuSeconds' | 'peakGrowthBytes' | 'peakRssBytes' | 'peakMethod' | 'device'>;
if (native) {
  const shape = checkModel(inspectOnnx(bytes, c.model), c.manifest, c.model);
  const session = await native.nativePredictor(bytes, c.manifest.model);
  try {
    const r = await runPipeline(volume, c.manifest, session.predictor, shape);
    run = {
      modelSeconds: r.inferenceSeconds,
      enginePeakBytes: r.peakBytes,
      patches: r.patches,
      modelGrid: [...r.modelGrid],
      threads: session.threads,
      used: 'native',
      notes: r.notes,
      voxelsPerLabel: countLabels(r.labels.voxels),
    };
  } finally {
    await session.release();
  }
} else {
  const r = await client!.segment(volume, {
    manifest: c.manifest,
    model: { bytes: bytes.buffer as ArrayBuffer },
    device: 'wasm',
    threads,
  });
  const s = r.summary;
  run = {
    modelSeconds: s.inferenceSeconds,
    enginePeakBytes: s.peakBytes,
    patches: s.patches,
    modelGrid: [...s.modelGrid],
    threads: s.device.threads,
    used: s.device.device,
    notes: s.device.notes,
    voxelsPerLabel: s.voxelsPerLabel,
    warmupMs,
  };
  client!.dispose();
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const peak = measure.peak();
const result: InferenceRun = {
  device,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakGrowthBytes: peak - measure.base,
  peakRssBytes: peak,
  peakMethod: measure.exact ? 'hwm' : 'maxrss',
  ...run,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
