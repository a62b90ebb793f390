/**
 * The nnU-Net conversion worker's typed API (`convert-worker.ts`, called through src/core/rpc.ts).
 * The input files travel as Blobs (a browser File is a Blob: posting one copies no bytes; the
 * worker reads each file only when the importer asks for it). The ONNX bytes come back transferred.
 */
import type { RpcMethod } from '../../core/rpc';
import type { ModelManifest } from '../manifest';
import type { OnnxCost } from '../onnx/cost';

/** A result folder (its files by path, as picked or dropped) or the zip it is published in. */
export type ConvertSource =
  { kind: 'folder'; name: string; files: { path: string; blob: Blob }[] } | { kind: 'zip'; name: string; blob: Blob };

/** The importer's options that can cross to the worker (see NnunetImportOptions). */
export interface ConvertOptions {
  folds?: (number | 'all')[];
  checkpoint?: 'final' | 'best';
  half?: boolean;
  mirror?: boolean;
  id?: string;
}

export interface ConvertArg {
  source: ConvertSource;
  options: ConvertOptions;
}

export interface ConvertProgress {
  stage: string;
  done: number;
  total: number;
}

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

/** One conversion per worker (the client starts a fresh one each time); it streams progress. */
export interface ConvertApi {
  convert: RpcMethod<ConvertArg, ConvertOutput, ConvertProgress>;
}
