/**
 * One file's share of loadSeries: decode its frame(s) (or MOSAIC tiles) and write each into its
 * slice with that frame's own rescale. Runs on the main thread (Node, fallback) writing straight
 * into the volume, and in the browser load workers writing into per-slice buffers.
 */
import { VoxsegError } from '../../core/errors';
import { decodeFrame, decodeFrameUnmasked, type UnmaskedFrame } from './decode/index';
import type { FrameRef } from './multiframe';
import { tileOrigin } from './mosaic';
import type { DicomHeader } from './parse';
import { openFrames } from './pixeldata';
import type { SourceFile } from './source';
import { invertSum, rescaleFitsInt16, writeRegion, type Target } from './values';
import { applyModalityLut, applyPalette } from './luts';

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
export async function decodeFileSlices(
  file: SourceFile,
  scanned: DicomHeader,
  jobs: SliceJob[],
  dims: { nx: number; ny: number },
  sink: SliceSink,
  opts: FileDecodeOptions = {},
): Promise<void> {
  const { nx, ny } = dims;
  const src = await openFrames(file, scanned, opts.whole);
  const h = src.header;
  const inv = invertSum(h);
  let mosaicPixels: UnmaskedFrame | undefined;
  for (const { k, frame } of jobs) {
    opts.signal?.throwIfAborted();
    let px: UnmaskedFrame;
    let srcOffset = 0;
    if (h.mosaic) {
      mosaicPixels ??= await decodeFrameUnmasked(await src.frame(0), src.info(0));
      px = mosaicPixels;
      srcOffset = tileOrigin(h, frame.frame);
    } else {
      px = await decodeFrameUnmasked(await src.frame(frame.frame), src.info(frame.frame));
    }
    const need = srcOffset + ((ny - 1) * h.columns + nx) * h.samplesPerPixel;
    if (px.pixels.length < need)
      throw new VoxsegError('decode-failed', `decoded frame has ${px.pixels.length} samples, expected ${need}`);
    const where = h.numberOfFrames > 1 ? `${file.name} frame ${frame.frame + 1}` : file.name;
    const { target, at } = sink.open(k);
    const region = { k: at, nx, ny, srcWidth: h.columns, srcOffset, samples: h.samplesPerPixel };
    const luts = h.luts;
    if (luts?.palette || luts?.modality) {
      // Tables index the masked stored values: decode again without the deferred fix if needed.
      const stored = px.fix ? await decodeFrame(await src.frame(frame.frame), src.info(frame.frame)) : px.pixels;
      if (luts.palette)
        writeRegion(target, { ...region, samples: 3 }, applyPalette(stored, luts.palette), 1, 0, undefined, where);
      else writeRegion(target, region, applyModalityLut(stored, luts.modality!), 1, 0, undefined, where);
      sink.close(k, target, where);
      continue;
    }
    const fits = px.inRange && rescaleFitsInt16(h, frame.slope, frame.intercept);
    writeRegion(target, region, px.pixels, frame.slope, frame.intercept, inv, where, { fix: px.fix, fits });
    sink.close(k, target, where);
  }
}
