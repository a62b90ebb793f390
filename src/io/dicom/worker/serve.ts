/**
 * What a load worker does (`LoadWorkerApi`, served through src/core/rpc.ts): the browser entry is
 * ./load.worker.ts; tests serve the same code in this thread. Off the main thread:
 * - 'warm': sets up the WebAssembly codecs ahead of the first frame (all of them at app
 *   start-up, see warmLoadWorkers; or the one a scanned series needs);
 * - 'scan': reads and checks the headers of a batch of files (./scanbatch.ts); a compressed
 *   image starts its codec's set-up in the background, so that it is ready for the load;
 * - 'load': reads a batch of files once, decodes them and sends back finished slices
 *   (./loadbatch.ts), reusing read buffers and the slice buffers the main thread returns.
 * Several calls run at once (the pool keeps two batches per worker: one read while one decodes).
 */
import { serveRpc, type RpcScope } from '../../../core/rpc';
import { loadCodec, type CodecName } from '../decode/codecs';
import { codecFamily, normaliseUid } from '../decode/syntaxes';
import { loadBatch, type WorkerContext } from './loadbatch';
import type { LoadWorkerApi } from './protocol';
import { scanBatch } from './scanbatch';
import { warmUpJ2k } from './warmup';

/** Read buffers above this size are not kept for reuse. */
const KEEP_READ_BUFFER = 64 * 1024 * 1024;
/** Buffers kept while no task runs (per slice size; read buffers): the rest is left to the GC. */
const IDLE_SLICES = 8;
const IDLE_READS = 1;
const CODEC_OF: Record<string, CodecName | undefined> = {
  'jpeg-2000': 'openjpeg',
  htj2k: 'openjph',
  'jpeg-ls': 'charls',
  'jpeg-baseline': 'libjpeg-turbo',
};

export function serveLoadWorker(scope: RpcScope): void {
  let running = 0;
  const readBuffers: ArrayBuffer[] = [];
  const sliceBuffers = new Map<number, ArrayBuffer[]>();

  /** Run a task; when none is left, keep a few buffers for the next load, not a whole load's worth. */
  const task = async (work: () => Promise<void>): Promise<void> => {
    running++;
    try {
      await work();
    } finally {
      if (--running === 0) {
        for (const list of sliceBuffers.values()) list.length = Math.min(list.length, IDLE_SLICES);
        readBuffers.length = Math.min(readBuffers.length, IDLE_READS);
      }
    }
  };

  serveRpc<LoadWorkerApi>(scope, {
    scan: ({ files }, { emit, signal }) =>
      task(() =>
        scanBatch(
          files,
          signal,
          (i, r) => emit({ i, header: r.header, reason: r.reason }),
          (h) => void warm(h.transferSyntaxUid),
        ),
      ),
    load: (arg, { emit, signal }) => {
      const cx: WorkerContext = {
        emit,
        takeSlice: (bytes) => sliceBuffers.get(bytes)?.pop() ?? new ArrayBuffer(bytes),
        takeRead: () => readBuffers.pop(),
        giveRead(b) {
          // (a read that failed half-way leaves its buffer detached: byteLength 0)
          if (b && b.byteLength > 0 && b.byteLength <= KEEP_READ_BUFFER) readBuffers.push(b);
        },
      };
      return task(() => loadBatch(arg, signal, cx));
    },
    recycle: (buffers) => {
      for (const b of buffers) {
        const list = sliceBuffers.get(b.byteLength) ?? [];
        sliceBuffers.set(b.byteLength, list);
        if (running || list.length < IDLE_SLICES) list.push(b);
      }
    },
    warm: (transferSyntaxUid) => task(() => warmCodecs(transferSyntaxUid)),
  });
}

/** Start instantiating the codec a compressed series will need (while the scan goes on). */
function warm(transferSyntaxUid: string): Promise<unknown> {
  const codec = CODEC_OF[codecFamily(normaliseUid(transferSyntaxUid))];
  return codec ? loadCodec(codec).catch(() => undefined) : Promise.resolve();
}

/**
 * Codecs set up ahead of the first frame: the one of `transferSyntaxUid` (a scan's hint), or all
 * of them and the JPEG 2000 warm-up (app start-up). A codec that cannot start fails again, with
 * its message, on the first frame that needs it.
 */
async function warmCodecs(transferSyntaxUid?: string): Promise<void> {
  if (transferSyntaxUid) return void (await warm(transferSyntaxUid));
  await Promise.allSettled((['openjpeg', 'charls', 'libjpeg-turbo'] as const).map((c) => loadCodec(c)));
  // compiled, and the JPEG 2000 codec's hot code optimised before the first study (./warmup.ts)
  await warmUpJ2k().catch(() => undefined);
}
