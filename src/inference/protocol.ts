/**
 * The inference worker's typed API (`worker.ts`), called through src/core/rpc.ts by the page or the
 * CLI (`client.ts`). Voxel buffers travel as transferables: the caller sends a copy of the study's
 * voxels (the viewer keeps its own), the worker sends the label buffer back.
 */
import type { RpcMethod } from '../core/rpc';
import type { Vec3, VolumeHeader, VoxelArray } from '../core/types';
import type { ModelManifest } from './manifest';

/**
 * Which execution provider to use. 'auto' = WebGPU on a GPU adapter that can run the model, WASM
 * on a software adapter or none, the faster of the two on a test patch when the adapter is unnamed.
 */
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
  /**
   * Why this device, shown after it ("WASM, 2 threads — the WebGPU adapter is software
   * (SwiftShader), slower than WASM here"); device-choice.ts words it. Absent where nothing was
   * chosen (the CLI's native runtime).
   */
  reason?: string;
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

/** What `segment` sends: the study (its voxels transferred) and the model. */
export interface SegmentArg {
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

/** What `segment` streams before its result: the device chosen (again after a fallback) and progress. */
export type SegmentEvent =
  | { type: 'device'; info: DeviceInfo }
  | { type: 'progress'; stage: string; done: number; total: number; etaSeconds?: number };

/** The labels on the study's grid (transferred, or on shared memory when the page is cross-origin isolated). */
export interface SegmentReply {
  header: VolumeHeader;
  labels: Uint8Array | Uint16Array;
  summary: SegmentSummary;
  /** The study image masked by the labels (`postprocessing.maskedImage`), on the same grid. */
  maskedImage?: { header: VolumeHeader; voxels: VoxelArray };
}

/** The inference worker's API (src/core/rpc.ts): one method; a cancel terminates the worker. */
export interface InferenceApi {
  segment: RpcMethod<SegmentArg, SegmentReply, SegmentEvent>;
}
