/**
 * Page side of the nnU-Net conversion worker: one conversion at a time, progress, and a cancel that
 * stops it at once (the worker is terminated; a conversion spends most of its time in synchronous
 * unpickling and graph building that no message could interrupt). Each conversion gets a fresh
 * worker, terminated when it ends, so the hundreds of MB it held are freed at once.
 * Works with a browser Worker or any object of the same shape (tests use an in-process one).
 */
import { VoxsegError } from '../../core/errors';
import type { ConvertOptions, ConvertOutput, ConvertSource, FromConvertWorker, ToConvertWorker } from './convert-protocol';

export interface ConvertWorkerLike {
  postMessage(message: ToConvertWorker, transfer?: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: { data: FromConvertWorker }) => void) | null;
  onerror: ((ev: { message?: string }) => void) | null;
}

export interface ConvertProgress {
  stage: string;
  done: number;
  total: number;
}

export interface ConvertRequest {
  options?: ConvertOptions;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
}

export class NnunetConverter {
  private worker: ConvertWorkerLike | null = null;
  private nextJob = 1;
  private active: { reject: (err: unknown) => void } | null = null;

  constructor(private readonly createWorker: () => ConvertWorkerLike) {}

  /** Convert `source`; resolves with the ONNX bytes, manifest, license text, notes and cost. */
  convert(source: ConvertSource, req: ConvertRequest = {}): Promise<ConvertOutput> {
    if (this.active) return Promise.reject(new VoxsegError('usage', 'a model conversion is already running; cancel it first'));
    if (req.signal?.aborted) return Promise.reject(new VoxsegError('cancelled', 'model import cancelled'));
    const worker = (this.worker = this.createWorker());
    const jobId = this.nextJob++;
    return new Promise<ConvertOutput>((resolve, reject) => {
      const onAbort = () => this.cancel();
      const finish = () => {
        this.active = null;
        req.signal?.removeEventListener('abort', onAbort);
        this.discardWorker();
      };
      this.active = {
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      worker.onerror = (ev) => {
        this.active?.reject(new VoxsegError('out-of-memory', `the conversion worker crashed: ${ev.message ?? 'unknown error'} (too little memory?)`, { file: source.name }));
      };
      worker.onmessage = ({ data: msg }) => {
        if (msg.jobId !== jobId) return;
        if (msg.type === 'progress') req.onProgress?.({ stage: msg.stage, done: msg.done, total: msg.total });
        else if (msg.type === 'result') {
          finish();
          resolve({ onnx: msg.onnx, manifest: msg.manifest, license: msg.license, notes: msg.notes, cost: msg.cost, webgpuBlockers: msg.webgpuBlockers });
        } else {
          finish();
          reject(new VoxsegError(msg.code, msg.message, { file: msg.file }));
        }
      };
      worker.postMessage({ type: 'convert', jobId, source, options: req.options ?? {} });
    });
  }

  /** Stop the running conversion at once (terminates the worker). */
  cancel(): void {
    this.active?.reject(new VoxsegError('cancelled', 'model import cancelled'));
  }

  get busy(): boolean {
    return this.active !== null;
  }

  dispose(): void {
    this.cancel();
    this.discardWorker();
  }

  private discardWorker(): void {
    this.worker?.terminate();
    this.worker = null;
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
    if (zips.length > 1) throw new VoxsegError('usage', `one model at a time, please: got ${zips.map((z) => baseName(z.path)).join(', ')}`);
    return { kind: 'zip', name: baseName(zips[0].path), blob: zips[0].blob };
  }
  const tops = new Set(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.indexOf('/')) : '')));
  const name = tops.size === 1 && !tops.has('') ? [...tops][0] : 'picked files';
  return { kind: 'folder', name, files: files.map((f) => ({ path: f.path, blob: f.blob })) };
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
