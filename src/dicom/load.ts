/**
 * loadSeries: read each file once, decode its frame(s) and write them straight into ONE
 * preallocated voxel array, slice by slice (a few files in flight at a time; nothing else kept).
 * In the browser, Blob-backed files are read and decoded by a pool of load workers in parallel
 * (src/dicom/worker); the page only copies finished slices in. Elsewhere it runs in-thread.
 */
import { VoxsegError, errorMessage } from '../core/errors';
import type { Volume, VolumeMetadata } from '../core/types';
import { allocateVoxels, createVolume } from '../volume/volume';
import { fmt, type FrameRef } from './multiframe';
import { decodeFileSlices, type SliceJob } from './loadfile';
import { decodeInWorker, workerConcurrency, workersAvailable } from './worker/pool';
import { plans, pool, scanFiles, type ScanOptions, type SeriesInfo, type SeriesPlan } from './scan';
import { fillSlices, invertSum, type Target } from './values';

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
  const jobs = new Map<number, SliceJob[]>();
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
  const useWorkers = workersAvailable(series.files);
  const fail = (e: unknown, name: string) => {
    if (opts.signal?.aborted) throw e;
    if (e instanceof VoxsegError && e.file) failures.push(e);
    else failures.push(new VoxsegError(e instanceof VoxsegError ? e.code : 'decode-failed', `cannot decode pixel data: ${errorMessage(e)}`, { file: name, cause: e }));
  };
  await pool([...jobs.keys()], useWorkers ? workerConcurrency() : FILES_IN_FLIGHT, async (fi) => {
    opts.signal?.throwIfAborted();
    const file = series.files[fi];
    const fileJobs = jobs.get(fi)!;
    try {
      if (useWorkers) {
        const r = await decodeInWorker(file, plan.headers[fi], fileJobs, target.voxels instanceof Int16Array ? 'int16' : 'float32', nx, ny);
        opts.signal?.throwIfAborted();
        if (r.voxels instanceof Float32Array && target.voxels instanceof Int16Array) {
          target.voxels = new Float32Array(target.voxels);
          target.convertedAt = r.convertedAt;
        }
        fileJobs.forEach((job, i) => target.voxels.set(r.voxels.subarray(i * sliceSize, (i + 1) * sliceSize), job.k * sliceSize));
        for (const job of fileJobs) written.add(job.k);
        done += fileJobs.length;
        opts.onProgress?.({ done, total, stage });
      } else {
        await decodeFileSlices(file, plan.headers[fi], target, {
          jobs: fileJobs,
          nx,
          ny,
          slot: (job) => job.k,
          signal: opts.signal,
          onSlice: () => opts.onProgress?.({ done: ++done, total, stage }),
        });
        for (const job of fileJobs) written.add(job.k);
      }
    } catch (e) {
      fail(e, file.name);
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
