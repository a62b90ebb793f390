/**
 * Helpers shared by all codec families: choosing the output typed array, fixing the bits above
 * BitsStored, planar -> interleaved and YBR -> RGB. All multi-byte views assume a little-endian
 * host (every platform voxseg runs on).
 */
import { VoxsegError } from '../../../core/errors';
import type { DecodedPixels, FrameInfo } from './types';

export function sampleCount(info: FrameInfo): number {
  return info.rows * info.columns * info.samplesPerPixel;
}

/** Bytes per output sample (1-bit data unpacks to one byte per sample). */
export function outputBytesPerSample(info: FrameInfo): 1 | 2 | 4 {
  const b = info.bitsAllocated;
  if (b === 1 || b === 8) return 1;
  if (b === 16) return 2;
  if (b === 32) return 4;
  throw new VoxsegError('unsupported', `BitsAllocated ${b} is not supported (expected 1, 8, 16 or 32)`);
}

/** Typed array over `buffer` (or a new one when buffer is a length) matching the frame's value type. */
export function typedArrayFor(
  info: FrameInfo,
  buffer: ArrayBufferLike | number,
  byteOffset = 0,
  length?: number,
): DecodedPixels {
  const signed = info.pixelRepresentation === 1;
  const bytes = outputBytesPerSample(info);
  if (typeof buffer === 'number') {
    length = buffer;
    buffer = new ArrayBuffer(length * bytes);
    byteOffset = 0;
  }
  const n = length ?? (buffer.byteLength - byteOffset) / bytes;
  if (bytes === 1) return signed ? new Int8Array(buffer, byteOffset, n) : new Uint8Array(buffer, byteOffset, n);
  if (bytes === 2) return signed ? new Int16Array(buffer, byteOffset, n) : new Uint16Array(buffer, byteOffset, n);
  if (info.isFloat) return new Float32Array(buffer, byteOffset, n);
  return signed ? new Int32Array(buffer, byteOffset, n) : new Uint32Array(buffer, byteOffset, n);
}

type IntArray = Exclude<DecodedPixels, Float32Array>;

/**
 * True when some value of `arr` lies outside the range BitsStored allows (so bits above BitsStored
 * are set, or a signed value was stored without its sign extended). A read-only pass: the hot
 * path uses it to decide whether a zero-copy view can be returned as is.
 */
export function needsStoredBitsFix(arr: DecodedPixels, bitsStored: number, signed: boolean): boolean {
  const bits = arr.BYTES_PER_ELEMENT * 8;
  if (arr instanceof Float32Array || bitsStored >= bits || bitsStored <= 0) return false;
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const a = arr as IntArray;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo || v > hi) return true;
  }
  return false;
}

/** In place: keep the low `bitsStored` bits; sign-extend them when signed. */
export function fixStoredBits(arr: DecodedPixels, bitsStored: number, signed: boolean): void {
  const bits = arr.BYTES_PER_ELEMENT * 8;
  if (arr instanceof Float32Array || bitsStored >= bits || bitsStored <= 0) return;
  const a = arr as IntArray;
  if (signed) {
    const shift = 32 - bitsStored;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] << shift) >> shift;
  } else {
    const mask = bitsStored === 31 ? 0x7fffffff : (1 << bitsStored) - 1;
    for (let i = 0; i < a.length; i++) a[i] = a[i] & mask;
  }
}

/** New array with samples interleaved (R1 G1 B1 R2 ...) from planes (R1 R2 ... G1 G2 ... B1 B2 ...). */
export function planarToInterleaved<T extends DecodedPixels>(planar: T, samplesPerPixel: number): T {
  const out = new (planar.constructor as new (n: number) => T)(planar.length);
  const pixels = planar.length / samplesPerPixel;
  for (let s = 0; s < samplesPerPixel; s++) {
    const base = s * pixels;
    for (let p = 0; p < pixels; p++) out[p * samplesPerPixel + s] = planar[base + p];
  }
  return out;
}

const clamp = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : Math.round(v));

