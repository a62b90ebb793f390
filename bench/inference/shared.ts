/**
 * What the inference bench's harness, its Node child and its browser page share (browser-safe: no
 * Node imports): the description of one case, the result of one run, decoding the input volume
 * from its file bytes, and the warm-up job that starts a runtime outside the clock.
 */
import type { Mat3, Vec3, Volume, VolumeMetadata } from '../../src/core/types';
import { readNifti } from '../../src/io/nifti/index';
import type { ModelManifest } from '../../src/inference/manifest';
import { createVolume } from '../../src/volume/volume';
import { buildPointwise, windowManifest } from './unet';

/** Header of a raw little-endian int16 volume file (the cached phantom). */
export interface RawHeader {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  metadata: VolumeMetadata;
}

export type VolumeRef = { kind: 'nifti'; path: string } | { kind: 'raw'; path: string; header: RawHeader };

export interface InferenceCase {
  id: 'meshnet' | 'unet' | 'memory' | 'webgpu' | 'webgpu-maxpool' | 'nnunet';
  label: string;
  /** ONNX file. */
  model: string;
  /** The nnU-Net result folder the ONNX and manifest were imported from (nnunet.ts), if any. */
  source?: string;
  /** One line about the model (channels, parameters). */
  modelInfo: string;
  manifest: ModelManifest;
  volume: VolumeRef;
}

/** Where a run happened: Chromium worker (WASM or WebGPU), onnxruntime-node, onnxruntime-web in Node. */
export type BenchDevice = 'browser-wasm' | 'browser-webgpu' | 'native' | 'node-wasm';

export interface InferenceRun {
  device: BenchDevice;
  /** Wall seconds of the whole job: session creation, preprocessing, model, decision, labels back. */
  seconds: number;
  /** Seconds inside the ONNX runs (summary.inferenceSeconds). */
  modelSeconds: number;
  /** CPU seconds of the measured process (all threads) during the job. */
  cpuSeconds: number;
  /** Peak resident memory minus the resident memory before the job, bytes. */
  peakGrowthBytes: number;
  /** Peak resident memory of the process during the job (absolute), bytes. */
  peakRssBytes: number;
  /** 'hwm' (VmHWM reset before the job), 'sampled' (VmRSS every 20 ms) or 'maxrss'. */
  peakMethod: string;
  /** The engine's own estimate (summary.peakBytes). */
  enginePeakBytes: number;
  patches: number;
  modelGrid: number[];
  threads: number;
  /** Execution provider actually used ('wasm', 'webgpu', 'native'). */
  used: string;
  adapter?: string;
  notes: string[];
  voxelsPerLabel: Record<string, number>;
  /** Cold start of the runtime (warm-up job), outside the clock, ms. */
  warmupMs?: number;
  crossOriginIsolated?: boolean;
}

/** Decode the case's volume from its file bytes (NIfTI, or raw int16 + header). */
export function volumeFromBytes(ref: VolumeRef, bytes: Uint8Array): Volume {
  if (ref.kind === 'nifti') return readNifti(bytes, ref.path.split('/').pop());
  const { dims, spacing, origin, direction, metadata } = ref.header;
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]);
  if (bytes.byteLength !== voxels.byteLength)
    throw new Error(
      `${ref.path}: ${bytes.byteLength} bytes, expected ${voxels.byteLength} for int16 ${dims.join('x')}`,
    );
  new Uint8Array(voxels.buffer).set(bytes);
  return createVolume({ dims, spacing, origin, direction, metadata, voxels });
}

/**
 * A 16^3 job with a 1x1x1 Conv: run once before the measured job so the runtime is loaded
 * (WASM compiled, thread pool and worker started, WebGPU device made), as in an app that has
 * segmented before. The measured job still creates its own session.
 */
export function warmupJob(): { volume: Volume; manifest: ModelManifest; onnx: Uint8Array } {
  const voxels = new Int16Array(16 ** 3);
  for (let n = 0; n < voxels.length; n++) voxels[n] = ((n * 37) % 400) - 200;
  return {
    volume: createVolume({ dims: [16, 16, 16], spacing: [1, 1, 1], voxels, metadata: { modality: 'CT' } }),
    manifest: windowManifest({
      id: 'bench-warmup',
      name: 'warm-up',
      classes: 2,
      spacing: [1, 1, 1],
      patch: [16, 16, 16],
      overlap: 0,
    }),
    onnx: buildPointwise(2, 7).onnx,
  };
}
