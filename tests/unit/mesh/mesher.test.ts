import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import { readNifti } from '../../../src/io/nifti';
import { edgeReport, IncrementalMesher, meshLabels, measure, type LabelMesh } from '../../../src/mesh';
import { describeShared, sharedPath } from '../helpers/shared';

const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** A uint8 label map whose voxel (i, j, k) gets f(index). */
function labelMap(
  dims: Vec3,
  f: (i: number, j: number, k: number) => number,
  spacing: Vec3 = [1, 1, 1],
  origin: Vec3 = [0, 0, 0],
  direction: Mat3 = IDENTITY,
): Volume {
  const voxels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) voxels[n++] = f(i, j, k);
  return { header: { dims, spacing, origin, direction, dtype: 'uint8', metadata: {} }, voxels };
}

function count(v: Volume, label: number): number {
  let c = 0;
  for (const x of v.voxels) if (x === label) c++;
  return c;
}

function expectClosed(m: LabelMesh): void {
  const e = edgeReport(m.indices);
  expect(e.boundary, 'edges with one triangle').toBe(0);
  expect(e.nonManifold, 'edges with more than two triangles').toBe(0);
  expect(e.misoriented, 'edges used twice the same way').toBe(0);
  expect(m.stats.volumeMl).toBeGreaterThan(0);
}

/** Fraction of vertex normals that point away from `centre` (outward for a convex shape). */
function outwardShare(m: LabelMesh, centre: Vec3): number {
  let out = 0;
  for (let k = 0; k < m.positions.length; k += 3) {
    const d = [0, 1, 2].map((a) => m.positions[k + a] - centre[a]);
    if (d[0] * m.normals[k] + d[1] * m.normals[k + 1] + d[2] * m.normals[k + 2] > 0) out++;
  }
  return out / (m.positions.length / 3);
}

