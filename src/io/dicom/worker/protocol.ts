/**
 * The load workers' typed API (./serve.ts, called through src/core/rpc.ts by ./pool.ts and
 * ./client.ts). Files travel as Blobs (cheap to post: no bytes are copied); finished slices come
 * back as transferred ArrayBuffers and are handed back to the worker for reuse (`recycle`).
 */
import type { ErrorCode } from '../../../core/errors';
import type { RpcMethod } from '../../../core/rpc';
import type { SliceJob } from '../filedecode';
import type { DicomHeader } from '../parse';

export type SliceDtype = 'int16' | 'float32';

export interface ScanArg {
  files: { i: number; name: string; blob: Blob }[];
}

/** One file scanned: its header, or why it is rejected. */
export interface Scanned {
  i: number;
  header?: DicomHeader;
  reason?: string;
}

export interface LoadArg {
  files: LoadFile[];
  nx: number;
  ny: number;
  dtype: SliceDtype;
}

export interface LoadFile {
  /** Index of the file in the series (names it in 'fileFailed'). */
  job: number;
  name: string;
  blob: Blob;
  /** Its header as scanned. */
  header: DicomHeader;
  slices: SliceJob[];
}

/** A VoxsegError as it crosses (code, file and reason apart). */
export interface WorkerError {
  code: ErrorCode;
  reason: string;
  file?: string;
}

export type LoadEvent =
  /**
   * Slice k, rescaled. 'float32' while the load asked for 'int16' means the values overflowed
   * int16 (`where` names the file/frame): the main thread converts the volume once. `min`/`max`
   * are the slice's value range, measured here while the slice is still in cache.
   */
  | { type: 'slice'; k: number; buffer: ArrayBuffer; dtype: SliceDtype; where: string; min: number; max: number }
  | { type: 'fileFailed'; job: number; error: WorkerError };

export interface LoadWorkerApi {
  /** Read and check the headers of a batch of files: one event per file. */
  scan: RpcMethod<ScanArg, void, Scanned>;
  /** Read each file once (the batch through one stream), decode its slices; a file that fails is reported by itself. */
  load: RpcMethod<LoadArg, void, LoadEvent>;
  /** Slice buffers the main thread has copied out, for the worker to reuse (sent without reply). */
  recycle: RpcMethod<ArrayBuffer[], void>;
  /** Set up the codec of this transfer syntax (every codec when undefined) now. */
  warm: RpcMethod<string | undefined, void>;
}
