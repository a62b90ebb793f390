/**
 * Messages between the main thread (./pool.ts, ./client.ts) and the load workers
 * (./load.worker.ts). Files travel as Blobs (cheap to post: no bytes are copied); finished
 * slices come back as transferred ArrayBuffers and are handed back to the worker for reuse.
 */
import type { ErrorCode } from '../../../core/errors';
import type { SliceJob } from '../filedecode';
import type { DicomHeader } from '../parse';

export type SliceDtype = 'int16' | 'float32';

export type ToWorker =
  /** Scan files[i] (header read + checks); one 'scanned' per file, then 'done'. */
  | { type: 'scan'; id: number; files: { i: number; name: string; blob: Blob }[] }
  /**
   * Read each file once (the batch through one stream), decode its slices: one 'slice' per slice,
   * 'fileFailed' per file that fails, then 'done'.
   */
  | { type: 'load'; id: number; files: LoadFile[]; nx: number; ny: number; dtype: SliceDtype }
  /** Slice buffers the main thread has copied out, for the worker to reuse. */
  | { type: 'recycle'; buffers: ArrayBuffer[] }
  | { type: 'cancel'; id: number }
  /** Set up the codec of this transfer syntax (every codec when omitted) now; then 'done'. */
  | { type: 'warm'; id: number; transferSyntaxUid?: string };

export interface LoadFile {
  /** Index of the file in the series (names it in 'fileFailed'). */
  job: number;
  name: string;
  blob: Blob;
  /** Its header as scanned. */
  header: DicomHeader;
  slices: SliceJob[];
}

export interface WorkerError {
  code: ErrorCode;
  message: string;
  file?: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'scanned'; id: number; i: number; header?: DicomHeader; reason?: string }
  /**
   * Slice k, rescaled. 'float32' while the load asked for 'int16' means the values overflowed
   * int16 (`where` names the file/frame): the main thread converts the volume once. `min`/`max`
   * are the slice's value range, measured here while the slice is still in cache.
   */
  | { type: 'slice'; id: number; k: number; buffer: ArrayBuffer; dtype: SliceDtype; where: string; min: number; max: number }
  | { type: 'fileFailed'; id: number; job: number; error: WorkerError }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: WorkerError };
