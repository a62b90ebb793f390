/** The demo worker's typed API (`demo.worker.ts`, called through src/core/rpc.ts by `client.ts`). */
import type { RpcMethod } from '../../core/rpc';
import type { Progress, Vec3, VolumeHeader } from '../../core/types';
import { DEMO_CASE } from '../../phantom/cases';
import type { LabelEntry } from '../../phantom/labels';

export interface DemoOptions {
  seed: number;
  dims: Vec3;
  spacing: Vec3;
}

/**
 * A modest phantom (6.5M voxels) that generates and renders quickly on a laptop; same physical
 * extent as the phantom's default 384x384x120 at 0.9x0.9x2.5 mm. Seed 1 of the phantom's demo case;
 * the bundled abdomen model never trained on it.
 */
export const DEMO_OPTIONS: DemoOptions = { seed: 1, dims: [...DEMO_CASE.dims], spacing: [...DEMO_CASE.spacing] };

/** The phantom's true label map (on the CT's grid), its label table and voxels per label value. */
export interface DemoTruthMessage {
  header: VolumeHeader;
  voxels: Uint8Array;
  table: LabelEntry[];
  voxelsPerLabel: Record<number, number>;
}

/** The DICOM files (their buffers transferred) and the true labels. */
export interface DemoFiles {
  files: { name: string; bytes: Uint8Array }[];
  truth: DemoTruthMessage;
}

export interface DemoApi {
  /** Generate the phantom as DICOM files, streaming progress. */
  generate: RpcMethod<DemoOptions, DemoFiles, Progress>;
}
