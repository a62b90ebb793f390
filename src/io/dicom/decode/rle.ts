/**
 * RLE Lossless (PS3.5 Annex G).
 *
 * A frame is a 64-byte header (uint32 LE: number of segments, then 15 segment offsets from the
 * start of the frame) followed by the segments. Each segment is one byte plane of the image,
 * PackBits-encoded, rows*columns bytes once decoded.
 *
 * Segment order: for each sample (R, G, B for colour), one segment per byte of that sample,
 * MOST significant byte first. So 16-bit grey has [high bytes, low bytes]; 8-bit RGB has
 * [R, G, B]; 16-bit RGB has [R hi, R lo, G hi, G lo, B hi, B lo]. Decoded samples are always
 * interleaved here, whatever PlanarConfiguration says.
 *
 * PackBits: read a header byte n as int8. 0..127: copy the next n+1 bytes literally.
 * -1..-127: repeat the next byte 1-n times. -128: no operation.
 */
import { VoxsegError } from '../../../core/errors';
import { fixStoredBits, outputBytesPerSample, sampleCount, typedArrayFor, ybrFullToRgb } from './pixels';
import type { DecodedPixels, FrameInfo } from './types';

export function decodeRle(encoded: Uint8Array, info: FrameInfo): DecodedPixels {
  if (info.bitsAllocated === 1) throw new VoxsegError('unsupported', 'RLE with BitsAllocated 1 is not supported');
  const bps = outputBytesPerSample(info);
  const spp = info.samplesPerPixel;
  const pixels = info.rows * info.columns;
  if (encoded.byteLength < 64)
    throw new VoxsegError('truncated', `RLE frame has ${encoded.byteLength} bytes, shorter than its 64-byte header`);
  const header = new DataView(encoded.buffer, encoded.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== spp * bps) {
    throw new VoxsegError(
      'decode-failed',
      `RLE frame has ${segments} segments, expected ${spp * bps} (${spp} samples x ${bps} bytes)`,
    );
  }

  const out = typedArrayFor(info, sampleCount(info));
  const outBytes = new Uint8Array(out.buffer);
  for (let seg = 0; seg < segments; seg++) {
    const start = header.getUint32(4 + seg * 4, true);
    const end = seg + 1 < segments ? header.getUint32(8 + seg * 4, true) : encoded.byteLength;
    if (start < 64 || end > encoded.byteLength || end < start) {
      throw new VoxsegError(
        'decode-failed',
        `RLE segment ${seg + 1} has invalid offsets ${start}..${end} (frame is ${encoded.byteLength} bytes)`,
      );
    }
    const sample = Math.floor(seg / bps);
    const byteInSample = bps - 1 - (seg % bps); // segment 0 of a sample is its MSB; host is little endian
    const first = sample * bps + byteInSample; // where pixel 0's byte goes in outBytes
    const got = unpackBitsSegment(encoded, start, end, outBytes, first, spp * bps, pixels);
    if (got < pixels) {
      throw new VoxsegError('decode-failed', `RLE segment ${seg + 1} decodes to ${got} bytes, expected ${pixels}`);
    }
  }

  const signed = info.pixelRepresentation === 1;
  if (info.bitsStored < info.bitsAllocated) fixStoredBits(out, info.bitsStored, signed);
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  if (spp === 3 && photometric === 'YBR_FULL') ybrFullToRgb(out, info.bitsStored);
  else if (spp === 3 && photometric.startsWith('YBR_')) {
    throw new VoxsegError('unsupported', `photometric interpretation ${photometric} is not supported for RLE data`);
  }
  return out;
}

/**
 * Decode PackBits bytes src[start..end) into dst[first], dst[first+stride], ... (at most `count`
 * bytes). Returns how many bytes were produced (extra decoded bytes past `count` are ignored).
 */
function unpackBitsSegment(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  first: number,
  stride: number,
  count: number,
): number {
  let i = start;
  let o = 0;
  let d = first;
  while (i < end && o < count) {
    const n = src[i++];
    if (n < 128) {
      // literal run of n+1 bytes
      const len = Math.min(n + 1, count - o, end - i);
      for (let k = 0; k < len; k++, d += stride) dst[d] = src[i + k];
      i += n + 1;
      o += len;
    } else if (n > 128) {
      // repeat run: as int8 the header is v = n-256, and the next byte repeats 1-v = 257-n times
      if (i >= end) break;
      const value = src[i++];
      const len = Math.min(257 - n, count - o);
      for (let k = 0; k < len; k++, d += stride) dst[d] = value;
      o += len;
    }
    // n === 128: no-op
  }
  return o;
}
