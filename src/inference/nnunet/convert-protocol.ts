/**
 * Typed messages between the page and the nnU-Net conversion worker (`convert-worker.ts`).
 * The input files travel as Blobs (a browser File is a Blob: posting one copies no bytes; the
 * worker reads each file only when the importer asks for it). The ONNX bytes come back transferred.
 */
import type { ErrorCode } from '../../core/errors';
import type { ModelManifest } from '../manifest';
import type { OnnxCost } from '../onnx/cost';

/** A result folder (its files by path, as picked or dropped) or the zip it is published in. */
export type ConvertSource =
  | { kind: 'folder'; name: string; files: { path: string; blob: Blob }[] }
  | { kind: 'zip'; name: string; blob: Blob };

/** The importer's options that can cross to the worker (see NnunetImportOptions). */
export interface ConvertOptions {
  folds?: (number | 'all')[];
  checkpoint?: 'final' | 'best';
  half?: boolean;
  mirror?: boolean;
  id?: string;
}

export type ToConvertWorker = { type: 'convert'; jobId: number; source: ConvertSource; options: ConvertOptions };

export interface ConvertOutput {
  onnx: Uint8Array;
  manifest: ModelManifest;
  license?: string;
  notes: string[];
  /** Parameters and MACs of the converted network (for the card's estimate). */
  cost: OnnxCost;
  /** Operators that keep it off WebGPU (empty: WebGPU can run it). */
  webgpuBlockers: string[];
}

export type FromConvertWorker =
  | { type: 'progress'; jobId: number; stage: string; done: number; total: number }
  | ({ type: 'result'; jobId: number } & ConvertOutput)
  | { type: 'failure'; jobId: number; code: ErrorCode; message: string; file?: string };
