/**
 * Planning the work of loadSeries: which slices each file fills (a file is read and decoded
 * once, whatever number of frames / MOSAIC tiles it holds), and which slices stay empty.
 */
import type { SliceJob } from './filedecode';
import type { FrameRef } from './multiframe';

export interface FileJob {
  /** Index of the file in the series. */
  file: number;
  /** Its slices, in the order of the series' slots. */
  slices: SliceJob[];
}

export interface JobPlan {
  jobs: FileJob[];
  /** Slots without an image (missing slices). */
  empty: number[];
  /** Number of slices the jobs fill. */
  total: number;
}

/** Group the slots by file; jobs are in the order their file first appears along the volume. */
export function planJobs(slots: readonly (FrameRef | null)[]): JobPlan {
  const byFile = new Map<number, FileJob>();
  const empty: number[] = [];
  slots.forEach((frame, k) => {
    if (!frame) return void empty.push(k);
    let job = byFile.get(frame.file);
    if (!job) byFile.set(frame.file, (job = { file: frame.file, slices: [] }));
    job.slices.push({ k, frame });
  });
  return { jobs: [...byFile.values()], empty, total: slots.length - empty.length };
}

/**
 * Consecutive batches of items for `slots` parallel consumers, guided: each batch takes a share of
 * what is left (large batches first, down to single items at the end, so that consumers finish
 * together), capped at `maxItems` items and `maxWeight` total weight, at least `minItems` items when the
 * weight allows (and always at least one).
 */
export function batches(
  weights: readonly number[],
  slots: number,
  maxItems: number,
  maxWeight: number,
  minItems = 1,
): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < weights.length) {
    const share = Math.max(minItems, Math.ceil((weights.length - i) / (2 * Math.max(1, slots))));
    let end = i + 1;
    let w = weights[i];
    while (end < weights.length && end - i < Math.min(share, maxItems) && w + weights[end] <= maxWeight)
      w += weights[end++];
    out.push([i, end]);
    i = end;
  }
  return out;
}

/** Number of load workers: one per core, at least 2 (reading overlaps decoding), at most 4. */
export function workerCount(hardwareConcurrency: number | undefined, files: number): number {
  const cores = Number.isFinite(hardwareConcurrency) && hardwareConcurrency! > 0 ? hardwareConcurrency! : 2;
  return Math.max(1, Math.min(files, Math.max(2, Math.min(4, cores))));
}

/** Run `fn` over items with at most `n` in flight. */
export async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
