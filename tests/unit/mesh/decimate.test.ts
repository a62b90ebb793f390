import { describe, expect, it } from 'vitest';
import { decimate } from '../../../src/mesh/decimate';

interface Mesh {
  positions: Float64Array;
  indices: Uint32Array;
}

/** Icosahedron subdivided `levels` times (20·4^levels triangles), projected onto a sphere; CCW from outside. */
function icosphere(levels: number, radius: number): Mesh {
  const t = (1 + Math.sqrt(5)) / 2;
  const verts: number[] = [
    -1,
    t,
    0,
    1,
    t,
    0,
    -1,
    -t,
    0,
    1,
    -t,
    0,
    0,
    -1,
    t,
    0,
    1,
    t,
    0,
    -1,
    -t,
    0,
    1,
    -t,
    t,
    0,
    -1,
    t,
    0,
    1,
    -t,
    0,
    -1,
    -t,
    0,
    1,
  ];
  let faces: number[] = [
    0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8, 3, 9, 4, 3, 4, 2,
    3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
  ];
  for (let l = 0; l < levels; l++) {
    const mid = new Map<number, number>();
    const midpoint = (a: number, b: number): number => {
      const key = a < b ? a * 4_194_304 + b : b * 4_194_304 + a;
      let m = mid.get(key);
      if (m === undefined) {
        m = verts.length / 3;
        verts.push(
          (verts[3 * a] + verts[3 * b]) / 2,
          (verts[3 * a + 1] + verts[3 * b + 1]) / 2,
          (verts[3 * a + 2] + verts[3 * b + 2]) / 2,
        );
        mid.set(key, m);
      }
      return m;
    };
    const next: number[] = [];
    for (let f = 0; f < faces.length; f += 3) {
      const a = faces[f],
        b = faces[f + 1],
        c = faces[f + 2];
      const ab = midpoint(a, b),
        bc = midpoint(b, c),
        ca = midpoint(c, a);
      next.push(a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca);
    }
    faces = next;
  }
  const positions = new Float64Array(verts);
  for (let i = 0; i < positions.length; i += 3) {
    const s = radius / Math.hypot(positions[i], positions[i + 1], positions[i + 2]);
    positions[i] *= s;
    positions[i + 1] *= s;
    positions[i + 2] *= s;
  }
  return { positions, indices: new Uint32Array(faces) };
}

/** Torus around z (major radius R, minor r) from an nu × nv parametric grid; CCW from outside. */
function torus(R: number, r: number, nu: number, nv: number): Mesh {
  const positions = new Float64Array(3 * nu * nv);
  for (let i = 0; i < nu; i++) {
    const u = (2 * Math.PI * i) / nu;
    for (let j = 0; j < nv; j++) {
      const v = (2 * Math.PI * j) / nv;
      const o = 3 * (i * nv + j);
      positions[o] = (R + r * Math.cos(v)) * Math.cos(u);
      positions[o + 1] = (R + r * Math.cos(v)) * Math.sin(u);
      positions[o + 2] = r * Math.sin(v);
    }
  }
  const id = (i: number, j: number) => (i % nu) * nv + (j % nv);
  const indices = new Uint32Array(6 * nu * nv);
  let k = 0;
  for (let i = 0; i < nu; i++) {
    for (let j = 0; j < nv; j++) {
      const a = id(i, j),
        b = id(i + 1, j),
        c = id(i + 1, j + 1),
        d = id(i, j + 1);
      indices.set([a, b, c, a, c, d], k);
      k += 6;
    }
  }
  return { positions, indices };
}

/** Regular tetrahedron, CCW from outside. */
function tetrahedron(offset = 0): Mesh {
  return {
    positions: new Float64Array(
      [1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1].map((x, i) => (i % 3 === 0 ? x + offset : x)),
    ),
    indices: new Uint32Array([0, 1, 2, 0, 2, 3, 0, 3, 1, 1, 3, 2]),
  };
}