describe('analytic shapes', () => {
  const R = 20;
  const sphere = labelMap([50, 50, 50], (i, j, k) => ((i - 25) ** 2 + (j - 25) ** 2 + (k - 25) ** 2 <= R * R ? 1 : 0));
  const cylinder = labelMap([44, 44, 60], (i, j, k) =>
    (i - 22) ** 2 + (j - 22) ** 2 <= 15 * 15 && k >= 10 && k < 50 ? 3 : 0,
  );

  it('a voxelised sphere (r = 20 mm, 1 mm voxels): volume within 2 %, area within 5 %, closed, outward', () => {
    const [m] = meshLabels(sphere);
    expect(m.label).toBe(1);
    expect(Math.abs((m.stats.volumeMl * 1000) / ((4 / 3) * Math.PI * R ** 3) - 1)).toBeLessThan(0.02);
    expect(Math.abs(m.stats.areaMm2 / (4 * Math.PI * R * R) - 1)).toBeLessThan(0.05);
    expectClosed(m);
    expect(outwardShare(m, [25, 25, 25])).toBe(1);
    // Smooth: every vertex within half a voxel of the true sphere.
    for (let k = 0; k < m.positions.length; k += 3) {
      expect(
        Math.abs(Math.hypot(m.positions[k] - 25, m.positions[k + 1] - 25, m.positions[k + 2] - 25) - R),
      ).toBeLessThan(0.6);
    }
  });

  it('a voxelised cylinder (r = 15 mm, 40 mm long): volume within 2 %, area within 5 %, closed', () => {
    const [m] = meshLabels(cylinder);
    const volume = Math.PI * 15 * 15 * 40,
      area = 2 * Math.PI * 15 * 40 + 2 * Math.PI * 15 * 15;
    expect(Math.abs((m.stats.volumeMl * 1000) / volume - 1)).toBeLessThan(0.02);
    expect(Math.abs(m.stats.areaMm2 / area - 1)).toBeLessThan(0.05);
    expectClosed(m);
    expect(m.stats.centroid[2]).toBeCloseTo(29.5, 1);
  });

  it('unsmoothed, the surface is the voxels’ own faces: exact voxel volume and area', () => {
    const [m] = meshLabels(sphere, { smoothing: 0 });
    expect(m.stats.volumeMl * 1000).toBeCloseTo(count(sphere, 1), 6);
    expectClosed(m);
    const box = labelMap(
      [12, 12, 12],
      (i, j, k) => (i >= 2 && i < 7 && j >= 3 && j < 9 && k >= 4 && k < 11 ? 1 : 0),
      [0.5, 1, 2],
    );
    const [b] = meshLabels(box, { smoothing: 0 });
    expect(b.stats.volumeMl * 1000).toBeCloseTo(5 * 0.5 * 6 * 7 * 2, 6);
    expect(b.stats.areaMm2).toBeCloseTo(2 * (2.5 * 6 + 2.5 * 14 + 6 * 14), 6);
    expect(b.stats.triangles).toBe(2 * 2 * (5 * 6 + 5 * 7 + 6 * 7));
  });

  it('smoothing keeps the volume of the voxels, even for thin and tiny labels', () => {
    const thin = labelMap([40, 40, 12], (i, j, k) =>
      k === 5 && Math.hypot(i - 20, j - 20) < 15
        ? 1
        : Math.abs(Math.hypot(i - 20, j - 20) - 10) < 0.7 && k > 5
          ? 2
          : i === 3 && j === 3 && k === 3
            ? 4
            : 0,
    );
    for (const m of meshLabels(thin)) {
      expect(Math.abs((m.stats.volumeMl * 1000) / count(thin, m.label) - 1), `label ${m.label}`).toBeLessThan(0.01);
      expectClosed(m);
    }
  });

  it('a label touching the border of the volume is capped there', () => {
    const v = labelMap([20, 20, 20], (i, j, k) => (i < 8 && (j - 10) ** 2 + (k - 10) ** 2 < 30 ? 1 : k >= 15 ? 2 : 0));
    for (const m of meshLabels(v)) {
      expectClosed(m);
      expect(Math.abs((m.stats.volumeMl * 1000) / count(v, m.label) - 1)).toBeLessThan(0.01);
    }
    const [cap] = meshLabels(v, { labels: [2], smoothing: 0 });
    const minX = Math.min(...Array.from(cap.positions).filter((_, k) => k % 3 === 0));
    expect(minX).toBe(-0.5); // the cap lies on the outer face of the first voxel layer
  });

  it('voxels touching only along an edge or at a corner give separate closed, manifold surfaces', () => {
    const v = labelMap([6, 6, 6], (i, j, k) =>
      (i === 2 && j === 2 && k === 2) || (i === 3 && j === 3 && k === 2) || (i === 1 && j === 1 && k === 1) ? 1 : 0,
    );
    for (const smoothing of [0, 10]) {
      const [m] = meshLabels(v, { smoothing });
      expectClosed(m);
      // Unsmoothed, the corners the cubes share are pulled apart a little (no coincident vertices).
      if (smoothing) expect(m.stats.volumeMl * 1000).toBeCloseTo(3, 2);
      else expect(m.stats.volumeMl * 1000).toBeGreaterThan(2.5);
      // Three cubes of 6 quads each, with no shared vertex.
      expect(m.stats.triangles).toBe(36);
      expect(m.stats.vertices).toBe(24);
    }
  });

  it('labels asked for but absent give empty meshes; others are left out', () => {
    const ms = meshLabels(sphere, { labels: [1, 9] });
    expect(ms.map((m) => [m.label, m.stats.triangles > 0])).toEqual([
      [1, true],
      [9, false],
    ]);
  });
});

describe('world coordinates', () => {
  it('a mesh from an oblique, mirrored volume lands where the volume does, still outward', () => {
    const c = Math.cos(0.5),
      s = Math.sin(0.5);
    // Rotation about z then a mirrored y axis: det = -1 (index axes left-handed in LPS).
    const direction: Mat3 = [c, s, 0, s, -c, 0, 0, 0, 1];
    const spacing: Vec3 = [0.8, 1.1, 2];
    const origin: Vec3 = [-120.5, 33.25, 410];
    const centre: Vec3 = [20, 17, 9];
    const v = labelMap(
      [40, 36, 20],
      (i, j, k) => (Math.hypot((i - centre[0]) * 0.8, (j - centre[1]) * 1.1, (k - centre[2]) * 2) <= 9 ? 5 : 0),
      spacing,
      origin,
      direction,
    );
    const world = [0, 1, 2].map(
      (r) => origin[r] + [0, 1, 2].reduce((sum, a) => sum + direction[3 * r + a] * centre[a] * spacing[a], 0),
    ) as Vec3;
    const [m] = meshLabels(v);
    expectClosed(m);
    expect(outwardShare(m, world)).toBe(1);
    for (let a = 0; a < 3; a++) expect(Math.abs(m.stats.centroid[a] - world[a])).toBeLessThan(0.1);
    for (let k = 0; k < m.positions.length; k += 3) {
      const r = Math.hypot(m.positions[k] - world[0], m.positions[k + 1] - world[1], m.positions[k + 2] - world[2]);
      expect(r).toBeGreaterThan(9 - 1.5);
      expect(r).toBeLessThan(9 + 1.5);
    }
  });
});

