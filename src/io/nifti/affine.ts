/**
 * NIfTI affine helpers: quaternion <-> rotation (as nifti1_io does) and decomposition of a RAS+
 * voxel-to-world affine into the voxseg LPS model (origin, spacing, orthonormal direction).
 * Matrices here are row-major 3x3 arrays; affines row-major 3x4 / 4x4.
 */
import type { Mat3, Vec3 } from '../../core/types';
import { invert3 } from '../../volume/geometry';

export interface LpsGeometry {
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  /** Largest deviation from orthogonality of the normalised input columns (|cos| of the angle). */
  shear: number;
}

function det3(m: Readonly<Mat3>): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Closest orthogonal matrix (polar decomposition by Newton iteration); keeps the handedness. */
export function orthonormalize(m: Readonly<Mat3>): Mat3 {
  let q = [...m] as Mat3;
  for (let c = 0; c < 3; c++) {
    const n = Math.hypot(q[c], q[3 + c], q[6 + c]);
    for (let r = 0; r < 3; r++) q[3 * r + c] /= n;
  }
  for (let it = 0; it < 30; it++) {
    const inv = invert3(q);
    let diff = 0;
    const next = q.map((v, idx) => {
      const r = Math.floor(idx / 3);
      const c = idx % 3;
      const w = 0.5 * (v + inv[3 * c + r]);
      diff = Math.max(diff, Math.abs(w - v));
      return w;
    }) as Mat3;
    q = next;
    if (diff < 1e-15) break;
  }
  return q;
}

/**
 * Decompose a RAS+ affine (3 rows of 4) into LPS geometry: LPS = RAS with the x and y rows negated;
 * spacing = column norms; direction = orthonormalised columns; origin = translation.
 */
export function rasAffineToLps(rows: ReadonlyArray<ReadonlyArray<number>>): LpsGeometry {
  const sign = [-1, -1, 1];
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) m[3 * r + c] = sign[r] * rows[r][c];
  const spacing = [0, 1, 2].map((c) => Math.hypot(m[c], m[3 + c], m[6 + c])) as Vec3;
  const origin = [0, 1, 2].map((r) => sign[r] * rows[r][3] + 0) as Vec3;
  let shear = 0;
  for (const [a, b] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ]) {
    const d = (m[a] * m[b] + m[3 + a] * m[3 + b] + m[6 + a] * m[6 + b]) / (spacing[a] * spacing[b]);
    shear = Math.max(shear, Math.abs(d));
  }
  const direction = orthonormalize(m).map((v) => v + 0) as Mat3; // no -0
  return { spacing, origin, direction, shear };
}

/** True when the 3x3 part is usable (finite, non-singular). */
export function affineUsable(rows: ReadonlyArray<ReadonlyArray<number>>): boolean {
  const m = [0, 1, 2].flatMap((r) => [rows[r][0], rows[r][1], rows[r][2]]) as Mat3;
  if (rows.some((row) => row.slice(0, 4).some((v) => !Number.isFinite(v)))) return false;
  const scale = Math.max(...m.map(Math.abs));
  return scale > 0 && Math.abs(det3(m)) > 1e-12 * scale ** 3;
}

/** NIfTI qform -> RAS affine rows (nifti1_io quatern_to_mat44). */
export function qformToAffine(quatern: Readonly<Vec3>, qoffset: Readonly<Vec3>, pixdim: readonly number[]): number[][] {
  let [b, c, d] = quatern;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    a = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0;
  } else a = Math.sqrt(a);
  const dx = pixdim[1] > 0 ? pixdim[1] : 1;
  const dy = pixdim[2] > 0 ? pixdim[2] : 1;
  let dz = pixdim[3] > 0 ? pixdim[3] : 1;
  if (pixdim[0] < 0) dz = -dz;
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  return r.map((row, i) => [row[0] * dx, row[1] * dy, row[2] * dz, qoffset[i]]);
}

/**
 * RAS rotation (row-major, orthonormal columns) -> quaternion (b, c, d) and qfac
 * (nifti1_io mat44_to_quatern). An improper matrix gets qfac -1 with its third column negated.
 */
export function rotationToQuaternion(rot: Readonly<Mat3>): { quatern: Vec3; qfac: 1 | -1 } {
  const m = [...rot] as Mat3;
  let qfac: 1 | -1 = 1;
  if (det3(m) < 0) {
    qfac = -1;
    m[2] = -m[2];
    m[5] = -m[5];
    m[8] = -m[8];
  }
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = m;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { quatern: [b + 0, c + 0, d + 0], qfac };
}
