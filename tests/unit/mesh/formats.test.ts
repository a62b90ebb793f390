/**
 * Mesh writers (STL, OBJ + MTL, PLY): small closed meshes with known area and volume are written
 * and read back with independent parsers of each format's layout.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import {
  paletteColor,
  safeFileName,
  writeMeshes,
  writeObj,
  writePly,
  writeStl,
  type MeshPart,
} from '../../../src/mesh/formats/index';
import type { LabelMesh } from '../../../src/mesh/types';

// ---------------------------------------------------------------- test meshes

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec3): Vec3 => {
  const l = Math.hypot(...a);
  return [a[0] / l, a[1] / l, a[2] / l];
};

/** A LabelMesh from corners and triangles, each triangle turned to face away from `centre`. */
function convexMesh(
  label: number,
  corners: Vec3[],
  tris: [number, number, number][],
  centre: Vec3,
  areaMm2: number,
  volumeMm3: number,
): LabelMesh {
  const indices: number[] = [];
  for (const [a, b, c] of tris) {
    const n = cross(sub(corners[b], corners[a]), sub(corners[c], corners[a]));
    const mid: Vec3 = [0, 1, 2].map((k) => (corners[a][k] + corners[b][k] + corners[c][k]) / 3) as Vec3;
    indices.push(...(dot(n, sub(mid, centre)) > 0 ? [a, b, c] : [a, c, b]));
  }
  return {
    label,
    positions: Float32Array.from(corners.flat()),
    normals: Float32Array.from(corners.flatMap((p) => unit(sub(p, centre)))),
    indices: Uint32Array.from(indices),
    stats: { triangles: tris.length, vertices: corners.length, areaMm2, volumeMl: volumeMm3 / 1000, centroid: centre },
  };
}

/** Axis-aligned cube of side `s` with its lowest corner at `lo`: area 6 s², volume s³. */
function cube(label: number, lo: Vec3, s: number): LabelMesh {
  const corners: Vec3[] = [];
  for (let i = 0; i < 8; i++)
    corners.push([lo[0] + (i & 1) * s, lo[1] + ((i >> 1) & 1) * s, lo[2] + ((i >> 2) & 1) * s]);
  const quads = [
    [0, 1, 3, 2], // z low
    [4, 5, 7, 6], // z high
    [0, 1, 5, 4], // y low
    [2, 3, 7, 6], // y high
    [0, 2, 6, 4], // x low
    [1, 3, 7, 5], // x high
  ];
  const tris = quads.flatMap(
    ([a, b, c, d]) =>
      [
        [a, b, c],
        [a, c, d],
      ] as [number, number, number][],
  );
  return convexMesh(label, corners, tris, [lo[0] + s / 2, lo[1] + s / 2, lo[2] + s / 2], 6 * s * s, s ** 3);
}

/** Regular octahedron with corners at distance `r` from `c` on the axes: area 4√3 r², volume 4/3 r³. */
function octahedron(label: number, c: Vec3, r: number): LabelMesh {
  const corners: Vec3[] = [
    [c[0] + r, c[1], c[2]],
    [c[0] - r, c[1], c[2]],
    [c[0], c[1] + r, c[2]],
    [c[0], c[1] - r, c[2]],
    [c[0], c[1], c[2] + r],
    [c[0], c[1], c[2] - r],
  ];
  const tris: [number, number, number][] = [];
  for (const x of [0, 1]) for (const y of [2, 3]) for (const z of [4, 5]) tris.push([x, y, z]);
  return convexMesh(label, corners, tris, c, 4 * Math.sqrt(3) * r * r, (4 / 3) * r ** 3);
}

const CUBE = cube(1, [-30.5, 12.25, 100], 10);
const OCTA = octahedron(7, [40, -20.5, 80.75], 6);
const PARTS: MeshPart[] = [
  { name: 'kidney_left', color: [255, 0, 0], mesh: CUBE },
  { name: 'Liver (segment 1)', color: [10, 200, 30], mesh: OCTA },
];

// ---------------------------------------------------------------- shared checks

type Tri = [Vec3, Vec3, Vec3];

