/**
 * NIfTI-1 single-file writer (browser + Node safe). Writes the voxels as they are (real-world
 * values, scl_slope 1 / scl_inter 0), little endian, with a RAS+ sform AND an equivalent qform
 * (both code 1 "scanner" by default), spatial units mm. Optional gzip (fflate).
 */
import { gzipSync } from 'fflate';
import { VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import { flipLpsRas, indexToWorldAffine } from '../../volume/geometry';
import { rotationToQuaternion } from './affine';
import { DTYPE_CODES } from './header';

export interface WriteNiftiOptions {
  /** gzip-compress the output (.nii.gz). Default false. */
  gzip?: boolean;
  /** gzip level 0..9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** Text for the 80-byte descrip field (ASCII; truncated to 79 characters). */
  description?: string;
  /** sform_code / qform_code (default 1 = scanner anatomical; 2 = aligned, ...). */
  xformCode?: number;
  /** The file being written, for messages. */
  name?: string;
}

const HEADER = 352; // 348-byte header + 4-byte extension flag (no extensions)

export function writeNifti(volume: Volume, opts: WriteNiftiOptions = {}): Uint8Array {
  const h = volume.header;
  if (h.dims.some((d) => d > 32767))
    throw new VoxsegError('invalid-volume', `dims ${h.dims.join('x')} exceed the NIfTI-1 limit of 32767 per axis`, {
      file: opts.name,
    });
  const bpe = volume.voxels.BYTES_PER_ELEMENT;
  const dataBytes = volume.voxels.length * bpe;
  const out = new Uint8Array(HEADER + dataBytes);
  const dv = new DataView(out.buffer);
  const i16 = (o: number, v: number) => dv.setInt16(o, v, true);
  const f32 = (o: number, v: number) => dv.setFloat32(o, v, true);
  dv.setInt32(0, 348, true);
  out[38] = 'r'.charCodeAt(0); // "regular", as most writers set it
  i16(40, 3);
  for (let i = 0; i < 3; i++) i16(42 + 2 * i, h.dims[i]);
  for (let i = 3; i < 7; i++) i16(42 + 2 * i, 1);
  i16(70, DTYPE_CODES[h.dtype]);
  i16(72, bpe * 8);

  const ras = flipLpsRas(indexToWorldAffine(h));
  // RAS rotation = flip(x, y) applied to the (orthonormal) LPS direction.
  const d = h.direction;
  const rot = [-d[0], -d[1], -d[2], -d[3], -d[4], -d[5], d[6], d[7], d[8]] as const;
  const { quatern, qfac } = rotationToQuaternion([...rot] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]);

  f32(76, qfac);
  for (let i = 0; i < 3; i++) f32(80 + 4 * i, h.spacing[i]);
  for (let i = 3; i < 7; i++) f32(80 + 4 * i, 1);
  f32(108, HEADER); // vox_offset
  f32(112, 1); // scl_slope
  f32(116, 0); // scl_inter
  out[123] = 2; // xyzt_units: mm
  const desc = (opts.description ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 79);
  for (let i = 0; i < desc.length; i++) out[148 + i] = desc.charCodeAt(i);
  const code = opts.xformCode ?? 1;
  i16(252, code); // qform_code
  i16(254, code); // sform_code
  for (let i = 0; i < 3; i++) f32(256 + 4 * i, quatern[i]);
  for (let i = 0; i < 3; i++) f32(268 + 4 * i, ras[4 * i + 3]);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) f32(280 + 16 * r + 4 * c, ras[4 * r + c]);
  out.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0"; extension flag bytes 348..351 stay 0

  const v = volume.voxels;
  out.set(new Uint8Array(v.buffer, v.byteOffset, dataBytes), HEADER);
  if (!littleEndianHost() && bpe > 1) {
    for (let i = HEADER; i < out.length; i += bpe) out.subarray(i, i + bpe).reverse();
  }
  return opts.gzip ? gzipSync(out, { level: opts.level ?? 6 }) : out;
}

function littleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
