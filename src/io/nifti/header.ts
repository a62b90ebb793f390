/**
 * NIfTI-1 / NIfTI-2 header parsing (browser + Node safe). Only the fields voxseg uses are read.
 * Byte order is detected from sizeof_hdr (348 or 540, read little- or big-endian).
 */
import { VoxsegError } from '../../core/errors';
import type { DType } from '../../core/types';

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** Size of the fixed header in bytes (348 or 540). */
  headerSize: number;
  /** dim[0..7] as numbers. */
  dim: number[];
  datatype: number;
  bitpix: number;
  /** pixdim[0..7]; pixdim[0] is qfac. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  descrip: string;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z (4 numbers each). */
  srow: [number[], number[], number[]];
  magic: string;
}

/** NIfTI datatype code -> voxseg dtype (codes not listed are unsupported). */
export const NIFTI_DTYPES: Record<number, DType> = {
  2: 'uint8',
  4: 'int16',
  8: 'int32',
  16: 'float32',
  64: 'float64',
  256: 'int8',
  512: 'uint16',
  768: 'uint32',
};

export const DTYPE_CODES: Record<DType, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

const DATATYPE_NAMES: Record<number, string> = {
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

export function datatypeName(code: number): string {
  return NIFTI_DTYPES[code] ?? DATATYPE_NAMES[code] ?? 'unknown';
}

function text(bytes: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len && i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s.trim();
}

/** Parse the fixed header. `bytes` must hold at least the header (348 or 540 bytes). */
export function parseNiftiHeader(bytes: Uint8Array, name?: string): NiftiHeader {
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-nifti', msg, { file: name });
  };
  if (bytes.length < 4) fail(`file is too short for a NIfTI header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let size = dv.getInt32(0, true);
  if (size !== 348 && size !== 540) {
    const be = dv.getInt32(0, false);
    if (be === 348 || be === 540) {
      le = false;
      size = be;
    } else fail(`bad sizeof_hdr ${size} (expected 348 for NIfTI-1 or 540 for NIfTI-2)`);
  }
  if (bytes.length < size) fail(`truncated header: expected ${size} bytes, got ${bytes.length}`);
  return size === 348 ? parseV1(dv, bytes, le, fail) : parseV2(dv, bytes, le, fail);
}

function parseV1(dv: DataView, bytes: Uint8Array, le: boolean, fail: (m: string) => never): NiftiHeader {
  const magic = text(bytes, 344, 4);
  if (magic !== 'n+1' && magic !== 'ni1')
    fail(`missing NIfTI-1 magic (found ${JSON.stringify(magic)}); plain Analyze 7.5 files are not supported`);
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  return {
    version: 1,
    littleEndian: le,
    headerSize: 348,
    dim: range(8, (i) => i16(40 + 2 * i)),
    datatype: i16(70),
    bitpix: i16(72),
    pixdim: range(8, (i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: bytes[123],
    descrip: text(bytes, 148, 80),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: [range(4, (i) => f32(280 + 4 * i)), range(4, (i) => f32(296 + 4 * i)), range(4, (i) => f32(312 + 4 * i))],
    magic,
  };
}

function parseV2(dv: DataView, bytes: Uint8Array, le: boolean, fail: (m: string) => never): NiftiHeader {
  const magic = text(bytes, 4, 4);
  if (magic !== 'n+2' && magic !== 'ni2') fail(`missing NIfTI-2 magic (found ${JSON.stringify(magic)})`);
  const i64 = (o: number) => Number(dv.getBigInt64(o, le));
  const f64 = (o: number) => dv.getFloat64(o, le);
  const i32 = (o: number) => dv.getInt32(o, le);
  const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  return {
    version: 2,
    littleEndian: le,
    headerSize: 540,
    dim: range(8, (i) => i64(16 + 8 * i)),
    datatype: dv.getInt16(12, le),
    bitpix: dv.getInt16(14, le),
    pixdim: range(8, (i) => f64(104 + 8 * i)),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    xyztUnits: i32(500),
    descrip: text(bytes, 240, 80),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: [range(4, (i) => f64(400 + 8 * i)), range(4, (i) => f64(432 + 8 * i)), range(4, (i) => f64(464 + 8 * i))],
    magic,
  };
}
