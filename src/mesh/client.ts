/**
 * Page side of the mesh worker. `mesh()` sends a copy of the label map (the caller keeps its own)
 * and reports each label's surface as it arrives; `update()` sends only an edited box and gets back
 * the surfaces of the labels that changed. One job at a time; a new `mesh()` or `dispose()`
 * terminates a running one.
 */
import { VoxsegError, type ErrorCode } from '../core/errors';
import type { Mat3, Progress, Vec3, Volume } from '../core/types';
import type { FromMeshWorker, ToMeshWorker } from './protocol';
import type { LabelMesh, MeshOptions } from './types';

export interface MeshWorkerLike {
  postMessage(message: ToMeshWorker, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: { data: FromMeshWorker }) => void) | null;
  onerror: ((ev: { message?: string }) => void) | null;
}

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
  private worker: MeshWorkerLike | null = null;
  private nextJob = 1;
  private active: { job: number; reject: (err: unknown) => void } | null = null;
  /** Whether the worker holds the label map that `update` edits. */
  private holds: Volume | null = null;

  constructor(private readonly createWorker: () => MeshWorkerLike) {}

  /** Mesh all labels of `labels` (or `opts.labels`). A running job is stopped first. */
  mesh(labels: Volume, opts: MeshOptions = {}, job: MeshJob = {}): Promise<MeshResult> {
    this.stop();
    const { dims, spacing, origin, direction } = labels.header;
    const voxels = labels.voxels.slice();
    this.holds = labels;
    return this.run(
      { type: 'mesh', job: 0, grid: { dims: [...dims] as Vec3, spacing: [...spacing] as Vec3, origin: [...origin] as Vec3, direction: [...direction] as Mat3, dtype: labels.header.dtype }, voxels, opts },
      [voxels.buffer as ArrayBuffer],
      job,
    );
  }

  /**
   * `labels` (the map given to `mesh`) was edited inside index box [lo, hi): re-mesh the labels
   * that changed there. Resolves with their surfaces (an emptied label: a mesh with no triangles).
   */
  update(labels: Volume, lo: Vec3, hi: Vec3, job: MeshJob = {}): Promise<MeshResult> {
    if (this.holds !== labels) return Promise.reject(new VoxsegError('usage', 'update() needs the label map last given to mesh()'));
    if (this.active) return Promise.reject(new VoxsegError('usage', 'meshing is still running'));
    const [nx, ny, nz] = labels.header.dims;
    const a = lo.map((v) => Math.max(0, Math.floor(v))) as Vec3;
    const b = hi.map((v, i) => Math.min([nx, ny, nz][i], Math.ceil(v))) as Vec3;
    if (b.some((v, i) => v <= a[i])) return Promise.resolve({ meshes: [], ms: 0 });
    const w = b[0] - a[0], h = b[1] - a[1];
    const box = new (labels.voxels.constructor as new (n: number) => Volume['voxels'])(w * h * (b[2] - a[2]));
    for (let z = a[2]; z < b[2]; z++) {
      for (let y = a[1]; y < b[1]; y++) {
        const src = a[0] + y * nx + z * nx * ny;
        box.set(labels.voxels.subarray(src, src + w), (y - a[1]) * w + (z - a[2]) * w * h);
      }
    }
    return this.run({ type: 'update', job: 0, lo: a, hi: b, voxels: box }, [box.buffer as ArrayBuffer], job);
  }

  /** Stop any running job and free the worker. */
  dispose(): void {
    this.stop();
    this.holds = null;
  }

  private stop(): void {
    if (this.active) {
      this.active.reject(new VoxsegError('cancelled', 'meshing cancelled'));
      this.active = null;
      this.worker?.terminate();
      this.worker = null;
      this.holds = null;
    }
  }

  private run(msg: ToMeshWorker, transfer: Transferable[], cb: MeshJob): Promise<MeshResult> {
    const worker = (this.worker ??= this.createWorker());
    const job = this.nextJob++;
    msg.job = job;
    const meshes: LabelMesh[] = [];
    return new Promise<MeshResult>((resolve, reject) => {
      this.active = { job, reject };
      const finish = () => {
        this.active = null;
      };
      worker.onmessage = ({ data }) => {
        if (data.job !== job) return;
        if (data.type === 'progress') cb.onProgress?.({ done: data.done, total: data.total, stage: data.stage });
        else if (data.type === 'mesh') {
          meshes.push(data.mesh);
          cb.onMesh?.(data.mesh);
        } else if (data.type === 'done') {
          finish();
          resolve({ meshes, ms: data.ms });
        } else {
          finish();
          this.holds = null;
          reject(new VoxsegError((data.code as ErrorCode | undefined) ?? 'mesh-failed', data.message));
        }
      };
      worker.onerror = (ev) => {
        finish();
        this.worker?.terminate();
        this.worker = null;
        this.holds = null;
        reject(new VoxsegError('mesh-failed', `the mesh worker failed: ${ev.message ?? 'unknown error'}`));
      };
      worker.postMessage(msg, transfer);
    });
  }
}
