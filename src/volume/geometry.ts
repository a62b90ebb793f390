/**
 * Geometry helpers for the LPS volume model (see src/core/types.ts for conventions).
 * 4x4 affines are row-major Float64 arrays of 16 numbers mapping (i, j, k, 1) to world mm.
 */
import type { Mat3, Vec3, VolumeHeader } from '../core/types';

export type Affine = number[]; // 16 numbers, row-major

/** Column c of a row-major 3x3 matrix: the LPS direction of index axis c. */
export function axisDirection(direction: Readonly<Mat3>, c: 0 | 1 | 2): Vec3 {
  return [direction[c], direction[3 + c], direction[6 + c]];
}

export function cross(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** a − b. */
export function sub(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/** a + s·b. */
export function addScaled(a: Readonly<Vec3>, b: Readonly<Vec3>, s = 1): Vec3 {
  return [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];
}

export function dot(a: Readonly<Vec3>, b: Readonly<Vec3>): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function norm(a: Readonly<Vec3>): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalize(a: Readonly<Vec3>): Vec3 {
  const n = norm(a);
  return [a[0] / n, a[1] / n, a[2] / n];
}

/** Build a direction matrix from the three axis vectors (they become its columns). */
export function directionFromAxes(i: Readonly<Vec3>, j: Readonly<Vec3>, k: Readonly<Vec3>): Mat3 {
  return [i[0], j[0], k[0], i[1], j[1], k[1], i[2], j[2], k[2]];
}

/** world = origin + direction * (spacing ⊙ index), as a 4x4 row-major affine in LPS. */
export function indexToWorldAffine(h: Pick<VolumeHeader, 'spacing' | 'origin' | 'direction'>): Affine {
  const { spacing: s, origin: o, direction: d } = h;
  return [
    d[0] * s[0],
    d[1] * s[1],
    d[2] * s[2],
    o[0],
    d[3] * s[0],
    d[4] * s[1],
    d[5] * s[2],
    o[1],
    d[6] * s[0],
    d[7] * s[1],
    d[8] * s[2],
    o[2],
    0,
    0,
    0,
    1,
  ];
}

export function indexToWorld(h: Pick<VolumeHeader, 'spacing' | 'origin' | 'direction'>, ijk: Readonly<Vec3>): Vec3 {
  const a = indexToWorldAffine(h);
  return applyAffine(a, ijk);
}

export function applyAffine(a: Readonly<Affine>, p: Readonly<Vec3>): Vec3 {
  return [
    a[0] * p[0] + a[1] * p[1] + a[2] * p[2] + a[3],
    a[4] * p[0] + a[5] * p[1] + a[6] * p[2] + a[7],
    a[8] * p[0] + a[9] * p[1] + a[10] * p[2] + a[11],
  ];
}

/** Flip the x and y rows: LPS affine <-> RAS affine (NIfTI uses RAS+). */
export function flipLpsRas(a: Readonly<Affine>): Affine {
  const r = [...a];
  for (let c = 0; c < 4; c++) {
    r[c] = -r[c];
    r[4 + c] = -r[4 + c];
  }
  return r;
}

/** Inverse of a 3x3 row-major matrix (throws on singular input). */
export function invert3(m: Readonly<Mat3>): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!det || !Number.isFinite(det)) throw new Error(`singular matrix ${JSON.stringify(m)}`);
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

export function worldToIndex(h: Pick<VolumeHeader, 'spacing' | 'origin' | 'direction'>, p: Readonly<Vec3>): Vec3 {
  const inv = invert3(h.direction);
  const q: Vec3 = [p[0] - h.origin[0], p[1] - h.origin[1], p[2] - h.origin[2]];
  return [
    (inv[0] * q[0] + inv[1] * q[1] + inv[2] * q[2]) / h.spacing[0],
    (inv[3] * q[0] + inv[4] * q[1] + inv[5] * q[2]) / h.spacing[1],
    (inv[6] * q[0] + inv[7] * q[1] + inv[8] * q[2]) / h.spacing[2],
  ];
}

/**
 * Orientation code of the closest anatomical axes in LPS terms, e.g. 'LPS', 'RAS', 'LIA'.
 * Letter c names the direction index axis c increases towards.
 */
export function orientationCode(direction: Readonly<Mat3>): string {
  const letters = [
    ['L', 'R'],
    ['P', 'A'],
    ['S', 'I'],
  ];
  let code = '';
  for (const c of [0, 1, 2] as const) {
    const v = axisDirection(direction, c);
    let best = 0;
    for (let r = 1; r < 3; r++) if (Math.abs(v[r]) > Math.abs(v[best])) best = r;
    code += letters[best][v[best] >= 0 ? 0 : 1];
  }
  return code;
}

/** Largest angle (degrees) between an index axis and its nearest anatomical axis. */
export function obliquityDegrees(direction: Readonly<Mat3>): number {
  let worst = 0;
  for (const c of [0, 1, 2] as const) {
    const v = normalize(axisDirection(direction, c));
    const m = Math.max(Math.abs(v[0]), Math.abs(v[1]), Math.abs(v[2]));
    worst = Math.max(worst, (Math.acos(Math.min(1, m)) * 180) / Math.PI);
  }
  return worst;
}
