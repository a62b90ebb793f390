/**
 * One file's share of a load: read it once, decode its frames (or MOSAIC tiles) and write each
 * into a slice of `target` with that frame's own rescale. Runs in the page/Node thread or inside
 * a load worker (src/dicom/worker), which passes a target holding only this file's slices.
 */
import { VoxsegError } from '../core/errors';
import { decodeFrame, type DecodedPixels } from './decode/index';
import type { FrameRef } from './multiframe';
import type { DicomHeader } from './parse';
import { openFrames } from './pixeldata';
import { tileOrigin } from './mosaic';
import type { SourceFile } from './source';
import { invertSum, writeRegion, type Target } from './values';

export interface SliceJob {
  /** Output slice index in the volume. */
  k: number;
  frame: FrameRef;
}

export interface FileTask {
  jobs: SliceJob[];
  nx: number;
  ny: number;
  /** Where job i goes in `target` (the volume: job.k; a per-file buffer: i). */
  slot: (job: SliceJob, i: number) => number;
  signal?: AbortSignal;
  onSlice?: () => void;
}

export async function decodeFileSlices(file: SourceFile, scanned: DicomHeader, target: Target, task: FileTask): Promise<void> {
  const { nx, ny } = task;
  const src = await openFrames(file, scanned);
  const h = src.header;
  const inv = invertSum(h);
  let mosaicPixels: DecodedPixels | undefined;
  for (let i = 0; i < task.jobs.length; i++) {
    task.signal?.throwIfAborted();
    const { frame } = task.jobs[i];
    let px: DecodedPixels;
    let srcOffset = 0;
    if (h.mosaic) {
      mosaicPixels ??= await decodeFrame(await src.frame(0), src.info(0));
      px = mosaicPixels;
      srcOffset = tileOrigin(h, frame.frame);
    } else {
      px = await decodeFrame(await src.frame(frame.frame), src.info(frame.frame));
    }
    const need = srcOffset + ((ny - 1) * h.columns + nx) * h.samplesPerPixel;
    if (px.length < need) throw new VoxsegError('decode-failed', `decoded frame has ${px.length} samples, expected ${need}`, { file: file.name });
    const where = h.numberOfFrames > 1 ? `${file.name} frame ${frame.frame + 1}` : file.name;
    const k = task.slot(task.jobs[i], i);
    writeRegion(target, { k, nx, ny, srcWidth: h.columns, srcOffset, samples: h.samplesPerPixel }, px, frame.slope, frame.intercept, inv, where);
    task.onSlice?.();
  }
}