/** Volume enclosed by triangles (divergence theorem); positive when wound outward. */
function volumeOf(tris: Tri[]): number {
  return tris.reduce((s, [a, b, c]) => s + dot(a, cross(b, c)) / 6, 0);
}
function areaOf(tris: Tri[]): number {
  return tris.reduce((s, [a, b, c]) => s + Math.hypot(...cross(sub(b, a), sub(c, a))) / 2, 0);
}
function trianglesOf(m: LabelMesh): Tri[] {
  const p = (i: number): Vec3 => [m.positions[3 * i], m.positions[3 * i + 1], m.positions[3 * i + 2]];
  const out: Tri[] = [];
  for (let k = 0; k < m.indices.length; k += 3) out.push([p(m.indices[k]), p(m.indices[k + 1]), p(m.indices[k + 2])]);
  return out;
}
function expectSameTriangles(got: Tri[], want: Tri[], tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let t = 0; t < want.length; t++)
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 3; k++) expect(Math.abs(got[t][c][k] - want[t][c][k])).toBeLessThanOrEqual(tol);
}
/** Volume and area of the parsed triangles match the analytic values of the shape. */
function expectShape(tris: Tri[], m: LabelMesh): void {
  expect(volumeOf(tris) / 1000).toBeCloseTo(m.stats.volumeMl, 6);
  expect(areaOf(tris)).toBeCloseTo(m.stats.areaMm2, 3);
}
const ascii = (b: Uint8Array, from = 0, to = b.length) => String.fromCharCode(...b.subarray(from, to));

describe('test shapes', () => {
  it('are closed and wound outward with the analytic volume and area', () => {
    expectShape(trianglesOf(CUBE), CUBE);
    expectShape(trianglesOf(OCTA), OCTA);
    expect(CUBE.stats.volumeMl).toBe(1);
  });
});

// ---------------------------------------------------------------- STL

interface StlFile {
  header: string;
  facets: { normal: Vec3; corners: Tri; attribute: number }[];
}

function parseStl(bytes: Uint8Array): StlFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(80, true);
  expect(bytes.length).toBe(84 + 50 * count);
  const f32 = (o: number) => view.getFloat32(o, true);
  const vec = (o: number): Vec3 => [f32(o), f32(o + 4), f32(o + 8)];
  const facets = [];
  for (let t = 0; t < count; t++) {
    const o = 84 + 50 * t;
    facets.push({
      normal: vec(o),
      corners: [vec(o + 12), vec(o + 24), vec(o + 36)] as Tri,
      attribute: view.getUint16(o + 48, true),
    });
  }
  return { header: ascii(bytes, 0, 80).replace(/[\0 ]+$/, ''), facets };
}

/** VisCAM / SolidView attribute: bit 15 valid, red bits 10-14, green 5-9, blue 0-4. */
const decodeStlColor = (a: number) => ({ valid: (a & 0x8000) !== 0, r: (a >> 10) & 31, g: (a >> 5) & 31, b: a & 31 });

describe('binary STL', () => {
  const stl = parseStl(writeStl(PARTS));

  it('80-byte header naming the content, not "solid", and a triangle count', () => {
    expect(stl.header).toMatch(/^voxseg /);
    expect(stl.header).toMatch(/LPS mm/);
    expect(stl.header).toContain('kidney_left');
    expect(stl.header).toContain('Liver (segment 1)');
    expect(stl.facets.length).toBe(12 + 8);
  });

  it('corners as given, both parts in order; volume of each part as analytic', () => {
    const cubeTris = stl.facets.slice(0, 12).map((f) => f.corners);
    const octaTris = stl.facets.slice(12).map((f) => f.corners);
    expectSameTriangles(cubeTris, trianglesOf(CUBE), 0);
    expectSameTriangles(octaTris, trianglesOf(OCTA), 0);
    expectShape(cubeTris, CUBE);
    expectShape(octaTris, OCTA);
  });

  it('facet normals: unit, perpendicular to the facet, pointing out', () => {
    stl.facets.forEach((f, t) => {
      const [a, b, c] = f.corners;
      const centre = t < 12 ? CUBE.stats.centroid : OCTA.stats.centroid;
      expect(Math.hypot(...f.normal)).toBeCloseTo(1, 5);
      expect(dot(f.normal, sub(b, a))).toBeCloseTo(0, 4);
      expect(dot(f.normal, sub(c, a))).toBeCloseTo(0, 4);
      expect(dot(f.normal, sub(a, centre))).toBeGreaterThan(0);
    });
  });

  it('colour per facet in the attribute bytes, 5 bits per channel, valid bit set', () => {
    for (const f of stl.facets.slice(0, 12))
      expect(decodeStlColor(f.attribute)).toEqual({ valid: true, r: 31, g: 0, b: 0 });
    for (const f of stl.facets.slice(12))
      expect(decodeStlColor(f.attribute)).toEqual({ valid: true, r: 1, g: 25, b: 3 });
  });

  it('no parts: header and a zero count; a degenerate triangle gets a zero normal', () => {
    const empty = writeStl([]);
    expect(empty.length).toBe(84);
    expect(new DataView(empty.buffer).getUint32(80, true)).toBe(0);
    const flat: LabelMesh = {
      ...CUBE,
      positions: new Float32Array(9),
      normals: new Float32Array(9),
      indices: Uint32Array.of(0, 1, 2),
    };
    expect(parseStl(writeStl([{ name: 'flat', color: [0, 0, 0], mesh: flat }])).facets[0].normal).toEqual([0, 0, 0]);
  });
});

