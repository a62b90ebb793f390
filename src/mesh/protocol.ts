/**
 * The mesh worker's typed API (calls through core/rpc.ts). Mesh buffers come back as
 * transferables, one label per event. Label voxels: on a cross-origin isolated page they live on
 * a SharedArrayBuffer (volume/buffers.ts) and the worker reads the page's live labels, so an edit
 * sends only its box; otherwise `mesh` transfers a copy the worker keeps and `update` carries the
 * edited box's voxels.
 */
import type { RpcMethod } from '../core/rpc';
import type { DType, Grid, Vec3, VoxelArray } from '../core/types';
import type { LabelMesh, MeshOptions } from './types';

/** The label map's grid (core's one `Grid`) and its voxel type. */
export type LabelGrid = Grid & { dtype: DType };

/** What a call streams before its result: progress, and each label's surface when it is done. */
export type MeshEvent =
  { type: 'progress'; done: number; total: number; stage: string } | { type: 'mesh'; mesh: LabelMesh };

export interface MeshDone {
  /** Labels meshed (an emptied label came back with an empty mesh). */
  labels: number[];
  /** Worker time, ms. */
  ms: number;
}

export interface MeshApi {
  /** Mesh a whole label map, which the worker then holds (shared voxels: the page's own). */
  mesh: RpcMethod<{ grid: LabelGrid; voxels: VoxelArray; opts: MeshOptions }, MeshDone, MeshEvent>;
  /**
   * Index box [lo, hi) of the held map changed: re-mesh the labels that changed there. `voxels`:
   * the box's new voxels (x fastest), only when the map is not shared; `values`: the label values
   * the edit wrote or overwrote, when known (shared maps; saves finding them).
   */
  update: RpcMethod<{ lo: Vec3; hi: Vec3; voxels?: VoxelArray; values?: number[] }, MeshDone, MeshEvent>;
}
