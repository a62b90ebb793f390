/**
 * Per-slab decision: blended logits -> label values.
 *
 * - 'argmax': the channel with the largest value (the first one on ties). Softmax, sigmoid and the
 *   identity are monotonic, so the activation is not computed. NaN logits never win.
 * - 'threshold': independent channels; the activation is applied, and a voxel gets the label of the
 *   highest-index channel whose activated value is above (strictly) its threshold, else 0. This is
 *   nnU-Net's region order: later channels (inner regions) overwrite earlier ones. Thresholds default
 *   to 0.5.
 * Channel c writes post.channelLabels[c], by default c for argmax and c + 1 for threshold.
 */
import { VoxsegError } from '../core/errors';
import type { Postprocessing } from './manifest';

/** Label value written for each channel. */
export function channelLabels(post: Postprocessing, channels: number): number[] {
  if (post.channelLabels) {
    if (post.channelLabels.length !== channels)
      throw new VoxsegError(
        'invalid-model',
        `postprocessing.channelLabels lists ${post.channelLabels.length} labels for ${channels} output channels`,
      );
    return post.channelLabels;
  }
  const out: number[] = [];
  for (let c = 0; c < channels; c++) out.push(post.decision === 'threshold' ? c + 1 : c);
  return out;
}

/**
 * Decide `voxels` voxels of `logits` (laid out [channel][voxel]) and write labels to
 * out[outOffset ... outOffset + voxels).
 */
export function decideSlab(
  logits: Float32Array,
  channels: number,
  voxels: number,
  post: Postprocessing,
  out: Uint8Array | Uint16Array,
  outOffset: number,
): void {
  if (logits.length < channels * voxels)
    throw new VoxsegError(
      'inference-failed',
      `decision: ${logits.length} logits for ${channels} channels x ${voxels} voxels`,
    );
  if (outOffset < 0 || outOffset + voxels > out.length)
    throw new VoxsegError(
      'inference-failed',
      `decision: label range ${outOffset}..${outOffset + voxels} outside a map of ${out.length} voxels`,
    );
  const labels = channelLabels(post, channels);
  const maxLabel = out instanceof Uint8Array ? 255 : 65535;
  const table = new Uint16Array(channels);
  for (let c = 0; c < channels; c++) {
    const v = labels[c];
    if (!Number.isInteger(v) || v < 0 || v > maxLabel)
      throw new VoxsegError(
        'invalid-model',
        `channel ${c} gives label ${v}, which does not fit the ${maxLabel === 255 ? 8 : 16}-bit label map`,
      );
    table[c] = v;
  }
  if (post.decision === 'argmax') argmax(logits, channels, voxels, table, out, outOffset);
  else threshold(logits, channels, voxels, post, table, out, outOffset);
}

function argmax(
  logits: Float32Array,
  channels: number,
  voxels: number,
  table: Uint16Array,
  out: Uint8Array | Uint16Array,
  outOffset: number,
): void {
  if (channels === 1) {
    out.fill(table[0], outOffset, outOffset + voxels);
    return;
  }
  for (let v = 0; v < voxels; v++) {
    let best = logits[v];
    let bc = 0;
    // NaN in channel 0: let the first real value take over.
    if (best !== best) best = -Infinity;
    for (let c = 1, o = v + voxels; c < channels; c++, o += voxels) {
      const x = logits[o];
      if (x > best) {
        best = x;
        bc = c;
      }
    }
    out[outOffset + v] = table[bc];
  }
}

function threshold(
  logits: Float32Array,
  channels: number,
  voxels: number,
  post: Postprocessing,
  table: Uint16Array,
  out: Uint8Array | Uint16Array,
  outOffset: number,
): void {
  const th = new Float64Array(channels);
  for (let c = 0; c < channels; c++) th[c] = post.thresholds?.[c] ?? 0.5;
  const act = post.activation;
  for (let v = 0; v < voxels; v++) {
    let label = 0;
    if (act === 'softmax') {
      let max = -Infinity;
      for (let c = 0, o = v; c < channels; c++, o += voxels) if (logits[o] > max) max = logits[o];
      let sum = 0;
      for (let c = 0, o = v; c < channels; c++, o += voxels) sum += Math.exp(logits[o] - max);
      for (let c = channels - 1, o = v + c * voxels; c >= 0; c--, o -= voxels) {
        if (Math.exp(logits[o] - max) / sum > th[c]) {
          label = table[c];
          break;
        }
      }
    } else {
      for (let c = channels - 1, o = v + c * voxels; c >= 0; c--, o -= voxels) {
        const x = logits[o];
        const p = act === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : x;
        if (p > th[c]) {
          label = table[c];
          break;
        }
      }
    }
    out[outOffset + v] = label;
  }
}
