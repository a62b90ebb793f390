/**
 * Typed calls to a worker: the page side (`RpcClient`) and the worker side (`serveRpc`).
 *
 * A worker's API is a type mapping each method to `{ arg, result, event }` (its protocol.ts);
 * both sides are checked against it. Each call gets an id; the worker may stream events for it
 * (progress, one mesh per label, decoded slices) before its single result or error. Buffers cross
 * in transfer lists both ways; a SharedArrayBuffer is shared by postMessage as it is and must stay
 * out of them (`transferList` drops it).
 *
 * Errors keep their shape: the worker sends `code`, `file` and `reason` apart and the page builds
 * the same `VoxsegError` again. A worker that dies (onerror, unreadable message) rejects every call
 * still pending with an error naming it; the next call starts a fresh one. Cancel: by default an
 * aborted call terminates the worker (model runs and conversions cannot be interrupted from
 * outside); with `cancel: 'message'` the worker is asked to stop that call (its handler's `signal`)
 * and keeps serving the others. Either way the call rejects at once with code 'cancelled'.
 * Plain postMessage, no proxies: a browser Worker, a Node worker_threads adapter or a test fake fit.
 */
import { errorMessage, VoxsegError, type ErrorCode } from './errors';

/** One method of a worker API. */
export interface RpcMethod<Arg, Result, Event = never> {
  arg: Arg;
  result: Result;
  event: Event;
}
/** A worker API: method name -> RpcMethod. */
export type RpcApi<Api> = { [K in keyof Api]: RpcMethod<unknown, unknown, unknown> };

/** A handler type that accepts wider event types (how DOM handlers are declared). */
type Listener<E> = { bivarianceHack(ev: E): void }['bivarianceHack'];

/** The page's view of a worker (a browser Worker fits as it is). */
export interface RpcWorker {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: Listener<{ data: unknown }> | null;
  onerror: Listener<{ message?: string; preventDefault?(): void }> | null;
  onmessageerror?: Listener<unknown> | null;
}

/** The worker's view of its scope (`self` fits; Node adapts a MessagePort). */
export interface RpcScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: Listener<{ data: unknown }> | null;
}

interface WireError {
  code?: ErrorCode;
  reason: string;
  file?: string;
}
type ToWorker =
  | { rpc: 'call'; id: number; method: string; arg: unknown }
  | { rpc: 'cancel'; id: number }
  | { rpc: 'notify'; method: string; arg: unknown };
type FromWorker =
  | { rpc: 'ready' }
  | { rpc: 'event'; id: number; event: unknown }
  | { rpc: 'result'; id: number; value: unknown }
  | { rpc: 'error'; id: number; error: WireError };

/** A handler's result with the buffers to transfer back. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly transfer: Transferable[],
  ) {}
}

/** Return `value`, transferring `buffers` (SharedArrayBuffers and repeats left out). */
export function withTransfer<T>(value: T, buffers: readonly (ArrayBufferLike | Transferable)[]): Transfer<T> {
  return new Transfer(value, transferList(buffers));
}

/** A transfer list from buffers: a SharedArrayBuffer cannot be transferred (it is shared as is), a buffer only once. */
export function transferList(buffers: readonly (ArrayBufferLike | Transferable)[]): Transferable[] {
  const shared = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : undefined;
  return [...new Set(buffers)].filter((b) => !(shared && b instanceof shared)) as Transferable[];
}

export interface RpcContext<Event> {
  /** Send an event to the caller's `onEvent` (in order, before the result). */
  emit(event: Event, transfer?: Transferable[]): void;
  /** Aborted when the caller cancels this call (cancel: 'message'). */
  signal: AbortSignal;
}

export type RpcHandlers<Api extends RpcApi<Api>> = {
  [K in keyof Api]: (
    arg: Api[K]['arg'],
    cx: RpcContext<Api[K]['event']>,
  ) => Api[K]['result'] | Transfer<Api[K]['result']> | Promise<Api[K]['result'] | Transfer<Api[K]['result']>>;
};

/**
 * Serve `handlers` on `scope`. Calls run concurrently (a client that wants one at a time says so).
 * `toError` turns what a handler throws into the error the caller gets (default: a VoxsegError
 * as it is, anything else as its message with the client's failure code).
 */
export function serveRpc<Api extends RpcApi<Api>>(
  scope: RpcScope,
  handlers: RpcHandlers<Api>,
  toError?: (err: unknown, method: keyof Api) => VoxsegError,
): void {
  const running = new Map<number, AbortController>();
  const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  scope.onmessage = ({ data }) => {
    const m = data as ToWorker;
    if (m.rpc === 'cancel') return void running.get(m.id)?.abort();
    const handler = handlers[m.method as keyof Api] as ((arg: unknown, cx: RpcContext<unknown>) => unknown) | undefined;
    const ctl = new AbortController();
    if (m.rpc === 'notify')
      return void new Promise((resolve) => resolve(handler?.(m.arg, { emit: () => {}, signal: ctl.signal }))).catch(
        () => {},
      );
    const { id } = m;
    running.set(id, ctl);
    const cx = {
      emit: (event: unknown, transfer?: Transferable[]) =>
        void (running.has(id) && post({ rpc: 'event', id, event }, transfer)),
      signal: ctl.signal,
    };
    new Promise((resolve) => {
      if (!handler) throw new VoxsegError('usage', `the worker has no method "${m.method}"`);
      resolve(handler(m.arg, cx));
    })
      // (a result postMessage cannot clone or transfer becomes this call's error)
      .then((out) =>
        out instanceof Transfer
          ? post({ rpc: 'result', id, value: out.value }, out.transfer)
          : post({ rpc: 'result', id, value: out }),
      )
      .catch((err: unknown) => {
        const e = toError && !(err instanceof VoxsegError) ? toError(err, m.method as keyof Api) : err;
        const error: WireError =
          e instanceof VoxsegError ? { code: e.code, reason: e.reason, file: e.file } : { reason: errorMessage(e) };
        post({ rpc: 'error', id, error });
      })
      .finally(() => running.delete(id));
  };
  post({ rpc: 'ready' });
}