// ---------------------------------------------------------------- OBJ + MTL

interface ObjFile {
  mtllib: string[];
  v: Vec3[];
  vn: Vec3[];
  objects: { name: string; material: string; faces: { v: number[]; vn: number[] }[] }[];
}

function parseObj(bytes: Uint8Array): ObjFile {
  const out: ObjFile = { mtllib: [], v: [], vn: [], objects: [] };
  for (const raw of new TextDecoder().decode(bytes).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [kw, ...rest] = line.split(/\s+/);
    const nums = () => rest.map(Number) as Vec3;
    const cur = out.objects[out.objects.length - 1];
    if (kw === 'mtllib') out.mtllib.push(...rest);
    else if (kw === 'o') out.objects.push({ name: rest.join(' '), material: '', faces: [] });
    else if (kw === 'usemtl') cur.material = rest.join(' ');
    else if (kw === 'v') out.v.push(nums());
    else if (kw === 'vn') out.vn.push(nums());
    else if (kw === 'f') {
      const refs = rest.map((r) => r.split('/'));
      expect(refs.every((r) => r.length === 3 && r[1] === '')).toBe(true); // v//vn
      cur.faces.push({ v: refs.map((r) => Number(r[0])), vn: refs.map((r) => Number(r[2])) });
    } else throw new Error(`unexpected OBJ line ${JSON.stringify(line)}`);
  }
  return out;
}

function parseMtl(bytes: Uint8Array): Map<string, Vec3> {
  const kd = new Map<string, Vec3>();
  let cur = '';
  for (const raw of new TextDecoder().decode(bytes).split('\n')) {
    const [kw, ...rest] = raw.trim().split(/\s+/);
    if (kw === 'newmtl') cur = rest.join(' ');
    else if (kw === 'Kd') kd.set(cur, rest.map(Number) as Vec3);
  }
  return kd;
}

