/**
 * Browser load worker (module worker bundled by Vite, started by ./pool.ts). Off the main thread:
 * - 'warm': sets up the WebAssembly codecs ahead of the first frame (all of them at app
 *   start-up, see warmLoadWorkers; or the one a scanned series needs);
 * - 'scan': reads and checks the headers of a batch of files (./scanbatch.ts); a compressed
 *   image starts its codec's set-up in the background, so that it is ready for the load;
 * - 'load': reads a batch of files once, decodes them and sends back finished slices
 *   (./loadbatch.ts), reusing read buffers and the slice buffers the main thread returns.
 */
import { errorMessage } from '../../../core/errors';
import { loadCodec, type CodecName } from '../decode/codecs';
import { codecFamily, normaliseUid } from '../decode/syntaxes';
import { registerBrowserCodecUrls } from '../decode/wasm-urls.browser';
import { loadBatch, type WorkerContext } from './loadbatch';
import type { FromWorker, ToWorker } from './protocol';
import { scanBatch } from './scanbatch';
import { warmUpJ2k } from './warmup';

registerBrowserCodecUrls();

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };

/** Read buffers above this size are not kept for reuse. */
const KEEP_READ_BUFFER = 64 * 1024 * 1024;
/** Buffers kept while no task runs (per slice size; read buffers): the rest is left to the GC. */
const IDLE_SLICES = 8;
const IDLE_READS = 1;
const CODEC_OF: Record<string, CodecName | undefined> = { 'jpeg-2000': 'openjpeg', 'jpeg-ls': 'charls', 'jpeg-baseline': 'libjpeg-turbo' };

const tasks = new Map<number, AbortController>();
const readBuffers: ArrayBuffer[] = [];
const sliceBuffers = new Map<number, ArrayBuffer[]>();

const cx: WorkerContext = {
  post: (m, transfer = []) => scope.postMessage(m, transfer),
  takeSlice: (bytes) => sliceBuffers.get(bytes)?.pop() ?? new ArrayBuffer(bytes),
  takeRead: () => readBuffers.pop(),
  giveRead(b) {
    // (a read that failed half-way leaves its buffer detached: byteLength 0)
    if (b && b.byteLength > 0 && b.byteLength <= KEEP_READ_BUFFER) readBuffers.push(b);
  },
};

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'recycle') {
    for (const b of m.buffers) {
      const list = sliceBuffers.get(b.byteLength) ?? [];
      sliceBuffers.set(b.byteLength, list);
      if (tasks.size || list.length < IDLE_SLICES) list.push(b);
    }
  } else if (m.type === 'cancel') tasks.get(m.id)?.abort();
  else if (m.type === 'warm') void run(m.id, () => warmCodecs(m.transferSyntaxUid));
  else void run(m.id, (signal) => (m.type === 'scan' ? scan(m, signal) : loadBatch(m, signal, cx)));
};
cx.post({ type: 'ready' });

async function run(id: number, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ctl = new AbortController();
  tasks.set(id, ctl);
  try {
    await work(ctl.signal);
    if (!ctl.signal.aborted) cx.post({ type: 'done', id });
  } catch (e) {
    if (!ctl.signal.aborted) cx.post({ type: 'failed', id, error: { code: 'decode-failed', message: errorMessage(e) } });
  } finally {
    tasks.delete(id);
    if (!tasks.size) {
      // idle: keep a few buffers for the next load, not a whole load's worth
      for (const list of sliceBuffers.values()) list.length = Math.min(list.length, IDLE_SLICES);
      readBuffers.length = Math.min(readBuffers.length, IDLE_READS);
    }
  }
}

async function scan(m: Extract<ToWorker, { type: 'scan' }>, signal: AbortSignal): Promise<void> {
  await scanBatch(
    m.files,
    signal,
    (i, r) => cx.post({ type: 'scanned', id: m.id, i, header: r.header, reason: r.reason }),
    (h) => void warm(h.transferSyntaxUid),
  );
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
