/**
 * The nnU-Net conversion worker: result folder or zip -> ONNX + manifest (`importNnunet`), off the
 * page's thread. No onnxruntime here. Files are read lazily: a folder's files are Blobs read one at
 * a time when the importer asks (a checkpoint of several hundred MB is never read twice, and files
 * it does not need are never read); a zip must be read whole (its central directory is at the end),
 * its entries are inflated one at a time.
 *
 * Progress messages are throttled to about 20 a second (every change of stage goes through).
 * Cancel = the page terminates this worker (`convert-client.ts`); a conversion holds no lock or
 * storage, so nothing is left behind. It serves `ConvertApi` through src/core/rpc.ts: in a browser
 * on `self`; tests call `serveConversion` on an in-process scope.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import { serveRpc, withTransfer, type RpcContext, type RpcScope } from '../../core/rpc';
import { webgpuBlockers } from '../model-check';
import { onnxCost } from '../onnx/cost';
import { inspectOnnx } from '../onnx/reader';
import type { ConvertApi, ConvertArg, ConvertOutput, ConvertProgress, ConvertSource } from './convert-protocol';
import { importNnunet } from './import';
import type { SourceFile } from './types';
import { sourceFilesFromZip } from './zip';

/** What the worker calls (injectable for tests). */
export interface ConvertDeps {
  importNnunet: typeof importNnunet;
  sourceFilesFromZip: typeof sourceFilesFromZip;
}

const DEFAULT_DEPS: ConvertDeps = { importNnunet, sourceFilesFromZip };

function blobFile(path: string, blob: Blob): SourceFile {
  return { path, size: blob.size, read: async () => new Uint8Array(await blob.arrayBuffer()) };
}

async function sourceFiles(
  source: ConvertSource,
  deps: ConvertDeps,
  progress: (stage: string, done: number, total: number) => void,
): Promise<SourceFile[]> {
  if (source.kind === 'folder') return source.files.map((f) => blobFile(f.path, f.blob));
  progress(`Reading ${source.name} (${(source.blob.size / 2 ** 20).toFixed(0)} MiB)`, 0, 1);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await source.blob.arrayBuffer());
  } catch (err) {
    throw new VoxsegError('unreadable', `could not read the file (${errorMessage(err)})`, {
      file: source.name,
      cause: err,
    });
  }
  return deps.sourceFilesFromZip(bytes, source.name);
}

function asVoxsegError(err: unknown, source: string): VoxsegError {
  if (err instanceof VoxsegError) return err;
  const msg = errorMessage(err);
  if (err instanceof RangeError || /memory|allocat/i.test(msg))
    return new VoxsegError(
      'out-of-memory',
      `not enough memory to convert the model (${msg}); close other tabs or convert with the command line (voxseg import-model --nnunet)`,
      { file: source },
    );
  return new VoxsegError('invalid-model', msg, { file: source });
}

async function convert(msg: ConvertArg, deps: ConvertDeps, emit: RpcContext<ConvertProgress>['emit']) {
  const { source } = msg;
  let last = 0;
  let lastStage = '';
  const progress = (stage: string, done: number, total: number) => {
    const now = Date.now();
    if (stage === lastStage && now - last < 50 && done < total) return;
    last = now;
    lastStage = stage;
    emit({ stage, done, total });
  };
  const files = await sourceFiles(source, deps, progress);
  const result = await deps.importNnunet(files, source.name, { ...msg.options, onProgress: progress });
  progress('Counting the network', 0, 1);
  const cost = onnxCost(result.onnx, `${source.name} (converted model)`);
  const blockers = webgpuBlockers(inspectOnnx(result.onnx, `${source.name} (converted model)`));
  const { onnx } = result;
  const out: ConvertOutput = {
    onnx,
    manifest: result.manifest,
    license: result.license,
    notes: result.notes,
    cost,
    webgpuBlockers: blockers,
  };
  return withTransfer(out, [onnx.buffer]);
}

/** Serve `ConvertApi` on `scope`; what the importer throws becomes an error naming the source. */
export function serveConversion(scope: RpcScope, deps: ConvertDeps = DEFAULT_DEPS): void {
  serveRpc<ConvertApi>(scope, {
    convert: async (arg, { emit }) => {
      try {
        return await convert(arg, deps, emit);
      } catch (err) {
        throw asVoxsegError(err, arg.source.name);
      }
    },
  });
}

const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
if (typeof scope.WorkerGlobalScope !== 'undefined') serveConversion(self as DedicatedWorkerGlobalScope);
