/**
 * Main-thread side of the browser load workers: one shared pool of module workers
 * (`navigator.hardwareConcurrency`, at least 2, at most 4). Apps start it at start-up with
 * `warmLoadWorkers()` (workers running, codecs compiled); otherwise it starts on first use and
 * ends after a while without work. Tasks are messages with an id; every message a worker sends
 * about a task goes to that task's handler until the worker says 'done' (or 'failed').
 *
 * Not used where there is no `Worker` (Node, vitest) or for sources without a Blob: the callers
 * then work on the calling thread. A worker that cannot start (bundling, CSP) makes the pool
 * reject with `WorkerUnavailable`, and the callers fall back to the calling thread.
 */
import { VoxsegError } from '../../../core/errors';
import { workerCount } from '../slicejobs';
import type { SourceFile } from '../source';
import type { FromWorker, ToWorker } from './protocol';

/** The workers could not be started: do the work on the calling thread. */
export class WorkerUnavailable extends Error {}

export interface Slot {
  worker: Worker;
  ready: boolean;
  tasks: Set<number>;
}

type OnMessage = (m: FromWorker, slot: Slot) => void;
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Msg = DistributiveOmit<ToWorker, 'id'>;

/** What scanFiles / loadSeries need from a pool (./client.ts). */
export interface PoolLike {
  /** Number of workers (tasks are kept at about twice this many in flight). */
  readonly size: number;
  run(msg: Msg, transfer: Transferable[], onMessage: OnMessage, signal?: AbortSignal): Promise<void>;
  recycle(slot: Slot, buffers: ArrayBuffer[]): void;
  /** Start every worker and set up the codec of this transfer syntax (all codecs when omitted). */
  warm?(transferSyntaxUid?: string): Promise<void>;
}

const IDLE_MS = 15_000;
let shared: LoaderPool | undefined;
let disabled = false;
let override: PoolLike | null | undefined;

const isNode = () => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/**
 * Replace the pool: null = never use workers (everything on the calling thread), undefined =
 * the default. For tests (an in-process pool runs the worker code in Node) and for apps that
 * want the loading on the main thread.
 */
export function setLoaderPool(pool: PoolLike | null | undefined): void {
  override = pool;
}

function sharedPool(): LoaderPool | undefined {
  if (disabled || typeof Worker !== 'function' || isNode()) return undefined;
  return (shared ??= new LoaderPool(workerCount(globalThis.navigator?.hardwareConcurrency, 4)));
}

/** The pool when some of `files` can be loaded by workers (browser Blobs), else undefined. */
export function loaderPool(files: readonly SourceFile[]): PoolLike | undefined {
  if (!files.some((f) => f.blob)) return undefined;
  return override !== undefined ? (override ?? undefined) : sharedPool();
}

/**
 * Start the load workers and compile their codecs ahead of the first load (call at start-up;
 * resolves when every worker is ready). The workers then stay for the page's lifetime. Does
 * nothing where workers are unavailable.
 */
export async function warmLoadWorkers(): Promise<void> {
  const pool = override === undefined ? sharedPool() : undefined;
  if (!pool) return;
  pool.keep = true;
  await pool.warm();
}