/** Cube of side `size` centred on the origin, each face an n × n grid of split squares; CCW from outside. */
function gridCube(n: number, size: number): Mesh {
  const positions: number[] = [];
  const indices: number[] = [];
  const ids = new Map<string, number>();
  const vertex = (c: number[]): number => {
    const key = c.join(',');
    let v = ids.get(key);
    if (v === undefined) {
      v = positions.length / 3;
      positions.push(...c.map((x) => (x / n - 0.5) * size));
      ids.set(key, v);
    }
    return v;
  };
  for (let axis = 0; axis < 3; axis++) {
    for (const side of [0, n]) {
      // (u, w) span the face with u × w = +axis, so the outer face (side n) keeps this order.
      const u = (axis + 1) % 3,
        w = (axis + 2) % 3;
      const at = (i: number, j: number): number => {
        const c = [0, 0, 0];
        c[axis] = side;
        c[u] = i;
        c[w] = j;
        return vertex(c);
      };
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const a = at(i, j),
            b = at(i + 1, j),
            c = at(i + 1, j + 1),
            d = at(i, j + 1);
          if (side === n) indices.push(a, b, c, a, c, d);
          else indices.push(a, c, b, a, d, c);
        }
      }
    }
  }
  return { positions: new Float64Array(positions), indices: new Uint32Array(indices) };
}

/** Element-wise equality (much faster than a deep equality matcher on large typed arrays). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function merge(a: Mesh, b: Mesh): Mesh {
  const shift = a.positions.length / 3;
  const indices = new Uint32Array(a.indices.length + b.indices.length);
  indices.set(a.indices);
  for (let i = 0; i < b.indices.length; i++) indices[a.indices.length + i] = b.indices[i] + shift;
  const positions = new Float64Array(a.positions.length + b.positions.length);
  positions.set(a.positions);
  positions.set(b.positions, a.positions.length);
  return { positions, indices };
}

function signedVolume({ positions: p, indices: t }: Mesh): number {
  let v = 0;
  for (let i = 0; i < t.length; i += 3) {
    const a = 3 * t[i],
      b = 3 * t[i + 1],
      c = 3 * t[i + 2];
    v +=
      p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1]) -
      p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c]) +
      p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
  }
  return v / 6;
}

/**
 * Closed, consistently wound 2-manifold: every directed edge once and its reverse once (so every
 * undirected edge has exactly two triangles), no repeated corner, every vertex used. Returns the
 * number of undirected edges.
 */
function expectClosedManifold({ positions, indices }: Mesh): number {
  const n = positions.length / 3;
  const directed = new Map<number, number>();
  for (let i = 0; i < indices.length; i += 3) {
    const t = [indices[i], indices[i + 1], indices[i + 2]];
    expect(t[0] !== t[1] && t[1] !== t[2] && t[2] !== t[0], `triangle ${i / 3} repeats a vertex`).toBe(true);
    for (let k = 0; k < 3; k++) {
      const key = t[k] * n + t[(k + 1) % 3];
      directed.set(key, (directed.get(key) ?? 0) + 1);
    }
  }
  let once = 0,
    reversed = 0;
  for (const [key, count] of directed) {
    if (count === 1) once++;
    const a = Math.floor(key / n),
      b = key % n;
    if (directed.get(b * n + a) === 1) reversed++;
  }
  expect(once, 'directed edges used exactly once').toBe(directed.size);
  expect(reversed, 'directed edges whose reverse is used once').toBe(directed.size);
  const used = new Uint8Array(n);
  for (const v of indices) used[v] = 1;
  expect(
    used.every((u) => u === 1),
    'every vertex used',
  ).toBe(true);
  return directed.size / 2;
}

function euler(m: Mesh): number {
  const edges = expectClosedManifold(m);
  return m.positions.length / 3 - edges + m.indices.length / 3;
}

/** Smallest shape quality 4√3·area / Σ edge² over all triangles (1 for equilateral). */
function minQuality({ positions: p, indices: t }: Mesh): number {
  let q = Infinity;
  for (let i = 0; i < t.length; i += 3) {
    const a = 3 * t[i],
      b = 3 * t[i + 1],
      c = 3 * t[i + 2];
    const ux = p[b] - p[a],
      uy = p[b + 1] - p[a + 1],
      uz = p[b + 2] - p[a + 2];
    const vx = p[c] - p[a],
      vy = p[c + 1] - p[a + 1],
      vz = p[c + 2] - p[a + 2];
    const wx = p[c] - p[b],
      wy = p[c + 1] - p[b + 1],
      wz = p[c + 2] - p[b + 2];
    const cross = Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    const sum = ux * ux + uy * uy + uz * uz + vx * vx + vy * vy + vz * vz + wx * wx + wy * wy + wz * wz;
    q = Math.min(q, (2 * Math.sqrt(3) * cross) / sum);
  }
  return q;
}

