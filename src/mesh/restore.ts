/**
 * Volume restore after smoothing. Smoothing a voxel surface takes volume away, most of it from
 * small and thin parts (a one-voxel rib fragment can lose half). Each connected part gets back the
 * volume its unsmoothed surface enclosed: its vertices move out along their normals in proportion
 * to how far smoothing pulled them in (plus a small common share), by one factor per part. The
 * enclosed volume is a cubic in that factor, so each part's factor is solved exactly from four
 * coefficients gathered in one pass over the triangles.
 */
import { vertexNormals } from './measure';

/** Part number of every vertex (connected through triangles) and the number of parts. */
function partsOf(vertexCount: number, tris: Uint32Array): { part: Int32Array; count: number } {
  const parent = new Int32Array(vertexCount);
  for (let i = 0; i < vertexCount; i++) parent[i] = i;
  const find = (v: number): number => {
    while (parent[v] !== v) v = parent[v] = parent[parent[v]];
    return v;
  };
  for (let t = 0; t < tris.length; t += 3) {
    const a = find(tris[t]);
    parent[find(tris[t + 1])] = a;
    parent[find(tris[t + 2])] = a;
  }
  const part = new Int32Array(vertexCount).fill(-1);
  let count = 0;
  for (let v = 0; v < vertexCount; v++) {
    const r = find(v);
    if (part[r] < 0) part[r] = count++;
    part[v] = part[r];
  }
  return { part, count };
}

/** Real root of c0 + c1 f + c2 f² + c3 f³ = goal nearest the start, within [0, 4]. */
function solveCubic(c: Float64Array, o: number, goal: number): number {
  const value = (f: number) => c[o] + f * (c[o + 1] + f * (c[o + 2] + f * c[o + 3])) - goal;
  // Bracket on a grid, then bisect: robust whatever the signs of the higher terms.
  let lo = 0,
    vlo = value(0);
  if (vlo >= 0) return 0;
  for (let f = 0.25; f <= 4; f += 0.25) {
    const v = value(f);
    if (v >= 0) {
      let hi = f;
      for (let i = 0; i < 50; i++) {
        const mid = 0.5 * (lo + hi);
        if (value(mid) < 0) lo = mid;
        else hi = mid;
      }
      return 0.5 * (lo + hi);
    }
    lo = f;
    vlo = v;
  }
  return 4;
}

/**
 * Move `p` (smoothed positions, changed in place) so each connected part encloses the volume its
 * `raw` surface did, scaled so the whole encloses `target` mm³. `voxel`: smallest spacing, mm.
 */
export function restoreVolume(
  p: Float64Array,
  tris: Uint32Array,
  target: number,
  raw: Float64Array,
  voxel: number,
): void {
  const n = p.length / 3;
  const normals = vertexNormals(p, tris);
  const rawNormals = vertexNormals(raw, tris);
  // Displacement per unit factor.
  const d = new Float64Array(p.length);
  for (let k = 0; k < p.length; k += 3) {
    let nx = normals[k],
      ny = normals[k + 1],
      nz = normals[k + 2];
    if (nx === 0 && ny === 0 && nz === 0) {
      // Smoothing collapsed this bit to a point: push out the way the raw surface faced.
      nx = rawNormals[k];
      ny = rawNormals[k + 1];
      nz = rawNormals[k + 2];
    }
    const inward = (raw[k] - p[k]) * nx + (raw[k + 1] - p[k + 1]) * ny + (raw[k + 2] - p[k + 2]) * nz;
    const w = Math.max(0, inward) + 0.05 * voxel;
    d[k] = w * nx;
    d[k + 1] = w * ny;
    d[k + 2] = w * nz;
  }
  const { part, count } = partsOf(n, tris);
  // Per part: 6·volume of the raw surface, and the cubic 6·V(f) of the moved one.
  const rawSix = new Float64Array(count);
  const cubic = new Float64Array(4 * count);
  const ref = [raw[0] ?? 0, raw[1] ?? 0, raw[2] ?? 0];
  const triple = (
    ax: number,
    ay: number,
    az: number,
    bx: number,
    by: number,
    bz: number,
    cx: number,
    cy: number,
    cz: number,
  ) => ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
  for (let t = 0; t < tris.length; t += 3) {
    const i = 3 * tris[t],
      j = 3 * tris[t + 1],
      k = 3 * tris[t + 2];
    const q = part[tris[t]];
    rawSix[q] += triple(
      raw[i] - ref[0],
      raw[i + 1] - ref[1],
      raw[i + 2] - ref[2],
      raw[j] - ref[0],
      raw[j + 1] - ref[1],
      raw[j + 2] - ref[2],
      raw[k] - ref[0],
      raw[k + 1] - ref[1],
      raw[k + 2] - ref[2],
    );
    const ax = p[i] - ref[0],
      ay = p[i + 1] - ref[1],
      az = p[i + 2] - ref[2];
    const bx = p[j] - ref[0],
      by = p[j + 1] - ref[1],
      bz = p[j + 2] - ref[2];
    const cx = p[k] - ref[0],
      cy = p[k + 1] - ref[1],
      cz = p[k + 2] - ref[2];
    const ux = d[i],
      uy = d[i + 1],
      uz = d[i + 2];
    const vx = d[j],
      vy = d[j + 1],
      vz = d[j + 2];
    const wx = d[k],
      wy = d[k + 1],
      wz = d[k + 2];
    const o = 4 * q;
    cubic[o] += triple(ax, ay, az, bx, by, bz, cx, cy, cz);
    cubic[o + 1] +=
      triple(ux, uy, uz, bx, by, bz, cx, cy, cz) +
      triple(ax, ay, az, vx, vy, vz, cx, cy, cz) +
      triple(ax, ay, az, bx, by, bz, wx, wy, wz);
    cubic[o + 2] +=
      triple(ux, uy, uz, vx, vy, vz, cx, cy, cz) +
      triple(ux, uy, uz, bx, by, bz, wx, wy, wz) +
      triple(ax, ay, az, vx, vy, vz, wx, wy, wz);
    cubic[o + 3] += triple(ux, uy, uz, vx, vy, vz, wx, wy, wz);
  }
  const rawTotal = rawSix.reduce((s, v) => s + v, 0);
  if (!(rawTotal > 0)) return;
  const scale = (6 * target) / rawTotal;
  const factor = new Float64Array(count);
  for (let q = 0; q < count; q++) factor[q] = rawSix[q] > 0 ? solveCubic(cubic, 4 * q, rawSix[q] * scale) : 0;
  for (let v = 0, k = 0; v < n; v++, k += 3) {
    const f = factor[part[v]];
    p[k] += f * d[k];
    p[k + 1] += f * d[k + 1];
    p[k + 2] += f * d[k + 2];
  }
}