describe('Wavefront OBJ + MTL', () => {
  const { obj, mtl } = writeObj(PARTS, 'parts.mtl');
  const o = parseObj(obj);
  const text = new TextDecoder().decode(obj);

  it('one object per part with its own material; names are single tokens', () => {
    expect(o.mtllib).toEqual(['parts.mtl']);
    expect(o.objects.map((x) => x.name)).toEqual(['kidney_left', 'Liver_(segment_1)']);
    expect(o.objects.map((x) => x.material)).toEqual(['kidney_left', 'Liver_(segment_1)']);
    expect(text).toContain('Liver (segment 1)'); // full name kept in a comment
    expect(text).toMatch(/LPS/);
    expect(text).toMatch(/millimetres/);
  });

  it('counts, 1-based indices offset across parts, v and vn indices equal', () => {
    expect(o.v.length).toBe(8 + 6);
    expect(o.vn.length).toBe(8 + 6);
    expect(o.objects[0].faces.length).toBe(12);
    expect(o.objects[1].faces.length).toBe(8);
    for (const f of o.objects[0].faces) for (const i of f.v) expect(i >= 1 && i <= 8).toBe(true);
    for (const f of o.objects[1].faces) for (const i of f.v) expect(i >= 9 && i <= 14).toBe(true);
    for (const x of o.objects) for (const f of x.faces) expect(f.vn).toEqual(f.v);
  });

  it('coordinates, normals and the enclosed volume of each part', () => {
    const tris = (k: number) => o.objects[k].faces.map((f) => f.v.map((i) => o.v[i - 1]) as Tri);
    expectSameTriangles(tris(0), trianglesOf(CUBE));
    expectSameTriangles(tris(1), trianglesOf(OCTA));
    expectShape(tris(0), CUBE);
    expectShape(tris(1), OCTA);
    const normals = [...CUBE.normals, ...OCTA.normals];
    o.vn.forEach((n, i) => n.forEach((c, k) => expect(c).toBeCloseTo(normals[3 * i + k], 4)));
  });

  it('MTL: Kd per material from the part colours (0..1)', () => {
    const kd = parseMtl(mtl);
    expect([...kd.keys()]).toEqual(['kidney_left', 'Liver_(segment_1)']);
    expect(kd.get('kidney_left')).toEqual([1, 0, 0]);
    kd.get('Liver_(segment_1)')!.forEach((c, k) => expect(c).toBeCloseTo([10, 200, 30][k] / 255, 3));
  });

  it('parts with the same name get distinct object names', () => {
    const twice = parseObj(writeObj([PARTS[0], { ...PARTS[0], mesh: OCTA }]).obj);
    expect(twice.objects.map((x) => x.name)).toEqual(['kidney_left', 'kidney_left_2']);
  });
});

// ---------------------------------------------------------------- PLY

interface PlyFile {
  format: string;
  comments: string[];
  elements: { name: string; count: number; props: string[] }[];
  vertices: { p: Vec3; n: Vec3; rgb: Vec3 }[];
  faces: number[][];
}

