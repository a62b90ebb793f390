/**
 * Messages between the page and the mesh worker. Voxel and mesh buffers travel as transferables.
 * The worker keeps its own copy of the label map, so an edit only sends the edited box.
 */
import type { DType, Mat3, Vec3, VoxelArray } from '../core/types';
import type { LabelMesh, MeshOptions } from './types';

export interface LabelGrid {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  dtype: DType;
}

export type ToMeshWorker =
  /** Mesh a whole label map (replacing the one the worker holds). */
  | { type: 'mesh'; job: number; grid: LabelGrid; voxels: VoxelArray; opts: MeshOptions }
  /** The voxels of index box [lo, hi) are now `voxels` (x fastest): re-mesh the labels that changed. */
  | { type: 'update'; job: number; lo: Vec3; hi: Vec3; voxels: VoxelArray };

export type FromMeshWorker =
  | { type: 'progress'; job: number; done: number; total: number; stage: string }
  /** One label's mesh, sent as soon as it is ready. */
  | { type: 'mesh'; job: number; mesh: LabelMesh }
  | { type: 'done'; job: number; labels: number[]; ms: number }
  | { type: 'failed'; job: number; message: string; code?: string };
