/**
 * Values a NIfTI file must not carry silently: non-finite voxels (counted and reported, since a
 * model would label them as anything) and non-finite or absurd geometry (refused, since it would
 * reach the written affine as Inf).
 *
 * Decisions:
 * - NaN/Inf voxels load (masked-out regions of registered images are often NaN) with a warning
 *   that counts them; inference replaces them first, and says so (`inference/finite.ts`).
 * - A geometry the header declares valid (sform_code or qform_code > 0) with a non-finite entry is
 *   an error, not a silent fall-back to another form; so is an origin beyond 1 km or a voxel size
 *   outside 1 nm .. 100 m, which no scanner produces and which overflow downstream arithmetic.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, VoxelArray } from '../../core/types';

export interface NonFinite {
  nan: number;
  posInf: number;
  negInf: number;
  total: number;
}

/** Count NaN, +Inf and -Inf voxels (zero for integer arrays). */
export function countNonFinite(v: VoxelArray): NonFinite {
  const r = { nan: 0, posInf: 0, negInf: 0, total: 0 };
  if (!(v instanceof Float32Array || v instanceof Float64Array)) return r;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x === 0) continue; // finite
    if (x !== x) r.nan++;
    else if (x > 0) r.posInf++;
    else r.negInf++;
  }
  r.total = r.nan + r.posInf + r.negInf;
  return r;
}

/** "1,234 of 8,000,000 voxels are not finite (1,200 NaN, 34 +Inf); ..." */
export function nonFiniteWarning(c: NonFinite, voxels: number): string {
  const parts = [
    c.nan ? `${c.nan.toLocaleString('en-US')} NaN` : '',
    c.posInf ? `${c.posInf.toLocaleString('en-US')} +Inf` : '',
    c.negInf ? `${c.negInf.toLocaleString('en-US')} -Inf` : '',
  ].filter(Boolean);
  return (
    `${c.total.toLocaleString('en-US')} of ${voxels.toLocaleString('en-US')} voxels are not finite (${parts.join(', ')}); ` +
    'they are not measurements: segmentation replaces them with the image minimum'
  );
}

export const MAX_ORIGIN_MM = 1e6;
export const SPACING_RANGE_MM: [number, number] = [1e-6, 1e5];

interface GeometryFields {
  sformCode: number;
  qformCode: number;
  srow: number[][];
  quatern: Vec3 | number[];
  qoffset: Vec3 | number[];
  pixdim: number[];
}

/** Refuse non-finite or absurd values in the geometry the header declares valid. */
export function checkGeometryFields(h: GeometryFields, name?: string): void {
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-nifti', msg, { file: name });
  };
  const bad = (xs: number[]) => xs.findIndex((x) => !Number.isFinite(x));
  if (h.sformCode > 0) {
    h.srow.forEach((row, r) => {
      const i = bad(row.slice(0, 4));
      if (i >= 0) fail(`sform (code ${h.sformCode}) has a non-finite entry: srow_${'xyz'[r]}[${i}] = ${row[i]}`);
      if (Math.abs(row[3]) > MAX_ORIGIN_MM)
        fail(`sform origin srow_${'xyz'[r]}[3] = ${row[3]} mm is absurd (beyond ${MAX_ORIGIN_MM} mm)`);
    });
  }
  if (h.qformCode > 0) {
    const q = [...h.quatern, ...h.qoffset];
    const i = bad(q);
    if (i >= 0)
      fail(`qform (code ${h.qformCode}) has a non-finite ${i < 3 ? `quatern_${'bcd'[i]}` : `qoffset_${'xyz'[i - 3]}`}`);
    const far = h.qoffset.findIndex((x) => Math.abs(x) > MAX_ORIGIN_MM);
    if (far >= 0)
      fail(`qform origin qoffset_${'xyz'[far]} = ${h.qoffset[far]} mm is absurd (beyond ${MAX_ORIGIN_MM} mm)`);
  }
  if (h.sformCode <= 0)
    for (let i = 1; i <= 3; i++) {
      const p = Math.abs(h.pixdim[i]);
      if (!Number.isFinite(p)) fail(`pixdim[${i}] = ${h.pixdim[i]} is not finite`);
      if (p !== 0 && (p < SPACING_RANGE_MM[0] || p > SPACING_RANGE_MM[1]))
        fail(`pixdim[${i}] = ${h.pixdim[i]} is absurd (voxel sizes must lie within ${SPACING_RANGE_MM.join('..')} mm)`);
    }
}
