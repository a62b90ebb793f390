import { describe, expect, it } from 'vitest';
import type { IndexBox, Vec3 } from '../../../src/core/types';
import { keepLargestComponent, removeSmallComponents, valueComponents } from '../../../src/volume/edit/components';
import { floodFill } from '../../../src/volume/edit/fill';
import { interpolateSlices, squaredDistance2D } from '../../../src/volume/edit/interpolate';
import { writeSpans } from '../../../src/volume/edit/paint';
import { rasterizeShape, spanVoxels, type Shape } from '../../../src/volume/edit/shape';
import { applyDiff } from '../../../src/volume/diff';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const at = (d: Readonly<Vec3>, x: number, y: number, z: number) => x + y * d[0] + z * d[0] * d[1];
const full = (d: Vec3): IndexBox => ({ lo: [0, 0, 0], hi: [...d] });
const NO_LOCKS = new Uint8Array(65536);

/** Paint a shape with no rules, return the voxel count written. */
function paintCount(shape: Shape, dims: Vec3, spacing: Vec3, extrude = false): { labels: Uint8Array; n: number } {
  const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const spans = rasterizeShape(shape, dims, spacing, extrude);
  const n = spans ? writeSpans(labels, dims, spans, { value: 1, locked: NO_LOCKS }) : 0;
  if (spans) expect(spanVoxels(spans)).toBe(n);
  return { labels, n };
}

describe('shapes', () => {
  it('a sphere of radius r mm on anisotropic voxels has the ellipsoid volume', () => {
    const dims: Vec3 = [80, 70, 30],
      spacing: Vec3 = [0.7, 0.9, 2.5];
    for (const r of [6, 12, 20]) {
      const { n } = paintCount({ kind: 'sphere', center: [40.3, 35.6, 14.2], radiusMm: r }, dims, spacing);
      const expected = ((4 / 3) * Math.PI * r ** 3) / (spacing[0] * spacing[1] * spacing[2]);
      expect(Math.abs(n - expected) / expected).toBeLessThan(r < 10 ? 0.08 : 0.03);
    }
  });

  it('a circle lies only on its slice, with the disc area', () => {
    const dims: Vec3 = [60, 50, 40],
      spacing: Vec3 = [0.8, 1.1, 1.7];
    for (const axis of [0, 1, 2] as const) {
      const center: Vec3 = [30.2, 24.7, 19.6];
      const { labels, n } = paintCount({ kind: 'circle', center, radiusMm: 12, axis }, dims, spacing);
      const [u, v] = [0, 1, 2].filter((a) => a !== axis);
      const expected = (Math.PI * 144) / (spacing[u] * spacing[v]);
      expect(Math.abs(n - expected) / expected).toBeLessThan(0.05);
      const slice = Math.round(center[axis]);
      for (let i = 0; i < labels.length; i++)
        if (labels[i])
          expect([i % dims[0], Math.floor(i / dims[0]) % dims[1], Math.floor(i / (dims[0] * dims[1]))][axis]).toBe(
            slice,
          );
    }
  });

  it('rects and boxes cover exactly their voxels; extrusion runs through all slices', () => {
    const dims: Vec3 = [20, 18, 16],
      sp: Vec3 = [1, 1, 1];
    expect(paintCount({ kind: 'rect', a: [2, 3, 5.2], b: [6, 1, 9], axis: 2 }, dims, sp).n).toBe(5 * 3);
    expect(paintCount({ kind: 'rect', a: [2, 3, 5], b: [6, 1, 9], axis: 2 }, dims, sp, true).n).toBe(5 * 3 * 16);
    expect(paintCount({ kind: 'box', lo: [-3, 2, 2], hi: [4, 5, 30] }, dims, sp).n).toBe(4 * 3 * 14);
    expect(paintCount({ kind: 'circle', center: [10, 9, 3], radiusMm: 3, axis: 0 }, dims, sp, true).n).toBe(
      20 * paintCount({ kind: 'circle', center: [10, 9, 3], radiusMm: 3, axis: 0 }, dims, sp).n,
    );
    expect(rasterizeShape({ kind: 'sphere', center: [-50, 0, 0], radiusMm: 3 }, dims, sp)).toBeNull();
    expect(paintCount({ kind: 'sphere', center: [4, 4, 4], radiusMm: 0 }, dims, sp).n).toBe(1);
    expect(() => rasterizeShape({ kind: 'sphere', center: [0, 0, NaN], radiusMm: 3 }, dims, sp)).toThrow(/center/);
  });
});

