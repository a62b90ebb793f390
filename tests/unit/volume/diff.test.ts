import { describe, expect, it } from 'vitest';
import type { IndexBox, Vec3 } from '../../../src/core/types';
import { VoxsegError } from '../../../src/core/errors';
import {
  applyDiff,
  composeDiffs,
  decodeDiff,
  diffArrays,
  diffBox,
  diffBytes,
  encodeDiff,
  snapshotBox,
  type VoxelDiff,
} from '../../../src/volume/diff';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const dims: Vec3 = [13, 11, 7];
const N = dims[0] * dims[1] * dims[2];

function randomBox(r: () => number): IndexBox {
  const lo = dims.map((d) => Math.floor(r() * d)) as Vec3;
  const hi = lo.map((l, a) => l + 1 + Math.floor(r() * (dims[a] - l))) as Vec3;
  return { lo, hi };
}

/** Write random values (from a few) into random voxels of the box. */
function scribble(labels: Uint16Array, box: IndexBox, r: () => number, values = [0, 1, 2, 300]): void {
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++)
      for (let x = box.lo[0]; x < box.hi[0]; x++)
        if (r() < 0.4) labels[x + y * dims[0] + z * dims[0] * dims[1]] = values[Math.floor(r() * values.length)];
}

function checkWellFormed(d: VoxelDiff): void {
  let voxels = 0;
  for (let k = 0; k < d.start.length; k++) {
    expect(d.length[k]).toBeGreaterThan(0);
    expect(d.before[k]).not.toBe(d.after[k]);
    if (k > 0) expect(d.start[k]).toBeGreaterThanOrEqual(d.start[k - 1] + d.length[k - 1]);
    voxels += d.length[k];
  }
  expect(d.voxels).toBe(voxels);
}

/** Bounding box of the voxels where a and b differ. */
function changedBox(a: ArrayLike<number>, b: ArrayLike<number>): IndexBox | null {
  let box: IndexBox | null = null;
  for (let i = 0; i < N; i++) {
    if (a[i] === b[i]) continue;
    const p: Vec3 = [i % dims[0], Math.floor(i / dims[0]) % dims[1], Math.floor(i / (dims[0] * dims[1]))];
    if (!box) box = { lo: [...p], hi: [p[0] + 1, p[1] + 1, p[2] + 1] };
    else
      for (let c = 0; c < 3; c++)
        ((box.lo[c] = Math.min(box.lo[c], p[c])), (box.hi[c] = Math.max(box.hi[c], p[c] + 1)));
  }
  return box;
}

describe('diffBox / applyDiff', () => {
  it('records exactly the changed voxels and undoes/redoes them', () => {
    const r = rng(7);
    for (let t = 0; t < 50; t++) {
      const labels = new Uint16Array(N).map(() => (r() < 0.3 ? 1 : 0));
      const box = randomBox(r);
      const original = labels.slice();
      const snap = snapshotBox(labels, dims, box);
      scribble(labels, box, r);
      const after = labels.slice();
      const d = diffBox(labels, dims, box, snap);
      checkWellFormed(d);
      let changed = 0;
      for (let i = 0; i < N; i++) if (original[i] !== after[i]) changed++;
      expect(d.voxels).toBe(changed);
      const cb = changedBox(original, after);
      if (cb) expect(d.box).toEqual(cb);
      applyDiff(labels, d, 'before');
      expect(labels).toEqual(original);
      applyDiff(labels, d, 'after');
      expect(labels).toEqual(after);
    }
  });

  it('joins runs across rows when the box spans whole rows', () => {
    const labels = new Uint8Array(N);
    const box: IndexBox = { lo: [0, 2, 1], hi: [dims[0], 5, 2] };
    const snap = snapshotBox(labels, dims, box);
    labels.fill(4, 2 * dims[0] + dims[0] * dims[1], 5 * dims[0] + dims[0] * dims[1]);
    const d = diffBox(labels, dims, box, snap);
    expect(d.start.length).toBe(1);
    expect(d.voxels).toBe(3 * dims[0]);
    expect(d.box).toEqual(box);
  });

  it('snapshotBox reuses a big enough buffer of the same type', () => {
    const labels = new Uint8Array(N).map((_, i) => i % 7);
    const out = new Uint8Array(10_000);
    const box: IndexBox = { lo: [1, 1, 1], hi: [4, 5, 3] };
    const s = snapshotBox(labels, dims, box, out);
    expect(s.buffer).toBe(out.buffer);
    expect(s.length).toBe(3 * 4 * 2);
    expect(s[0]).toBe(labels[1 + dims[0] + dims[0] * dims[1]]);
    expect(snapshotBox(labels, dims, box, new Uint16Array(100))).toBeInstanceOf(Uint8Array);
  });

  it('diffArrays compares whole maps, null meaning zeros', () => {
    const a = new Uint8Array(N),
      b = new Uint8Array(N);
    b.fill(3, 20, 40);
    b.fill(5, 40, 41);
    const d = diffArrays(a, b, dims);
    expect(d.voxels).toBe(21);
    expect(diffArrays(null, b, dims).voxels).toBe(21);
    expect(diffArrays(b, null, dims).after.every((v) => v === 0)).toBe(true);
    expect(diffArrays(b, b, dims).voxels).toBe(0);
  });
});