describe('incremental re-meshing', () => {
  it('after an edit only the labels that changed come back, equal to a fresh mesh', () => {
    const v = labelMap([40, 40, 40], (i, j, k) =>
      (i - 12) ** 2 + (j - 20) ** 2 + (k - 20) ** 2 <= 64
        ? 1
        : (i - 28) ** 2 + (j - 20) ** 2 + (k - 20) ** 2 <= 49
          ? 2
          : (i - 20) ** 2 + (j - 6) ** 2 + (k - 6) ** 2 <= 9
            ? 3
            : 0,
    );
    const inc = new IncrementalMesher(v);
    expect(inc.meshAll().map((m) => m.label)).toEqual([1, 2, 3]);
    // Paint label 2 over part of label 1 and some background.
    const [nx, ny] = v.header.dims;
    for (let k = 18; k < 23; k++)
      for (let j = 18; j < 23; j++) for (let i = 16; i < 22; i++) v.voxels[i + j * nx + k * nx * ny] = 2;
    const changed = inc.update({ lo: [16, 18, 18], hi: [22, 23, 23] });
    expect(changed.map((m) => m.label)).toEqual([1, 2]);
    const fresh = meshLabels(v, { labels: [1, 2] });
    for (const [i, m] of changed.entries()) {
      expect(m.stats.triangles).toBe(fresh[i].stats.triangles);
      expect(m.stats.volumeMl).toBeCloseTo(fresh[i].stats.volumeMl, 9);
      expect(m.stats.volumeMl * 1000).toBeCloseTo(count(v, m.label), 1);
    }
    // Erase label 3 entirely: it comes back empty.
    for (let i = 0; i < v.voxels.length; i++) if (v.voxels[i] === 3) v.voxels[i] = 0;
    const gone = inc.update({ lo: [0, 0, 0], hi: [40, 40, 40] });
    expect(gone.map((m) => [m.label, m.stats.triangles])).toEqual([[3, 0]]);
    expect(inc.present).toEqual([1, 2]);
  });
});

describeShared('labels/totalsegmentator/example_seg.nii.gz', 'TotalSegmentator example label map (41 labels)', () => {
  const file = sharedPath('labels/totalsegmentator/example_seg.nii.gz');
  const v = readNifti(new Uint8Array(readFileSync(file)), file);
  const { dims, spacing, origin, direction } = v.header;
  // Voxel counts and index centroids, measured independently of the mesher.
  const sums = new Map<number, number[]>();
  let n = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, n++) {
        const l = v.voxels[n];
        if (!l) continue;
        const s = sums.get(l) ?? [0, 0, 0, 0];
        s[0] += i;
        s[1] += j;
        s[2] += k;
        s[3]++;
        sums.set(l, s);
      }
  const meshes = meshLabels(v);

  it('meshes every label, each closed and outward', () => {
    expect(meshes.map((m) => m.label)).toEqual([...sums.keys()].sort((a, b) => a - b));
    expect(meshes.length).toBe(41);
    for (const m of meshes) {
      const e = edgeReport(m.indices);
      expect(e.boundary + e.misoriented, `label ${m.label}`).toBe(0);
      expect(m.stats.volumeMl, `label ${m.label}`).toBeGreaterThan(0);
    }
  });

  it('each mesh volume is within 3 % of voxels × voxel volume and its centroid within one voxel', () => {
    const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
    for (const m of meshes) {
      const s = sums.get(m.label)!;
      expect(Math.abs((m.stats.volumeMl * 1000) / (s[3] * voxelMm3) - 1), `label ${m.label} volume`).toBeLessThan(0.03);
      const mm = [0, 1, 2].map((a) => (s[a] / s[3]) * spacing[a]);
      const world = [0, 1, 2].map(
        (r) => origin[r] + direction[3 * r] * mm[0] + direction[3 * r + 1] * mm[1] + direction[3 * r + 2] * mm[2],
      );
      const off = Math.hypot(...world.map((w, a) => w - m.stats.centroid[a]));
      expect(off, `label ${m.label} centroid`).toBeLessThan(Math.min(...spacing));
      // The stats agree with the triangles.
      expect(measure(m.positions, m.indices).volume / 1000).toBeCloseTo(m.stats.volumeMl, 3);
    }
  });
});
