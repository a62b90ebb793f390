/**
 * What the mesh worker does for each call, apart from the worker itself so that tests can serve
 * it on a fake worker. `meshService()` holds one label map at a time: a shared one is the page's
 * own (read live, nothing copied); a plain one is the worker's copy, into which `update` writes
 * the edited box before re-meshing.
 */
import { VoxsegError } from '../core/errors';
import type { RpcContext, RpcHandlers } from '../core/rpc';
import type { Volume } from '../core/types';
import { IncrementalMesher } from './incremental';
import { labelExtents, meshExtents } from './mesher';
import type { MeshApi, MeshDone, MeshEvent } from './protocol';
import type { LabelMesh } from './types';

function send(cx: RpcContext<MeshEvent>, mesh: LabelMesh): void {
  cx.emit({ type: 'mesh', mesh }, [mesh.positions.buffer, mesh.normals.buffer, mesh.indices.buffer] as ArrayBuffer[]);
}

/** Paste `voxels` (box [lo, hi), x fastest) into the held map. */
function paste(target: Volume, lo: readonly number[], hi: readonly number[], voxels: Volume['voxels']): void {
  const [nx, ny] = target.header.dims;
  const w = hi[0] - lo[0],
    h = hi[1] - lo[1];
  for (let z = lo[2]; z < hi[2]; z++)
    for (let y = lo[1]; y < hi[1]; y++) {
      const src = (y - lo[1]) * w + (z - lo[2]) * w * h;
      target.voxels.set(voxels.subarray(src, src + w), lo[0] + y * nx + z * nx * ny);
    }
}

export function meshService(): RpcHandlers<MeshApi> {
  let mesher: IncrementalMesher | null = null;

  function mesh(arg: MeshApi['mesh']['arg'], cx: RpcContext<MeshEvent>): MeshDone {
    const start = performance.now();
    const { grid, voxels, opts } = arg;
    const labels: Volume = { header: { ...grid, metadata: {} }, voxels };
    mesher = new IncrementalMesher(labels, opts);
    const extents = labelExtents(labels);
    const which = opts.labels ? [...opts.labels] : [...extents.keys()].sort((a, b) => a - b);
    let last = 0;
    // Label by label, so that each is sent as soon as it is done.
    which.forEach((label, i) => {
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        cx.emit({ type: 'progress', done: i, total: which.length, stage: `Meshing label ${label}` });
      }
      for (const m of meshExtents(labels, extents, [label], opts)) send(cx, m);
    });
    mesher.adopt(extents);
    return { labels: which, ms: performance.now() - start };
  }

  function update(arg: MeshApi['update']['arg'], cx: RpcContext<MeshEvent>): MeshDone {
    const start = performance.now();
    if (!mesher) throw new VoxsegError('usage', 'no label map to update: mesh one first');
    const { lo, hi, voxels, values } = arg;
    if (mesher.live && voxels) throw new VoxsegError('usage', 'the label map is shared: an update sends only its box');
    if (!mesher.live && !voxels)
      throw new VoxsegError('usage', 'the label map is not shared: an update must carry the box voxels');
    if (voxels) paste(mesher.labels, lo, hi, voxels);
    const meshes = mesher.update({ lo, hi }, mesher.live ? values : undefined);
    for (const m of meshes) send(cx, m);
    return { labels: meshes.map((m) => m.label), ms: performance.now() - start };
  }

  return { mesh, update };
}