describe('writeSpans rules', () => {
  const dims: Vec3 = [10, 10, 10];
  const spans = rasterizeShape({ kind: 'box', lo: [0, 0, 0], hi: [10, 10, 10] }, dims, [1, 1, 1])!;
  const start = () => Uint8Array.from({ length: 1000 }, (_, i) => i % 4); // values 0,1,2,3

  it('never touches locked values; overwrite=false keeps other segments', () => {
    const locked = new Uint8Array(65536);
    locked[2] = 1;
    const a = start();
    writeSpans(a, dims, spans, { value: 1, locked });
    a.forEach((v, i) => expect(v).toBe(i % 4 === 2 ? 2 : 1));
    const b = start();
    writeSpans(b, dims, spans, { value: 1, locked, overwrite: false });
    b.forEach((v, i) => expect(v).toBe(i % 4 === 0 ? 1 : i % 4));
  });

  it('erases only the given value; the threshold limits writes to the intensity window', () => {
    const c = start();
    writeSpans(c, dims, spans, { value: 0, locked: NO_LOCKS, only: 3 });
    c.forEach((v, i) => expect(v).toBe(i % 4 === 3 ? 0 : i % 4));
    const img = Int16Array.from({ length: 1000 }, (_, i) => i - 500);
    const d = new Uint8Array(1000);
    const n = writeSpans(d, dims, spans, { value: 5, locked: NO_LOCKS, intensity: img, threshold: [-100, 50] });
    expect(n).toBe(151);
    d.forEach((v, i) => expect(v).toBe(img[i] >= -100 && img[i] <= 50 ? 5 : 0));
  });
});

/** Reference flood fill: BFS over single voxels. */
function naiveFill(
  labels: Uint8Array,
  dims: Vec3,
  seed: Vec3,
  value: number,
  plane?: 0 | 1 | 2,
  img?: Float32Array,
  thr?: [number, number],
): void {
  const from = labels[at(dims, ...seed)];
  const ok = (i: number) => labels[i] === from && (!img || (img[i] >= thr![0] && img[i] <= thr![1]));
  if (from === value || !ok(at(dims, ...seed))) return;
  const queue = [seed];
  labels[at(dims, ...seed)] = value;
  while (queue.length) {
    const p = queue.pop()!;
    for (let a = 0; a < 3; a++) {
      if (a === plane) continue;
      for (const s of [-1, 1]) {
        const q = [...p] as Vec3;
        q[a] += s;
        if (q[a] < 0 || q[a] >= dims[a]) continue;
        const i = at(dims, ...q);
        if (!ok(i)) continue;
        labels[i] = value;
        queue.push(q);
      }
    }
  }
}

describe('floodFill', () => {
  it('matches a reference BFS in 3D and in each plane, with and without a window', () => {
    const r = rng(5);
    const dims: Vec3 = [17, 13, 9];
    for (let t = 0; t < 60; t++) {
      const labels = Uint8Array.from({ length: 17 * 13 * 9 }, () => (r() < 0.35 ? 1 + Math.floor(r() * 2) : 0));
      const img = Float32Array.from(labels, () => r() * 100);
      const seed: Vec3 = [Math.floor(r() * 17), Math.floor(r() * 13), Math.floor(r() * 9)];
      const plane = ([undefined, 0, 1, 2] as const)[t % 4];
      const thr: [number, number] | undefined = t % 3 === 0 ? [10, 90] : undefined;
      const expected = labels.slice();
      naiveFill(expected, dims, seed, 3, plane, thr && img, thr);
      const original = labels.slice();
      const d = floodFill(labels, dims, seed, 3, { plane, intensity: img, threshold: thr });
      expect(labels).toEqual(expected);
      if (d) {
        applyDiff(labels, d, 'before');
        expect(labels).toEqual(original);
      } else expect(expected).toEqual(original);
    }
  });

  it('stops at other labels', () => {
    const dims: Vec3 = [12, 12, 12];
    const labels = new Uint8Array(12 ** 3);
    for (let z = 0; z < 12; z++) for (let y = 0; y < 12; y++) labels[at(dims, 6, y, z)] = 2; // a wall at x = 6
    const d = floodFill(labels, dims, [1, 1, 1], 1)!;
    expect(d.voxels).toBe(6 * 12 * 12);
    expect(d.box).toEqual({ lo: [0, 0, 0], hi: [6, 12, 12] });
    for (let i = 0; i < labels.length; i++) expect(labels[i]).toBe(i % 12 < 6 ? 1 : i % 12 === 6 ? 2 : 0);
    expect(floodFill(labels, dims, [1, 1, 1], 1)).toBeNull();
  });
});

/** Reference 6-connected component sizes of `value` via BFS. */
function naiveSizes(labels: Uint8Array, dims: Vec3, value: number): number[] {
  const seen = new Uint8Array(labels.length);
  const sizes: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== value || seen[i]) continue;
    let n = 0;
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      n++;
      const x = j % dims[0],
        y = Math.floor(j / dims[0]) % dims[1],
        z = Math.floor(j / (dims[0] * dims[1]));
      const nb = [
        x > 0 ? j - 1 : -1,
        x < dims[0] - 1 ? j + 1 : -1,
        y > 0 ? j - dims[0] : -1,
        y < dims[1] - 1 ? j + dims[0] : -1,
        z > 0 ? j - dims[0] * dims[1] : -1,
        z < dims[2] - 1 ? j + dims[0] * dims[1] : -1,
      ];
      for (const k of nb) if (k >= 0 && labels[k] === value && !seen[k]) ((seen[k] = 1), stack.push(k));
    }
    sizes.push(n);
  }
  return sizes.sort((a, b) => a - b);
}

