/**
 * The load-worker pool's own rules (src/io/dicom/worker/pool.ts) on in-process workers: tasks
 * spread over up to `size` workers, a cancelled task is stopped in its worker (the signal's reason
 * is the rejection) while the worker keeps serving, a worker that dies fails its tasks naming the
 * load worker and is replaced, and workers that never start make the pool fall back
 * (WorkerUnavailable).
 */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { serveRpc, type RpcHandlers } from '../../../../src/core/rpc';
import { LoaderPool, WorkerUnavailable } from '../../../../src/io/dicom/worker/pool';
import type { LoadWorkerApi } from '../../../../src/io/dicom/worker/protocol';
import { FakeWorker } from '../../helpers/rpc-worker';

/** Scan: one event per file; a file named "hang" waits until the task is cancelled. */
function handlers(aborted: string[]): RpcHandlers<LoadWorkerApi> {
  return {
    scan: async ({ files }, { emit, signal }) => {
      for (const f of files) {
        if (f.name === 'hang')
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => (aborted.push(f.name), resolve())),
          );
        emit({ i: f.i, reason: `seen ${f.name}` });
      }
    },
    load: () => {},
    recycle: () => {},
    warm: () => {},
  };
}

const item = (i: number, name: string) => ({ i, name, blob: new Blob([name]) });

function setup(serve = true) {
  const aborted: string[] = [];
  const workers: FakeWorker[] = [];
  const pool = new LoaderPool(2, () => {
    const w = new FakeWorker((scope) => serve && serveRpc<LoadWorkerApi>(scope, handlers(aborted)));
    workers.push(w);
    return w;
  });
  pool.keep = true;
  return { pool, workers, aborted };
}

describe('LoaderPool', () => {
  it('spreads tasks over its workers; cancel stops the task in its worker, which keeps serving', async () => {
    const { pool, workers, aborted } = setup();
    const seen: string[] = [];
    const ctl = new AbortController();
    const hanging = pool.run('scan', { files: [item(0, 'hang')] }, (e) => seen.push(e.reason!), ctl.signal);
    const other = pool.run('scan', { files: [item(1, 'b')] }, (e) => seen.push(e.reason!));
    await other;
    expect(workers).toHaveLength(2); // the second task went to a second worker
    ctl.abort(new Error('user cancelled'));
    await expect(hanging).rejects.toThrow('user cancelled');
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toEqual(['hang']);
    expect(workers.some((w) => w.terminated)).toBe(false);
    await pool.run('scan', { files: [item(2, 'c'), item(3, 'd')] }, (e) => seen.push(e.reason!));
    expect(seen).toEqual(['seen b', 'seen c', 'seen d']); // the cancelled task's late event is dropped
    pool.dispose();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it('a worker that dies fails its tasks naming the load worker, and is replaced', async () => {
    const { pool, workers } = setup();
    await pool.run('scan', { files: [item(0, 'a')] }, () => {});
    const task = pool.run('scan', { files: [item(1, 'hang')] }, () => {});
    workers[0].crash('out of memory');
    const err = await task.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err).toMatchObject({ code: 'decode-failed', message: 'the load worker crashed: out of memory' });
    await pool.run('scan', { files: [item(2, 'b')] }, () => {});
    expect(workers).toHaveLength(2);
    pool.dispose();
  });

  it('workers that never start make every task fall back to the calling thread', async () => {
    const { pool, workers } = setup(false);
    const a = pool.run('scan', { files: [item(0, 'a')] }, () => {});
    const b = pool.run('scan', { files: [item(1, 'b')] }, () => {});
    workers[0].crash('the worker script could not be loaded');
    await expect(a).rejects.toBeInstanceOf(WorkerUnavailable);
    await expect(b).rejects.toBeInstanceOf(WorkerUnavailable);
    expect(workers.every((w) => w.terminated)).toBe(true);
  });
});
