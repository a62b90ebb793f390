/**
 * The worker RPC (src/core/rpc.ts) over a real MessageChannel (tests/unit/helpers/rpc-worker.ts):
 * replies find their call by id, events arrive in order before the result, transfer lists reach
 * postMessage and detach the buffers both ways while a SharedArrayBuffer is shared, errors keep
 * code / file / reason apart, cancel terminates (or, with cancel: 'message', aborts the handler
 * only) and the next call gets a fresh worker, and a crash rejects every pending call naming the worker.
 */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import {
  RpcClient,
  serveRpc,
  withTransfer,
  type RpcClientOptions,
  type RpcHandlers,
  type RpcMethod,
} from '../../../src/core/rpc';
import { FakeWorker } from '../helpers/rpc-worker';

interface TestApi {
  echo: RpcMethod<{ value: number; delayMs: number }, number>;
  count: RpcMethod<number, string, number>;
  sum: RpcMethod<Uint8Array, { sum: number; out: Uint8Array }>;
  shared: RpcMethod<number, Uint8Array>;
  fail: RpcMethod<'voxseg' | 'plain', never>;
  wait: RpcMethod<void, 'aborted'>;
  note: RpcMethod<string, void>;
  unsendable: RpcMethod<void, { f: () => void }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Worker-side state the tests look at. */
const seen = { notes: [] as string[], lastShared: null as Uint8Array | null, lastSent: null as Uint8Array | null };

const handlers: RpcHandlers<TestApi> = {
  echo: async ({ value, delayMs }) => (await sleep(delayMs), value),
  count: (n, { emit }) => {
    for (let i = 1; i <= n; i++) emit(i);
    return `counted ${n}`;
  },
  sum: (bytes) => {
    const out = new Uint8Array([9, 8, 7]);
    seen.lastSent = out;
    return withTransfer({ sum: bytes.reduce((a, b) => a + b, 0), out }, [out.buffer]);
  },
  shared: (n) => {
    const labels = new Uint8Array(new SharedArrayBuffer(n));
    seen.lastShared = labels;
    return withTransfer(labels, [labels.buffer]);
  },
  fail: (kind) => {
    if (kind === 'voxseg') throw new VoxsegError('invalid-model', 'opset 7 is too old', { file: 'models/a.onnx' });
    throw new Error('something broke');
  },
  wait: (_, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve('aborted'))),
  note: (text) => void seen.notes.push(text),
  unsendable: () => ({ f: () => {} }),
};

function setup(options: Partial<RpcClientOptions> = {}) {
  const workers: FakeWorker[] = [];
  const client = new RpcClient<TestApi>(
    () => {
      const w = new FakeWorker((scope) => serveRpc<TestApi>(scope, handlers));
      workers.push(w);
      return w;
    },
    { name: 'test worker', failure: 'inference-failed', ...options },
  );
  return { client, workers };
}

