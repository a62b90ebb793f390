/**
 * The nnU-Net conversion worker: result folder or zip -> ONNX + manifest (`importNnunet`), off the
 * page's thread. No onnxruntime here. Files are read lazily: a folder's files are Blobs read one at
 * a time when the importer asks (a checkpoint of several hundred MB is never read twice, and files
 * it does not need are never read); a zip must be read whole (its central directory is at the end),
 * its entries are inflated one at a time.
 *
 * Progress messages are throttled to about 20 a second (every change of stage goes through).
 * Cancel = the page terminates this worker (`convert-client.ts`); a conversion holds no lock or
 * storage, so nothing is left behind. In a browser it serves `self`; tests call `serveConversion`.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import { webgpuBlockers } from '../model-check';
import { onnxCost } from '../onnx/cost';
import { inspectOnnx } from '../onnx/reader';
import type { ConvertSource, FromConvertWorker, ToConvertWorker } from './convert-protocol';
import { importNnunet } from './import';
import type { SourceFile } from './types';
import { sourceFilesFromZip } from './zip';

export interface ConvertPort {
  post(message: FromConvertWorker, transfer?: Transferable[]): void;
  listen(handler: (message: ToConvertWorker) => void): void;
}

/** What the worker calls (injectable for tests). */
export interface ConvertDeps {
  importNnunet: typeof importNnunet;
  sourceFilesFromZip: typeof sourceFilesFromZip;
}

const DEFAULT_DEPS: ConvertDeps = { importNnunet, sourceFilesFromZip };

function blobFile(path: string, blob: Blob): SourceFile {
  return { path, size: blob.size, read: async () => new Uint8Array(await blob.arrayBuffer()) };
}

async function sourceFiles(source: ConvertSource, deps: ConvertDeps, progress: (stage: string, done: number, total: number) => void): Promise<SourceFile[]> {
  if (source.kind === 'folder') return source.files.map((f) => blobFile(f.path, f.blob));
  progress(`Reading ${source.name} (${(source.blob.size / 2 ** 20).toFixed(0)} MiB)`, 0, 1);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await source.blob.arrayBuffer());
  } catch (err) {
    throw new VoxsegError('unreadable', `could not read the file (${errorMessage(err)})`, { file: source.name, cause: err });
  }
  return deps.sourceFilesFromZip(bytes, source.name);
}

function asVoxsegError(err: unknown, source: string): VoxsegError {
  if (err instanceof VoxsegError) return err;
  const msg = errorMessage(err);
  if (err instanceof RangeError || /memory|allocat/i.test(msg))
    return new VoxsegError('out-of-memory', `not enough memory to convert the model (${msg}); close other tabs or convert with the command line (voxseg import-model --nnunet)`, { file: source });
  return new VoxsegError('invalid-model', msg, { file: source });
}

async function convert(port: ConvertPort, msg: ToConvertWorker, deps: ConvertDeps): Promise<void> {
  const { jobId, source } = msg;
  let last = 0;
  let lastStage = '';
  const progress = (stage: string, done: number, total: number) => {
    const now = Date.now();
    if (stage === lastStage && now - last < 50 && done < total) return;
    last = now;
    lastStage = stage;
    port.post({ type: 'progress', jobId, stage, done, total });
  };
  const files = await sourceFiles(source, deps, progress);
  const result = await deps.importNnunet(files, source.name, { ...msg.options, onProgress: progress });
  progress('Counting the network', 0, 1);
  const cost = onnxCost(result.onnx, `${source.name} (converted model)`);
  const blockers = webgpuBlockers(inspectOnnx(result.onnx, `${source.name} (converted model)`));
  const { onnx } = result;
  port.post({ type: 'result', jobId, onnx, manifest: result.manifest, license: result.license, notes: result.notes, cost, webgpuBlockers: blockers }, [onnx.buffer as ArrayBuffer]);
}

export function serveConversion(port: ConvertPort, deps: ConvertDeps = DEFAULT_DEPS): void {
  let busy = false;
  port.listen((msg) => {
    if (msg.type !== 'convert') return;
    if (busy) {
      port.post({ type: 'failure', jobId: msg.jobId, code: 'usage', message: 'a conversion is already running' });
      return;
    }
    busy = true;
    convert(port, msg, deps)
      .catch((err) => {
        const e = asVoxsegError(err, msg.source.name);
        // The client rebuilds the error with the file name, so send the message without it.
        const message = e.file && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
        port.post({ type: 'failure', jobId: msg.jobId, code: e.code, message, file: e.file });
      })
      .finally(() => {
        busy = false;
      });
  });
}

const scope = globalThis as unknown as { WorkerGlobalScope?: unknown; postMessage(m: unknown, t: Transferable[]): void; onmessage: unknown };
if (typeof scope.WorkerGlobalScope !== 'undefined') {
  serveConversion({
    post: (m, t = []) => scope.postMessage(m, t),
    listen: (h) => {
      scope.onmessage = (ev: MessageEvent<ToConvertWorker>) => h(ev.data);
    },
  });
}
