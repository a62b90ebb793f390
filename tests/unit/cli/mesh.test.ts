/** `voxseg mesh`: label NIfTI → one surface file per label (STL / OBJ / PLY), table or JSON, exit codes. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { writeNifti } from '../../../src/io/nifti/index';
import { createVolume } from '../../../src/volume/volume';
import { voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-mesh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const N = 48;
const ORIGIN: Vec3 = [-20, 10, 5];
const SPHERE = { centre: [14, 24, 24], r: 9.5 };
const BOX = { lo: [30, 10, 12], hi: [41, 37, 35] }; // inclusive voxel bounds
const counts = { 1: 0, 2: 0 };
const labelsFile = join(tmp, 'labels.nii.gz');

/** Label 1: a voxelised sphere; label 2: a box; 48³ at 1 mm, LPS with origin ORIGIN. */
beforeAll(() => {
  const voxels = new Uint8Array(N ** 3);
  let n = 0;
  for (let k = 0; k < N; k++)
    for (let j = 0; j < N; j++)
      for (let i = 0; i < N; i++, n++) {
        const [cx, cy, cz] = SPHERE.centre;
        if ((i - cx) ** 2 + (j - cy) ** 2 + (k - cz) ** 2 <= SPHERE.r ** 2) voxels[n] = 1;
        else if (
          i >= BOX.lo[0] &&
          i <= BOX.hi[0] &&
          j >= BOX.lo[1] &&
          j <= BOX.hi[1] &&
          k >= BOX.lo[2] &&
          k <= BOX.hi[2]
        )
          voxels[n] = 2;
        if (voxels[n]) counts[voxels[n] as 1 | 2]++;
      }
  writeFileSync(labelsFile, writeNifti(createVolume({ dims: [N, N, N], voxels, origin: ORIGIN }), { gzip: true }));
});

interface Summary {
  files: string[];
  labels: {
    label: number;
    name: string;
    color: number[];
    file: string;
    triangles: number;
    areaMm2: number;
    volumeMl: number;
    centroid: number[];
  }[];
  total: { triangles: number; volumeMl: number };
}

/** Triangles of a binary STL: corners and attribute words. */
function readStl(path: string): { tris: Vec3[][]; attributes: number[] } {
  const b = readFileSync(path);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = view.getUint32(80, true);
  expect(b.length).toBe(84 + 50 * count);
  const tris: Vec3[][] = [];
  const attributes: number[] = [];
  for (let t = 0; t < count; t++) {
    const o = 84 + 50 * t + 12;
    tris.push([0, 1, 2].map((c) => [0, 1, 2].map((k) => view.getFloat32(o + 12 * c + 4 * k, true)) as Vec3));
    attributes.push(view.getUint16(o + 36, true));
  }
  return { tris, attributes };
}

/** Enclosed volume (mm³) and centroid of closed, outward-wound triangles. */
function solid(tris: Vec3[][]): { volume: number; centroid: Vec3 } {
  let volume = 0;
  const c = [0, 0, 0];
  for (const [a, b, d] of tris) {
    const v =
      (a[0] * (b[1] * d[2] - b[2] * d[1]) - a[1] * (b[0] * d[2] - b[2] * d[0]) + a[2] * (b[0] * d[1] - b[1] * d[0])) /
      6;
    volume += v;
    for (let k = 0; k < 3; k++) c[k] += (v * (a[k] + b[k] + d[k])) / 4;
  }
  return { volume, centroid: c.map((x) => x / volume) as Vec3 };
}

const near = (got: number, want: number, rel: number) =>
  expect(Math.abs(got / want - 1), `${got} vs ${want}`).toBeLessThan(rel);

