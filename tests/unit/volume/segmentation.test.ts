import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../../src/core/types';
import { VoxsegError } from '../../../src/core/errors';
import { Segmentation, type SegmentationChange } from '../../../src/volume/segmentation';
import type { Segment } from '../../../src/volume/segments';
import { createVolume } from '../../../src/volume/volume';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function study(dims: Vec3, spacing: Vec3 = [0.8, 1.1, 2], voxels?: Volume['voxels']): Volume {
  return createVolume({
    dims,
    spacing,
    origin: [-10, 5, 30],
    voxels: voxels ?? new Int16Array(dims[0] * dims[1] * dims[2]),
    metadata: { modality: 'CT' },
  });
}

function layer(s: Volume, voxels: Uint8Array | Uint16Array): Volume {
  const h = s.header;
  return createVolume({
    dims: [...h.dims],
    spacing: [...h.spacing],
    origin: [...h.origin],
    direction: [...h.direction],
    voxels,
  });
}

/** Hash of all layers (dtype included) and the segment list. */
function checksum(seg: Segmentation): string {
  let h = 0x811c9dc5;
  for (const l of seg.layers) {
    const b = new Uint8Array(l.voxels.buffer, l.voxels.byteOffset, l.voxels.byteLength);
    const words = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193) >>> 0;
    for (let i = words.length * 4; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
    h = Math.imul(h ^ (l.header.dtype === 'uint8' ? 8 : 16), 0x01000193) >>> 0;
  }
  return `${h.toString(16)}:${seg.layers.length}:${JSON.stringify(seg.segments)}`;
}

