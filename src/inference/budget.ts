/**
 * The memory a manifest needs whatever the study, checked against a budget before the image is
 * loaded or an ONNX session created, so a hostile or mistaken manifest (a 1024^3 patch, batch 64,
 * a 1200^3 conform grid) is refused with the estimate instead of being killed by the kernel.
 *
 * What is counted (float32 tensors, 4 bytes a value):
 * - sliding-window and nnU-Net models, per model run: the input batch (batch x patch voxels), the
 *   output batch (x channels) and the activations; the study-dependent parts (the study, its
 *   resampled copy, the logits store) are left to `estimate.ts`, which needs the study's grid.
 * - whole-volume models: the conform grid as conformed (its dtype) and normalized (float32), its
 *   labels, and the model's input, output and activations on it; when the manifest crops first,
 *   the model runs on the crop box, unknown before the image: a quarter of the grid is assumed
 *   (a head fills at least that of a conform grid made for it).
 * - activations: a documented multiplier, since the ONNX graph gives no peak without running it:
 *   ACTIVATION_MAPS full-resolution feature maps of the first convolution's width alive at once
 *   (a convolution's input and output), the width read from the graph when known (`onnx/cost.ts`),
 *   else DEFAULT_FIRST_STAGE. Deeper stages are smaller; the arena and the model weights are not
 *   counted, so this is an estimate from below: what it refuses cannot run.
 *
 * Budgets: the CLI defaults to half the machine's memory (flag --memory-budget or the environment
 * variable VOXSEG_MEMORY_BUDGET change it); the browser worker uses BROWSER_BUDGET.
 */
import { VoxsegError } from '../core/errors';
import type { Vec3 } from '../core/types';
import { formatBytes } from './estimate';
import { channelLabelValues, type ModelManifest } from './manifest';

export const ACTIVATION_MAPS = 2;
export const DEFAULT_FIRST_STAGE = 16;
export const CROP_FRACTION = 0.25;
/** The browser worker's budget (a tab rarely gets more; WASM's heap is 4 GiB). */
export const BROWSER_BUDGET = 4e9;

export interface MemoryNeed {
  /** Estimated peak bytes. */
  bytes: number;
  /** What dominates, for the message: "a 1024×1024×1024 patch". */
  subject: string;
  /** The parts, for the message. */
  parts: { name: string; bytes: number }[];
}

const dimsText = (d: readonly number[]) => d.join('×');

/** What `manifest` needs at least, whatever the study. `firstStageChannels` from the ONNX graph when known. */
export function manifestMemoryNeed(
  manifest: ModelManifest,
  opts: { firstStageChannels?: number; graphBatch?: number | null } = {},
): MemoryNeed {
  const pre = manifest.preprocessing;
  const channels = manifest.model.channels;
  const width = opts.firstStageChannels && opts.firstStageChannels > 0 ? opts.firstStageChannels : DEFAULT_FIRST_STAGE;
  const perVoxel = { input: 4, output: 4 * channels, activations: 4 * ACTIVATION_MAPS * width };
  if (pre.mode === 'whole-volume') {
    const grid: Vec3 = pre.conform.dims;
    const voxels = grid[0] * grid[1] * grid[2];
    const labelBytes = Math.max(0, ...channelLabelValues(manifest)) > 255 ? 2 : 1;
    const modelVoxels = pre.crop ? voxels * CROP_FRACTION : voxels;
    const parts = [
      { name: 'conformed and normalized image', bytes: voxels * ((pre.conform.dtype === 'uint8' ? 1 : 4) + 4) },
      { name: 'labels', bytes: voxels * labelBytes },
      {
        name: `input and output tensors${pre.crop ? ' (a quarter of the grid, cropped)' : ''}`,
        bytes: modelVoxels * (perVoxel.input + perVoxel.output),
      },
      { name: `activations (${ACTIVATION_MAPS}×${width} channels)`, bytes: modelVoxels * perVoxel.activations },
    ];
    return { bytes: sum(parts), subject: `a ${dimsText(grid)} conform grid`, parts };
  }
  const patchVoxels = pre.patch[0] * pre.patch[1] * pre.patch[2];
  const batch = Math.max(1, Math.min(pre.batch ?? 1, opts.graphBatch ?? Infinity));
  const n = patchVoxels * batch;
  const parts = [
    { name: 'input and output tensors', bytes: n * (perVoxel.input + perVoxel.output) },
    { name: `activations (${ACTIVATION_MAPS}×${width} channels)`, bytes: n * perVoxel.activations },
  ];
  const subject = `a ${dimsText(pre.patch)} patch${batch > 1 ? ` in batches of ${batch}` : ''} with ${channels} output channel${channels > 1 ? 's' : ''}`;
  return { bytes: sum(parts), subject, parts };
}

function sum(parts: { bytes: number }[]): number {
  return parts.reduce((s, p) => s + p.bytes, 0);
}

/**
 * Refuse `manifest` when its need passes `budget` bytes. `file` is the manifest (named in the
 * error); `hint` says how to change the budget.
 */
export function checkMemoryBudget(
  manifest: ModelManifest,
  budget: number,
  file: string,
  opts: { firstStageChannels?: number; graphBatch?: number | null; hint?: string } = {},
): MemoryNeed {
  const need = manifestMemoryNeed(manifest, opts);
  if (need.bytes > budget) {
    const parts = need.parts
      .filter((p) => p.bytes > 0)
      .map((p) => `${p.name} ${formatBytes(p.bytes)}`)
      .join(', ');
    throw new VoxsegError(
      'invalid-model',
      `${need.subject} needs about ${formatBytes(need.bytes)} (${parts}), more than the ${formatBytes(budget)} memory budget${opts.hint ? ` (${opts.hint})` : ''}`,
      { file },
    );
  }
  return need;
}
