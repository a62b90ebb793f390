/**
 * Rough time and memory of one sliding-window run, for the model card, before anything runs.
 *
 * From the study's grid and the manifest: the model grid (the study reoriented, for nnU-Net models
 * transposed, and resampled to the model spacing, as the pipelines do; nnU-Net's crop to the
 * non-zero region is not assumed, so an upper bound), the tiles of the sliding window (padded to at
 * least one patch, times the mirroring passes). With the model's cost
 * (`onnx/cost.ts`: MACs per input voxel, parameters) the time is MACs / throughput; without it only
 * the grid, tiles and the memory that does not depend on the network are given.
 *
 * Time = MACs / throughput + a dispatch cost per node and model run + the pre- and
 * post-processing, proportional to the study's and the model grid's voxels. The figures are plain
 * constants, measured once: onnxruntime-web's WASM 3-D convolutions ran at 7.5 GMAC/s on one
 * thread of a server CPU (two stacked 32-channel 3x3x3 convolutions on 48^3), so 6 per thread with
 * 75% parallel efficiency; a 45-node network with 3 k MACs per voxel took 49 ms per 32^3 tile
 * (so ~0.5 ms per node and run beyond its MACs), and the nnU-Net pipeline around it (order-3
 * resampling there and back, crop, normalization) about 1.6 us per study voxel on that busy
 * machine, so 0.6 us on a laptop (0.15 us for the plain pipeline's linear resampling). WebGPU's
 * 3-D convolutions are far from a GPU's peak: 100 GMAC/s is a mid-range laptop guess. Expect a
 * factor of 2-3 either way: the card says "about" and "rough".
 *
 * Memory counts what the engine holds at its peak: the study copy sent to the worker, the
 * float32 image on the model grid (twice for TotalSegmentator's presampling), the rolling logits
 * store (channels x nx x ny x patch k, float32 + weight sums; for an nnU-Net model whose grid differs
 * from the study's, the whole grid's logits, which nnU-Net resamples back), labels on both grids, the model (its bytes and the session's copy) and the
 * activations of one patch (the widest full-resolution tensors: about 4x the first stage's
 * channels plus the logits, float32).
 */
import type { Grid, Vec3 } from '../core/types';
import { reorientedGrid } from '../volume/reorient';
import { roundHalfEven } from '../volume/resample';
import { accumulatorBytes } from './accumulator';
import { channelLabelValues, type ModelManifest } from './manifest';
import { mirrorMasks, tilePositions } from './sliding-window';

/** What is known of the network itself (all optional). */
export interface ModelCost {
  parameters?: number;
  /** Multiply-accumulates per voxel of the model input (one forward pass). */
  macsPerVoxel?: number;
  /** Bytes of the ONNX file. */
  onnxBytes?: number;
  /** Channels of the first (full-resolution) stage, for the activation memory. */
  firstStageChannels?: number;
  /** Operator nodes (a dispatch cost per run). */
  nodes?: number;
}

export interface RunEstimate {
  /** Model grid (i, j, k) after reorientation and resampling to the model spacing. */
  modelGrid: Vec3;
  modelVoxels: number;
  /** Patch positions of the sliding window. */
  tiles: number;
  /** Forward passes per tile (mirroring TTA), 1 without. */
  passes: number;
  patchVoxels: number;
  /** Total multiply-accumulates, when the model's cost is known. */
  macs?: number;
  /** Seconds of the whole run (model runs + pre/post-processing), when the cost is known. */
  seconds?: { wasm: number; webgpu: number };
  /** Of which pre- and post-processing (resampling, normalization, labels back). */
  prepSeconds: number;
  /** Peak bytes of the engine (see the file comment). */
  peakBytes: number;
  /** The part inside the ONNX runtime (model twice + one patch's activations); WASM caps it at 4 GiB. */
  sessionBytes: number;
}

export interface EstimateOptions {
  /** WASM threads (default 4). */
  threads?: number;
  /** Bytes per voxel of the study (default 2, CT as int16). */
  studyBytesPerVoxel?: number;
}

export const WASM_MACS_PER_THREAD = 6e9;
export const WASM_PARALLEL_EFFICIENCY = 0.75;
export const WEBGPU_MACS = 100e9;
export const SECONDS_PER_NODE_RUN = 0.5e-3;
/** Pre/post-processing seconds per voxel (study + model grid): nnU-Net's order-3 pipeline, the plain one. */
export const PREP_SECONDS_PER_VOXEL = { nnunet: 0.6e-6, plain: 0.15e-6 };