function count(l: Volume, value: number): number {
  let n = 0;
  for (let i = 0; i < l.voxels.length; i++) if (l.voxels[i] === value) n++;
  return n;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(2);

describe('Segmentation basics', () => {
  it('empty: one uint8 layer of zeros on the study grid', () => {
    const st = study([10, 8, 6]);
    const seg = Segmentation.empty(st);
    expect(seg.layers.length).toBe(1);
    const h = seg.layers[0].header;
    expect([h.dims, h.spacing, h.origin, h.direction, h.dtype]).toEqual([
      st.header.dims,
      st.header.spacing,
      st.header.origin,
      st.header.direction,
      'uint8',
    ]);
    expect(count(seg.layers[0], 0)).toBe(480);
    expect(seg.segments).toEqual([]);
  });

  it('fromLabels checks the grid and segments with clear errors; assigns layers', () => {
    const st = study([10, 8, 6]);
    const bad = createVolume({
      dims: [10, 8, 6],
      spacing: [0.8, 1.1, 2.5],
      origin: [-10, 5, 30],
      voxels: new Uint8Array(480),
    });
    expect(() => Segmentation.fromLabels(st, [bad], [])).toThrow(/label layer 0 is not on the study grid: spacing/);
    const l0 = new Uint8Array(480),
      l1 = new Uint8Array(480);
    l0[5] = 1;
    l1[7] = 2;
    const segs = [1, 2].map(
      (value) =>
        ({
          value,
          name: `S${value}`,
          color: [1, 2, 3],
          algorithm: 'MANUAL',
          createdAt: '2024-01-01T00:00:00Z',
          edited: false,
          visible: true,
          locked: false,
        }) as Segment,
    );
    const seg = Segmentation.fromLabels(st, [layer(st, l0), layer(st, l1)], segs);
    expect([seg.layerOf(1), seg.layerOf(2), seg.layerOf(3)]).toEqual([0, 1, -1]);
    expect(seg.statistics(2).voxels).toBe(1);
    expect(() => Segmentation.fromLabels(st, [layer(st, l0)], [{ ...segs[0], color: [300, 0, 0] }])).toThrow(/color/);
    expect(() => Segmentation.fromLabels(st, [layer(st, l0)], [segs[0], segs[0]])).toThrow(/used twice/);
  });

  it('addSegment fills defaults with distinct colours and the next free value', () => {
    const seg = Segmentation.empty(study([10, 8, 6]));
    const a = seg.addSegment({ name: 'Liver' });
    const b = seg.addSegment();
    seg.removeSegment(a.value);
    const c = seg.addSegment();
    expect([a.value, b.value, c.value]).toEqual([1, 2, 1]);
    expect(b.algorithm).toBe('MANUAL');
    expect(b.edited).toBe(false);
    expect(b.color).not.toEqual(c.color);
    expect(() => seg.addSegment({ value: 2 })).toThrow(VoxsegError);
    expect(Object.isFrozen(seg.segments[0])).toBe(true);
  });
});

describe('voxel tools', () => {
  const dims: Vec3 = [40, 40, 20];
  const make = () => {
    const img = Int16Array.from({ length: 40 * 40 * 20 }, (_, i) => (i % 40) * 10); // intensity = 10·x
    const seg = Segmentation.empty(study(dims, [1, 1, 2], img));
    return { seg, a: seg.addSegment({ name: 'A' }).value, b: seg.addSegment({ name: 'B' }).value };
  };

  it('paint respects locks, overwrite and the threshold', () => {
    const { seg, a, b } = make();
    seg.paint({ kind: 'box', lo: [0, 0, 0], hi: [20, 40, 20] }, b);
    seg.updateSegment(b, { locked: true });
    const box = seg.paint({ kind: 'sphere', center: [20, 20, 10], radiusMm: 8 }, a)!;
    expect(box).not.toBeNull();
    expect(count(seg.layers[0], b)).toBe(20 * 40 * 20);
    expect(seg.paint({ kind: 'sphere', center: [20, 20, 10], radiusMm: 8 }, b)).toBeNull(); // b is locked
    seg.updateSegment(b, { locked: false });
    const before = count(seg.layers[0], b);
    seg.paint({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] }, a, { overwrite: false });
    expect(count(seg.layers[0], b)).toBe(before);
    const { seg: s2, a: a2 } = make();
    s2.paint({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] }, a2, { threshold: [100, 195] });
    const v = s2.layers[0].voxels;
    for (let i = 0; i < v.length; i++) expect(v[i]).toBe(i % 40 >= 10 && i % 40 <= 19 ? a2 : 0);
    expect(s2.segment(a2)!.edited).toBe(true);
  });

  it('erase clears unlocked voxels on every layer, or one value', () => {
    const { seg, a, b } = make();
    const c = seg.addSegment({ name: 'C', layer: 1 }).value; // overlapping layer
    expect(seg.layers.length).toBe(2);
    seg.paint({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] }, a);
    seg.paint({ kind: 'box', lo: [0, 0, 0], hi: [10, 40, 20] }, b);
    seg.paint({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] }, c);
    seg.erase({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] }, { only: b });
    expect(count(seg.layers[0], b)).toBe(0);
    expect(count(seg.layers[0], a)).toBe(30 * 40 * 20);
    seg.updateSegment(c, { locked: true });
    seg.erase({ kind: 'box', lo: [0, 0, 0], hi: [40, 40, 20] });
    expect(count(seg.layers[0], 0)).toBe(40 * 40 * 20);
    expect(count(seg.layers[1], c)).toBe(40 * 40 * 20);
  });

  it('fill stops at other labels; 2D fill stays in its slice', () => {
    const { seg, a, b } = make();
    seg.paint({ kind: 'box', lo: [15, 0, 0], hi: [17, 40, 20] }, b); // a wall
    const box = seg.fill([3, 3, 3], a, {})!;
    expect(box).toEqual({ lo: [0, 0, 0], hi: [15, 40, 20] });
    expect(count(seg.layers[0], a)).toBe(15 * 40 * 20);
    seg.undo();
    seg.fill([30, 3, 7], a, { plane: 2 });
    expect(count(seg.layers[0], a)).toBe(23 * 40);
    expect(seg.fill([30, 3, 7], a, { plane: 2 })).toBeNull(); // already a
  });

  it('scissors cut through all slices', () => {
    const { seg, a } = make();
    seg.scissors({ kind: 'rect', a: [5, 5, 3], b: [9, 14, 3], axis: 2 }, 'fill', a);
    expect(count(seg.layers[0], a)).toBe(5 * 10 * 20);
    seg.scissors({ kind: 'circle', center: [7, 10, 0], radiusMm: 100, axis: 1 }, 'erase', a);
    expect(count(seg.layers[0], a)).toBe(0);
  });

  it('islands, largest component, interpolation and statistics through the model', () => {
    const { seg, a } = make();
    seg.paint({ kind: 'box', lo: [2, 2, 2], hi: [12, 12, 8] }, a);
    seg.paint({ kind: 'box', lo: [20, 20, 2], hi: [22, 22, 4] }, a);
    seg.paint({ kind: 'box', lo: [30, 30, 10], hi: [31, 31, 11] }, a);
    expect(seg.removeIslands(a, 2)!).toEqual({ lo: [30, 30, 10], hi: [31, 31, 11] });
    expect(seg.statistics(a).voxels).toBe(600 + 8);
    seg.keepLargestComponent(a);
    const st = seg.statistics(a, seg.study);
    expect(st.voxels).toBe(600);
    expect(st.ml).toBeCloseTo((600 * 2) / 1000, 9);
    expect(st.box).toEqual({ lo: [2, 2, 2], hi: [12, 12, 8] });
    expect(st.mean).toBeCloseTo(65, 9); // x = 2..11
    expect([st.min, st.max]).toEqual([20, 110]);
    seg.erase({ kind: 'box', lo: [0, 0, 3], hi: [40, 40, 7] });
    expect(seg.interpolate(a, 2)).not.toBeNull();
    expect(seg.statistics(a).voxels).toBe(600);
  });
});

