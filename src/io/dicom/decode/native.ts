/**
 * Uncompressed pixel data: explicit/implicit VR little endian, deflated (already inflated by the
 * parser), encapsulated uncompressed, and explicit VR big endian.
 *
 * Little endian frames whose byteOffset suits the element size come back as a zero-copy view of
 * `encoded` (the hot path for large CT/MR series); the view is copied only when values must be
 * changed (bits set above BitsStored, planar or YBR data).
 */
import { VoxsegError } from '../../../core/errors';
import {
  expandYbr422,
  fixStoredBits,
  needsStoredBitsFix,
  outputBytesPerSample,
  planarToInterleaved,
  sampleCount,
  typedArrayFor,
  ybrFullToRgb,
} from './pixels';
import type { DecodedPixels, FrameInfo } from './types';

export function decodeNative(encoded: Uint8Array, info: FrameInfo, bigEndian: boolean): DecodedPixels {
  if (bigEndian && info.bitsAllocated <= 8 && info.pixelDataVr?.trim().toUpperCase() === 'OW') {
    // OW in big endian: bytes come in swapped 16-bit words; after swapping they read as LE.
    encoded = swapWords(encoded);
    bigEndian = false;
  }
  if (info.bitsAllocated === 1) return unpackBits(encoded, info);
  const bps = outputBytesPerSample(info);
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  const is422 = photometric === 'YBR_FULL_422' && info.samplesPerPixel === 3;
  // YBR_FULL_422 stores 2 pixels in 4 samples (Y1 Y2 Cb Cr).
  const n = is422 ? info.rows * Math.ceil(info.columns / 2) * 4 : sampleCount(info);
  const bytes = n * bps;
  if (encoded.byteLength < bytes) {
    throw new VoxsegError(
      'truncated',
      `pixel data frame has ${encoded.byteLength} bytes, expected ${bytes} (${info.columns}x${info.rows}x${info.samplesPerPixel}, ${info.bitsAllocated}-bit)`,
    );
  }

  let out: DecodedPixels;
  let owned: boolean;
  if (bigEndian && bps > 1) {
    out = typedArrayFor(info, n);
    swapInto(encoded, new Uint8Array(out.buffer), bytes, bps);
    owned = true;
  } else if ((encoded.byteOffset & (bps - 1)) === 0) {
    out = typedArrayFor(info, encoded.buffer, encoded.byteOffset, n);
    owned = false;
  } else {
    out = typedArrayFor(info, encoded.slice(0, bytes).buffer, 0, n);
    owned = true;
  }

  const signed = info.pixelRepresentation === 1;
  if (needsStoredBitsFix(out, info.bitsStored, signed)) {
    if (!owned) out = out.slice();
    owned = true;
    fixStoredBits(out, info.bitsStored, signed);
  }

  if (info.samplesPerPixel > 1 && info.planarConfiguration === 1 && !is422) {
    out = planarToInterleaved(out, info.samplesPerPixel);
    owned = true;
  }
  if (is422) {
    out = expandYbr422(out, info.rows, info.columns);
    ybrFullToRgb(out, info.bitsStored);
  } else if (photometric === 'YBR_FULL' && info.samplesPerPixel === 3) {
    if (!owned) out = out.slice();
    ybrFullToRgb(out, info.bitsStored);
  } else if (photometric.startsWith('YBR_') && info.samplesPerPixel === 3) {
    throw new VoxsegError(
      'unsupported',
      `photometric interpretation ${photometric} is not supported for uncompressed data`,
    );
  }
  return out;
}

function swapInto(src: Uint8Array, dst: Uint8Array, bytes: number, width: number): void {
  if (width === 2) {
    for (let i = 0; i < bytes; i += 2) {
      dst[i] = src[i + 1];
      dst[i + 1] = src[i];
    }
  } else {
    for (let i = 0; i < bytes; i += 4) {
      dst[i] = src[i + 3];
      dst[i + 1] = src[i + 2];
      dst[i + 2] = src[i + 1];
      dst[i + 3] = src[i];
    }
  }
}

/** Copy with the bytes of each 16-bit word swapped (an odd last byte pairs with a zero). */
function swapWords(src: Uint8Array): Uint8Array {
  const len = src.byteLength + (src.byteLength & 1);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 2) {
    out[i] = src[i + 1] ?? 0;
    out[i + 1] = src[i];
  }
  return out;
}

/** BitsAllocated 1: pixels are packed 8 per byte, first pixel in the least significant bit. */
function unpackBits(encoded: Uint8Array, info: FrameInfo): Uint8Array {
  const n = sampleCount(info);
  const start = info.bitOffset ?? 0;
  const need = Math.ceil((start + n) / 8);
  if (encoded.byteLength < need) {
    throw new VoxsegError('truncated', `1-bit pixel data frame has ${encoded.byteLength} bytes, expected ${need}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = start + i;
    out[i] = (encoded[bit >> 3] >> (bit & 7)) & 1;
  }
  return out;
}
