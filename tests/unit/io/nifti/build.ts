/** Test helpers: hand-built NIfTI variants (big-endian NIfTI-1, NIfTI-2) and header patches. */
import type { VoxelArray } from '../../../../src/core/types';

/** float32 / int16 header fields of a NIfTI-1 header: [offset, size in bytes, count]. */
const V1_FIELDS: [number, number, number][] = [
  [0, 4, 1],
  [40, 2, 8],
  [56, 4, 3],
  [68, 2, 4],
  [76, 4, 8],
  [108, 4, 3],
  [120, 2, 1],
  [124, 4, 4],
  [140, 4, 2],
  [252, 2, 2],
  [256, 4, 6],
  [280, 4, 12],
];

function swapRun(b: Uint8Array, start: number, size: number, count: number): void {
  for (let i = 0; i < count; i++) b.subarray(start + i * size, start + (i + 1) * size).reverse();
}

/** Convert an uncompressed little-endian NIfTI-1 file (as written by writeNifti) to big endian. */
export function toBigEndianV1(le: Uint8Array, bytesPerVoxel: number): Uint8Array {
  const b = le.slice();
  for (const [o, s, n] of V1_FIELDS) swapRun(b, o, s, n);
  const off = new DataView(le.buffer, le.byteOffset).getFloat32(108, true);
  if (bytesPerVoxel > 1) swapRun(b, off, bytesPerVoxel, (b.length - off) / bytesPerVoxel);
  return b;
}

export function patchV1(
  bytes: Uint8Array,
  patch: { f32?: [number, number][]; i16?: [number, number][]; i32?: [number, number][] },
): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  for (const [o, v] of patch.f32 ?? []) dv.setFloat32(o, v, true);
  for (const [o, v] of patch.i16 ?? []) dv.setInt16(o, v, true);
  for (const [o, v] of patch.i32 ?? []) dv.setInt32(o, v, true);
  return b;
}

export interface V2Spec {
  dims: number[]; // dim[1..]
  datatype: number;
  voxels: VoxelArray;
  pixdim?: number[]; // pixdim[0..7]
  srow?: number[][]; // 3 rows of 4 (RAS)
  sformCode?: number;
  qformCode?: number;
  quatern?: number[];
  qoffset?: number[];
  slope?: number;
  inter?: number;
  littleEndian?: boolean;
}

/** Build a single-file NIfTI-2 (.nii, 540-byte header + 4 extension bytes). */
export function buildNifti2(s: V2Spec): Uint8Array {
  const le = s.littleEndian ?? true;
  const bpe = s.voxels.BYTES_PER_ELEMENT;
  const out = new Uint8Array(544 + s.voxels.length * bpe);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, 540, le);
  out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  dv.setInt16(12, s.datatype, le);
  dv.setInt16(14, bpe * 8, le);
  const dim = [s.dims.length, ...s.dims];
  for (let i = 0; i < 8; i++) dv.setBigInt64(16 + 8 * i, BigInt(dim[i] ?? 1), le);
  const pix = s.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  for (let i = 0; i < 8; i++) dv.setFloat64(104 + 8 * i, pix[i] ?? 1, le);
  dv.setBigInt64(168, 544n, le);
  dv.setFloat64(176, s.slope ?? 1, le);
  dv.setFloat64(184, s.inter ?? 0, le);
  dv.setInt32(344, s.qformCode ?? 0, le);
  dv.setInt32(348, s.sformCode ?? 0, le);
  (s.quatern ?? [0, 0, 0]).forEach((v, i) => dv.setFloat64(352 + 8 * i, v, le));
  (s.qoffset ?? [0, 0, 0]).forEach((v, i) => dv.setFloat64(376 + 8 * i, v, le));
  (s.srow ?? []).forEach((row, r) => row.forEach((v, c) => dv.setFloat64(400 + 32 * r + 8 * c, v, le)));
  dv.setInt32(500, 2, le); // xyzt_units mm
  const data = new Uint8Array(s.voxels.buffer, s.voxels.byteOffset, s.voxels.length * bpe).slice();
  if (!le && bpe > 1) swapRun(data, 0, bpe, s.voxels.length);
  out.set(data, 544);
  return out;
}
