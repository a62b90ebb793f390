/**
 * Decompression bombs built without ever holding (or deflating) the inflated bytes: a few real
 * bytes (a NIfTI header, a DICOM dataset) followed by gigabytes of zeros. The zeros are one
 * deflated 1 MiB block (flushed to a byte boundary with a fresh dictionary, so copies of it
 * concatenate into one valid stream) repeated, then a final empty block. The gzip CRC of the
 * whole is computed by the zero-extension operator of CRC-32 (the GF(2) matrix method zlib's
 * crc32_combine uses), so the bombs are valid files: only a size limit stops them, not a CRC.
 */
import { concatBytes } from '../../src/core/bytes';
import { constants, crc32, deflateRawSync } from 'node:zlib';

const MiB = 1 << 20;
const FULL = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };

function gf2Apply(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}

function gf2Compose(a: Uint32Array, b: Uint32Array): Uint32Array {
  // (a ∘ b): apply b, then a
  const out = new Uint32Array(32);
  for (let i = 0; i < 32; i++) out[i] = gf2Apply(a, b[i]);
  return out;
}

/** CRC-32 of `bytes` followed by `zeros` zero bytes (zeros may exceed 2^32). */
export function crc32WithZeros(bytes: Uint8Array, zeros: number): number {
  // operator for one zero bit on the (inverted) register, reflected polynomial 0xEDB88320
  let op: Uint32Array = new Uint32Array(32);
  op[0] = 0xedb88320;
  for (let i = 1; i < 32; i++) op[i] = 1 << (i - 1);
  // one zero byte = 8 zero bits
  for (let k = 0; k < 3; k++) op = gf2Compose(op, op);
  let reg = ~crc32(bytes) >>> 0;
  let n = zeros;
  while (n > 0) {
    if (n % 2 === 1) reg = gf2Apply(op, reg);
    n = Math.floor(n / 2);
    if (n > 0) op = gf2Compose(op, op);
  }
  return ~reg >>> 0;
}

/** Raw deflate stream of `prefix` + `zeros` zero bytes (about zeros / 1030 bytes long). */
export function deflateWithZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const parts: Uint8Array[] = [deflateRawSync(prefix, FULL)];
  const block = deflateRawSync(Buffer.alloc(MiB), FULL);
  const whole = Math.floor(zeros / MiB);
  for (let i = 0; i < whole; i++) parts.push(block);
  const rest = zeros - whole * MiB;
  if (rest > 0) parts.push(deflateRawSync(Buffer.alloc(rest), FULL));
  parts.push(deflateRawSync(Buffer.alloc(0))); // final empty block
  return concatBytes(parts);
}

/** A gzip member of `prefix` + `zeros` zero bytes with a correct CRC and ISIZE (mod 2^32). */
export function gzipWithZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const header = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const trailer = new Uint8Array(8);
  const dv = new DataView(trailer.buffer);
  dv.setUint32(0, crc32WithZeros(prefix, zeros), true);
  dv.setUint32(4, (prefix.length + zeros) % 2 ** 32, true);
  return concatBytes([header, deflateWithZeros(prefix, zeros), trailer]);
}

/** Flip the stored CRC of a gzip member (the last 8 bytes hold CRC, ISIZE). */
export function withBadCrc(gz: Uint8Array): Uint8Array {
  const b = gz.slice();
  b[b.length - 8] ^= 0xff;
  return b;
}

/** Change the stored ISIZE (length mod 2^32) of a gzip member. */
export function withBadLength(gz: Uint8Array): Uint8Array {
  const b = gz.slice();
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint32(b.length - 4, (dv.getUint32(b.length - 4, true) + 1) >>> 0, true);
  return b;
}
