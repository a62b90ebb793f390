/**
 * The inference worker: the only module that imports onnxruntime-web. It loads the model, picks
 * the execution provider (device-choice.ts decides; here are only the adapter query, the sessions
 * and the timed test patch), runs the pipeline and speaks the typed protocol (protocol.ts).
 * A WebGPU session gets the model with its 3-D MaxPools rewritten as strided slices
 * (onnx/webgpu-rewrite.ts, exact); WASM sessions get the original bytes.
 * It serves `InferenceApi` (protocol.ts) through src/core/rpc.ts: in a browser on `self`, in the
 * CLI on a worker_threads port (`serve()`).
 */
import * as ort from 'onnxruntime-web';
import { errorMessage, VoxsegError } from '../core/errors';
import { serveRpc, withTransfer, type RpcContext, type RpcScope } from '../core/rpc';
import { shareLabels } from '../volume/buffers';
import { countLabels } from '../volume/labels';
import { createVolume } from '../volume/volume';
import type { ModelManifest } from './manifest';
import { checkSha256 } from './models';
import { BROWSER_BUDGET, checkMemoryBudget } from './budget';
import { onnxCost } from './onnx/cost';
import { sessionError } from './session-error';
import { checkModel, checkPreModel, webgpuBlockers } from './model-check';
import {
  adapterLabel,
  decideDevice,
  probeDims,
  probeFailedVerdict,
  probeInput,
  probeVerdict,
  readAdapterFacts,
  timeBackends,
  unmeasuredVerdict,
  type AdapterFacts,
} from './device-choice';
import { inspectOnnx, type OnnxInfo } from './onnx/reader';
import { rewriteForWebgpu, rewriteNote } from './onnx/webgpu-rewrite';
import { runPipeline, type ModelShape } from './pipeline';
import type { DeviceInfo, InferenceApi, ModelBytes, SegmentArg, SegmentEvent, SegmentReply } from './protocol';
import type { Predictor, Tensor } from './tensor';

async function modelBytes(model: ModelBytes, file: string): Promise<Uint8Array> {
  if ('bytes' in model) return new Uint8Array(model.bytes);
  let res: Response;
  try {
    res = await fetch(model.url);
  } catch (err) {
    throw new VoxsegError('not-found', `could not fetch the model (${errorMessage(err)})`, { file });
  }
  if (!res.ok) throw new VoxsegError('not-found', `could not fetch the model (HTTP ${res.status})`, { file });
  return new Uint8Array(await res.arrayBuffer());
}

/** The bytes of a model, checked against the manifest's sha256 when it gives one. */
async function checkedBytes(model: ModelBytes, file: string, sha256: string | undefined): Promise<Uint8Array> {
  const bytes = await modelBytes(model, file);
  await checkSha256(bytes, sha256, file);
  return bytes;
}

type AdapterSummary = { facts: AdapterFacts; label: string; maxBufferBytes: number } | null;
let adapterQuery: Promise<AdapterSummary> | undefined;

/**
 * The browser's WebGPU adapter (its facts, its name for the device line, its largest buffer), asked
 * once per worker: the answer comes from the browser's GPU process, which on a machine without a
 * GPU can be busy for seconds drawing the views in software; the adapter does not change meanwhile
 * (onnxruntime requests its own for a WebGPU session).
 */
function webgpuAdapter(): Promise<AdapterSummary> {
  adapterQuery ??= queryAdapter();
  return adapterQuery;
}

async function queryAdapter(): Promise<AdapterSummary> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu;
  const adapter = (await gpu?.requestAdapter().catch(() => null)) as
    { limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number } } | null | undefined;
  if (!adapter) return null;
  const facts = await readAdapterFacts(adapter);
  const limits = adapter.limits;
  const maxBufferBytes = Math.min(
    limits?.maxStorageBufferBindingSize ?? 128 * 2 ** 20,
    limits?.maxBufferSize ?? 256 * 2 ** 20,
  );
  return { facts, label: adapterLabel(facts) || 'WebGPU adapter', maxBufferBytes };
}