describe('composeDiffs', () => {
  it('equals the direct diff from the first state to the last (random sequences)', () => {
    const r = rng(99);
    for (let t = 0; t < 40; t++) {
      const labels = new Uint16Array(N).map(() => (r() < 0.2 ? 2 : 0));
      const original = labels.slice();
      const diffs: VoxelDiff[] = [];
      const steps = 1 + Math.floor(r() * 12);
      for (let s = 0; s < steps; s++) {
        const box = randomBox(r);
        const snap = snapshotBox(labels, dims, box);
        scribble(labels, box, r);
        diffs.push(diffBox(labels, dims, box, snap));
      }
      const c = composeDiffs(diffs, dims);
      checkWellFormed(c);
      const direct = diffArrays(original, labels, dims);
      expect(c.voxels).toBe(direct.voxels);
      expect(c.start).toEqual(direct.start);
      expect(c.length).toEqual(direct.length);
      expect(c.before).toEqual(direct.before);
      expect(c.after).toEqual(direct.after);
      const final = labels.slice();
      applyDiff(labels, c, 'before');
      expect(labels).toEqual(original);
      applyDiff(labels, c, 'after');
      expect(labels).toEqual(final);
    }
  });

  it('drops voxels that end where they started', () => {
    const labels = new Uint8Array(N);
    const box: IndexBox = { lo: [0, 0, 0], hi: [4, 4, 1] };
    const s1 = snapshotBox(labels, dims, box);
    labels.fill(1, 0, 4);
    const d1 = diffBox(labels, dims, box, s1);
    const s2 = snapshotBox(labels, dims, box);
    labels.fill(0, 0, 4);
    const d2 = diffBox(labels, dims, box, s2);
    const c = composeDiffs([d1, d2], dims);
    expect(c.voxels).toBe(0);
    expect(c.start.length).toBe(0);
    expect(composeDiffs([], dims).voxels).toBe(0);
  });
});

describe('encodeDiff / decodeDiff', () => {
  it('round-trips and is smaller than the arrays', () => {
    const r = rng(3);
    const labels = new Uint16Array(N);
    const box: IndexBox = { lo: [0, 0, 0], hi: dims };
    const snap = snapshotBox(labels, dims, box);
    scribble(labels, box, r, [1, 2, 70_000 % 65536, 65535]);
    const d = diffBox(labels, dims, box, snap);
    const bytes = encodeDiff(d);
    expect(bytes.length).toBeLessThan(diffBytes(d));
    const back = decodeDiff(bytes);
    expect(back).toEqual(d);
  });

  it('round-trips an empty diff and rejects bad input', () => {
    const empty = diffArrays(null, null, dims);
    expect(decodeDiff(encodeDiff(empty))).toEqual(empty);
    expect(() => decodeDiff(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(VoxsegError);
    const d = diffArrays(null, new Uint8Array(N).fill(9, 100, 300), dims);
    const bytes = encodeDiff(d);
    expect(() => decodeDiff(bytes.subarray(0, bytes.length - 1))).toThrow(/ends early/);
  });
});
