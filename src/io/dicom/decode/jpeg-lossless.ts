/** JPEG Lossless (process 14, any predictor) via @cornerstonejs/jpeg-lossless-decoder-js (pure JS). */
import { VoxsegError, errorMessage } from '../../../core/errors';
import { jpegEndsWithEoi, type JpegFrameHeader } from './markers';
import { finishCodecFrame } from './pixels';
import type { DecodedPixels, FrameInfo } from './types';

type DecoderModule = typeof import('@cornerstonejs/jpeg-lossless-decoder-js');
let decoderModule: Promise<DecoderModule> | undefined;

export async function decodeJpegLossless(
  encoded: Uint8Array,
  info: FrameInfo,
  header: JpegFrameHeader | undefined,
): Promise<DecodedPixels> {
  if (!header) throw new VoxsegError('decode-failed', 'JPEG Lossless frame has no JPEG frame header (SOF)');
  if (header.precision > 16) {
    throw new VoxsegError(
      'unsupported',
      `JPEG Lossless with ${header.precision}-bit precision is not supported (at most 16)`,
    );
  }
  if (header.components !== info.samplesPerPixel || header.columns !== info.columns || header.rows !== info.rows) {
    throw new VoxsegError(
      'decode-failed',
      `JPEG Lossless frame is ${header.columns}x${header.rows} with ${header.components} component(s), but the dataset says ${info.columns}x${info.rows} with ${info.samplesPerPixel}`,
    );
  }
  const numBytes = header.precision > 8 ? 2 : 1;
  if (numBytes === 2 && header.components > 1) {
    throw new VoxsegError(
      'unsupported',
      `JPEG Lossless colour with ${header.precision}-bit precision is not supported (the decoder handles 8-bit colour only)`,
    );
  }
  // The decoder fills a short stream with zeros without a word: check the stream is whole.
  if (!jpegEndsWithEoi(encoded)) {
    throw new VoxsegError(
      'decode-failed',
      'JPEG Lossless frame is truncated or damaged: the stream does not end with its EOI marker; the frame would decode to a wrong image',
    );
  }
  decoderModule ??= import('@cornerstonejs/jpeg-lossless-decoder-js');
  const { Decoder } = await decoderModule;
  let decoded: Uint8Array | Uint16Array;
  try {
    decoded = new Decoder().decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.byteLength, numBytes);
  } catch (err) {
    throw new VoxsegError('decode-failed', `JPEG Lossless decoder could not decode the frame: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const bytes = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  return finishCodecFrame(bytes, numBytes, false, info);
}
