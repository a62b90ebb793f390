/**
 * InferenceClient over the RPC layer, against a stand-in worker serving `InferenceApi` in this
 * thread (the real worker.ts runs in the CLI's wasm test and the e2e): the study goes as a copy
 * (the caller keeps its voxels, the copy is transferred along with model bytes), device and
 * progress reports reach the caller in order, the reply is rebuilt as volumes on the study's grid
 * (shared-memory labels arrive shared), one job at a time, cancel (signal or cancel()) terminates
 * the worker and the next job gets a fresh one, worker errors keep their file, a crash says so.
 */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { serveRpc, withTransfer, type RpcHandlers } from '../../../src/core/rpc';
import { InferenceClient } from '../../../src/inference/client';
import type { ModelManifest } from '../../../src/inference/manifest';
import type { DeviceInfo, InferenceApi, SegmentSummary } from '../../../src/inference/protocol';
import { createVolume } from '../../../src/volume/volume';
import { FakeWorker } from '../helpers/rpc-worker';

const manifest = { id: 'm', name: 'Model', model: { file: 'model.onnx' } } as ModelManifest;
const device: DeviceInfo = { device: 'wasm', threads: 1, notes: [] };

/** Labels = voxel > 50; "shared" in the model URL puts them on a SharedArrayBuffer; "fail" / "hang" as named. */
const handlers: RpcHandlers<InferenceApi> = {
  segment: async (arg, { emit }) => {
    const url = 'url' in arg.model ? arg.model.url : '';
    if (url === 'fail') throw new VoxsegError('invalid-model', 'opset 7 is too old', { file: 'model.onnx' });
    emit({ type: 'progress', stage: 'Loading the model', done: 0, total: 1 });
    emit({ type: 'device', info: device });
    if (url === 'hang') await new Promise(() => {});
    const n = arg.voxels.length;
    const labels: Uint8Array = url === 'shared' ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
    arg.voxels.forEach((v, i) => (labels[i] = v > 50 ? 1 : 0));
    emit({ type: 'progress', stage: 'Running the model', done: 1, total: 1, etaSeconds: 0 });
    const summary = {
      modelId: manifest.id,
      device,
      voxelsPerLabel: { 1: labels.reduce((a, b) => a + b, 0) },
    } as unknown as SegmentSummary;
    return withTransfer({ header: { ...arg.header, dtype: 'uint8' as const }, labels, summary }, [labels.buffer]);
  },
};

function setup() {
  const workers: FakeWorker[] = [];
  const client = new InferenceClient(() => {
    const w = new FakeWorker((scope) => serveRpc<InferenceApi>(scope, handlers));
    workers.push(w);
    return w;
  });
  return { client, workers };
}

const study = () =>
  createVolume({
    dims: [4, 3, 2],
    spacing: [1, 1, 2],
    origin: [10, 20, 30],
    voxels: new Int16Array(24).map((_, i) => i * 5),
  });

describe('InferenceClient', () => {
  it('sends a copy of the study, reports device and progress in order, and rebuilds the labels on its grid', async () => {
    const { client, workers } = setup();
    const volume = study();
    const bytes = new ArrayBuffer(8);
    const seen: string[] = [];
    const result = await client.segment(volume, {
      manifest,
      model: { bytes },
      onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`),
      onDevice: (d) => seen.push(`device ${d.device}`),
    });
    expect(seen).toEqual(['Loading the model 0/1', 'device wasm', 'Running the model 1/1']);
    expect(volume.voxels[23]).toBe(115); // the caller's voxels stay
    expect(workers[0].transfers[0]).toHaveLength(2); // the copy and the model bytes went by transfer
    expect(bytes.byteLength).toBe(0);
    expect(result.labels.header).toMatchObject({
      dims: [4, 3, 2],
      spacing: [1, 1, 2],
      origin: [10, 20, 30],
      dtype: 'uint8',
    });
    expect([...result.labels.voxels]).toEqual([...volume.voxels].map((v) => (v > 50 ? 1 : 0)));
    expect(result.summary.voxelsPerLabel[1]).toBe(13);
    expect(client.busy).toBe(false);
  });

  it('labels on shared memory arrive shared', async () => {
    const { client } = setup();
    const { labels } = await client.segment(study(), { manifest, model: { url: 'shared' } });
    expect(labels.voxels.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(labels.voxels[23]).toBe(1);
  });

  it('runs one job at a time; cancel terminates the worker and the next job gets a fresh one', async () => {
    const { client, workers } = setup();
    const abort = new AbortController();
    const job = client.segment(study(), { manifest, model: { url: 'hang' }, signal: abort.signal });
    expect(client.busy).toBe(true);
    await expect(client.segment(study(), { manifest, model: { url: 'x' } })).rejects.toMatchObject({ code: 'usage' });
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'cancelled' });
    expect(workers[0].terminated).toBe(true);
    const again = client.segment(study(), { manifest, model: { url: 'hang' } });
    client.cancel();
    await expect(again).rejects.toMatchObject({ code: 'cancelled' });
    await expect(client.segment(study(), { manifest, model: { url: 'x' } })).resolves.toBeTruthy();
    expect(workers).toHaveLength(3);
  });

  it("keeps a worker error's code, file and reason; a crash names the inference worker", async () => {
    const { client, workers } = setup();
    await expect(client.segment(study(), { manifest, model: { url: 'fail' } })).rejects.toMatchObject({
      code: 'invalid-model',
      file: 'model.onnx',
      reason: 'opset 7 is too old',
      message: 'model.onnx: opset 7 is too old',
    });
    const job = client.segment(study(), { manifest, model: { url: 'hang' } });
    await new Promise((r) => setTimeout(r, 10));
    workers[0].crash('Aw, snap');
    await expect(job).rejects.toThrow(
      new VoxsegError('inference-failed', 'the inference worker crashed: Aw, snap (too little memory?)'),
    );
    expect(client.busy).toBe(false);
  });
});
