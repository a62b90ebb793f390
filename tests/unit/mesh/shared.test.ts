/**
 * Shared label maps (SharedArrayBuffer, as on a cross-origin isolated page): the incremental
 * mesher reads the live voxels without a copy of its own and gives the same meshes as the copying
 * path after a sequence of box edits; the mesh client hands the worker the shared map itself and
 * an update carries only the box.
 */
import { describe, expect, it } from 'vitest';
import { serveRpc, type RpcScope } from '../../../src/core/rpc';
import type { Vec3, Volume } from '../../../src/core/types';
import { IncrementalMesher, MeshClient, meshLabels, type LabelMesh } from '../../../src/mesh';
import type { MeshApi } from '../../../src/mesh/protocol';
import { meshService } from '../../../src/mesh/serve';
import { allocLabels, isShared } from '../../../src/volume/buffers';
import { FakeWorker } from '../helpers/rpc-worker';

const DIMS: Vec3 = [40, 36, 30];
const N = DIMS[0] * DIMS[1] * DIMS[2];
const at = (i: number, j: number, k: number) => i + j * DIMS[0] + k * DIMS[0] * DIMS[1];
const ball = (c: Vec3, r: number) => (i: number, j: number, k: number) =>
  (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r;

function volume(voxels: Uint8Array): Volume {
  return {
    header: {
      dims: [...DIMS] as Vec3,
      spacing: [1.5, 1, 2],
      origin: [-20, 10, 5],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      dtype: 'uint8',
      metadata: {},
    },
    voxels,
  };
}

/** Three organs: 1 and 2 touch, 3 is small and apart. */
function fillStart(v: Uint8Array): void {
  const one = ball([12, 18, 15], 7),
    two = ball([24, 18, 15], 6),
    three = ball([32, 6, 6], 3);
  for (let k = 0; k < DIMS[2]; k++)
    for (let j = 0; j < DIMS[1]; j++)
      for (let i = 0; i < DIMS[0]; i++) v[at(i, j, k)] = one(i, j, k) ? 1 : two(i, j, k) ? 2 : three(i, j, k) ? 3 : 0;
}

interface Edit {
  what: string;
  lo: Vec3;
  hi: Vec3;
  /** New value of a voxel in the box (given its old one). */
  write(i: number, j: number, k: number, old: number): number;
}

const EDITS: Edit[] = [
  {
    what: 'paint 2 over part of 1',
    lo: [14, 14, 11],
    hi: [20, 22, 19],
    write: (i, j, k, old) => (ball([17, 18, 15], 3)(i, j, k) ? 2 : old),
  },
  { what: 'erase all of 3', lo: [28, 2, 2], hi: [37, 11, 11], write: () => 0 },
  {
    what: 'paint a new label 4',
    lo: [2, 26, 20],
    hi: [10, 34, 28],
    write: (i, j, k, old) => (ball([6, 30, 24], 3)(i, j, k) ? 4 : old),
  },
  {
    what: 'paint 1 far from it (its box grows)',
    lo: [30, 28, 22],
    hi: [36, 34, 28],
    write: (i, j, k, old) => (ball([33, 31, 25], 2)(i, j, k) ? 1 : old),
  },
  { what: 'erase a slab of 2', lo: [20, 10, 14], hi: [32, 26, 17], write: (_i, _j, _k, old) => (old === 2 ? 0 : old) },
  { what: 'paint 3 back inside 2', lo: [22, 16, 10], hi: [27, 21, 13], write: () => 3 },
];

/** Apply an edit to each map; the values it wrote or overwrote. */
function apply(maps: Uint8Array[], e: Edit): Set<number> {
  const values = new Set<number>();
  for (let k = e.lo[2]; k < e.hi[2]; k++)
    for (let j = e.lo[1]; j < e.hi[1]; j++)
      for (let i = e.lo[0]; i < e.hi[0]; i++) {
        const old = maps[0][at(i, j, k)],
          now = e.write(i, j, k, old);
        if (now === old) continue;
        values.add(old).add(now);
        for (const m of maps) m[at(i, j, k)] = now;
      }
  values.delete(0);
  return values;
}

function expectSameMesh(a: LabelMesh, b: LabelMesh, what: string): void {
  expect(a.label, what).toBe(b.label);
  expect(a.stats.triangles, `${what}: triangles of ${a.label}`).toBe(b.stats.triangles);
  expect(a.indices, `${what}: indices of ${a.label}`).toEqual(b.indices);
  let worst = 0;
  for (let n = 0; n < a.positions.length; n++) worst = Math.max(worst, Math.abs(a.positions[n] - b.positions[n]));
  expect(worst, `${what}: largest vertex difference of ${a.label} (mm)`).toBeLessThan(1e-3);
  expect(a.stats.volumeMl, `${what}: volume of ${a.label}`).toBeCloseTo(b.stats.volumeMl, 6);
}

describe('shared label maps in the incremental mesher', () => {
  it('keeps no copy and gives the copying path’s meshes (each equal to a fresh mesh) after a sequence of box edits', () => {
    const plain = new Uint8Array(N);
    const shared = allocLabels(Uint8Array, N, true);
    const sharedNoValues = allocLabels(Uint8Array, N, true);
    for (const m of [plain, shared, sharedNoValues]) fillStart(m);
    const copying = new IncrementalMesher(volume(plain));
    const live = new IncrementalMesher(volume(shared));
    const guessing = new IncrementalMesher(volume(sharedNoValues));
    expect([copying.live, live.live, guessing.live]).toEqual([false, true, true]);
    const first = copying.meshAll();
    live.meshAll().forEach((m, i) => expectSameMesh(m, first[i], 'first mesh'));
    guessing.meshAll();

    for (const e of EDITS) {
      const values = apply([plain, shared, sharedNoValues], e);
      const box = { lo: e.lo, hi: e.hi };
      const byCopy = copying.update(box);
      const byValues = live.update(box, values);
      const byGuess = guessing.update(box);
      // The copying path finds exactly the labels that changed; given them, the shared path agrees.
      expect(
        byCopy.map((m) => m.label),
        e.what,
      ).toEqual([...values].sort((a, b) => a - b));
      expect(
        byValues.map((m) => m.label),
        e.what,
      ).toEqual(byCopy.map((m) => m.label));
      // Without them it may re-mesh more labels, never fewer.
      expect(
        byGuess.map((m) => m.label),
        e.what,
      ).toEqual(expect.arrayContaining(byCopy.map((m) => m.label)));
      const fresh = new Map(
        meshLabels(volume(plain), { labels: byGuess.map((m) => m.label) }).map((m) => [m.label, m]),
      );
      for (const m of [...byCopy, ...byValues, ...byGuess]) expectSameMesh(m, fresh.get(m.label)!, e.what);
      expect(live.present, e.what).toEqual(copying.present);
      expect(guessing.present, e.what).toEqual(copying.present);
    }
    // Label 3 was erased, then painted again; 4 was added.
    expect(live.present).toEqual([1, 2, 3, 4]);
  });
});

/** A mesh client on a worker in this thread serving the real handlers; `received` holds every call message it got. */
function clientOnFake(): {
  client: MeshClient;
  worker: () => FakeWorker;
  received: { method: string; arg: MeshApi['update']['arg'] & Partial<MeshApi['mesh']['arg']> }[];
} {
  const received: { method: string; arg: MeshApi['update']['arg'] & Partial<MeshApi['mesh']['arg']> }[] = [];
  let worker: FakeWorker | undefined;
  const client = new MeshClient(
    () =>
      (worker = new FakeWorker((scope) => {
        const inner: RpcScope = { postMessage: (m, t) => scope.postMessage(m, t), onmessage: null };
        scope.onmessage = (ev) => {
          const m = ev.data as { rpc: string; method: string; arg: never };
          if (m.rpc === 'call') received.push({ method: m.method, arg: m.arg });
          inner.onmessage?.(ev);
        };
        serveRpc<MeshApi>(inner, meshService());
      })),
  );
  return { client, worker: () => worker!, received };
}

describe('mesh client with a shared label map', () => {
  it('mesh() shares the map (no label-sized copy or transfer) and update() sends only the box and values', async () => {
    const voxels = allocLabels(Uint8Array, N, true);
    fillStart(voxels);
    const labels = volume(voxels);
    const { client, worker, received } = clientOnFake();
    const built = await client.mesh(labels);
    expect(built.meshes.map((m) => m.label)).toEqual([1, 2, 3]);
    // What the worker got is the page's own memory: no transfer, and a write shows through.
    expect(worker().transfers[0]).toEqual([]);
    const got = received[0].arg.voxels!;
    expect(isShared(got)).toBe(true);
    expect(got.length).toBe(N);
    voxels[0] = 9;
    expect(got[0]).toBe(9);
    voxels[0] = 0;

    for (const e of EDITS.slice(0, 3)) {
      const values = apply([voxels], e);
      const r = await client.update(labels, e.lo, e.hi, {}, values);
      const msg = received.at(-1)!;
      expect(msg.method).toBe('update');
      expect(msg.arg.voxels, 'no voxels in a shared update').toBeUndefined();
      expect(msg.arg.values?.sort()).toEqual([...values].sort());
      expect(worker().transfers.at(-1)).toEqual([]);
      const fresh = meshLabels(volume(voxels), { labels: r.meshes.map((m) => m.label) });
      r.meshes.forEach((m, i) => expectSameMesh(m, fresh[i], e.what));
    }
    client.dispose();
  });

  it('a plain map is still copied for the worker, and update() carries the box voxels', async () => {
    const voxels = new Uint8Array(N);
    fillStart(voxels);
    const labels = volume(voxels);
    const { client, worker, received } = clientOnFake();
    await client.mesh(labels);
    const got = received[0].arg.voxels!;
    expect(isShared(got)).toBe(false);
    expect(got.length).toBe(N);
    // One buffer transferred (now detached here): a copy, not the caller's own map.
    expect(worker().transfers[0]).toHaveLength(1);
    expect(worker().transfers[0][0]).not.toBe(voxels.buffer);
    expect((worker().transfers[0][0] as ArrayBuffer).byteLength).toBe(0);
    expect(voxels.byteLength).toBe(N);
    const e = EDITS[0];
    const values = apply([voxels], e);
    const r = await client.update(labels, e.lo, e.hi);
    const box = (e.hi[0] - e.lo[0]) * (e.hi[1] - e.lo[1]) * (e.hi[2] - e.lo[2]);
    expect(received.at(-1)!.arg.voxels!.length).toBe(box);
    expect(r.meshes.map((m) => m.label)).toEqual([...values].sort());
    client.dispose();
  });
});
