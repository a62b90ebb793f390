/**
 * Pixel-data frame decoding: one entry point for every supported transfer syntax, identical in
 * Node and in the browser (browser apps call `registerBrowserCodecUrls()` from
 * ./wasm-urls.browser.ts once at start-up; see ./README.md).
 */
import { VoxsegError } from '../../../core/errors';
import { readJpegFrameHeader } from './markers';
import { decodeNative } from './native';
import { decodeRle } from './rle';
import { codecFamily, normaliseUid, transferSyntaxName, unsupportedReason } from './syntaxes';
import type { DecodedPixels, FrameInfo, UnmaskedFrame } from './types';
import { decodeHtj2k, decodeJpeg2000, decodeJpeg8, decodeJpegLs } from './wasm-frames';
import { decodeJpegLossless } from './jpeg-lossless';
import { decodeDctJpeg } from './jpeg-dct';
import { finishCodecFrame } from './pixels';

export type { DecodedPixels, FrameInfo, StoredFix, UnmaskedFrame } from './types';
export { isSupportedTransferSyntax, transferSyntaxName } from './syntaxes';
export { setCodecWasmUrls, type CodecName } from './codecs';

/**
 * Decode one frame to stored values (see DecodedPixels). Native little endian frames may come
 * back as a view sharing `encoded`'s memory; compressed frames always come back as new arrays.
 * Throws VoxsegError: 'unsupported' (transfer syntax or layout we do not handle), 'truncated',
 * 'decode-failed'.
 */
export async function decodeFrame(encoded: Uint8Array, info: FrameInfo): Promise<DecodedPixels> {
  checkInfo(info);
  const uid = normaliseUid(info.transferSyntaxUid);
  switch (codecFamily(uid)) {
    case 'native-le':
      return decodeNative(encoded, info, false);
    case 'native-be':
      return decodeNative(encoded, info, true);
    case 'rle':
      return decodeRle(encoded, info);
    case 'jpeg-baseline': {
      const header = readJpegFrameHeader(encoded);
      // Some writers label lossless JPEG streams as baseline: follow the stream.
      if (header?.process === 3) return decodeJpegLossless(encoded, info, header);
      // libjpeg-turbo is built for 8-bit samples; 12-bit DCT frames use our own decoder.
      if (header && header.precision > 8) return decodeJpeg12(encoded, info);
      return decodeJpeg8(encoded, info);
    }
    case 'jpeg-lossless':
      return decodeJpegLossless(encoded, info, readJpegFrameHeader(encoded));
    case 'jpeg-ls':
      return decodeJpegLs(encoded, info);
    case 'jpeg-2000':
      return decodeJpeg2000(encoded, info);
    case 'htj2k':
      return decodeHtj2k(encoded, info);
    case 'none': {
      const why = unsupportedReason(uid);
      throw new VoxsegError(
        'unsupported',
        `transfer syntax ${transferSyntaxName(uid)} (${uid || 'none'}) is not supported${why ? `: ${why}` : ''}`,
      );
    }
  }
}

/**
 * Like decodeFrame, for writers that mask while they copy (one pass over the voxels instead of
 * two): a grey native little-endian 8/16-bit frame comes back as a zero-copy view of `encoded`
 * with its bits above BitsStored NOT yet masked or sign-extended (`fix` says how). Every other
 * frame is decodeFrame's result; `inRange` says whether its values are guaranteed within
 * BitsStored (native and RLE data are fixed by the decoder, signed codec output is sign-extended,
 * unsigned codec output is taken as the codec gave it).
 */
export async function decodeFrameUnmasked(encoded: Uint8Array, info: FrameInfo): Promise<UnmaskedFrame> {
  checkInfo(info);
  const family = codecFamily(normaliseUid(info.transferSyntaxUid));
  const bits = info.bitsAllocated;
  const signed = info.pixelRepresentation === 1;
  const n = info.rows * info.columns;
  const view =
    family === 'native-le' &&
    info.samplesPerPixel === 1 &&
    !info.isFloat &&
    (bits === 8 || bits === 16) &&
    (encoded.byteOffset & (bits / 8 - 1)) === 0 &&
    encoded.byteLength >= n * (bits / 8);
  if (view) {
    const { buffer, byteOffset } = encoded;
    const pixels =
      bits === 8
        ? signed
          ? new Int8Array(buffer, byteOffset, n)
          : new Uint8Array(buffer, byteOffset, n)
        : signed
          ? new Int16Array(buffer, byteOffset, n)
          : new Uint16Array(buffer, byteOffset, n);
    return { pixels, fix: { bitsStored: info.bitsStored, signed }, inRange: true };
  }
  const pixels = await decodeFrame(encoded, info);
  const fixed = family === 'native-le' || family === 'native-be' || family === 'rle' || signed;
  return { pixels, inRange: fixed || info.bitsStored >= bits };
}

/** 12-bit sequential DCT JPEG (process 4), checked against the dataset like the codec frames. */
function decodeJpeg12(encoded: Uint8Array, info: FrameInfo): DecodedPixels {
  const img = decodeDctJpeg(encoded);
  if (img.width !== info.columns || img.height !== info.rows || img.components !== info.samplesPerPixel) {
    throw new VoxsegError(
      'decode-failed',
      `JPEG frame is ${img.width}x${img.height} with ${img.components} component(s), but the dataset says ${info.columns}x${info.rows} with ${info.samplesPerPixel}`,
    );
  }
  if (img.precision > info.bitsAllocated) {
    throw new VoxsegError(
      'decode-failed',
      `JPEG frame has ${img.precision}-bit samples, but the dataset says BitsAllocated ${info.bitsAllocated}`,
    );
  }
  const bytes = new Uint8Array(img.samples.buffer, img.samples.byteOffset, img.samples.byteLength);
  return finishCodecFrame(bytes, 2, false, info);
}

function checkInfo(info: FrameInfo): void {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated, bitsStored } = info;
  const positive = (v: number) => Number.isInteger(v) && v > 0;
  if (!positive(rows) || !positive(columns))
    throw new VoxsegError('decode-failed', `invalid image size ${columns}x${rows}`);
  if (spp !== 1 && spp !== 3)
    throw new VoxsegError('unsupported', `SamplesPerPixel ${spp} is not supported (expected 1 or 3)`);
  if (![1, 8, 16, 32].includes(bitsAllocated)) {
    throw new VoxsegError('unsupported', `BitsAllocated ${bitsAllocated} is not supported (expected 1, 8, 16 or 32)`);
  }
  if (!positive(bitsStored) || bitsStored > bitsAllocated) {
    throw new VoxsegError('decode-failed', `BitsStored ${bitsStored} is invalid for BitsAllocated ${bitsAllocated}`);
  }
}