describe('RpcClient + serveRpc', () => {
  it('matches replies to calls by id, whatever order they finish in', async () => {
    const { client, workers } = setup();
    const results = await Promise.all([
      client.call('echo', { value: 1, delayMs: 40 }),
      client.call('echo', { value: 2, delayMs: 0 }),
      client.call('echo', { value: 3, delayMs: 20 }),
    ]);
    expect(results).toEqual([1, 2, 3]);
    expect(workers).toHaveLength(1);
    expect(client.pending).toBe(0);
    expect(client.ready).toBe(true);
  });

  it('delivers events in order, all before the result', async () => {
    const { client } = setup();
    const events: number[] = [];
    const result = await client
      .call('count', 5, { onEvent: (e) => events.push(e) })
      .then((r) => ({ r, eventsThen: [...events] }));
    expect(result).toEqual({ r: 'counted 5', eventsThen: [1, 2, 3, 4, 5] });
  });

  it('transfers buffers both ways; a SharedArrayBuffer is shared, not transferred', async () => {
    const { client, workers } = setup();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const { sum, out } = await client.call('sum', bytes, { transfer: [bytes.buffer] });
    expect(sum).toBe(10);
    expect(workers[0].transfers.at(-1)).toEqual([bytes.buffer]);
    expect(bytes.byteLength).toBe(0); // detached here: it went to the worker
    expect([...out]).toEqual([9, 8, 7]);
    expect(seen.lastSent!.byteLength).toBe(0); // detached in the worker: it came back by transfer

    const labels = await client.call('shared', 16);
    expect(labels.buffer).toBeInstanceOf(SharedArrayBuffer);
    seen.lastShared![5] = 42; // the worker writes; the page sees it: same memory
    expect(labels[5]).toBe(42);
  });

  it('rebuilds a worker VoxsegError with code, file and reason apart', async () => {
    const { client } = setup();
    const err = await client.call('fail', 'voxseg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err).toMatchObject({
      code: 'invalid-model',
      file: 'models/a.onnx',
      reason: 'opset 7 is too old',
      message: 'models/a.onnx: opset 7 is too old',
    });
    const plain = await client.call('fail', 'plain').catch((e: unknown) => e);
    expect(plain).toMatchObject({ code: 'inference-failed', reason: 'something broke', file: undefined });
  });

  it('maps what a handler throws through toError', async () => {
    const client = new RpcClient<TestApi>(
      () =>
        new FakeWorker((scope) =>
          serveRpc<TestApi>(
            scope,
            handlers,
            (err, method) =>
              new VoxsegError('out-of-memory', `${method}: ${(err as Error).message}`, { file: 'x.zip' }),
          ),
        ),
      { name: 'test worker', failure: 'mesh-failed' },
    );
    await expect(client.call('fail', 'plain')).rejects.toMatchObject({
      code: 'out-of-memory',
      reason: 'fail: something broke',
      file: 'x.zip',
    });
    await expect(client.call('fail', 'voxseg')).rejects.toMatchObject({ code: 'invalid-model' }); // a VoxsegError passes as it is
  });

  it('cancel terminates the worker, rejects at once with "cancelled", and the next call starts a fresh worker', async () => {
    const { client, workers } = setup();
    const ctl = new AbortController();
    const running = client.call('echo', { value: 1, delayMs: 10_000 }, { signal: ctl.signal });
    const other = client.call('echo', { value: 2, delayMs: 10_000 });
    ctl.abort();
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    await expect(other).rejects.toMatchObject({ code: 'cancelled' }); // it died with the worker
    expect(workers[0].terminated).toBe(true);
    expect(await client.call('echo', { value: 7, delayMs: 0 })).toBe(7);
    expect(workers).toHaveLength(2);
    await expect(client.call('echo', { value: 1, delayMs: 0 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'cancelled',
    });
  });

  it("cancel: 'message' aborts the handler's signal and keeps the worker serving", async () => {
    const { client, workers } = setup({ cancel: 'message' });
    const ctl = new AbortController();
    const waiting = client.call('wait', undefined, { signal: ctl.signal });
    const echo = client.call('echo', { value: 5, delayMs: 30 });
    await sleep(5);
    ctl.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    expect(await echo).toBe(5);
    expect(workers[0].terminated).toBe(false);
    expect(workers).toHaveLength(1);
  });

  it('a crash rejects every pending call with an error naming the worker; the next call gets a fresh one', async () => {
    const crashes: [string, boolean][] = [];
    const { client, workers } = setup({
      crashHint: 'too little memory?',
      onCrash: (why, ready) => crashes.push([why, ready]),
    });
    const a = client.call('echo', { value: 1, delayMs: 10_000 });
    const b = client.call('count', 3);
    await b;
    const c = client.call('echo', { value: 2, delayMs: 10_000 });
    workers[0].crash('Out of memory');
    for (const p of [a, c])
      await expect(p).rejects.toMatchObject({
        code: 'inference-failed',
        message: 'the test worker crashed: Out of memory (too little memory?)',
      });
    expect(crashes).toEqual([['Out of memory', true]]);
    expect(workers[0].terminated).toBe(true);
    expect(client.pending).toBe(0);
    expect(await client.call('echo', { value: 3, delayMs: 0 })).toBe(3);
    const d = client.call('echo', { value: 4, delayMs: 10_000 });
    workers[1].onmessageerror?.({});
    await expect(d).rejects.toThrow(/test worker crashed: a message from it could not be read/);
  });

  it('notify reaches a running worker without a reply; a worker that cannot start rejects the call as it is', async () => {
    const { client } = setup();
    client.notify('note', 'ignored: no worker yet');
    await client.call('echo', { value: 0, delayMs: 0 });
    client.notify('note', 'hello');
    await client.call('echo', { value: 0, delayMs: 5 });
    expect(seen.notes).toEqual(['hello']);

    const broken = new RpcClient<TestApi>(
      () => {
        throw new Error('blocked by CSP');
      },
      { name: 'test worker', failure: 'inference-failed' },
    );
    await expect(broken.call('echo', { value: 0, delayMs: 0 })).rejects.toThrow('blocked by CSP');
  });

  it('a result or an argument postMessage cannot clone fails its call instead of hanging', async () => {
    const { client } = setup();
    await expect(client.call('unsendable', undefined)).rejects.toMatchObject({
      code: 'inference-failed',
      reason: expect.stringMatching(/could not be cloned/),
    });
    await expect(client.call('echo', { value: (() => 1) as unknown as number, delayMs: 0 })).rejects.toThrow(
      /could not be cloned/,
    );
    expect(client.pending).toBe(0);
  });

  it('an unknown method is a usage error', async () => {
    const { client } = setup();
    const untyped = client as unknown as RpcClient<{ nope: RpcMethod<number, number> }>;
    await expect(untyped.call('nope', 1)).rejects.toMatchObject({
      code: 'usage',
      reason: 'the worker has no method "nope"',
    });
  });
});