const triangles = (m: Mesh) => m.indices.length / 3;

describe('decimate', () => {
  const sphere = icosphere(5, 20); // 20 480 triangles
  const ring = torus(30, 10, 120, 60); // 14 400 triangles

  it('builds closed, outward-wound test shapes', () => {
    expect(triangles(sphere)).toBe(20_480);
    expect(euler(sphere)).toBe(2);
    expect(signedVolume(sphere)).toBeGreaterThan(0.99 * ((4 / 3) * Math.PI * 20 ** 3));
    expect(euler(ring)).toBe(0);
    expect(signedVolume(ring)).toBeGreaterThan(0.99 * 2 * Math.PI ** 2 * 30 * 10 ** 2);
    expect(signedVolume(tetrahedron())).toBeGreaterThan(0);
  });

  it('returns unchanged copies for fraction 0 or below', () => {
    for (const f of [0, -0.3, Number.NaN]) {
      const out = decimate(sphere.positions, sphere.indices, f);
      expect(out.positions !== sphere.positions && out.indices !== sphere.indices, 'copies').toBe(true);
      expect(same(out.positions, sphere.positions)).toBe(true);
      expect(same(out.indices, sphere.indices)).toBe(true);
    }
  });

  it('halves a sphere, keeping it closed, on the surface and its volume', () => {
    const before = new Float64Array(sphere.positions);
    const out = decimate(sphere.positions, sphere.indices, 0.5);
    expect(same(sphere.positions, before), 'input untouched').toBe(true);
    expect(Math.abs(triangles(out) - 10_240)).toBeLessThanOrEqual(0.02 * 10_240);
    expect(euler(out)).toBe(2);
    const v0 = signedVolume(sphere),
      v1 = signedVolume(out);
    expect(v1).toBeGreaterThan(0);
    expect(Math.abs(v1 - v0) / v0).toBeLessThan(0.02);
    let worst = 0;
    for (let i = 0; i < out.positions.length; i += 3) {
      worst = Math.max(worst, Math.abs(Math.hypot(out.positions[i], out.positions[i + 1], out.positions[i + 2]) - 20));
    }
    expect(worst).toBeLessThan(0.5);
    // Winding kept: every face normal points away from the centre.
    const p = out.positions,
      t = out.indices;
    for (let i = 0; i < t.length; i += 3) {
      const a = 3 * t[i],
        b = 3 * t[i + 1],
        c = 3 * t[i + 2];
      const ux = p[b] - p[a],
        uy = p[b + 1] - p[a + 1],
        uz = p[b + 2] - p[a + 2];
      const vx = p[c] - p[a],
        vy = p[c + 1] - p[a + 1],
        vz = p[c + 2] - p[a + 2];
      const outward =
        (uy * vz - uz * vy) * (p[a] + p[b] + p[c]) +
        (uz * vx - ux * vz) * (p[a + 1] + p[b + 1] + p[c + 1]) +
        (ux * vy - uy * vx) * (p[a + 2] + p[b + 2] + p[c + 2]);
      if (!(outward > 0)) expect.fail(`triangle ${i / 3} faces inwards`);
    }
    expect(minQuality(out)).toBeGreaterThan(0.05);
  });

  it('reaches aggressive targets on a sphere and stays a sphere', () => {
    for (const f of [0.8, 0.95]) {
      const out = decimate(sphere.positions, sphere.indices, f);
      const target = Math.round(20_480 * (1 - f));
      expect(Math.abs(triangles(out) - target)).toBeLessThanOrEqual(Math.max(2, 0.03 * target));
      expect(euler(out)).toBe(2);
      const v0 = signedVolume(sphere),
        v1 = signedVolume(out);
      expect(v1).toBeGreaterThan(0);
      expect(Math.abs(v1 - v0) / v0).toBeLessThan(f === 0.8 ? 0.03 : 0.1);
      expect(minQuality(out)).toBeGreaterThan(0.001);
    }
  });

  it('keeps the genus of a torus', () => {
    for (const f of [0.5, 0.9]) {
      const out = decimate(ring.positions, ring.indices, f);
      const target = Math.round(14_400 * (1 - f));
      expect(Math.abs(triangles(out) - target)).toBeLessThanOrEqual(0.03 * target);
      expect(euler(out)).toBe(0);
      const v0 = signedVolume(ring),
        v1 = signedVolume(out);
      expect(v1).toBeGreaterThan(0);
      expect(Math.abs(v1 - v0) / v0).toBeLessThan(f === 0.5 ? 0.02 : 0.06);
      // Still a tube of radius 10 around the circle of radius 30.
      let worst = 0;
      for (let i = 0; i < out.positions.length; i += 3) {
        const [x, y, z] = [out.positions[i], out.positions[i + 1], out.positions[i + 2]];
        worst = Math.max(worst, Math.abs(Math.hypot(Math.hypot(x, y) - 30, z) - 10));
      }
      expect(worst).toBeLessThan(f === 0.5 ? 0.2 : 0.6);
    }
  });

  it('keeps flat faces and sharp edges of a cube exactly', () => {
    const box = gridCube(40, 20); // 19 200 triangles, all quadrics of a face coplanar
    expect(euler(box)).toBe(2);
    expect(signedVolume(box)).toBeCloseTo(8000, 6);
    const out = decimate(box.positions, box.indices, 0.95);
    expect(Math.abs(triangles(out) - 960)).toBeLessThanOrEqual(0.03 * 960);
    expect(euler(out)).toBe(2);
    expect(signedVolume(out)).toBeCloseTo(8000, 6);
    const p = out.positions;
    for (let i = 0; i < p.length; i += 3) {
      const inf = Math.max(Math.abs(p[i]), Math.abs(p[i + 1]), Math.abs(p[i + 2]));
      if (Math.abs(inf - 10) > 1e-9) expect.fail(`vertex ${i / 3} left the cube's surface`);
    }
  });

  it('never reduces a component below a tetrahedron', () => {
    const tet = tetrahedron();
    const out = decimate(tet.positions, tet.indices, 0.95);
    expect(out.indices).toEqual(tet.indices);
    expect(out.positions).toEqual(tet.positions);

    // A coarse sphere next to a tetrahedron: both stay closed, the tetrahedron whole.
    const both = merge(icosphere(1, 5), tetrahedron(20));
    const res = decimate(both.positions, both.indices, 0.95);
    expect(euler(res)).toBe(4); // two spheres
    expect(triangles(res)).toBeGreaterThanOrEqual(8);
    expect(signedVolume(res)).toBeGreaterThan(0);
    let tetCorners = 0;
    for (let i = 0; i < res.positions.length; i += 3) if (res.positions[i] > 15) tetCorners++;
    expect(tetCorners).toBe(4);
  });

  it('drops unused vertices', () => {
    const extra = { positions: new Float64Array([...sphere.positions, 100, 100, 100]), indices: sphere.indices };
    const out = decimate(extra.positions, extra.indices, 0.3);
    expectClosedManifold(out); // includes: every vertex used
    for (let i = 0; i < out.positions.length; i += 3) expect(out.positions[i]).toBeLessThan(50);
  });

  it('is deterministic', () => {
    const a = decimate(ring.positions, ring.indices, 0.7);
    const b = decimate(ring.positions, ring.indices, 0.7);
    expect(same(a.positions, b.positions)).toBe(true);
    expect(same(a.indices, b.indices)).toBe(true);
  });

  it('rejects malformed input', () => {
    expect(() => decimate(new Float64Array(4), new Uint32Array(3), 0.5)).toThrow(RangeError);
    expect(() => decimate(new Float64Array(9), new Uint32Array(4), 0.5)).toThrow(RangeError);
    expect(() => decimate(new Float64Array(9), new Uint32Array([0, 1, 3]), 0.5)).toThrow(RangeError);
  });

  it('decimates a large sphere', () => {
    const big = icosphere(7, 20); // 327 680 triangles
    const out = decimate(big.positions, big.indices, 0.75);
    expect(Math.abs(triangles(out) - 81_920)).toBeLessThanOrEqual(0.02 * 81_920);
    expect(euler(out)).toBe(2);
    const v0 = signedVolume(big),
      v1 = signedVolume(out);
    expect(Math.abs(v1 - v0) / v0).toBeLessThan(0.01);
  });
});
