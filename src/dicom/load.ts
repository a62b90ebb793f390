/**
 * loadSeries: read each file once, decode its frame(s) and write them straight into ONE
 * preallocated voxel array, slice by slice (a few files in flight at a time; nothing else kept).
 */
import { VoxsegError, errorMessage } from '../core/errors';
import type { Volume, VolumeMetadata } from '../core/types';
import { allocateVoxels, createVolume } from '../volume/volume';
import { decodeFrame, type DecodedPixels } from './decode/index';
import { fmt, type FrameRef } from './multiframe';
import { openFrames } from './pixeldata';
import { plans, pool, scanFiles, type ScanOptions, type SeriesInfo, type SeriesPlan } from './scan';
import { tileOrigin } from './mosaic';
import { fillSlices, invertSum, writeRegion, type Target } from './values';

const FILES_IN_FLIGHT = 4;

async function planFor(series: SeriesInfo, opts: ScanOptions): Promise<SeriesPlan> {
  const known = plans.get(series);
  if (known) return known;
  // SeriesInfo that lost its plan (e.g. structured-cloned): scan its files again
  const again = await scanFiles(series.files, { signal: opts.signal });
  const same = again.series.find((s) => s.uid === series.uid) ?? (again.series.length === 1 ? again.series[0] : undefined);
  if (!same || same.dims.join() !== series.dims.join())
    throw new VoxsegError('inconsistent-series', `series ${series.uid}: its files no longer form the scanned series`);
  return plans.get(same)!;
}

export async function loadSeries(series: SeriesInfo, opts: ScanOptions = {}): Promise<{ volume: Volume; warnings: string[] }> {
  if (series.errors.length) throw new VoxsegError('inconsistent-series', `series ${series.description || series.uid} cannot be loaded: ${series.errors.join('; ')}`);
  const plan = await planFor(series, opts);
  const [nx, ny, nz] = series.dims;
  const sliceSize = nx * ny;
  const target: Target = { voxels: allocateVoxels(plan.dtype.dtype, sliceSize * nz) as Int16Array | Float32Array };
  const jobs = new Map<number, { k: number; frame: FrameRef }[]>();
  const empty: number[] = [];
  plan.slots.forEach((frame, k) => {
    if (!frame) return empty.push(k);
    const list = jobs.get(frame.file) ?? [];
    list.push({ k, frame });
    jobs.set(frame.file, list);
  });
  const total = plan.slots.length - empty.length;
  let done = 0;
  const stage = 'Decoding slices';
  opts.onProgress?.({ done, total, stage });

  const written = new Set<number>();
  const failures: VoxsegError[] = [];
  await pool([...jobs.keys()], FILES_IN_FLIGHT, async (fi) => {
    opts.signal?.throwIfAborted();
    const file = series.files[fi];
    try {
      const src = await openFrames(file, plan.headers[fi]);
      const h = src.header;
      const inv = invertSum(h);
      let mosaicPixels: DecodedPixels | undefined;
      for (const { k, frame } of jobs.get(fi)!) {
        opts.signal?.throwIfAborted();
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
        if (px.length < need) throw new VoxsegError('decode-failed', `decoded frame has ${px.length} samples, expected ${need}`);
        const where = h.numberOfFrames > 1 ? `${file.name} frame ${frame.frame + 1}` : file.name;
        writeRegion(target, { k, nx, ny, srcWidth: h.columns, srcOffset, samples: h.samplesPerPixel }, px, frame.slope, frame.intercept, inv, where);
        written.add(k);
        opts.onProgress?.({ done: ++done, total, stage });
      }
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (e instanceof VoxsegError && e.file) failures.push(e);
      else failures.push(new VoxsegError(e instanceof VoxsegError ? e.code : 'decode-failed', `cannot decode pixel data: ${errorMessage(e)}`, { file: file.name, cause: e }));
    }
  });
  // A file that fails here leaves its slices empty (named in a warning); if nothing decoded, fail.
  if (failures.length && !written.size) throw failures[0];
  const failedSlots = plan.slots.map((f, k) => (f && !written.has(k) ? k : -1)).filter((k) => k >= 0);
  empty.push(...failedSlots);

  const warnings = [...series.warnings];
  for (const f of failures.slice(0, 5)) warnings.push(`${f.message}; its slice is left empty`);
  if (failures.length > 5) warnings.push(`${failures.length - 5} more files could not be decoded`);
  if (target.convertedAt) warnings.push(`values exceed the int16 range (first in ${target.convertedAt}): volume stored as float32`);
  fillSlices(target.voxels, sliceSize, empty);
  const first = plan.slots.find((f): f is FrameRef => !!f)!;
  const h0 = plan.headers[first.file];
  const metadata: VolumeMetadata = {
    modality: series.modality || undefined,
    patientName: series.patientName || undefined,
    patientId: series.patientId || undefined,
    studyDate: series.studyDate || undefined,
    studyDescription: series.studyDescription || undefined,
    seriesDescription: series.description || undefined,
    studyInstanceUid: series.studyInstanceUid || undefined,
    seriesInstanceUid: h0.seriesInstanceUid || undefined,
    frameOfReferenceUid: h0.frameOfReferenceUid || undefined,
    unit: h0.unit,
  };
  if (first.windowCenter !== undefined && first.windowWidth !== undefined && first.windowWidth > 0) {
    const inv = invertSum(h0);
    // MONOCHROME1 inversion maps a rescaled value r to slope*(lo+hi) + 2*intercept - r
    metadata.windowCenter = inv === undefined ? first.windowCenter : first.slope * inv + 2 * first.intercept - first.windowCenter;
    metadata.windowWidth = first.windowWidth;
  }
  for (const k of Object.keys(metadata) as (keyof VolumeMetadata)[]) if (metadata[k] === undefined) delete metadata[k];
  const volume = createVolume({ dims: series.dims, spacing: series.spacing, origin: series.origin, direction: series.direction, voxels: target.voxels, metadata });
  if (empty.length) warnings.push(`${empty.length} empty slice${empty.length > 1 ? 's' : ''} (missing or undecodable images) filled with the volume minimum ${fmt(target.voxels[empty[0] * sliceSize])}`);
  return { volume, warnings };
}
