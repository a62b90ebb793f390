/**
 * Page side of the mesh worker (calls through core/rpc.ts). `mesh()` hands the worker the label
 * map and reports each label's surface as it arrives; `update()` tells it an edited box and gets
 * back the surfaces of the labels that changed. One job at a time: a new `mesh()` or `dispose()`
 * stops a running one (the worker is terminated and the next call starts a fresh one).
 *
 * Shared labels (a SharedArrayBuffer, see volume/buffers.ts) cross without a copy: the worker
 * reads the caller's live voxels, and `update` sends only the box (and the changed values when
 * the caller gives them). Plain labels are copied once for the worker (the caller keeps its own)
 * and `update` sends the box's voxels.
 */
import { VoxsegError } from '../core/errors';
import { RpcClient, transferList, type RpcWorker } from '../core/rpc';
import type { Progress, Vec3, Volume } from '../core/types';
import { isShared } from '../volume/buffers';
import type { MeshApi, MeshEvent } from './protocol';
import type { LabelMesh, MeshOptions } from './types';

/** What the client needs of a worker (a browser `Worker` fits). */
export type MeshWorkerLike = RpcWorker;

export interface MeshJob {
  onProgress?: (p: Progress) => void;
  /** Each label's surface, as soon as the worker has it. */
  onMesh?: (mesh: LabelMesh) => void;
}

export interface MeshResult {
  meshes: LabelMesh[];
  /** Worker time, ms. */
  ms: number;
}

export class MeshClient {
  private readonly rpc: RpcClient<MeshApi>;
  private active: AbortController | null = null;
  /** The label map the worker holds (what `update` edits), and whether it is shared. */
  private holds: Volume | null = null;
  private shared = false;

  constructor(createWorker: () => MeshWorkerLike) {
    this.rpc = new RpcClient<MeshApi>(createWorker, {
      name: 'mesh worker',
      failure: 'mesh-failed',
      onCrash: () => (this.holds = null),
    });
  }

  /** Mesh all labels of `labels` (or `opts.labels`). A running job is stopped first. */
  mesh(labels: Volume, opts: MeshOptions = {}, job: MeshJob = {}): Promise<MeshResult> {
    this.stop();
    const { dims, spacing, origin, direction, dtype } = labels.header;
    const shared = isShared(labels.voxels);
    const voxels = shared ? labels.voxels : labels.voxels.slice();
    this.holds = labels;
    this.shared = shared;
    const grid = { dims, spacing, origin, direction, dtype };
    return this.run('mesh', { grid, voxels, opts }, transferList([voxels.buffer]), job);
  }

  /**
   * `labels` (the map given to `mesh`) was edited inside index box [lo, hi): re-mesh the labels
   * that changed there. Resolves with their surfaces (an emptied label: a mesh with no triangles).
   * `values`: the label values the edit wrote or overwrote (from its diff), when known; with
   * shared labels they spare the worker from re-meshing every label whose box reaches the edit.
   */
  update(labels: Volume, lo: Vec3, hi: Vec3, job: MeshJob = {}, values?: Iterable<number>): Promise<MeshResult> {
    if (this.holds !== labels)
      return Promise.reject(new VoxsegError('usage', 'update() needs the label map last given to mesh()'));
    if (this.active) return Promise.reject(new VoxsegError('usage', 'meshing is still running'));
    const [nx, ny, nz] = labels.header.dims;
    const a = lo.map((v) => Math.max(0, Math.floor(v))) as Vec3;
    const b = hi.map((v, i) => Math.min([nx, ny, nz][i], Math.ceil(v))) as Vec3;
    if (b.some((v, i) => v <= a[i])) return Promise.resolve({ meshes: [], ms: 0 });
    if (this.shared)
      return this.run('update', { lo: a, hi: b, values: values ? [...new Set(values)] : undefined }, [], job);
    const w = b[0] - a[0],
      h = b[1] - a[1];
    const box = new (labels.voxels.constructor as new (n: number) => Volume['voxels'])(w * h * (b[2] - a[2]));
    for (let z = a[2]; z < b[2]; z++)
      for (let y = a[1]; y < b[1]; y++) {
        const src = a[0] + y * nx + z * nx * ny;
        box.set(labels.voxels.subarray(src, src + w), (y - a[1]) * w + (z - a[2]) * w * h);
      }
    return this.run('update', { lo: a, hi: b, voxels: box }, [box.buffer as ArrayBuffer], job);
  }

  /** Stop any running job and free the worker. */
  dispose(): void {
    this.stop();
    this.rpc.terminate();
    this.holds = null;
  }

  private stop(): void {
    if (!this.active) return;
    this.active.abort();
    this.active = null;
    this.holds = null;
  }

  private async run<K extends 'mesh' | 'update'>(
    method: K,
    arg: MeshApi[K]['arg'],
    transfer: Transferable[],
    cb: MeshJob,
  ): Promise<MeshResult> {
    const ctl = new AbortController();
    this.active = ctl;
    const meshes: LabelMesh[] = [];
    const onEvent = (e: MeshEvent) => {
      if (e.type === 'progress') cb.onProgress?.({ done: e.done, total: e.total, stage: e.stage });
      else {
        meshes.push(e.mesh);
        cb.onMesh?.(e.mesh);
      }
    };
    try {
      const done = await this.rpc.call(method, arg, { transfer, onEvent, signal: ctl.signal });
      return { meshes, ms: done.ms };
    } catch (err) {
      // The worker no longer holds a usable map after a failure.
      if (this.active === ctl) this.holds = null;
      throw err;
    } finally {
      if (this.active === ctl) this.active = null;
    }
  }
}