describe('history through the model', () => {
  it('a stroke is one entry; events fire per dab', () => {
    const seg = Segmentation.empty(study([50, 50, 20]));
    const a = seg.addSegment().value;
    const events: SegmentationChange[] = [];
    seg.events.on('change', (c) => events.push(c));
    const before = checksum(seg),
      entries = seg.history.undoCount;
    seg.beginStroke('Brush');
    for (let k = 0; k < 10; k++) seg.paint({ kind: 'sphere', center: [10 + 3 * k, 25, 10], radiusMm: 4 }, a);
    seg.erase({ kind: 'sphere', center: [10, 25, 10], radiusMm: 2 });
    seg.endStroke();
    expect(events.length).toBe(11);
    expect(events.every((e) => e.kind === 'edit' && e.label === 'Brush' && e.layers.length === 1)).toBe(true);
    expect(seg.history.undoCount).toBe(entries + 1);
    expect(seg.history.peekUndo()).toBe('Brush');
    const after = checksum(seg);
    expect(seg.undo()!.kind).toBe('undo');
    expect(checksum(seg)).toBe(before);
    seg.redo();
    expect(checksum(seg)).toBe(after);
  });

  it('promotes a layer to uint16 for value 256 and undoes it', () => {
    const seg = Segmentation.empty(study([20, 20, 10]));
    const a = seg.addSegment().value;
    seg.paint({ kind: 'sphere', center: [10, 10, 5], radiusMm: 5 }, a);
    const c0 = checksum(seg);
    const changes: SegmentationChange[] = [];
    seg.events.on('change', (c) => changes.push(c));
    const big = seg.addSegment({ value: 256, name: 'Big' });
    expect(seg.layers[0].header.dtype).toBe('uint16');
    expect(changes.at(-1)!.structure).toBe(true);
    seg.paint({ kind: 'sphere', center: [12, 10, 5], radiusMm: 3 }, big.value);
    expect(count(seg.layers[0], 256)).toBeGreaterThan(0);
    seg.undo();
    const change = seg.undo()!;
    expect(change.structure).toBe(true);
    expect(seg.layers[0].header.dtype).toBe('uint8');
    expect(checksum(seg)).toBe(c0);
    seg.redo();
    seg.redo();
    expect(count(seg.layers[0], 256)).toBeGreaterThan(0);
  });

  it('random sequences of 200 operations undo and redo exactly (checksums)', () => {
    for (const seed of [1, 2]) {
      const r = rng(seed);
      const dims: Vec3 = [24, 20, 12];
      const img = Int16Array.from({ length: 24 * 20 * 12 }, () => Math.floor(r() * 200));
      const seg = Segmentation.empty(study(dims, [0.9, 1.2, 2.5], img));
      const rnd = (n: number) => Math.floor(r() * n);
      const pt = (): Vec3 => [r() * 24, r() * 20, r() * 12];
      const values = () => seg.segments.map((s) => s.value);
      const pick = () => values()[rnd(values().length)];
      const shape = () => {
        const k = rnd(4);
        const axis = rnd(3) as 0 | 1 | 2;
        if (k === 0) return { kind: 'sphere' as const, center: pt(), radiusMm: 1 + r() * 6 };
        if (k === 1) return { kind: 'circle' as const, center: pt(), radiusMm: 1 + r() * 8, axis };
        if (k === 2) return { kind: 'rect' as const, a: pt(), b: pt(), axis };
        const p = pt();
        return { kind: 'box' as const, lo: p, hi: [p[0] + rnd(6), p[1] + rnd(6), p[2] + rnd(4)] as Vec3 };
      };
      const states = [checksum(seg)];
      const redoStates: string[] = [];
      let structural = 0;
      seg.events.on('change', (c) => void (c.structure && structural++));
      let ops = 0;
      while (ops < 200) {
        if (!seg.segments.length) {
          seg.addSegment();
          states.push(checksum(seg));
          redoStates.length = 0;
        }
        const op = rnd(18);
        const lockedBefore = seg.segments
          .filter((s) => s.locked)
          .map((s) => [s.value, count(seg.layers[s.layer], s.value)]);
        const entries = seg.history.undoCount;
        if (op === 0 && seg.history.undoCount > 0) {
          seg.undo();
          redoStates.push(states.pop()!);
          expect(checksum(seg)).toBe(states.at(-1));
          continue;
        }
        if (op === 1 && seg.history.redoCount > 0) {
          seg.redo();
          states.push(redoStates.pop()!);
          expect(checksum(seg)).toBe(states.at(-1));
          continue;
        }
        ops++;
        if (op <= 4) seg.paint(shape(), pick(), { overwrite: r() < 0.7, threshold: r() < 0.3 ? [50, 150] : undefined });
        else if (op === 5) seg.erase(shape(), r() < 0.5 ? { only: pick() } : {});
        else if (op === 6)
          seg.fill([rnd(24), rnd(20), rnd(12)], pick(), {
            plane: ([undefined, 0, 1, 2] as const)[rnd(4)],
            threshold: r() < 0.3 ? [0, 120] : undefined,
          });
        else if (op === 7) seg.scissors(shape(), r() < 0.5 ? 'fill' : 'erase', pick());
        else if (op === 8) {
          seg.beginStroke('Stroke');
          const v = pick();
          for (let k = 0, n = 2 + rnd(5); k < n; k++) r() < 0.8 ? seg.paint(shape(), v) : seg.erase(shape());
          seg.endStroke();
        } else if (op === 9)
          seg.addSegment({
            value: r() < 0.2 ? 250 + rnd(20) : undefined,
            layer: r() < 0.15 ? seg.layers.length : rnd(seg.layers.length),
          });
        else if (op === 10) seg.updateSegment(pick(), { locked: r() < 0.3, visible: r() < 0.8, name: `N${rnd(100)}` });
        else if (op === 11 || op === 12) {
          const v = pick();
          try {
            if (op === 11) seg.removeSegment(v);
            else seg.mergeSegments(v, [pick(), pick()]);
          } catch (e) {
            expect((e as Error).message).toMatch(/locked/);
          }
        } else if (op === 13) seg.removeIslands(pick(), 1 + rnd(30));
        else if (op === 14) seg.keepLargestComponent(pick());
        else if (op === 15) seg.interpolate(pick(), rnd(3) as 0 | 1 | 2);
        else if (op === 16) {
          const v = pick();
          const s = seg.segment(v)!;
          seg.setReview(v, s.locked || r() < 0.5 ? 'accepted' : 'rejected');
        } else {
          const n = 24 * 20 * 12;
          const map = Uint8Array.from({ length: n }, (_, i) =>
            i % 24 < 12 && Math.floor(i / 480) < 6 ? 1 : Math.floor(i / 24) % 20 > 14 ? 2 : 0,
          );
          const s = (value: number): Segment => ({
            value,
            name: `AI ${value}`,
            color: [value, 0, 0],
            algorithm: 'AUTOMATIC',
            algorithmName: 'net 1.0',
            createdAt: '2024-05-01T12:00:00Z',
            edited: false,
            visible: true,
            locked: false,
            review: 'proposed',
          });
          seg.replaceAll([layer(seg.study, map)], [s(1), s(2)], 'AI');
        }
        for (const [v, n] of lockedBefore)
          if (seg.segment(v)?.locked) expect(count(seg.layers[seg.layerOf(v)], v)).toBe(n);
        const now = checksum(seg);
        if (seg.history.undoCount === entries + 1) {
          states.push(now);
          redoStates.length = 0;
        } else {
          expect(seg.history.undoCount).toBe(entries);
          expect(now).toBe(states.at(-1));
        }
        if (ops % 10 === 0)
          for (const s of seg.segments)
            expect(seg.statistics(s.value).voxels).toBe(count(seg.layers[s.layer], s.value)); // boxes stay conservative
      }
      expect(structural).toBeGreaterThan(0); // layers were added or promoted on the way
      const top = states.length;
      while (seg.history.undoCount > 0) {
        seg.undo();
        redoStates.push(states.pop()!);
        expect(checksum(seg)).toBe(states.at(-1));
      }
      expect(states.length).toBe(1);
      while (seg.history.redoCount > 0) {
        seg.redo();
        states.push(redoStates.pop()!);
        expect(checksum(seg)).toBe(states.at(-1));
      }
      expect(states.length).toBe(top);
    }
  });
});