describe('connected components (6-connectivity)', () => {
  it('finds constructed blobs; diagonal contact does not connect', () => {
    const dims: Vec3 = [20, 20, 20];
    const labels = new Uint8Array(8000);
    const cube = (x0: number, y0: number, z0: number, s: number, v = 1) => {
      for (let z = z0; z < z0 + s; z++)
        for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) labels[at(dims, x, y, z)] = v;
    };
    cube(1, 1, 1, 6); // 216
    cube(7, 7, 7, 2); // 8, touches the first only at a corner
    cube(12, 2, 2, 3); // 27
    cube(15, 2, 2, 1); // 1, touching the 27 by a face → 28
    labels[at(dims, 18, 18, 18)] = 1; // 1
    cube(10, 10, 10, 4, 2); // another value, ignored
    const c = valueComponents(labels, dims, full(dims), 1);
    expect(c.count).toBe(4);
    expect(naiveSizes(labels, dims, 1)).toEqual([1, 8, 28, 216]);
    const removed = removeSmallComponents(labels.slice(), dims, full(dims), 1, 10);
    expect(removed).toBe(9);
    const l2 = labels.slice();
    expect(keepLargestComponent(l2, dims, full(dims), 1)).toBe(1 + 8 + 28);
    expect(naiveSizes(l2, dims, 1)).toEqual([216]);
    expect(naiveSizes(l2, dims, 2)).toEqual([64]);
  });

  it('agrees with a reference labelling on random maps', () => {
    const r = rng(11);
    const dims: Vec3 = [15, 12, 10];
    for (let t = 0; t < 30; t++) {
      const labels = Uint8Array.from({ length: 1800 }, () => (r() < 0.45 ? 1 : 0));
      const ref = naiveSizes(labels, dims, 1);
      const c = valueComponents(labels, dims, full(dims), 1);
      const sizes = [...c.size].filter((_, k) => c.root[k] === k).sort((a, b) => a - b);
      expect(sizes).toEqual(ref);
      const l2 = labels.slice();
      removeSmallComponents(l2, dims, full(dims), 1, 5);
      expect(naiveSizes(l2, dims, 1)).toEqual(ref.filter((s) => s >= 5));
    }
  });
});

describe('interpolation', () => {
  it('exact Euclidean distances on anisotropic pixels', () => {
    const r = rng(2);
    const w = 23,
      h = 17,
      su = 0.7,
      sv = 1.9;
    const g = Float64Array.from({ length: w * h }, () => (r() < 0.05 ? 0 : 1e20));
    const feats: [number, number][] = [];
    g.forEach((v, p) => v === 0 && feats.push([p % w, Math.floor(p / w)]));
    squaredDistance2D(g, w, h, su, sv);
    for (let p = 0; p < w * h; p++) {
      const [x, y] = [p % w, Math.floor(p / w)];
      const best = Math.min(...feats.map(([fx, fy]) => ((x - fx) * su) ** 2 + ((y - fy) * sv) ** 2));
      expect(g[p]).toBeCloseTo(best, 6);
    }
  });

  it('a circle of radius 10 and one of 20 ten slices apart give radius ≈ 15 halfway', () => {
    for (const spacing of [
      [1, 1, 2],
      [0.8, 0.8, 3],
    ] as Vec3[]) {
      const dims: Vec3 = [70, 70, 11];
      const labels = new Uint8Array(70 * 70 * 11);
      const circle = (z: number, rmm: number) => {
        const s = rasterizeShape({ kind: 'circle', center: [35, 35, z], radiusMm: rmm, axis: 2 }, dims, spacing)!;
        writeSpans(labels, dims, s, { value: 4, locked: NO_LOCKS });
      };
      circle(0, 10);
      circle(10, 20);
      labels[at(dims, 35, 35, 5)] = 9; // another segment in the way stays
      const n = interpolateSlices(labels, dims, spacing, { lo: [0, 0, 0], hi: dims }, 4, 2);
      expect(n).toBeGreaterThan(0);
      for (const [z, rExpected] of [
        [5, 15],
        [3, 13],
        [8, 18],
      ]) {
        let count = 0;
        for (let y = 0; y < 70; y++) for (let x = 0; x < 70; x++) if (labels[at(dims, x, y, z)] === 4) count++;
        const rMeasured = Math.sqrt(((count + (z === 5 ? 1 : 0)) * spacing[0] * spacing[1]) / Math.PI);
        expect(Math.abs(rMeasured - rExpected)).toBeLessThan(0.6);
      }
      expect(labels[at(dims, 35, 35, 5)]).toBe(9);
    }
  });
});
