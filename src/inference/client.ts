/**
 * Caller side of the inference worker (its `InferenceApi` through src/core/rpc.ts): one job at a
 * time, progress and device reports, and a cancel that really stops the work (the worker is
 * terminated and a fresh one made next time; an ONNX run cannot be interrupted from outside).
 * Works with a browser Worker or any object with the same shape (the CLI adapts worker_threads).
 */
import { VoxsegError } from '../core/errors';
import { RpcClient, transferList, type RpcWorker } from '../core/rpc';
import type { Volume, VolumeHeader, VoxelArray } from '../core/types';
import { createVolume } from '../volume/volume';
import type { ModelManifest } from './manifest';
import type { DeviceInfo, DeviceRequest, InferenceApi, ModelBytes, SegmentSummary } from './protocol';

/** A worker running `worker.ts` (a browser Worker fits as it is). */
export type WorkerLike = RpcWorker;

export interface SegmentProgress {
  stage: string;
  done: number;
  total: number;
  etaSeconds?: number;
}

export interface SegmentRequest {
  manifest: ModelManifest;
  model: ModelBytes;
  /** The pre-model's ONNX when the manifest's crop names one. */
  preModel?: ModelBytes;
  device?: DeviceRequest;
  memoryBudget?: number;
  /** WASM threads (default: decided by the worker). */
  threads?: number;
  onProgress?: (p: SegmentProgress) => void;
  onDevice?: (info: DeviceInfo) => void;
  signal?: AbortSignal;
}

export interface SegmentResult {
  /** Label map on the study's own grid (same header geometry as the input). */
  labels: Volume;
  summary: SegmentSummary;
  /** The study image masked by the labels, when the model gives one (brain extraction). */
  maskedImage?: Volume;
}

function rebuild(h: VolumeHeader, voxels: VoxelArray): Volume {
  return createVolume({ ...h, voxels }); // createVolume copies and freezes the geometry
}

export class InferenceClient {
  private readonly rpc: RpcClient<InferenceApi>;

  constructor(createWorker: () => WorkerLike) {
    this.rpc = new RpcClient(createWorker, {
      name: 'inference worker',
      failure: 'inference-failed',
      crashHint: 'too little memory?',
    });
  }

  /** Segment `volume`. Its voxels are copied (the caller keeps them); the copy goes to the worker. */
  async segment(volume: Volume, req: SegmentRequest): Promise<SegmentResult> {
    if (this.busy) throw new VoxsegError('usage', 'a segmentation is already running; cancel it first');
    const voxels = volume.voxels.slice();
    const { manifest, model, preModel, memoryBudget, threads } = req;
    const buffers = [voxels.buffer, ...[model, preModel].flatMap((m) => (m && 'bytes' in m ? [m.bytes] : []))];
    const reply = await this.rpc.call(
      'segment',
      { header: volume.header, voxels, manifest, model, preModel, device: req.device ?? 'auto', memoryBudget, threads },
      {
        transfer: transferList(buffers),
        signal: req.signal,
        onEvent: (e) =>
          e.type === 'device'
            ? req.onDevice?.(e.info)
            : req.onProgress?.({ stage: e.stage, done: e.done, total: e.total, etaSeconds: e.etaSeconds }),
      },
    );
    const masked = reply.maskedImage;
    return {
      labels: rebuild(reply.header, reply.labels),
      summary: reply.summary,
      maskedImage: masked && rebuild(masked.header, masked.voxels),
    };
  }

  /** Stop the running job at once (terminates the worker; the job rejects with 'cancelled'). */
  cancel(): void {
    this.rpc.terminate();
  }

  get busy(): boolean {
    return this.rpc.pending > 0;
  }

  dispose(): void {
    this.rpc.terminate();
  }
}