/** In place, interleaved YCbCr (full range, as YBR_FULL) -> RGB; `bits` sets the value range. */
export function ybrFullToRgb(arr: DecodedPixels, bits: number): void {
  const max = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  for (let i = 0; i + 2 < arr.length; i += 3) {
    const y = arr[i];
    const cb = arr[i + 1] - half;
    const cr = arr[i + 2] - half;
    arr[i] = clamp(y + 1.402 * cr, max);
    arr[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr, max);
    arr[i + 2] = clamp(y + 1.772 * cb, max);
  }
}

/**
 * YBR_FULL_422 as stored uncompressed: each pair of pixels on a row is Y1 Y2 Cb Cr (chroma shared).
 * Returns the frame expanded to interleaved YBR_FULL (3 samples per pixel).
 */
export function expandYbr422<T extends DecodedPixels>(src: T, rows: number, columns: number): T {
  const out = new (src.constructor as new (n: number) => T)(rows * columns * 3);
  const rowIn = Math.ceil(columns / 2) * 4;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const pair = r * rowIn + (c >> 1) * 4;
      const o = (r * columns + c) * 3;
      out[o] = src[pair + (c & 1)];
      out[o + 1] = src[pair + 2];
      out[o + 2] = src[pair + 3];
    }
  }
  return out;
}

/**
 * Widen/narrow codec output (`sampleBytes` bytes per sample, little endian in `bytes`) into a new
 * array of the frame's output type. The codec reports signedness separately; values are taken as
 * the codec gave them and `fixStoredBits` is applied afterwards by the caller when needed.
 */
export function fromCodecSamples(
  bytes: Uint8Array,
  sampleBytes: 1 | 2,
  codecSigned: boolean,
  info: FrameInfo,
): DecodedPixels {
  const n = sampleCount(info);
  const have = Math.floor(bytes.byteLength / sampleBytes);
  if (have < n) {
    throw new VoxsegError(
      'decode-failed',
      `decoded frame holds ${have} samples, expected ${n} (${info.columns}x${info.rows}x${info.samplesPerPixel})`,
    );
  }
  const out = typedArrayFor(info, n);
  if (out.BYTES_PER_ELEMENT === sampleBytes) {
    // Same width: a byte copy also covers signed/unsigned reinterpretation.
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * sampleBytes));
    return out;
  }
  const copy = bytes.slice(0, n * sampleBytes);
  const src =
    sampleBytes === 1
      ? codecSigned
        ? new Int8Array(copy.buffer)
        : copy
      : codecSigned
        ? new Int16Array(copy.buffer)
        : new Uint16Array(copy.buffer);
  for (let i = 0; i < n; i++) out[i] = src[i];
  return out;
}

export interface FinishOptions {
  /** The codec returned colour planes one after another (CharLS, interleave mode none). */
  planar?: boolean;
  /** The codec already converted the colour space to RGB (libjpeg-turbo, JPEG 2000 with MCT). */
  rgbAlready?: boolean;
}

/** Codec output bytes -> final DecodedPixels: value type, sign, interleaving, YBR -> RGB. */
export function finishCodecFrame(
  bytes: Uint8Array,
  sampleBytes: 1 | 2,
  codecSigned: boolean,
  info: FrameInfo,
  opts: FinishOptions = {},
): DecodedPixels {
  let out = fromCodecSamples(bytes, sampleBytes, codecSigned, info);
  // Sign-extend from BitsStored: a no-op for values the codec already returned signed.
  if (info.pixelRepresentation === 1) fixStoredBits(out, info.bitsStored, true);
  const spp = info.samplesPerPixel;
  if (spp > 1 && opts.planar) out = planarToInterleaved(out, spp);
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  if (spp === 3 && !opts.rgbAlready && photometric.startsWith('YBR_')) {
    if (photometric !== 'YBR_FULL' && photometric !== 'YBR_FULL_422') {
      throw new VoxsegError(
        'unsupported',
        `photometric interpretation ${photometric} is not supported with this transfer syntax`,
      );
    }
    ybrFullToRgb(out, Math.min(info.bitsStored, out.BYTES_PER_ELEMENT * 8));
  }
  return out;
}
