/** Messages between the page and a load worker (src/dicom/worker/load.worker.ts). */
import type { ErrorCode } from '../../core/errors';
import type { SliceJob } from '../loadfile';
import type { DicomHeader } from '../parse';

/** Start the codecs now (compile their wasm) so the first compressed study pays nothing. */
export interface WarmRequest {
  id: number;
  type: 'warm';
}

/** Read one file's header and say whether it can become (part of) a volume. */
export interface ScanFileRequest {
  id: number;
  type: 'scan';
  file: Blob;
  name: string;
}

export type LoadWorkerRequest = DecodeFileRequest | WarmRequest | ScanFileRequest;

export interface DecodeFileRequest {
  id: number;
  type: 'decode';
  file: Blob;
  name: string;
  header: DicomHeader;
  jobs: SliceJob[];
  dtype: 'int16' | 'float32';
  nx: number;
  ny: number;
}

export type DecodeFileReply =
  | { id: number; ok: true; warm: true }
  | { id: number; ok: true; scan: { header: DicomHeader } | { reason: string } }
  | {
      id: number;
      ok: true;
      /** This file's slices, job order, nx*ny each; transferred. */
      voxels: Int16Array | Float32Array;
      /** Set when int16 overflowed and the slices came back as float32. */
      convertedAt?: string;
    }
  | { id: number; ok: false; code: ErrorCode; message: string; file?: string };