function parsePly(bytes: Uint8Array): PlyFile {
  const end = new TextDecoder().decode(bytes.subarray(0, 4096)).indexOf('end_header\n');
  expect(end).toBeGreaterThan(0);
  const headerLines = ascii(bytes, 0, end).split('\n');
  expect(headerLines[0]).toBe('ply');
  const ply: PlyFile = { format: '', comments: [], elements: [], vertices: [], faces: [] };
  for (const line of headerLines.slice(1)) {
    const [kw, ...rest] = line.split(' ');
    if (kw === 'format') ply.format = rest.join(' ');
    else if (kw === 'comment') ply.comments.push(rest.join(' '));
    else if (kw === 'element') ply.elements.push({ name: rest[0], count: Number(rest[1]), props: [] });
    else if (kw === 'property') ply.elements[ply.elements.length - 1].props.push(rest.join(' '));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = end + 'end_header\n'.length;
  const f32 = () => ((o += 4), view.getFloat32(o - 4, true));
  const [vertex, face] = ply.elements;
  for (let i = 0; i < vertex.count; i++) {
    const p: Vec3 = [f32(), f32(), f32()];
    const n: Vec3 = [f32(), f32(), f32()];
    const rgb: Vec3 = [bytes[o], bytes[o + 1], bytes[o + 2]];
    o += 3;
    ply.vertices.push({ p, n, rgb });
  }
  for (let i = 0; i < face.count; i++) {
    const k = bytes[o++];
    const idx = [];
    for (let j = 0; j < k; j++, o += 4) idx.push(view.getInt32(o, true));
    ply.faces.push(idx);
  }
  expect(o).toBe(bytes.length);
  return ply;
}

describe('binary PLY', () => {
  const ply = parsePly(writePly(PARTS));

  it('header: little-endian, units and parts in comments, vertex and face properties', () => {
    expect(ply.format).toBe('binary_little_endian 1.0');
    expect(ply.comments.some((c) => /\bmm\b/.test(c) && /LPS/.test(c))).toBe(true);
    expect(ply.comments.some((c) => c.includes('kidney_left'))).toBe(true);
    expect(ply.comments.some((c) => c.includes('Liver (segment 1)'))).toBe(true);
    expect(ply.elements.map((e) => [e.name, e.count])).toEqual([
      ['vertex', 14],
      ['face', 20],
    ]);
    expect(ply.elements[0].props).toEqual([
      'float x',
      'float y',
      'float z',
      'float nx',
      'float ny',
      'float nz',
      'uchar red',
      'uchar green',
      'uchar blue',
    ]);
    expect(ply.elements[1].props).toEqual(['list uchar int vertex_indices']);
  });

  it('vertices, normals and colours per part; faces offset across parts; volumes', () => {
    const positions = [...CUBE.positions, ...OCTA.positions];
    const normals = [...CUBE.normals, ...OCTA.normals];
    ply.vertices.forEach((v, i) => {
      expect(v.p).toEqual(positions.slice(3 * i, 3 * i + 3));
      expect(v.n).toEqual(normals.slice(3 * i, 3 * i + 3));
      expect(v.rgb).toEqual(i < 8 ? [255, 0, 0] : [10, 200, 30]);
    });
    for (const f of ply.faces) expect(f.length).toBe(3);
    const tris = (from: number, to: number) =>
      ply.faces.slice(from, to).map((f) => f.map((i) => ply.vertices[i].p) as Tri);
    for (const f of ply.faces.slice(12)) for (const i of f) expect(i >= 8 && i < 14).toBe(true);
    expectSameTriangles(tris(0, 12), trianglesOf(CUBE), 0);
    expectSameTriangles(tris(12, 20), trianglesOf(OCTA), 0);
    expectShape(tris(0, 12), CUBE);
    expectShape(tris(12, 20), OCTA);
  });

  it('vertex normals point out of their shape', () => {
    ply.vertices.forEach((v, i) => {
      const centre = i < 8 ? CUBE.stats.centroid : OCTA.stats.centroid;
      expect(dot(v.n, sub(v.p, centre))).toBeGreaterThan(0);
    });
  });
});

// ---------------------------------------------------------------- helpers

describe('file names, writeMeshes, palette', () => {
  it('safeFileName keeps plain names and makes others safe, idempotently', () => {
    const cases: [string, string][] = [
      ['kidney_left', 'kidney_left'],
      ['Liver (segment 1)', 'Liver_segment_1'],
      ['../../etc/passwd', 'etc_passwd'],
      ['Hüfte links', 'Hufte_links'],
      ['a/b\\c:d*e?f"g<h>i|j', 'a_b_c_d_e_f_g_h_i_j'],
      ['', 'unnamed'],
      ['   ', 'unnamed'],
      ['.hidden', 'hidden'],
      ['CON', 'CON_x'],
      ['nul.txt', 'nul_x.txt'],
      ['vertebrae_L1', 'vertebrae_L1'],
    ];
    for (const [name, want] of cases) {
      expect(safeFileName(name), name).toBe(want);
      expect(safeFileName(want)).toBe(want);
    }
    expect(safeFileName('x'.repeat(300)).length).toBe(100);
  });

  it('writeMeshes: file names and bytes per format', () => {
    expect(writeMeshes(PARTS, 'stl', 'Liver (segment 1)').map((f) => f.name)).toEqual(['Liver_segment_1.stl']);
    expect(writeMeshes(PARTS, 'ply').map((f) => f.name)).toEqual(['labels.ply']);
    const obj = writeMeshes(PARTS, 'obj', 'spleen');
    expect(obj.map((f) => f.name)).toEqual(['spleen.obj', 'spleen.mtl']);
    expect(parseObj(obj[0].bytes).mtllib).toEqual(['spleen.mtl']);
    expect(writeMeshes(PARTS, 'stl')[0].bytes).toEqual(writeStl(PARTS));
  });

  it('palette: fixed, valid and distinct over the first 120 labels', () => {
    const seen = new Set<string>();
    for (let v = 1; v <= 120; v++) {
      const c = paletteColor(v);
      expect(c).toEqual(paletteColor(v));
      for (const x of c) expect(Number.isInteger(x) && x >= 0 && x <= 255).toBe(true);
      seen.add(c.join());
    }
    expect(seen.size).toBe(120);
    // Neighbouring values clearly differ.
    for (let v = 1; v < 120; v++) {
      const [a, b] = [paletteColor(v), paletteColor(v + 1)];
      expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])).toBeGreaterThan(60);
    }
  });
});
