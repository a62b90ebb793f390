/** Messages between the page and a load worker (src/dicom/worker/load.worker.ts). */
import type { ErrorCode } from '../../core/errors';
import type { SliceJob } from '../loadfile';
import type { DicomHeader } from '../parse';

export interface DecodeFileRequest {
  id: number;
  file: Blob;
  name: string;
  header: DicomHeader;
  jobs: SliceJob[];
  dtype: 'int16' | 'float32';
  nx: number;
  ny: number;
}

export type DecodeFileReply =
  | {
      id: number;
      ok: true;
      /** This file's slices, job order, nx*ny each; transferred. */
      voxels: Int16Array | Float32Array;
      /** Set when int16 overflowed and the slices came back as float32. */
      convertedAt?: string;
    }
  | { id: number; ok: false; code: ErrorCode; message: string; file?: string };
