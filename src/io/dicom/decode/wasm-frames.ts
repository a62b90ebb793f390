/**
 * JPEG 2000 (OpenJPEG), HTJ2K (OpenJPH), JPEG-LS (CharLS) and 8-bit JPEG (libjpeg-turbo) through
 * the wasm codecs. J2K/HTJ2K codestreams are checked structurally first (./j2k-structure.ts), and
 * every codec's frame is checked against the dataset (size, components, bit depth) afterwards.
 */
import { VoxsegError } from '../../../core/errors';
import { decodeWithWasm, type WasmDecodeResult } from './codecs';
import { checkJ2kStructure } from './j2k-structure';
import { j2kUsesMct, readJpegFrameHeader, withAdobeRgbMarker } from './markers';
import { finishCodecFrame } from './pixels';
import type { DecodedPixels, FrameInfo } from './types';

/** Bytes per decoded sample, after checking the codec's frame against the dataset's. */
function checkFrame(result: WasmDecodeResult, info: FrameInfo, what: string): 1 | 2 {
  const { width, height, componentCount, bitsPerSample } = result.frame;
  if (!width || !height || !componentCount) {
    throw new VoxsegError(
      'decode-failed',
      `${what} decoder produced no image: the compressed frame is corrupt or truncated${result.log ? ` (${result.log.trim()})` : ''}`,
    );
  }
  if (width !== info.columns || height !== info.rows || componentCount !== info.samplesPerPixel) {
    throw new VoxsegError(
      'decode-failed',
      `${what} frame is ${width}x${height} with ${componentCount} component(s), but the dataset says ${info.columns}x${info.rows} with ${info.samplesPerPixel}`,
    );
  }
  if (bitsPerSample > 16) {
    throw new VoxsegError('unsupported', `${what} with ${bitsPerSample} bits per sample is not supported (at most 16)`);
  }
  if (bitsPerSample > info.bitsAllocated) {
    throw new VoxsegError(
      'decode-failed',
      `${what} frame has ${bitsPerSample}-bit samples, but the dataset says BitsAllocated ${info.bitsAllocated}`,
    );
  }
  const sampleBytes = result.bytes.byteLength / (width * height * componentCount);
  if (sampleBytes !== 1 && sampleBytes !== 2) {
    throw new VoxsegError(
      'decode-failed',
      `${what} decoder returned ${result.bytes.byteLength} bytes for ${width}x${height}x${componentCount} samples`,
    );
  }
  return sampleBytes;
}

/** Refuse a J2K/HTJ2K codestream whose structure or SIZ header disagrees with the dataset. */
function checkCodestream(encoded: Uint8Array, info: FrameInfo, what: string): void {
  const size = checkJ2kStructure(encoded, what);
  if (size && (size.width !== info.columns || size.height !== info.rows || size.components !== info.samplesPerPixel)) {
    throw new VoxsegError(
      'decode-failed',
      `${what} codestream is ${size.width}x${size.height} with ${size.components} component(s), but the dataset says ${info.columns}x${info.rows} with ${info.samplesPerPixel}`,
    );
  }
}

export async function decodeJpeg2000(encoded: Uint8Array, info: FrameInfo): Promise<DecodedPixels> {
  checkCodestream(encoded, info, 'JPEG 2000');
  const result = await decodeWithWasm('openjpeg', 'J2KDecoder', encoded);
  const sampleBytes = checkFrame(result, info, 'JPEG 2000');
  // OpenJPEG undoes the multiple component transform (YBR_RCT / YBR_ICT -> RGB) itself.
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  const rgbAlready = j2kUsesMct(encoded) === true || photometric === 'YBR_RCT' || photometric === 'YBR_ICT';
  return finishCodecFrame(result.bytes, sampleBytes, !!result.frame.isSigned, info, { rgbAlready });
}

/** High-Throughput JPEG 2000 (Part 15) through OpenJPH; like JPEG 2000, the codec undoes the MCT. */
export async function decodeHtj2k(encoded: Uint8Array, info: FrameInfo): Promise<DecodedPixels> {
  checkCodestream(encoded, info, 'HTJ2K');
  const result = await decodeWithWasm('openjph', 'HTJ2KDecoder', encoded);
  const sampleBytes = checkFrame(result, info, 'HTJ2K');
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  const rgbAlready = j2kUsesMct(encoded) === true || photometric === 'YBR_RCT' || photometric === 'YBR_ICT';
  return finishCodecFrame(result.bytes, sampleBytes, !!result.frame.isSigned, info, { rgbAlready });
}

export async function decodeJpegLs(encoded: Uint8Array, info: FrameInfo): Promise<DecodedPixels> {
  const result = await decodeWithWasm('charls', 'JpegLSDecoder', encoded);
  const sampleBytes = checkFrame(result, info, 'JPEG-LS');
  // Interleave mode 0 (none): CharLS returns the colour planes one after another.
  const planar = result.interleaveMode === 0 && info.samplesPerPixel > 1;
  return finishCodecFrame(result.bytes, sampleBytes, false, info, { planar });
}

/** Baseline / extended DCT JPEG with 8-bit precision (the caller rejects 12-bit). */
export async function decodeJpeg8(encoded: Uint8Array, info: FrameInfo): Promise<DecodedPixels> {
  // DICOM RGB means "no colour transform"; make sure libjpeg does not guess YCbCr (see markers.ts).
  const header = readJpegFrameHeader(encoded);
  if (
    header &&
    info.photometricInterpretation.trim().toUpperCase() === 'RGB' &&
    header.components === 3 &&
    !header.jfif &&
    !header.adobe
  ) {
    const ids = header.componentIds.join(',');
    if (ids !== '1,2,3' && ids !== '82,71,66') encoded = withAdobeRgbMarker(encoded);
  }
  const result = await decodeWithWasm('libjpeg-turbo', 'JPEGDecoder', encoded);
  const sampleBytes = checkFrame(result, info, 'JPEG');
  // libjpeg-turbo returns RGB for 3-component images (YCbCr converted per the JPEG markers).
  return finishCodecFrame(result.bytes, sampleBytes, false, info, { rgbAlready: true });
}