export class LoaderPool implements PoolLike {
  /** Stay alive when idle (started at start-up). */
  keep = false;
  private slots: Slot[] = [];
  private tasks = new Map<number, { slot: Slot; onMessage: OnMessage; resolve: () => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private everReady = false;
  private warming = new Map<string, Promise<void>>();

  constructor(readonly size: number) {}

  /**
   * Post `msg` (its id filled in) to the least busy worker, starting another one while fewer
   * than `size` run. Resolves on 'done'; rejects on 'failed' (VoxsegError), on abort (the
   * worker is told to stop) and when the worker dies.
   */
  run(msg: Msg, transfer: Transferable[], onMessage: OnMessage, signal?: AbortSignal): Promise<void> {
    try {
      return this.runOn(this.pick(), msg, transfer, onMessage, signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Every worker started, each with its codec(s) set up; once per transfer syntax. */
  warm(transferSyntaxUid?: string): Promise<void> {
    const key = transferSyntaxUid ?? '*';
    let p = this.warming.get(key);
    if (!p) {
      try {
        while (this.slots.length < this.size) this.spawn();
        p = Promise.all(this.slots.map((s) => this.runOn(s, { type: 'warm', transferSyntaxUid }, [], () => {}))).then(() => {});
      } catch (e) {
        p = Promise.reject(e);
      }
      this.warming.set(key, p);
      p.catch(() => this.warming.delete(key));
    }
    return p;
  }

  /** Hand slice buffers back to the worker that sent them. */
  recycle(slot: Slot, buffers: ArrayBuffer[]): void {
    if (this.slots.includes(slot)) slot.worker.postMessage({ type: 'recycle', buffers } satisfies ToWorker, buffers);
  }

  private runOn(slot: Slot, msg: Msg, transfer: Transferable[], onMessage: OnMessage, signal?: AbortSignal): Promise<void> {
    clearTimeout(this.idle);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const abort = () => {
        if (!this.finish(id)) return;
        slot.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      const off = () => signal?.removeEventListener('abort', abort);
      this.tasks.set(id, { slot, onMessage, resolve: () => (off(), resolve()), reject: (e) => (off(), reject(e)) });
      slot.tasks.add(id);
      slot.worker.postMessage({ ...msg, id } as ToWorker, transfer);
    });
  }

  private pick(): Slot {
    let best = this.slots[0];
    for (const s of this.slots) if (s.tasks.size < best.tasks.size) best = s;
    if (best && (best.tasks.size === 0 || this.slots.length >= this.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./load.worker.ts', import.meta.url), { type: 'module', name: 'voxseg-load' });
    } catch (e) {
      this.disable();
      throw new WorkerUnavailable(`cannot start a load worker: ${e instanceof Error ? e.message : e}`);
    }
    const slot: Slot = { worker, ready: false, tasks: new Set() };
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(slot, e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.crash(slot, e.message || 'the worker script could not be loaded');
    };
    worker.onmessageerror = () => this.crash(slot, 'a message from the worker could not be read');
    this.slots.push(slot);
    return slot;
  }

  private receive(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') return void (slot.ready = this.everReady = true);
    const task = this.tasks.get(m.id);
    if (!task) {
      if (m.type === 'slice') this.recycle(slot, [m.buffer]); // a cancelled task's late slice
      return;
    }
    if (m.type === 'done') {
      this.finish(m.id);
      task.resolve();
    } else if (m.type === 'failed') {
      this.finish(m.id);
      task.reject(new VoxsegError(m.error.code, m.error.message));
    } else task.onMessage(m, slot);
  }

  /** Forget task `id`; false if it was already finished. */
  private finish(id: number): boolean {
    const task = this.tasks.get(id);
    if (!task) return false;
    this.tasks.delete(id);
    task.slot.tasks.delete(id);
    if (this.tasks.size === 0 && !this.keep) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.dispose(), IDLE_MS);
    }
    return true;
  }

  private crash(slot: Slot, why: string): void {
    slot.worker.terminate();
    this.slots = this.slots.filter((s) => s !== slot);
    this.warming.clear();
    if (!slot.ready && !this.everReady) {
      // no worker ever started: every task goes back to the calling thread
      const tasks = [...this.tasks.values()];
      this.tasks.clear();
      this.disable();
      for (const t of tasks) t.reject(new WorkerUnavailable(`load worker failed to start: ${why}`));
      return;
    }
    for (const id of [...slot.tasks]) {
      const task = this.tasks.get(id)!;
      this.finish(id);
      task.reject(new VoxsegError('decode-failed', `the load worker stopped (${why})`));
    }
  }

  private disable(): void {
    disabled = true;
    this.dispose();
  }

  /** End every worker (called when no task is left). */
  private dispose(): void {
    clearTimeout(this.idle);
    for (const s of this.slots) s.worker.terminate();
    this.slots = [];
    this.warming.clear();
    if (shared === this) shared = undefined;
  }
}