describe('voxseg mesh', () => {
  it('one STL per label, named after the segment; table with both labels and their volumes', () => {
    const out = join(tmp, 'stl');
    const names = join(tmp, 'names.json');
    writeFileSync(names, JSON.stringify({ 1: 'ball', 2: 'Box (big)' }));
    const r = voxseg(['mesh', labelsFile, '-o', out, '--names', names]);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['Box_big.stl', 'ball.stl']);

    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/label\s+name\s+triangles\s+area mm²\s+volume mL/);
    const row = (label: string) =>
      lines
        .find((l) => l.trim().startsWith(label + ' '))!
        .trim()
        .split(/\s{2,}/);
    const ball = row('1');
    const box = row('2');
    expect(ball[1]).toBe('ball');
    expect(box[1]).toBe('Box (big)');
    near(Number(ball[4]), counts[1] / 1000, 0.03);
    near(Number(box[4]), counts[2] / 1000, 0.03);
    const total = row('total');
    expect(Number(total[2])).toBe(Number(ball[2]) + Number(box[2]));
    near(Number(total[4]), (counts[1] + counts[2]) / 1000, 0.03);

    // The files themselves: closed, outward, voxel volume, in world (LPS) coordinates.
    const sphere = solid(readStl(join(out, 'ball.stl')).tris);
    near(sphere.volume, counts[1], 0.03);
    SPHERE.centre.forEach((c, k) => expect(Math.abs(sphere.centroid[k] - (ORIGIN[k] + c))).toBeLessThan(0.2));
    const stlBox = readStl(join(out, 'Box_big.stl'));
    near(solid(stlBox.tris).volume, counts[2], 0.03);
    expect(stlBox.attributes.every((a) => a & 0x8000)).toBe(true); // colour valid bit
  });

  it('--labels 2 --json: only label 2, default name, palette colour, JSON summary', () => {
    const out = join(tmp, 'only2');
    const r = voxseg(['mesh', labelsFile, '-o', out, '--labels', '2', '--json']);
    expect(r.code).toBe(0);
    expect(readdirSync(out)).toEqual(['label-2.stl']);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.labels.map((l) => [l.label, l.name])).toEqual([[2, 'label-2']]);
    expect(s.files).toEqual([join(out, 'label-2.stl')]);
    near(s.labels[0].volumeMl, counts[2] / 1000, 0.03);
    const centre = BOX.lo.map((lo, k) => ORIGIN[k] + (lo + BOX.hi[k]) / 2);
    s.labels[0].centroid.forEach((c, k) => expect(Math.abs(c - centre[k])).toBeLessThan(0.2));
    expect(s.labels[0].color).toHaveLength(3);
    expect(s.total.triangles).toBe(s.labels[0].triangles);
  });

  it('--format ply --single: one PLY with both labels, coloured from a label-table array', () => {
    const out = join(tmp, 'ply');
    const names = join(tmp, 'table.json');
    writeFileSync(
      names,
      JSON.stringify([
        { value: 1, name: 'ball', color: [200, 10, 20] },
        { value: 2, name: 'box', color: [5, 6, 250] },
      ]),
    );
    const r = voxseg(['mesh', labelsFile, '-o', out, '--format', 'ply', '--single', '--names', names, '--json']);
    expect(r.code).toBe(0);
    expect(readdirSync(out)).toEqual(['labels.ply']);
    const s = JSON.parse(r.stdout) as Summary;
    const bytes = readFileSync(join(out, 'labels.ply'));
    const end = bytes.indexOf('end_header\n');
    const header = bytes.subarray(0, end).toString('latin1');
    expect(header).toMatch(/^ply\nformat binary_little_endian 1\.0\n/);
    expect(header).toMatch(/comment .*\bmm\b.*LPS/);
    const nv = Number(/element vertex (\d+)/.exec(header)![1]);
    const nf = Number(/element face (\d+)/.exec(header)![1]);
    expect(nf).toBe(s.total.triangles);
    expect(bytes.length).toBe(end + 11 + 27 * nv + 13 * nf);
    // First vertex belongs to label 1, last to label 2: their colours.
    const first = end + 11;
    const last = end + 11 + 27 * (nv - 1);
    expect([...bytes.subarray(first + 24, first + 27)]).toEqual([200, 10, 20]);
    expect([...bytes.subarray(last + 24, last + 27)]).toEqual([5, 6, 250]);
  });

  it('--format obj: OBJ + MTL per label, faces refer to existing vertices', () => {
    const out = join(tmp, 'obj');
    const r = voxseg(['mesh', labelsFile, '-o', out, '--format', 'obj', '--smooth', '0']);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['label-1.mtl', 'label-1.obj', 'label-2.mtl', 'label-2.obj']);
    const text = readFileSync(join(out, 'label-2.obj'), 'utf8');
    expect(text).toMatch(/^mtllib label-2\.mtl$/m);
    expect(text).toMatch(/^o label-2$/m);
    const nv = (text.match(/^v /gm) ?? []).length;
    const faces = text.match(/^f .*$/gm) ?? [];
    expect(faces.length).toBeGreaterThan(0);
    for (const f of faces)
      for (const ref of f.slice(2).split(' ')) {
        const [v, , vn] = ref.split('/').map(Number);
        expect(v >= 1 && v <= nv && vn === v).toBe(true);
      }
    expect(readFileSync(join(out, 'label-2.mtl'), 'utf8')).toMatch(/^newmtl label-2\nKd [\d.]+ [\d.]+ [\d.]+$/m);
  });

  it('usage errors exit 2 with a clear message', () => {
    const cases: [string[], RegExp][] = [
      [['mesh'], /needs a label map/],
      [['mesh', labelsFile], /needs an output folder/],
      [['mesh', labelsFile, '-o', tmp, '--format', 'fbx'], /--format must be stl, obj, ply/],
      [['mesh', labelsFile, '-o', tmp, '--labels', '1,x'], /--labels needs label values/],
      [['mesh', labelsFile, '-o', tmp, '--labels', '0'], /--labels needs label values/],
      [['mesh', labelsFile, '-o', tmp, '--smooth', '-1'], /--smooth/],
      [['mesh', labelsFile, '-o', tmp, '--decimate', '1.5'], /--decimate needs a fraction/],
      [['mesh', join(tmp, 'seg.dcm'), '-o', tmp], /must be a NIfTI file.*voxseg import-seg/],
      [['mesh', labelsFile, '-o', tmp, '--bogus'], /--bogus/],
    ];
    for (const [args, msg] of cases) {
      const r = voxseg(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    const help = voxseg(['mesh', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: voxseg mesh/);
    expect(voxseg(['--help']).stdout).toMatch(/^\s+mesh\s/m);
  });

  it('bad input exits 1 naming the file, without a stack trace', () => {
    const missing = voxseg(['mesh', join(tmp, 'nope.nii.gz'), '-o', join(tmp, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.nii\.gz: no such file/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);

    const badNames = join(tmp, 'bad.json');
    writeFileSync(badNames, '{"1": ');
    const names = voxseg(['mesh', labelsFile, '-o', join(tmp, 'x'), '--names', badNames]);
    expect(names.code).toBe(1);
    expect(names.stderr).toMatch(/bad\.json: label table: not valid JSON/);

    const absent = voxseg(['mesh', labelsFile, '-o', join(tmp, 'x'), '--labels', '9']);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/labels\.nii\.gz: none of the labels 9 is in the label map/);
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });
});
