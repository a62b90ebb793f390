/** The mesh client on the RPC layer: surfaces stream in, a new job stops the running one, worker errors keep their code. */
import { describe, expect, it } from 'vitest';
import { serveRpc } from '../../../src/core/rpc';
import { VoxsegError } from '../../../src/core/errors';
import type { Vec3, Volume } from '../../../src/core/types';
import { MeshClient, type LabelMesh } from '../../../src/mesh';
import type { MeshApi } from '../../../src/mesh/protocol';
import { meshService } from '../../../src/mesh/serve';
import { FakeWorker } from '../helpers/rpc-worker';

const dims: Vec3 = [24, 24, 24];

function cubes(): Volume {
  const v = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 4; k < 10; k++) for (let j = 4; j < 10; j++) for (let i = 4; i < 10; i++) v[i + 24 * j + 576 * k] = 1;
  for (let k = 12; k < 20; k++) for (let j = 12; j < 20; j++) for (let i = 12; i < 20; i++) v[i + 24 * j + 576 * k] = 5;
  return {
    header: {
      dims,
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      dtype: 'uint8',
      metadata: {},
    },
    voxels: v,
  };
}

function client(): { client: MeshClient; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const c = new MeshClient(() => {
    const w = new FakeWorker((scope) => serveRpc<MeshApi>(scope, meshService()));
    workers.push(w);
    return w;
  });
  return { client: c, workers };
}

describe('MeshClient', () => {
  it('streams each label, then resolves with all of them; update() needs the map given to mesh()', async () => {
    const { client: c } = client();
    const labels = cubes();
    const streamed: LabelMesh[] = [];
    const r = await c.mesh(labels, {}, { onMesh: (m) => streamed.push(m) });
    expect(r.meshes.map((m) => m.label)).toEqual([1, 5]);
    expect(streamed).toEqual(r.meshes);
    // A 6-voxel cube, unsmoothed volume restored: 216 mm³.
    expect(r.meshes[0].stats.volumeMl * 1000).toBeCloseTo(216, 0);
    await expect(c.update(cubes(), [0, 0, 0], [1, 1, 1])).rejects.toMatchObject({ code: 'usage' });
    c.dispose();
  });

  it('a new mesh() stops the running one (its worker terminated) and runs on a fresh worker', async () => {
    const { client: c, workers } = client();
    const first = c.mesh(cubes());
    const second = c.mesh(cubes());
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect(workers[0].terminated).toBe(true);
    expect((await second).meshes.map((m) => m.label)).toEqual([1, 5]);
    expect(workers).toHaveLength(2);
    c.dispose();
  });

  it('a worker error arrives as a VoxsegError with its code, and the map must be meshed again', async () => {
    const { client: c } = client();
    const bad = cubes();
    const floats: Volume = {
      header: { ...bad.header, dtype: 'float32' },
      voxels: Float32Array.from(bad.voxels, (x) => (x ? x + 0.5 : 0)),
    };
    const err = await c.mesh(floats).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err).toMatchObject({ code: 'invalid-volume' });
    expect((err as VoxsegError).message).toMatch(/whole non-negative numbers; found 1.5/);
    await expect(c.update(floats, [0, 0, 0], [4, 4, 4])).rejects.toMatchObject({ code: 'usage' });
    c.dispose();
  });
});