export interface RpcClientOptions {
  /** Names the worker in crash messages ("the inference worker"). */
  name: string;
  /** Code of a crash, and of a worker error that has none. */
  failure: ErrorCode;
  /** What aborting a call does (see the top of this file). Default 'terminate'. */
  cancel?: 'terminate' | 'message';
  /** Added to a crash's message, e.g. "too little memory?". */
  crashHint?: string;
  /** The worker died (`ready`: it had started serving). Called before pending calls reject. */
  onCrash?(why: string, ready: boolean): void;
}

export interface CallOptions<Event> {
  transfer?: Transferable[];
  onEvent?(event: Event): void;
  signal?: AbortSignal;
}

interface Pending {
  onEvent?(event: unknown): void;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class RpcClient<Api extends RpcApi<Api>> {
  private worker: RpcWorker | null = null;
  private calls = new Map<number, Pending>();
  private nextId = 1;
  private started = false;

  constructor(
    private readonly create: () => RpcWorker,
    private readonly options: RpcClientOptions,
  ) {}

  /** Whether the current worker has started serving. */
  get ready(): boolean {
    return this.started;
  }

  /** Calls not yet settled. */
  get pending(): number {
    return this.calls.size;
  }

  /** Call `method` (starting the worker if needed). A throw from the worker factory rejects as it is. */
  call<K extends keyof Api & string>(
    method: K,
    arg: Api[K]['arg'],
    opts: CallOptions<Api[K]['event']> = {},
  ): Promise<Api[K]['result']> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(this.cancelled(method));
    let worker: RpcWorker;
    try {
      worker = this.start();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.calls.delete(id)) return;
        reject(this.cancelled(method));
        if (this.options.cancel === 'message') this.worker?.postMessage({ rpc: 'cancel', id } satisfies ToWorker, []);
        else this.terminate();
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.calls.set(id, {
        onEvent: opts.onEvent as Pending['onEvent'],
        resolve: (v) => (done(), resolve(v as Api[K]['result'])),
        reject: (e) => (done(), reject(e)),
      });
      try {
        worker.postMessage({ rpc: 'call', id, method, arg } satisfies ToWorker, opts.transfer ?? []);
      } catch (err) {
        this.calls.delete(id);
        done();
        reject(err);
      }
    });
  }

  /** Send `method` without waiting for an answer (only to a running worker). */
  notify<K extends keyof Api & string>(method: K, arg: Api[K]['arg'], transfer: Transferable[] = []): void {
    this.worker?.postMessage({ rpc: 'notify', method, arg } satisfies ToWorker, transfer);
  }

  /** Start the worker now (calls start it anyway). */
  start(): RpcWorker {
    if (this.worker) return this.worker;
    const worker = this.create();
    this.worker = worker;
    this.started = false;
    worker.onmessage = ({ data }) => this.receive(worker, data as FromWorker);
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.crash(worker, ev.message || 'unknown error');
    };
    worker.onmessageerror = () => this.crash(worker, 'a message from it could not be read');
    return worker;
  }

  /** End the worker; pending calls reject with 'cancelled'. The next call starts a fresh one. */
  terminate(): void {
    this.drop(new VoxsegError('cancelled', `the ${this.options.name} was stopped`));
  }

  private receive(worker: RpcWorker, m: FromWorker): void {
    if (worker !== this.worker) return;
    if (m.rpc === 'ready') return void (this.started = true);
    const call = this.calls.get(m.id);
    if (!call) return; // cancelled, or finished
    if (m.rpc === 'event') return call.onEvent?.(m.event);
    this.calls.delete(m.id);
    if (m.rpc === 'result') call.resolve(m.value);
    else call.reject(new VoxsegError(m.error.code ?? this.options.failure, m.error.reason, { file: m.error.file }));
  }

  private crash(worker: RpcWorker, why: string): void {
    if (worker !== this.worker) return;
    this.options.onCrash?.(why, this.started);
    const hint = this.options.crashHint ? ` (${this.options.crashHint})` : '';
    this.drop(new VoxsegError(this.options.failure, `the ${this.options.name} crashed: ${why}${hint}`));
  }

  /** Terminate the worker and reject every pending call with `err`. */
  private drop(err: VoxsegError): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    this.worker?.terminate();
    this.worker = null;
    this.started = false;
    for (const c of calls) c.reject(err);
  }

  private cancelled(method: string): VoxsegError {
    return new VoxsegError('cancelled', `${method} cancelled (${this.options.name})`);
  }
}
