/**
 * Typed messages between the page (or the CLI) and the inference worker (`worker.ts`).
 * Voxel buffers travel as transferables: the caller sends a copy of the study's voxels (the viewer
 * keeps its own), the worker sends the label buffer back.
 */
import type { ErrorCode } from '../core/errors';
import type { Vec3, VolumeHeader, VoxelArray } from '../core/types';
import type { ModelManifest } from './manifest';

/** Which execution provider to use. 'auto' = WebGPU when the adapter can run the model, else WASM. */
export type DeviceRequest = 'auto' | 'webgpu' | 'wasm';

/** Where the worker gets the ONNX bytes: a URL it fetches, or bytes the caller read (transferred). */
export type ModelBytes = { url: string } | { bytes: ArrayBuffer };

export interface DeviceInfo {
  /** Execution provider actually used. */
  device: 'webgpu' | 'wasm' | 'native';
  /** WASM threads (1 when the page is not cross-origin isolated). */
  threads: number;
  /** GPU adapter description, when WebGPU is used. */
  adapter?: string;
  /** Why the engine fell back or lowered the batch, shown to the user. */
  notes: string[];
  /** Largest GPU buffer the adapter allows (WebGPU only), used to size patch batches. */
  maxBufferBytes?: number;
}

export interface SegmentSummary {
  modelId: string;
  modelName: string;
  device: DeviceInfo;
  /** Wall-clock seconds, whole pipeline. */
  seconds: number;
  /** Seconds inside the model (ONNX runs). */
  inferenceSeconds: number;
  /** Voxel counts per label value on the output (native) grid, background included. */
  voxelsPerLabel: Record<number, number>;
  /** Grid the model ran on (i, j, k). */
  modelGrid: Vec3;
  /** Patches run (1 for whole-volume). */
  patches: number;
  /** Peak bytes the engine allocated for inputs, logits and labels (estimate). */
  peakBytes: number;
}

export type ToWorker =
  | {
      type: 'start';
      jobId: number;
      header: VolumeHeader;
      voxels: VoxelArray;
      manifest: ModelManifest;
      model: ModelBytes;
      /** The pre-model's ONNX when the manifest's crop names one. */
      preModel?: ModelBytes;
      device: DeviceRequest;
      /** Bytes the engine may use for logits accumulation (defaults to a device-based guess). */
      memoryBudget?: number;
      /** WASM threads to use; default: all cores when cross-origin isolated, else 1. */
      threads?: number;
    }
  | { type: 'cancel'; jobId: number };

export type FromWorker =
  | { type: 'device'; jobId: number; info: DeviceInfo }
  | { type: 'progress'; jobId: number; stage: string; done: number; total: number; etaSeconds?: number }
  | {
      type: 'result';
      jobId: number;
      header: VolumeHeader;
      labels: Uint8Array | Uint16Array;
      summary: SegmentSummary;
      /** The study image masked by the labels (`postprocessing.maskedImage`), on the same grid. */
      maskedImage?: { header: VolumeHeader; voxels: VoxelArray };
    }
  | { type: 'failure'; jobId: number; code: ErrorCode; message: string; file?: string }
  | { type: 'cancelled'; jobId: number };
