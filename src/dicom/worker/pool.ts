/**
 * A small pool of load workers for the browser. Files backed by a Blob are read, decoded and
 * rescaled off the page's thread, in parallel; the page only copies finished slices into the
 * volume. Where workers or Blobs are unavailable (Node, tests) loading stays in-thread.
 */
import { VoxsegError } from '../../core/errors';
import type { SliceJob } from '../loadfile';
import type { DicomHeader } from '../parse';
import type { SourceFile } from '../source';
import type { DecodeFileReply, LoadWorkerRequest } from './protocol';

type Done = Extract<DecodeFileReply, { ok: true; voxels: unknown }>;
type Reply = Extract<DecodeFileReply, { ok: true }>;
interface Slot {
  worker: Worker;
  busy: number;
}

let slots: Slot[] | undefined;
const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
let nextId = 1;

export function workersAvailable(files: readonly SourceFile[]): boolean {
  return typeof Worker !== 'undefined' && typeof Blob !== 'undefined' && files.every((f) => f.blob instanceof Blob);
}

function poolSize(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return Math.min(4, Math.max(2, cores));
}

function ensurePool(): Slot[] {
  if (slots) return slots;
  slots = Array.from({ length: poolSize() }, () => {
    const worker = new Worker(new URL('./load.worker.ts', import.meta.url), { type: 'module', name: 'voxseg-load' });
    worker.onmessage = (e: MessageEvent<DecodeFileReply>) => {
      const r = e.data;
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new VoxsegError(r.code, r.message, { file: r.file }));
    };
    worker.onerror = (e) => {
      // a worker that fails to start or crashes: fail everything it had, start afresh next time
      const err = new VoxsegError('decode-failed', `load worker failed: ${e.message || 'unknown error'}`);
      for (const [id, p] of pending) (pending.delete(id), p.reject(err));
      slots?.forEach((s) => s.worker.terminate());
      slots = undefined;
    };
    return { worker, busy: 0 };
  });
  return slots;
}

/** How many files to keep in flight: two per worker hides read latency. */
export function workerConcurrency(): number {
  return ensurePool().length * 2;
}

function send(slot: Slot, req: LoadWorkerRequest): Promise<Reply> {
  slot.busy++;
  return new Promise<Reply>((resolve, reject) => {
    pending.set(req.id, { resolve, reject });
    slot.worker.postMessage(req);
  }).finally(() => slot.busy--);
}

/**
 * Start the load workers and their codecs ahead of the first load (call at start-up; resolves
 * when every worker is ready). Does nothing where workers are unavailable.
 */
export async function warmLoadWorkers(): Promise<void> {
  if (typeof Worker === 'undefined') return;
  await Promise.all(ensurePool().map((slot) => send(slot, { id: nextId++, type: 'warm' })));
}

function leastBusy(): Slot {
  return ensurePool().reduce((a, b) => (b.busy < a.busy ? b : a));
}

/** Scan one file (header read + checks) in the least busy worker. */
export async function scanInWorker(file: SourceFile): Promise<{ header: DicomHeader } | { reason: string }> {
  const reply = await send(leastBusy(), { id: nextId++, type: 'scan', file: file.blob!, name: file.name });
  return (reply as Extract<Reply, { scan: unknown }>).scan;
}

/** Decode one file's slices in the least busy worker. */
export async function decodeInWorker(file: SourceFile, header: DicomHeader, jobs: SliceJob[], dtype: 'int16' | 'float32', nx: number, ny: number): Promise<Done> {
  const reply = await send(leastBusy(), { id: nextId++, type: 'decode', file: file.blob!, name: file.name, header, jobs, dtype, nx, ny });
  return reply as Done;
}