/** WASM with one thread per core (at most 8) when cross-origin isolated, else one; `reason` set by the caller. */
function wasmDevice(wantThreads?: number): DeviceInfo {
  const notes: string[] = [];
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 2;
  const threads = wantThreads ?? (isolated ? Math.max(1, Math.min(cores, 8)) : 1);
  if (wantThreads === undefined && !isolated)
    notes.push('the page is not cross-origin isolated, so WASM runs on one thread');
  return { device: 'wasm', threads: Math.max(1, Math.floor(threads)), notes, reason: '' };
}

/** Turn a WebGPU device into WASM (after a failure or a lost measurement), dropping its GPU facts. */
function toWasm(device: DeviceInfo, reason: string): void {
  device.device = 'wasm';
  device.reason = reason;
  delete device.adapter;
  delete device.maxBufferBytes;
}

/**
 * The device for this job (device-choice.ts decides from the adapter's facts) and the model's
 * session on it. When the adapter says nothing about itself, one test patch runs on each backend
 * first and the faster keeps its session.
 */
async function openSession(
  msg: SegmentArg,
  info: OnnxInfo,
  bytes: Uint8Array,
  shape: ModelShape,
  progress: (stage: string, done: number, total: number) => void,
): Promise<{ device: DeviceInfo; session: ort.InferenceSession }> {
  const device = wasmDevice(msg.threads);
  const adapter = msg.device === 'wasm' ? null : await webgpuAdapter();
  const decision = decideDevice(msg.device, adapter?.facts ?? null, adapter ? webgpuBlockers(info) : []);
  device.reason = decision.reason;
  if (decision.device === 'wasm' || !adapter) return { device, session: await createSession(bytes, device) };
  Object.assign(device, { device: 'webgpu', adapter: adapter.label, maxBufferBytes: adapter.maxBufferBytes });
  const dims = decision.device === 'probe' ? probeDims(msg.manifest, shape) : null;
  if (decision.device === 'probe' && !dims) device.reason = unmeasuredVerdict(decision.reason).reason;
  if (!dims) return { device, session: await createSession(bytes, device) };

  progress('Timing WebGPU and WASM on a test patch', 0, 1);
  const wasm = await createSession(bytes, { ...device, device: 'wasm', notes: [] });
  let gpu: ort.InferenceSession | undefined;
  const notes = device.notes.length;
  try {
    gpu = await sessionOn(webgpuModel(bytes, device).bytes, device);
    const input = probeInput(dims);
    const once = (s: ort.InferenceSession) => () => makePredictor(s, msg.manifest.model)(input);
    const verdict = probeVerdict(await timeBackends({ webgpu: once(gpu), wasm: once(wasm) }), decision.reason);
    if (verdict.device === 'webgpu') {
      device.reason = verdict.reason;
      await wasm.release().catch(() => {});
      return { device, session: gpu };
    }
    device.notes.splice(notes);
    toWasm(device, verdict.reason);
  } catch (err) {
    device.notes.splice(notes);
    toWasm(device, probeFailedVerdict(decision.reason, errorMessage(err)).reason);
  }
  await gpu?.release().catch(() => {});
  return { device, session: wasm };
}

/** Bytes for the logits store when the caller gives no budget: a quarter of the device memory, at most 2 GiB. */
function defaultMemoryBudget(): number {
  const gb = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory ?? 8;
  return Math.min(2 * 2 ** 30, (gb * 2 ** 30) / 4);
}

/**
 * Patches per model run that fit the device: one output batch must fit a WebGPU storage buffer;
 * on WASM (a 4 GiB heap shared with the model's activations) input + output stay under 512 MiB.
 */
export function maxBatchFor(device: DeviceInfo, manifest: ModelManifest): number {
  const pre = manifest.preprocessing;
  if (pre.mode === 'whole-volume') return 1;
  const voxels = pre.patch[0] * pre.patch[1] * pre.patch[2];
  const perPatch = voxels * 4 * (device.device === 'webgpu' ? manifest.model.channels : manifest.model.channels + 1);
  const limit = device.device === 'webgpu' ? (device.maxBufferBytes ?? 128 * 2 ** 20) : 512 * 2 ** 20;
  const fit = Math.max(1, Math.floor(limit / perPatch));
  if (fit < (pre.batch ?? 1))
    device.notes.push(
      `batch lowered from ${pre.batch} to ${fit} patches to fit ${device.device === 'webgpu' ? 'the GPU buffer limit' : 'WASM memory'}`,
    );
  return fit;
}