describe('memory and speed on a 512×512×500 map', () => {
  const dims: Vec3 = [512, 512, 500];
  const spacing: Vec3 = [0.78, 0.78, 1.0];
  const full = 512 * 512 * 500;

  it('100 brush strokes keep the history small; dab time', () => {
    const seg = Segmentation.empty(study(dims, spacing, new Uint8Array(full)));
    const a = seg.addSegment({ name: 'Lesion' }).value;
    const r = rng(42);
    let dabs = 0;
    const t0 = performance.now();
    for (let s = 0; s < 100; s++) {
      seg.beginStroke(`Stroke ${s}`);
      let p: Vec3 = [50 + r() * 400, 50 + r() * 400, 20 + r() * 460];
      for (let k = 0; k < 20; k++, dabs++) {
        seg.paint({ kind: 'sphere', center: p, radiusMm: 5 }, a);
        p = [p[0] + (r() - 0.5) * 6, p[1] + (r() - 0.5) * 6, p[2] + (r() - 0.5) * 3];
      }
      seg.endStroke();
    }
    const ms = (performance.now() - t0) / dabs;
    console.log(
      `brush: ${dabs} dabs of radius 5 mm on 512x512x500 (0.78x0.78x1 mm), ${ms.toFixed(3)} ms/dab; history ${seg.history.undoCount} entries, ${mb(seg.history.bytes)} MB`,
    );
    expect(seg.history.undoCount).toBe(101);
    expect(seg.history.bytes).toBeLessThan(10 * 2 ** 20);
    expect(ms).toBeLessThan(50); // sanity only: a dab must never scan the volume
  });

  it('replacing the whole map with a phantom-like result costs far less than a copy', () => {
    const seg = Segmentation.empty(study(dims, spacing, new Uint8Array(full)));
    const manual = seg.addSegment({ name: 'Manual' }).value;
    seg.paint({ kind: 'sphere', center: [256, 256, 250], radiusMm: 20 }, manual);
    const c0 = checksum(seg);
    // Seven organs as ellipsoids (centre, semi-axes in voxels), rows filled analytically.
    const organs: [number, Vec3, Vec3][] = [
      [1, [180, 230, 260], [90, 70, 110]],
      [2, [340, 260, 280], [45, 50, 60]],
      [3, [190, 320, 200], [30, 30, 55]],
      [4, [330, 320, 200], [30, 30, 55]],
      [5, [256, 300, 250], [12, 12, 240]],
      [6, [256, 370, 250], [25, 22, 245]],
      [7, [256, 230, 420], [170, 110, 75]],
    ];
    const map = new Uint8Array(full);
    for (const [v, c, s] of organs)
      for (let z = Math.max(0, c[2] - s[2]); z <= Math.min(499, c[2] + s[2]); z++)
        for (let y = Math.max(0, c[1] - s[1]); y <= Math.min(511, c[1] + s[1]); y++) {
          const t = 1 - ((y - c[1]) / s[1]) ** 2 - ((z - c[2]) / s[2]) ** 2;
          if (t < 0) continue;
          const dx = s[0] * Math.sqrt(t);
          const base = y * 512 + z * 512 * 512;
          map.fill(v, base + Math.max(0, Math.ceil(c[0] - dx)), base + Math.min(512, Math.floor(c[0] + dx) + 1));
        }
    const segs: Segment[] = organs.map(([value]) => ({
      value,
      name: `Organ ${value}`,
      color: [value * 30, 100, 100],
      algorithm: 'AUTOMATIC',
      algorithmName: 'phantom-net 1.0',
      createdAt: '2024-05-01T12:00:00Z',
      edited: false,
      visible: true,
      locked: false,
      review: 'proposed',
    }));
    const before = seg.history.bytes;
    const t0 = performance.now();
    seg.replaceAll([layer(seg.study, map)], segs, 'AI segmentation');
    const ms = performance.now() - t0;
    const cost = seg.history.bytes - before;
    console.log(
      `replaceAll: 7 organs on 512x512x500, ${ms.toFixed(0)} ms, history +${mb(cost)} MB (a uint8 copy is ${mb(full)} MB, ${((100 * cost) / full).toFixed(1)}%)`,
    );
    expect(cost).toBeLessThan(full / 20);
    const own = seg.layers[0].voxels;
    let same = own.length === map.length;
    for (let i = 0; same && i < map.length; i++) same = own[i] === map[i];
    expect(same).toBe(true); // (a plain loop: toEqual on 131 M elements is far too slow)
    expect(own === map).toBe(false); // copied into the segmentation's own layer
    const c1 = checksum(seg);
    seg.undo();
    expect(checksum(seg)).toBe(c0);
    seg.redo();
    expect(checksum(seg)).toBe(c1);
  });
});
