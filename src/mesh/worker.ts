/// <reference lib="webworker" />
/**
 * The mesh worker: meshes label maps off the page thread and keeps them up to date after edits.
 * Each finished label is posted at once (its buffers transferred), so surfaces appear one by one.
 */
import { VoxsegError } from '../core/errors';
import type { Volume } from '../core/types';
import { IncrementalMesher } from './incremental';
import { labelExtents, meshExtents } from './mesher';
import type { FromMeshWorker, ToMeshWorker } from './protocol';
import type { LabelMesh } from './types';

let mesher: IncrementalMesher | null = null;

const post = (msg: FromMeshWorker, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(msg, transfer);

function send(job: number, mesh: LabelMesh): void {
  post({ type: 'mesh', job, mesh }, [mesh.positions.buffer, mesh.normals.buffer, mesh.indices.buffer] as ArrayBuffer[]);
}

function handle(msg: ToMeshWorker): void {
  const start = performance.now();
  if (msg.type === 'mesh') {
    const { dims, spacing, origin, direction, dtype } = msg.grid;
    const labels: Volume = {
      header: { dims, spacing, origin, direction, dtype, metadata: {} },
      voxels: msg.voxels,
    };
    mesher = new IncrementalMesher(labels, msg.opts);
    const extents = labelExtents(labels);
    const which = msg.opts.labels ? [...msg.opts.labels] : [...extents.keys()].sort((a, b) => a - b);
    let last = 0;
    // Mesh label by label so each can be posted as soon as it is done.
    const total = which.length;
    which.forEach((label, i) => {
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        post({ type: 'progress', job: msg.job, done: i, total, stage: `Meshing label ${label}` });
      }
      for (const mesh of meshExtents(labels, extents, [label], msg.opts)) send(msg.job, mesh);
    });
    mesher.adopt(extents);
    post({ type: 'done', job: msg.job, labels: which, ms: performance.now() - start });
    return;
  }
  if (!mesher) throw new VoxsegError('usage', 'no label map to update: mesh one first');
  const { lo, hi, voxels } = msg;
  const [nx, ny] = mesher.labels.header.dims;
  const target = mesher.labels.voxels;
  const w = hi[0] - lo[0], h = hi[1] - lo[1];
  for (let z = lo[2]; z < hi[2]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const src = (y - lo[1]) * w + (z - lo[2]) * w * h;
      target.set(voxels.subarray(src, src + w), lo[0] + y * nx + z * nx * ny);
    }
  }
  const meshes = mesher.update({ lo, hi });
  for (const mesh of meshes) send(msg.job, mesh);
  post({ type: 'done', job: msg.job, labels: meshes.map((m) => m.label), ms: performance.now() - start });
}

self.onmessage = (e: MessageEvent<ToMeshWorker>) => {
  try {
    handle(e.data);
  } catch (err) {
    post({ type: 'failed', job: e.data.job, message: err instanceof Error ? err.message : String(err), code: err instanceof VoxsegError ? err.code : undefined });
  }
};
