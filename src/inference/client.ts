/**
 * Caller side of the inference worker: one job at a time, progress and device reports, and a
 * cancel that really stops the work (the worker is terminated and a fresh one made next time; an
 * ONNX run cannot be interrupted from outside).
 * Works with a browser Worker or any object with the same shape (the CLI adapts worker_threads).
 */
import { VoxsegError } from '../core/errors';
import type { Mat3, Vec3, Volume, VolumeHeader, VoxelArray } from '../core/types';
import { createVolume } from '../volume/volume';
import type { ModelManifest } from './manifest';
import type { DeviceInfo, DeviceRequest, FromWorker, ModelBytes, SegmentSummary, ToWorker } from './protocol';

export interface WorkerLike {
  postMessage(message: ToWorker, transfer: Transferable[]): void;
  terminate(): void;
  /** Set by the client. */
  onmessage: ((ev: { data: FromWorker }) => void) | null;
  onerror: ((ev: { message?: string }) => void) | null;
}

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
  return createVolume({ dims: [...h.dims] as Vec3, spacing: [...h.spacing] as Vec3, origin: [...h.origin] as Vec3, direction: [...h.direction] as Mat3, metadata: h.metadata, voxels });
}

export class InferenceClient {
  private worker: WorkerLike | null = null;
  private nextJob = 1;
  private active: { jobId: number; reject: (err: unknown) => void } | null = null;

  constructor(private readonly createWorker: () => WorkerLike) {}

  /** Segment `volume`. Its voxels are copied (the caller keeps them); the copy goes to the worker. */
  segment(volume: Volume, req: SegmentRequest): Promise<SegmentResult> {
    if (this.active) return Promise.reject(new VoxsegError('usage', 'a segmentation is already running; cancel it first'));
    if (req.signal?.aborted) return Promise.reject(new VoxsegError('cancelled', 'segmentation cancelled'));
    const worker = (this.worker ??= this.createWorker());
    const jobId = this.nextJob++;
    const voxels = volume.voxels.slice();
    return new Promise<SegmentResult>((resolve, reject) => {
      const finish = () => {
        this.active = null;
        req.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        this.cancel();
      };
      this.active = {
        jobId,
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      worker.onerror = (ev) => {
        this.discardWorker();
        this.active?.reject(new VoxsegError('inference-failed', `the inference worker crashed: ${ev.message ?? 'unknown error'} (too little memory?)`));
      };
      worker.onmessage = ({ data: msg }) => {
        if (msg.jobId !== jobId) return;
        switch (msg.type) {
          case 'device':
            req.onDevice?.(msg.info);
            break;
          case 'progress':
            req.onProgress?.({ stage: msg.stage, done: msg.done, total: msg.total, etaSeconds: msg.etaSeconds });
            break;
          case 'result':
            finish();
            resolve({ labels: rebuild(msg.header, msg.labels), summary: msg.summary, maskedImage: msg.maskedImage && rebuild(msg.maskedImage.header, msg.maskedImage.voxels) });
            break;
          case 'failure':
            finish();
            reject(new VoxsegError(msg.code, msg.message, { file: msg.file }));
            break;
          case 'cancelled':
            finish();
            reject(new VoxsegError('cancelled', 'segmentation cancelled'));
            break;
        }
      };
      const transfer: Transferable[] = [voxels.buffer as ArrayBuffer];
      if ('bytes' in req.model) transfer.push(req.model.bytes);
      if (req.preModel && 'bytes' in req.preModel) transfer.push(req.preModel.bytes);
      worker.postMessage(
        { type: 'start', jobId, header: volume.header, voxels, manifest: req.manifest, model: req.model, preModel: req.preModel, device: req.device ?? 'auto', memoryBudget: req.memoryBudget, threads: req.threads },
        transfer,
      );
    });
  }

  /** Stop the running job at once (terminates the worker). */
  cancel(): void {
    const job = this.active;
    if (!job) return;
    this.discardWorker();
    job.reject(new VoxsegError('cancelled', 'segmentation cancelled'));
  }

  get busy(): boolean {
    return this.active !== null;
  }

  dispose(): void {
    this.cancel();
    this.discardWorker();
  }

  private discardWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
