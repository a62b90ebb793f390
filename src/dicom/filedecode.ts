/**
 * One file's share of loadSeries: decode its frame(s) (or MOSAIC tiles) and write each into its
 * slice with that frame's own rescale. Runs on the main thread (Node, fallback) writing straight
 * into the volume, and in the browser load workers writing into per-slice buffers.
 */
import { VoxsegError } from '../core/errors';
import { decodeFrame, type DecodedPixels, type FrameInfo } from './decode/index';
import { codecFamily, normaliseUid } from './decode/syntaxes';
import type { FrameRef } from './multiframe';
import { tileOrigin } from './mosaic';
import type { DicomHeader } from './parse';
import { openFrames } from './pixeldata';
import { EXPLICIT_LE, IMPLICIT_LE } from './sniff';
import type { SourceFile } from './source';
import { invertSum, rescaleFitsInt16, writeRegion, type Target } from './values';
import type { StoredFix } from './greywrite';

export interface SliceJob {
  /** Output slice index. */
  k: number;
  frame: FrameRef;
}

/** Where decoded slices go. */
export interface SliceSink {
  /** The target holding slice k, and the slice index to write at inside it. */
  open(k: number): { target: Target; at: number };
  /** Slice k is complete (`where` names the file/frame for messages). */
  close(k: number, target: Target, where: string): void;
}

export interface FileDecodeOptions {
  signal?: AbortSignal;
  /** The whole file, already read (else it is read here). */
  whole?: Uint8Array;
}

/** Decode `jobs` (the slices of one file) into `sink`; throws VoxsegError naming the file. */
export async function decodeFileSlices(file: SourceFile, scanned: DicomHeader, jobs: SliceJob[], dims: { nx: number; ny: number }, sink: SliceSink, opts: FileDecodeOptions = {}): Promise<void> {
  const { nx, ny } = dims;
  const src = await openFrames(file, scanned, opts.whole);
  const h = src.header;
  const inv = invertSum(h);
  let mosaicPixels: Decoded | undefined;
  for (const { k, frame } of jobs) {
    opts.signal?.throwIfAborted();
    let px: Decoded;
    let srcOffset = 0;
    if (h.mosaic) {
      mosaicPixels ??= await decodeStored(await src.frame(0), src.info(0));
      px = mosaicPixels;
      srcOffset = tileOrigin(h, frame.frame);
    } else {
      px = await decodeStored(await src.frame(frame.frame), src.info(frame.frame));
    }
    const need = srcOffset + ((ny - 1) * h.columns + nx) * h.samplesPerPixel;
    if (px.pixels.length < need) throw new VoxsegError('decode-failed', `decoded frame has ${px.pixels.length} samples, expected ${need}`);
    const where = h.numberOfFrames > 1 ? `${file.name} frame ${frame.frame + 1}` : file.name;
    const { target, at } = sink.open(k);
    const fits = px.inRange && rescaleFitsInt16(h, frame.slope, frame.intercept);
    writeRegion(target, { k: at, nx, ny, srcWidth: h.columns, srcOffset, samples: h.samplesPerPixel }, px.pixels, frame.slope, frame.intercept, inv, where, { fix: px.fix, fits });
    sink.close(k, target, where);
  }
}

interface Decoded {
  pixels: DecodedPixels;
  /** Raw native values the writer still has to mask / sign-extend. */
  fix?: StoredFix;
  /** Values (after `fix`) are within the BitsStored range. */
  inRange: boolean;
}

/**
 * Stored values of one frame. Native little-endian grey 8/16-bit frames come back as a zero-copy
 * view of the file bytes with the BitsStored fix left to the writer (no separate pass over the
 * voxels); everything else goes through decodeFrame.
 */
async function decodeStored(encoded: Uint8Array, info: FrameInfo): Promise<Decoded> {
  const uid = normaliseUid(info.transferSyntaxUid);
  const bits = info.bitsAllocated;
  const raw =
    (uid === EXPLICIT_LE || uid === IMPLICIT_LE) &&
    info.samplesPerPixel === 1 &&
    !info.isFloat &&
    (bits === 8 || bits === 16) &&
    info.bitsStored > 0 &&
    info.bitsStored <= bits &&
    info.rows > 0 &&
    info.columns > 0 &&
    (encoded.byteOffset & (bits / 8 - 1)) === 0 &&
    encoded.byteLength >= info.rows * info.columns * (bits / 8);
  if (raw) {
    const n = info.rows * info.columns;
    const signed = info.pixelRepresentation === 1;
    const { buffer, byteOffset } = encoded;
    const pixels = bits === 8 ? (signed ? new Int8Array(buffer, byteOffset, n) : new Uint8Array(buffer, byteOffset, n)) : signed ? new Int16Array(buffer, byteOffset, n) : new Uint16Array(buffer, byteOffset, n);
    return { pixels, fix: { bitsStored: info.bitsStored, signed }, inRange: true };
  }
  const pixels = await decodeFrame(encoded, info);
  // native and RLE data are fixed to BitsStored by the decoder, signed codec output is sign
  // extended; unsigned codec output is taken as the codec gave it (may exceed BitsStored)
  const family = codecFamily(uid);
  const fixed = family === 'native-le' || family === 'native-be' || family === 'rle' || info.pixelRepresentation === 1;
  return { pixels, inRange: fixed || info.bitsStored >= bits };
}
