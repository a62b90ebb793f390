import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { generatePhantom, PHANTOM_LABELS, type Phantom } from '../../../src/phantom/index';
import { indexToWorld, orientationCode } from '../../../src/volume/geometry';

// Same field of view as the default (345.6 mm) at a quarter of the voxels, for speed.
const SMALL = { dims: [192, 192, 60] as Vec3, spacing: [1.8, 1.8, 5] as Vec3 };
const cache = new Map<number, Phantom>();
const phantom = (seed: number) => {
  if (!cache.has(seed)) cache.set(seed, generatePhantom({ seed, ...SMALL }));
  return cache.get(seed)!;
};

interface Stats {
  count: number;
  mean: number;
  centroid: Vec3; // world LPS mm
}

function labelStats(p: Phantom): Map<number, Stats> {
  const [nx, ny, nz] = p.ct.header.dims;
  const acc = new Map<number, number[]>();
  const lab = p.labels.voxels;
  const ct = p.ct.voxels;
  for (let k = 0, o = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, o++) {
        const l = lab[o];
        let a = acc.get(l);
        if (!a) acc.set(l, (a = [0, 0, 0, 0, 0]));
        a[0]++;
        a[1] += ct[o];
        a[2] += i;
        a[3] += j;
        a[4] += k;
      }
  const out = new Map<number, Stats>();
  for (const [l, a] of acc)
    out.set(l, {
      count: a[0],
      mean: a[1] / a[0],
      centroid: indexToWorld(p.ct.header, [a[2] / a[0], a[3] / a[0], a[4] / a[0]]),
    });
  return out;
}

describe('generatePhantom', () => {
  it('is deterministic: same seed -> identical bytes, different seed -> different volumes', () => {
    const a = generatePhantom({ seed: 7, dims: [96, 96, 24] });
    const b = generatePhantom({ seed: 7, dims: [96, 96, 24] });
    const c = generatePhantom({ seed: 8, dims: [96, 96, 24] });
    expect(Buffer.from(a.ct.voxels.buffer).equals(Buffer.from(b.ct.voxels.buffer))).toBe(true);
    expect(Buffer.from(a.labels.voxels.buffer).equals(Buffer.from(b.labels.voxels.buffer))).toBe(true);
    expect(Buffer.from(a.ct.voxels.buffer).equals(Buffer.from(c.ct.voxels.buffer))).toBe(false);
    expect(Buffer.from(a.labels.voxels.buffer).equals(Buffer.from(c.labels.voxels.buffer))).toBe(false);
  });

  it('has LPS axial geometry centred on world 0 and the default size', () => {
    const p = generatePhantom({ dims: [40, 30, 12] });
    const h = p.ct.header;
    expect(h.dtype).toBe('int16');
    expect(p.labels.header.dtype).toBe('uint8');
    expect(h.spacing).toEqual([0.9, 0.9, 2.5]);
    expect(orientationCode(h.direction)).toBe('LPS');
    const centre = indexToWorld(h, [(40 - 1) / 2, (30 - 1) / 2, (12 - 1) / 2]);
    for (const c of centre) expect(Math.abs(c)).toBeLessThan(1e-9);
    expect(p.labels.header.origin).toEqual(h.origin);
    expect(h.metadata.modality).toBe('CT');
  });

  it('has a label table with 7 distinct names, ids and colours', () => {
    const t = phantom(1).labelTable;
    expect(t.map((l) => l.value)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.map((l) => l.name)).toEqual(['liver', 'spleen', 'kidney_right', 'kidney_left', 'aorta', 'spine', 'lungs']);
    expect(new Set(t.map((l) => l.color.join())).size).toBe(7);
    expect(PHANTOM_LABELS).toHaveLength(7);
  });

  for (const seed of [1, 2, 3, 5, 18, 42]) {
    it(`seed ${seed}: realistic HU per label and organs on the correct side of the patient`, () => {
      const p = phantom(seed);
      const s = labelStats(p);
      for (let l = 1; l <= 7; l++) expect(s.get(l)?.count ?? 0, `label ${l} present`).toBeGreaterThan(100);
      const mean = (l: number) => s.get(l)!.mean;
      expect(mean(1)).toBeGreaterThan(45); // liver ~60
      expect(mean(1)).toBeLessThan(70);
      expect(mean(2)).toBeGreaterThan(30); // spleen 50 HU less partial volume at its thin edges
      expect(mean(2)).toBeLessThan(55);
      for (const k of [3, 4]) {
        expect(mean(k)).toBeGreaterThan(100); // enhancing kidney
        expect(mean(k)).toBeLessThan(170);
      }
      expect(mean(5)).toBeGreaterThan(140); // contrast aorta ~180
      expect(mean(5)).toBeLessThan(190);
      expect(mean(6)).toBeGreaterThan(300); // bone
      expect(mean(6)).toBeLessThan(800);
      expect(mean(7)).toBeGreaterThan(-900); // lung ~-850
      expect(mean(7)).toBeLessThan(-750);
      // Outside the body: air
      expect(p.ct.voxels[0]).toBeLessThan(-900);

      // LPS: +x = patient LEFT, +y = POSTERIOR, +z = HEAD.
      const c = (l: number) => s.get(l)!.centroid;
      expect(c(1)[0]).toBeLessThan(-20); // liver on the patient's right
      expect(c(2)[0]).toBeGreaterThan(20); // spleen on the left
      expect(c(3)[0]).toBeLessThan(-20); // right kidney
      expect(c(4)[0]).toBeGreaterThan(20); // left kidney
      expect(c(5)[0]).toBeGreaterThan(0); // aorta slightly left of the midline...
      expect(c(5)[1]).toBeLessThan(c(6)[1]); // ...and anterior of the spine
      expect(Math.abs(c(6)[0])).toBeLessThan(10); // spine in the midline
      expect(c(6)[1]).toBeGreaterThan(10); // posterior
      expect(c(2)[1]).toBeGreaterThan(c(1)[1] - 40); // spleen posterior-ish
      expect(c(7)[2]).toBeGreaterThan(c(1)[2]); // lungs above the liver
      expect(c(1)[2]).toBeGreaterThan(c(3)[2]); // liver above the kidneys
      expect(c(3)[2]).toBeLessThan(c(4)[2]); // right kidney lower than the left
    });
  }

  it('varies organ size and position with the seed', () => {
    const a = labelStats(phantom(1));
    const b = labelStats(phantom(2));
    expect(a.get(1)!.count).not.toBe(b.get(1)!.count);
    expect(
      Math.abs(a.get(2)!.centroid[0] - b.get(2)!.centroid[0]) + Math.abs(a.get(2)!.centroid[1] - b.get(2)!.centroid[1]),
    ).toBeGreaterThan(0.5);
  });

  it('rejects bad options with usage errors', () => {
    expect(() => generatePhantom({ dims: [0, 10, 10] })).toThrow(/dims/);
    expect(() => generatePhantom({ spacing: [1, -1, 1] })).toThrow(/spacing/);
    expect(() => generatePhantom({ seed: 1.5 })).toThrow(/seed/);
  });

  it('generates 512x512x500 quickly', () => {
    const t0 = performance.now();
    const p = generatePhantom({ seed: 3, dims: [512, 512, 500] });
    const s = (performance.now() - t0) / 1000;
    expect(p.ct.voxels.length).toBe(512 * 512 * 500);
    console.log(`phantom 512x512x500 generated in ${s.toFixed(1)} s`);
    expect(s).toBeLessThan(40);
  });
});
