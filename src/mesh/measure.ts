/** Geometry of closed triangle meshes: area, enclosed volume, centroid, normals, edge checks. */
import type { Vec3 } from '../core/types';

export interface Measures {
  /** mm² */
  area: number;
  /** Signed enclosed volume, mm³ (positive when wound counter-clockwise from outside). */
  volume: number;
  /** Centroid of the enclosed solid (of the surface when the volume is ~0). */
  centroid: Vec3;
}

export function measure(positions: ArrayLike<number>, indices: ArrayLike<number>): Measures {
  // Tetrahedra against a reference point inside the bounds keep round-off small far from the origin.
  const ref = [0, 0, 0];
  const n = positions.length / 3;
  for (let v = 0; v < n; v++) for (let a = 0; a < 3; a++) ref[a] += positions[3 * v + a] / n;
  let area = 0,
    six = 0,
    cx = 0,
    cy = 0,
    cz = 0,
    ax = 0,
    ay = 0,
    az = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const i = 3 * indices[t],
      j = 3 * indices[t + 1],
      k = 3 * indices[t + 2];
    const x0 = positions[i] - ref[0],
      y0 = positions[i + 1] - ref[1],
      z0 = positions[i + 2] - ref[2];
    const x1 = positions[j] - ref[0],
      y1 = positions[j + 1] - ref[1],
      z1 = positions[j + 2] - ref[2];
    const x2 = positions[k] - ref[0],
      y2 = positions[k + 1] - ref[1],
      z2 = positions[k + 2] - ref[2];
    const ux = x1 - x0,
      uy = y1 - y0,
      uz = z1 - z0,
      vx = x2 - x0,
      vy = y2 - y0,
      vz = z2 - z0;
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const a = 0.5 * Math.hypot(nx, ny, nz);
    area += a;
    const d = x0 * (y1 * z2 - z1 * y2) - y0 * (x1 * z2 - z1 * x2) + z0 * (x1 * y2 - y1 * x2);
    six += d;
    cx += d * (x0 + x1 + x2);
    cy += d * (y0 + y1 + y2);
    cz += d * (z0 + z1 + z2);
    ax += a * (x0 + x1 + x2);
    ay += a * (y0 + y1 + y2);
    az += a * (z0 + z1 + z2);
  }
  const volume = six / 6;
  const centroid: Vec3 =
    Math.abs(six) > 1e-12
      ? [ref[0] + cx / (4 * six), ref[1] + cy / (4 * six), ref[2] + cz / (4 * six)]
      : area > 0
        ? [ref[0] + ax / (3 * area), ref[1] + ay / (3 * area), ref[2] + az / (3 * area)]
        : [ref[0], ref[1], ref[2]];
  return { area, volume, centroid };
}

/** Area-weighted unit vertex normals of a triangle mesh. */
export function vertexNormals(
  positions: ArrayLike<number>,
  indices: ArrayLike<number>,
  out = new Float64Array(positions.length),
): Float64Array {
  out.fill(0);
  for (let t = 0; t < indices.length; t += 3) {
    const i = 3 * indices[t],
      j = 3 * indices[t + 1],
      k = 3 * indices[t + 2];
    const ux = positions[j] - positions[i],
      uy = positions[j + 1] - positions[i + 1],
      uz = positions[j + 2] - positions[i + 2];
    const vx = positions[k] - positions[i],
      vy = positions[k + 1] - positions[i + 1],
      vz = positions[k + 2] - positions[i + 2];
    const nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    for (const p of [i, j, k]) {
      out[p] += nx;
      out[p + 1] += ny;
      out[p + 2] += nz;
    }
  }
  for (let p = 0; p < out.length; p += 3) {
    const len = Math.hypot(out[p], out[p + 1], out[p + 2]);
    if (len > 0) {
      out[p] /= len;
      out[p + 1] /= len;
      out[p + 2] /= len;
    }
  }
  return out;
}

export interface EdgeReport {
  edges: number;
  /** Edges used by one triangle only (holes). */
  boundary: number;
  /** Edges used by more than two triangles. */
  nonManifold: number;
  /** Edges used twice in the same direction (inconsistent winding). */
  misoriented: number;
}

/** Count how the undirected edges of a triangle mesh are shared. */
export function edgeReport(indices: ArrayLike<number>): EdgeReport {
  const uses = new Map<number, number>(); // key: min * 2^26 + max; value: count, + 1000 per forward use
  let maxIndex = 0;
  for (let i = 0; i < indices.length; i++) maxIndex = Math.max(maxIndex, indices[i]);
  const stride = maxIndex + 1;
  for (let t = 0; t < indices.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = indices[t + k],
        b = indices[t + ((k + 1) % 3)];
      const key = a < b ? a * stride + b : b * stride + a;
      uses.set(key, (uses.get(key) ?? 0) + (a < b ? 1001 : 1));
    }
  }
  let boundary = 0,
    nonManifold = 0,
    misoriented = 0;
  for (const u of uses.values()) {
    const count = u % 1000,
      forward = Math.floor(u / 1000);
    if (count === 1) boundary++;
    else if (count > 2) nonManifold++;
    else if (forward !== 1) misoriented++;
  }
  return { edges: uses.size, boundary, nonManifold, misoriented };
}
