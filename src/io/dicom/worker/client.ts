/**
 * scanFiles / loadSeries work done by the load workers (browser). Files without a Blob, and all
 * files when no worker can start, are handed back to the callers' main-thread functions.
 */
import { errorMessage, VoxsegError } from '../../../core/errors';
import { parseBytes, type DicomHeader } from '../parse';
import type { FileScan } from '../scanfile';
import { batches, pool, type FileJob } from '../slicejobs';
import type { SourceFile } from '../source';
import type { Target } from '../values';
import { WorkerUnavailable, type PoolLike, type Slot } from './pool';
import type { LoadEvent, WorkerError } from './protocol';

const SCAN_BATCH = 64;
const SNIFF_BYTES = 16 * 1024;
const SCAN_MIN_BATCH = 8;

/** Headers of `files` read in the workers; `record` gets each result, `inThread` does the rest. */
export async function scanInWorkers(
  workers: PoolLike,
  files: readonly SourceFile[],
  record: (i: number, r: FileScan) => void,
  signal: AbortSignal | undefined,
  inThread: (indices: number[]) => Promise<void>,
): Promise<void> {
  const viaWorkers = files.map((_, i) => i).filter((i) => files[i].blob);
  if (viaWorkers.length && workers.warm) {
    const warm = workers.warm.bind(workers);
    void sniffSyntax(files[viaWorkers[0]])
      .then((ts) => (ts ? warm(ts) : undefined))
      .catch(() => {});
  }
  const others = files.map((_, i) => i).filter((i) => !files[i].blob);
  // batches of files (their headers are read through one stream), every worker busy to the end
  const chunks = batches(
    viaWorkers.map(() => 1),
    workers.size * 2,
    SCAN_BATCH,
    Infinity,
    SCAN_MIN_BATCH,
  ).map(([a, b]) => viaWorkers.slice(a, b));
  await Promise.all([
    inThread(others),
    pool(chunks, workers.size * 2, async (chunk) => {
      const seen = new Set<number>();
      const arg = { files: chunk.map((i) => ({ i, name: files[i].name, blob: files[i].blob! })) };
      try {
        await workers.run(
          'scan',
          arg,
          (m) => {
            if (seen.has(m.i)) return;
            seen.add(m.i);
            record(m.i, m.header ? { header: m.header } : { reason: m.reason ?? 'unreadable' });
          },
          signal,
        );
      } catch (e) {
        if (signal?.aborted) throw e;
        // no worker, or it stopped: scan the rest of the chunk here
        await inThread(chunk.filter((i) => !seen.has(i)));
      }
    }),
  ]);
}

/**
 * The transfer syntax of `file` from its first bytes (undefined if that is not enough), read on
 * this thread while the workers start: a compressed series' codec is then set up in every worker
 * from its first moment instead of after its first scanned header.
 */
async function sniffSyntax(file: SourceFile): Promise<string | undefined> {
  try {
    const head = await file.slice(0, Math.min(file.size, SNIFF_BYTES));
    return parseBytes(head, file.name, true).header.transferSyntaxUid;
  } catch {
    return undefined;
  }
}

export interface WorkerLoad {
  files: readonly SourceFile[];
  headers: readonly DicomHeader[];
  jobs: FileJob[];
  nx: number;
  ny: number;
  /** The volume; its voxels become float32 (once) when a worker reports an int16 overflow. */
  target: Target;
  /** Slice k is in the volume; `range` is its [min, max] when the worker measured it. */
  written(k: number, range?: [number, number]): void;
  /** A file failed (the error names it when the worker knew the file). */
  failed(job: FileJob, e: unknown): void;
  /** Do one job on the main thread (no Blob, or no worker could start). */
  inThread(job: FileJob): Promise<void>;
  signal?: AbortSignal;
}

/** Batches in flight per worker: one is read while the other is decoded. */
const PER_WORKER = 2;
const BATCH_FILES = 32;
const BATCH_BYTES = 16 * 1024 * 1024;

export async function loadInWorkers(workers: PoolLike, w: WorkerLoad): Promise<void> {
  const sliceSize = w.nx * w.ny;
  const { target } = w;
  const own = w.jobs.filter((j) => !w.files[j.file].blob);
  const jobs = w.jobs.filter((j) => w.files[j.file].blob);
  const parts = batches(
    jobs.map((j) => w.files[j.file].size),
    workers.size * PER_WORKER,
    BATCH_FILES,
    BATCH_BYTES,
  );
  const onSlice = (m: Extract<LoadEvent, { type: 'slice' }>, slot: Slot) => {
    const slice =
      m.dtype === 'int16' ? new Int16Array(m.buffer, 0, sliceSize) : new Float32Array(m.buffer, 0, sliceSize);
    if (slice instanceof Float32Array && target.voxels instanceof Int16Array) {
      target.voxels = new Float32Array(target.voxels);
      target.convertedAt = m.where;
    }
    target.voxels.set(slice, m.k * sliceSize);
    workers.recycle(slot, [m.buffer]);
    w.written(m.k, [m.min, m.max]);
  };
  await Promise.all([
    pool(own, 1, w.inThread),
    pool(parts, workers.size * PER_WORKER, async ([a, b]) => {
      const batch = jobs.slice(a, b);
      const files = batch.map((job) => {
        const file = w.files[job.file];
        return { job: job.file, name: file.name, blob: file.blob!, header: w.headers[job.file], slices: job.slices };
      });
      const dtype = target.voxels instanceof Int16Array ? ('int16' as const) : ('float32' as const);
      const settled = new Set<number>();
      try {
        await workers.run(
          'load',
          { files, nx: w.nx, ny: w.ny, dtype },
          (m, slot) => {
            if (m.type === 'fileFailed') {
              settled.add(m.job);
              w.failed(
                batch.find((j) => j.file === m.job)!,
                workerError(m.error),
              );
            } else onSlice(m, slot);
          },
          w.signal,
        );
      } catch (e) {
        if (w.signal?.aborted) throw e;
        if (e instanceof WorkerUnavailable) await pool(batch, 1, w.inThread);
        // the worker stopped: every file of the batch not reported yet is named
        else
          for (const job of batch)
            if (!settled.has(job.file))
              w.failed(job, new VoxsegError('decode-failed', errorMessage(e), { file: w.files[job.file].name }));
      }
    }),
  ]);
}

function workerError(e: WorkerError): VoxsegError {
  return new VoxsegError(e.code, e.reason, { file: e.file });
}