/** Dims of `grid` resampled to `spacing` (nnU-Net's compute_new_shape: round half to even). */
function resampledDims(dims: Readonly<Vec3>, from: Readonly<Vec3>, spacing: Readonly<Vec3>): Vec3 {
  return [0, 1, 2].map((c) => Math.max(1, roundHalfEven((from[c] / spacing[c]) * dims[c]))) as Vec3;
}

/** The estimate for sliding-window and nnU-Net models; null for whole-volume ones (their cost is fixed, see the manifest). */
export function estimateRun(
  manifest: ModelManifest,
  study: Grid,
  cost: ModelCost = {},
  opts: EstimateOptions = {},
): RunEstimate | null {
  const pre = manifest.preprocessing;
  if (pre.mode === 'whole-volume') return null;
  const oriented = pre.orientation ? reorientedGrid(study, pre.orientation) : study;
  let dims = [...oriented.dims] as Vec3;
  let spacing = [...oriented.spacing] as Vec3;
  let fullLogits = false;
  let presampled = 0;
  if (pre.mode === 'nnunet') {
    if (pre.presample) {
      dims = resampledDims(dims, spacing, pre.presample.spacing);
      spacing = [...pre.presample.spacing] as Vec3;
      presampled = dims[0] * dims[1] * dims[2];
    }
    // nnU-Net's transpose over numpy axes (k, j, i): model-grid axis t is grid axis perm[t].
    const perm = [2 - pre.transpose[2], 2 - pre.transpose[1], 2 - pre.transpose[0]];
    dims = perm.map((a) => dims[a]) as Vec3;
    spacing = perm.map((a) => spacing[a]) as Vec3;
    fullLogits = spacing.some((s, a) => Math.abs(s - pre.spacing[a]) > 1e-6);
  }
  const modelGrid = resampledDims(dims, spacing, pre.spacing);
  const padded = modelGrid.map((d, a) => Math.max(d, pre.patch[a])) as Vec3;
  const tiles = tilePositions(padded, pre.patch, pre.overlap).length;
  const passes = mirrorMasks(pre.mirrorAxes).length;
  const patchVoxels = pre.patch[0] * pre.patch[1] * pre.patch[2];
  const modelVoxels = modelGrid[0] * modelGrid[1] * modelGrid[2];
  const studyVoxels = study.dims[0] * study.dims[1] * study.dims[2];
  const channels = manifest.model.channels;
  const labelBytes = Math.max(0, ...channelLabelValues(manifest)) > 255 ? 2 : 1;

  const activations = patchVoxels * 4 * (4 * (cost.firstStageChannels ?? 32) + 2 * channels);
  const sessionBytes = 2 * (cost.onnxBytes ?? (cost.parameters ?? 0) * 4) + activations;
  const logits = fullLogits ? channels * modelVoxels * 4 : 0;
  const peakBytes =
    studyVoxels * (opts.studyBytesPerVoxel ?? 2) +
    presampled * 4 +
    modelVoxels * 4 +
    accumulatorBytes(channels, padded, Math.min(pre.patch[2], padded[2]), 'float32') +
    logits +
    (modelVoxels + studyVoxels) * labelBytes +
    sessionBytes;

  const prepSeconds = (studyVoxels + modelVoxels) * PREP_SECONDS_PER_VOXEL[pre.mode === 'nnunet' ? 'nnunet' : 'plain'];
  const out: RunEstimate = { modelGrid, modelVoxels, tiles, passes, patchVoxels, peakBytes, sessionBytes, prepSeconds };
  if (cost.macsPerVoxel !== undefined && cost.macsPerVoxel > 0) {
    const runs = tiles * passes;
    const macs = cost.macsPerVoxel * patchVoxels * runs;
    const threads = Math.max(1, Math.floor(opts.threads ?? 4));
    const wasmRate = WASM_MACS_PER_THREAD * (1 + (threads - 1) * WASM_PARALLEL_EFFICIENCY);
    const dispatch = runs * (cost.nodes ?? 0) * SECONDS_PER_NODE_RUN;
    out.macs = macs;
    out.seconds = {
      wasm: macs / wasmRate + dispatch + prepSeconds,
      webgpu: macs / WEBGPU_MACS + dispatch + prepSeconds,
    };
  }
  return out;
}

/** "1.2 GB", "340 MB", "12 kB" (decimal units, as browsers report storage). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}