/** The model as the WebGPU EP gets it: 3-D MaxPools rewritten as strided slices (exact), with a note. */
function webgpuModel(bytes: Uint8Array, device: DeviceInfo): { bytes: Uint8Array; note?: string } {
  let rewrite;
  try {
    rewrite = rewriteForWebgpu(bytes);
  } catch (err) {
    device.notes.push(`the model could not be rewritten for WebGPU (${errorMessage(err).slice(0, 160)})`);
    return { bytes };
  }
  if (!rewrite.rewritten.length) return { bytes };
  const note = rewriteNote(rewrite);
  device.notes.push(note);
  return { bytes: rewrite.bytes, note };
}

/** A session for `bytes` on `device`'s provider (no fallback). */
function sessionOn(bytes: Uint8Array, device: DeviceInfo): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = device.threads;
  return ort.InferenceSession.create(bytes, {
    executionProviders: [device.device === 'webgpu' ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
  });
}

/** A session on `device`; a WebGPU one that cannot load the model falls back to WASM, and says so. */
async function createSession(bytes: Uint8Array, device: DeviceInfo): Promise<ort.InferenceSession> {
  // WASM keeps the original bytes (its MaxPool kernel is fine); only a WebGPU session gets the rewrite.
  const gpu = device.device === 'webgpu' ? webgpuModel(bytes, device) : { bytes };
  try {
    return await sessionOn(gpu.bytes, device);
  } catch (err) {
    if (device.device !== 'webgpu') throw err;
    if (gpu.note) device.notes.splice(device.notes.indexOf(gpu.note), 1);
    device.notes.push(`WebGPU could not load the model (${errorMessage(err).slice(0, 160)}); using WASM`);
    toWasm(device, 'WebGPU could not load this model');
    return sessionOn(bytes, device);
  }
}

function makePredictor(session: ort.InferenceSession, io: { input: string; output: string }): Predictor {
  return async (input: Tensor): Promise<Tensor> => {
    const feeds = { [io.input]: new ort.Tensor('float32', input.data, input.dims) };
    const out = await session.run(feeds, [io.output]);
    const t = out[io.output];
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    t.dispose?.();
    return { data, dims: [...t.dims] };
  };
}

function asVoxsegError(err: unknown): VoxsegError {
  if (err instanceof VoxsegError) return err;
  const msg = errorMessage(err);
  if (err instanceof RangeError || /memory|allocat|bad_alloc/i.test(msg))
    return new VoxsegError(
      'out-of-memory',
      `not enough memory to run the model (${msg}); try a smaller model, the WASM device, or close other tabs`,
    );
  return new VoxsegError('inference-failed', msg);
}

