/**
 * Main-thread side of the browser load workers: one shared pool of module workers
 * (`navigator.hardwareConcurrency`, at least 2, at most 4). Apps start it at start-up with
 * `warmLoadWorkers()` (workers running, codecs compiled); otherwise it starts on first use and
 * ends after a while without work. Each worker is an RpcClient (src/core/rpc.ts) of the load
 * worker's API (./protocol.ts); a task's events go to its handler with the slot that sent them
 * (slice buffers are recycled to that worker). Cancel asks the worker to stop that task only.
 *
 * Not used where there is no `Worker` (Node, vitest) or for sources without a Blob: the callers
 * then work on the calling thread. A worker that cannot start (bundling, CSP) makes the pool
 * reject with `WorkerUnavailable`, and the callers fall back to the calling thread.
 */
import { RpcClient, type RpcWorker } from '../../../core/rpc';
import { workerCount } from '../slicejobs';
import type { SourceFile } from '../source';
import type { LoadWorkerApi } from './protocol';

/** The workers could not be started: do the work on the calling thread. */
export class WorkerUnavailable extends Error {}

/** One worker of the pool and the tasks it runs. */
export interface Slot {
  rpc: RpcClient<LoadWorkerApi>;
  tasks: number;
}

/** The pool's tasks: those that stream events (a warm-up is the pool's own business). */
export type Task = 'scan' | 'load';

/** What scanFiles / loadSeries need from a pool (./client.ts). */
export interface PoolLike {
  /** Number of workers (tasks are kept at about twice this many in flight). */
  readonly size: number;
  /** Run `method` on the least busy worker; `onEvent` gets its events and the slot (for `recycle`). */
  run<K extends Task>(
    method: K,
    arg: LoadWorkerApi[K]['arg'],
    onEvent: (e: LoadWorkerApi[K]['event'], slot: Slot) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  recycle(slot: Slot, buffers: ArrayBuffer[]): void;
  /** Start every worker and set up the codec of this transfer syntax (all codecs when omitted). */
  warm?(transferSyntaxUid?: string): Promise<void>;
}

const IDLE_MS = 15_000;
let shared: LoaderPool | undefined;
let disabled = false;
let override: PoolLike | null | undefined;

const isNode = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

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

const browserWorker = (): RpcWorker =>
  new Worker(new URL('./load.worker.ts', import.meta.url), { type: 'module', name: 'voxseg-load' });

export class LoaderPool implements PoolLike {
  /** Stay alive when idle (started at start-up). */
  keep = false;
  private slots: Slot[] = [];
  private inFlight = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private everReady = false;
  /** No worker ever started: every task goes back to the calling thread. */
  private unavailable = false;
  private warming = new Map<string, Promise<void>>();

  constructor(
    readonly size: number,
    private readonly createWorker: () => RpcWorker = browserWorker,
  ) {}

  /**
   * Run `method` on the least busy worker, starting another one while fewer than `size` run.
   * Rejects with the worker's error (VoxsegError), with the signal's reason on abort (the worker
   * is told to stop that task), when the worker dies, and with WorkerUnavailable when none starts.
   */
  run<K extends Task>(
    method: K,
    arg: LoadWorkerApi[K]['arg'],
    onEvent: (e: LoadWorkerApi[K]['event'], slot: Slot) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      const slot = this.pick();
      return this.runOn(slot, method, arg, (e) => onEvent(e, slot), signal);
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
        p = Promise.all(this.slots.map((s) => this.runOn(s, 'warm', transferSyntaxUid))).then(() => {});
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
    if (this.slots.includes(slot)) slot.rpc.notify('recycle', buffers, buffers);
  }

  /** End every worker (after a while without work, unless `keep`). */
  dispose(): void {
    clearTimeout(this.idle);
    for (const s of this.slots) s.rpc.terminate();
    this.slots = [];
    this.warming.clear();
    if (shared === this) shared = undefined;
  }

  private async runOn<K extends keyof LoadWorkerApi>(
    slot: Slot,
    method: K,
    arg: LoadWorkerApi[K]['arg'],
    onEvent?: (e: LoadWorkerApi[K]['event']) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    clearTimeout(this.idle);
    slot.tasks++;
    this.inFlight++;
    try {
      await slot.rpc.call(method, arg, { onEvent, signal });
      this.everReady = true;
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw this.unavailable
        ? new WorkerUnavailable(`load worker failed to start: ${e instanceof Error ? e.message : e}`)
        : e;
    } finally {
      slot.tasks--;
      if (--this.inFlight === 0 && !this.keep) {
        clearTimeout(this.idle);
        this.idle = setTimeout(() => this.dispose(), IDLE_MS);
      }
    }
  }

  private pick(): Slot {
    let best = this.slots[0];
    for (const s of this.slots) if (s.tasks < best.tasks) best = s;
    if (best && (best.tasks === 0 || this.slots.length >= this.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    const slot: Slot = {
      tasks: 0,
      rpc: new RpcClient<LoadWorkerApi>(this.createWorker, {
        name: 'load worker',
        failure: 'decode-failed',
        cancel: 'message',
        onCrash: (_, ready) => this.crash(slot, ready),
      }),
    };
    try {
      slot.rpc.start();
    } catch (e) {
      this.disable();
      throw new WorkerUnavailable(`cannot start a load worker: ${e instanceof Error ? e.message : e}`);
    }
    this.slots.push(slot);
    return slot;
  }

  /** A worker died (its tasks reject through the RPC): forget it; if none ever started, give up. */
  private crash(slot: Slot, ready: boolean): void {
    this.slots = this.slots.filter((s) => s !== slot);
    this.warming.clear();
    this.everReady ||= ready || this.slots.some((s) => s.rpc.ready);
    if (!this.everReady) {
      this.unavailable = true;
      this.disable();
    }
  }

  private disable(): void {
    disabled = true;
    this.dispose();
  }
}
