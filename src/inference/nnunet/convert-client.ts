/**
 * Page side of the nnU-Net conversion worker (its `ConvertApi` through src/core/rpc.ts): one
 * conversion at a time, progress, and a cancel that stops it at once (the worker is terminated; a
 * conversion spends most of its time in synchronous unpickling and graph building that no message
 * could interrupt). Each conversion gets a fresh worker, terminated when it ends, so the hundreds
 * of MB it held are freed at once.
 * Works with a browser Worker or any object of the same shape (tests use an in-process one).
 */
import { VoxsegError } from '../../core/errors';
import { RpcClient, type RpcWorker } from '../../core/rpc';
import type { ConvertApi, ConvertOptions, ConvertOutput, ConvertProgress, ConvertSource } from './convert-protocol';

export type { ConvertProgress };

export interface ConvertRequest {
  options?: ConvertOptions;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
}

export class NnunetConverter {
  private readonly rpc: RpcClient<ConvertApi>;

  constructor(createWorker: () => RpcWorker) {
    this.rpc = new RpcClient(createWorker, {
      name: 'conversion worker',
      failure: 'out-of-memory',
      crashHint: 'too little memory?',
    });
  }

  /** Convert `source`; resolves with the ONNX bytes, manifest, license text, notes and cost. */
  async convert(source: ConvertSource, req: ConvertRequest = {}): Promise<ConvertOutput> {
    if (this.busy) throw new VoxsegError('usage', 'a model conversion is already running; cancel it first');
    try {
      return await this.rpc.call(
        'convert',
        { source, options: req.options ?? {} },
        { onEvent: req.onProgress, signal: req.signal },
      );
    } catch (err) {
      // a crash is about the model being converted: name it
      throw err instanceof VoxsegError && err.code === 'out-of-memory' && !err.file
        ? new VoxsegError(err.code, err.reason, { file: source.name, cause: err })
        : err;
    } finally {
      this.rpc.terminate();
    }
  }

  /** Stop the running conversion at once (terminates the worker; it rejects with 'cancelled'). */
  cancel(): void {
    this.rpc.terminate();
  }

  get busy(): boolean {
    return this.rpc.pending > 0;
  }

  dispose(): void {
    this.rpc.terminate();
  }
}

/**
 * The conversion input for picked or dropped files (`path`: the path inside the picked folder,
 * e.g. webkitRelativePath): files holding a plans.json are a result folder, named after their
 * common top folder; otherwise one .zip among them is the published zip (other files ignored).
 */
export function convertSourceOf(files: readonly { path: string; blob: Blob }[]): ConvertSource {
  const zips = files.filter((f) => /\.zip$/i.test(f.path));
  if (zips.length > 0 && !files.some((f) => /(^|\/)plans\.json$/.test(f.path))) {
    if (zips.length > 1)
      throw new VoxsegError(
        'usage',
        `one model at a time, please: got ${zips.map((z) => baseName(z.path)).join(', ')}`,
      );
    return { kind: 'zip', name: baseName(zips[0].path), blob: zips[0].blob };
  }
  const tops = new Set(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : '')));
  const name = tops.size === 1 && !tops.has('') ? [...tops][0] : 'picked files';
  return { kind: 'folder', name, files: files.map((f) => ({ path: f.path, blob: f.blob })) };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