async function segment(msg: SegmentArg, { emit, signal }: RpcContext<SegmentEvent>) {
  const { manifest } = msg;
  const t0 = performance.now();
  const file = manifest.model.file;
  const progress = (stage: string, done: number, total: number, etaSeconds?: number) =>
    emit({ type: 'progress', stage, done, total, etaSeconds });
  progress('Loading the model', 0, 1);
  // Asked while the model loads: the answer may wait on the browser's GPU process.
  if (msg.device !== 'wasm') void webgpuAdapter();
  const bytes = await checkedBytes(msg.model, file, manifest.model.sha256);
  const info = inspectOnnx(bytes, file);
  const shape = checkModel(info, manifest, file);
  checkMemoryBudget(manifest, BROWSER_BUDGET, `manifest.json (${manifest.id})`, {
    firstStageChannels: onnxCost(bytes, file).firstConvChannels,
    graphBatch: shape.batch,
  });
  const preSpec = manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.crop?.preModel : undefined;
  let pre: { bytes: Uint8Array; shape: ModelShape; session?: ort.InferenceSession } | undefined;
  if (preSpec) {
    if (!msg.preModel)
      throw new VoxsegError(
        'invalid-model',
        `the manifest's crop needs the pre-model ${preSpec.file}, which was not given`,
        { file: preSpec.file },
      );
    const preBytes = await checkedBytes(msg.preModel, preSpec.file, preSpec.sha256);
    pre = { bytes: preBytes, shape: checkPreModel(inspectOnnx(preBytes, preSpec.file), preSpec, preSpec.file) };
  }
  const opened = await openSession(msg, info, bytes, shape, progress).catch((err: unknown) => {
    throw sessionError(err, file);
  });
  const device = opened.device;
  let session = opened.session;
  if (pre)
    pre.session = await createSession(pre.bytes, { ...device, notes: [] }).catch((err: unknown) => {
      throw sessionError(err, preSpec!.file);
    });
  emit({ type: 'device', info: device });
  const h = msg.header;
  const volume = createVolume({ ...h, voxels: msg.voxels });
  const run = () => {
    let runStart = 0;
    return runPipeline(volume, manifest, makePredictor(session, manifest.model), shape, {
      signal,
      preModel: pre && preSpec ? { predictor: makePredictor(pre.session!, preSpec), shape: pre.shape } : undefined,
      memoryBudget: msg.memoryBudget ?? defaultMemoryBudget(),
      maxBatch: maxBatchFor(device, manifest),
      onProgress: (stage, done, total) => {
        if (stage === 'Running the model' && done === 0) runStart = performance.now();
        const eta =
          stage === 'Running the model' && done > 0
            ? ((performance.now() - runStart) / 1000 / done) * (total - done)
            : undefined;
        progress(stage, done, total, eta);
      },
    });
  };
  try {
    let result;
    try {
      result = await run();
    } catch (err) {
      // A kernel the WebGPU EP only rejects when it runs: start again on WASM, and say so.
      if (
        device.device !== 'webgpu' ||
        signal.aborted ||
        (err instanceof VoxsegError && err.code !== 'inference-failed')
      )
        throw err;
      device.notes.push(`WebGPU failed while running (${errorMessage(err).slice(0, 160)}); ran on WASM instead`);
      toWasm(device, 'WebGPU failed while running this model');
      await session.release().catch(() => {});
      session = await createSession(bytes, device);
      if (pre) {
        await pre.session?.release().catch(() => {});
        pre.session = await createSession(pre.bytes, { ...device, notes: [] });
      }
      emit({ type: 'device', info: device });
      result = await run();
    }
    device.notes.push(...result.notes);
    // On a cross-origin isolated page the result goes onto shared memory (its one copy): the page,
    // the editor's segmentation and the mesh worker then all use this array without copying it.
    const labels = shareLabels(result.labels.voxels as Uint8Array | Uint16Array);
    const masked = result.maskedImage;
    const reply: SegmentReply = {
      header: result.labels.header,
      labels,
      summary: {
        modelId: manifest.id,
        modelName: manifest.name,
        device,
        seconds: (performance.now() - t0) / 1000,
        inferenceSeconds: result.inferenceSeconds,
        voxelsPerLabel: countLabels(labels),
        modelGrid: result.modelGrid,
        patches: result.patches,
        peakBytes: result.peakBytes,
      },
      maskedImage: masked ? { header: masked.header, voxels: masked.voxels } : undefined,
    };
    // (shared labels are posted as they are: withTransfer leaves a SharedArrayBuffer out)
    return withTransfer(reply, [labels.buffer, ...(masked ? [masked.voxels.buffer] : [])]);
  } finally {
    await session.release().catch(() => {});
    await pre?.session?.release().catch(() => {});
  }
}

/** Serve `InferenceApi` on `scope` (one job at a time is the client's rule). */
export function serve(scope: RpcScope): void {
  serveRpc<InferenceApi>(scope, { segment }, asVoxsegError);
}

// In a dedicated browser worker, serve `self` — but not in onnxruntime's WASM helper threads,
// which load this same bundle as workers named 'em-pthread…' and need `onmessage` for themselves.
const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; name?: string };
if (typeof scope.WorkerGlobalScope !== 'undefined' && !scope.name?.startsWith('em-pthread')) {
  serve(self as DedicatedWorkerGlobalScope);
  // Ask for the adapter at once, not when an Auto job needs it: later the GPU process may be busy
  // drawing the new labels in software, and the answer can take seconds.
  void webgpuAdapter();
}
