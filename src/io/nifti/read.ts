/**
 * NIfTI-1/2 reader (browser + Node safe): .nii or gzip-compressed .nii.gz (detected by the gzip
 * magic bytes, not the name), either byte order, into the voxseg LPS volume model.
 *
 * Decisions:
 * - Geometry: sform when sform_code > 0 (and usable), else qform when qform_code > 0, else the
 *   NIfTI "method 1" scaling diag(pixdim) with origin 0. The RAS+ affine is converted to LPS and
 *   decomposed into spacing (column norms), direction (orthonormalised columns) and origin.
 * - Spatial units metres/microns are converted to mm; unknown units are taken as mm.
 * - scl_slope/scl_inter are applied when slope is non-zero and not the identity; integer data with
 *   integer slope/intercept stays integer (int16 when the result fits, else int32), anything else
 *   becomes float32 (float64 input stays float64).
 * - Files with more than one volume (dim[0] > 3, dim[4..] > 1) load their FIRST volume with a
 *   warning. Two-file .hdr/.img pairs and plain Analyze files are rejected.
 */
import { VoxsegError } from '../../core/errors';
import type { DType, Volume, VoxelArray } from '../../core/types';
import { createVolume, valueRange } from '../../volume/volume';
import { gunzipBounded } from '../inflate';
import { affineUsable, qformToAffine, rasAffineToLps } from './affine';
import { checkGeometryFields, countNonFinite, nonFiniteWarning } from './sanity';
import { parseNiftiHeader, type NiftiHeader } from './header';
import { checkCeiling, describeLayout, niftiInflateBound, niftiLayout } from './layout';

export interface NiftiReadResult {
  volume: Volume;
  warnings: string[];
  header: NiftiHeader;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzip when the bytes start with the gzip magic; otherwise return them unchanged. The stream is
 * inflated no further than its NIfTI header declares (refused with the numbers past that, or when
 * the header declares more than the memory ceiling), and its CRC-32 and length are checked.
 */
export function maybeGunzip(bytes: Uint8Array, name?: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  return gunzipBounded(bytes, { name, code: 'invalid-nifti', headBytes: 540, bound: niftiInflateBound(name) });
}

/** Read a NIfTI file into a Volume (warnings are dropped; use parseNifti to get them). */
export function readNifti(bytes: Uint8Array, name?: string): Volume {
  return parseNifti(bytes, name).volume;
}

export function parseNifti(input: Uint8Array, name?: string): NiftiReadResult {
  const gz = isGzip(input);
  const bytes = maybeGunzip(input, name);
  const h = parseNiftiHeader(bytes, name);
  const layout = niftiLayout(h, name);
  if (!gz) checkCeiling(layout, layout.volumeBytes, name);
  const warnings = [...layout.warnings];
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-nifti', msg, { file: name });
  };
  const { dims, volumes, dtype, offset } = layout;
  const nd = h.dim[0];
  if (volumes > 1)
    warnings.push(`file holds ${volumes} volumes (dim ${h.dim.slice(1, nd + 1).join('x')}); only the first is loaded`);
  const bpe = layout.bytesPerVoxel;
  const need = layout.volumeBytes;
  const have = Math.max(0, bytes.length - offset);
  if (have < need)
    fail(
      `truncated data: expected ${need} bytes of voxel data after offset ${offset}, got ${have} (the header declares ${describeLayout(layout)} voxels)`,
    );

  const raw = new Uint8Array(need); // a fresh, aligned copy (input may be a Node Buffer view)
  raw.set(bytes.subarray(offset, offset + need));
  if (!h.littleEndian && bpe > 1) swapBytes(raw, bpe);
  let voxels = typedView(dtype, raw.buffer);
  const slope = h.sclSlope;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  if (Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0))
    voxels = rescale(voxels, dtype, slope, inter);
  const bad = countNonFinite(voxels);
  if (bad.total) warnings.push(nonFiniteWarning(bad, voxels.length));

  checkGeometryFields(h, name);
  const geom = geometry(h, warnings);
  const volume = createVolume({
    dims,
    spacing: geom.spacing,
    origin: geom.origin,
    direction: geom.direction,
    voxels,
    metadata: {
      ...(h.descrip ? { seriesDescription: h.descrip } : {}),
      ...(volumes > 1 ? { sourceVolumes: volumes } : {}),
    },
  });
  return { volume, warnings, header: h };
}

function geometry(h: NiftiHeader, warnings: string[]) {
  const unit = h.xyztUnits & 7;
  const scale = unit === 1 ? 1000 : unit === 3 ? 0.001 : 1;
  let rows: number[][] | undefined;
  if (h.sformCode > 0) {
    if (affineUsable(h.srow)) rows = h.srow.map((r) => [...r]);
    else
      warnings.push(
        `sform (code ${h.sformCode}) is singular or not finite; using ${h.qformCode > 0 ? 'qform' : 'pixdim'}`,
      );
  }
  if (!rows && h.qformCode > 0) {
    const q = qformToAffine(h.quatern, h.qoffset, h.pixdim);
    if (affineUsable(q)) rows = q;
    else warnings.push(`qform (code ${h.qformCode}) is not usable; using pixdim`);
  }
  if (!rows) {
    const px = [1, 2, 3].map((i) => (h.pixdim[i] > 0 && Number.isFinite(h.pixdim[i]) ? h.pixdim[i] : 1));
    if (h.sformCode <= 0 && h.qformCode <= 0)
      warnings.push('no sform or qform: orientation unknown, using pixdim spacing with identity axes (RAS)');
    rows = [
      [px[0], 0, 0, 0],
      [0, px[1], 0, 0],
      [0, 0, px[2], 0],
    ];
  }
  if (scale !== 1) rows = rows.map((r) => r.map((v) => v * scale));
  const g = rasAffineToLps(rows);
  if (g.shear > 1e-4)
    warnings.push(`affine is not orthogonal (max |cos| between axes ${g.shear.toFixed(4)}); shear dropped`);
  return g;
}

function typedView(dtype: DType, buf: ArrayBufferLike): VoxelArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buf);
    case 'int8':
      return new Int8Array(buf);
    case 'int16':
      return new Int16Array(buf);
    case 'uint16':
      return new Uint16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'uint32':
      return new Uint32Array(buf);
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return new Float64Array(buf);
  }
}

function swapBytes(b: Uint8Array, bpe: number): void {
  for (let i = 0; i < b.length; i += bpe) {
    for (let lo = i, hi = i + bpe - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
  }
}

function rescale(src: VoxelArray, dtype: DType, slope: number, inter: number): VoxelArray {
  const isInt = !dtype.startsWith('float');
  let out: VoxelArray;
  if (isInt && Number.isInteger(slope) && Number.isInteger(inter)) {
    const [lo, hi] = valueRange(src);
    const a = lo * slope + inter;
    const b = hi * slope + inter;
    const min = Math.min(a, b);
    const max = Math.max(a, b);
    if (src.length === 0 || (min >= -32768 && max <= 32767)) out = new Int16Array(src.length);
    else if (min >= -(2 ** 31) && max < 2 ** 31) out = new Int32Array(src.length);
    else out = new Float64Array(src.length);
  } else out = dtype === 'float64' ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] * slope + inter;
  return out;
}
