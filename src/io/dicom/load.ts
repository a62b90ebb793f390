/**
 * loadSeries: read each file once, decode its frame(s) and write them into ONE preallocated voxel
 * array, slice by slice (a few files in flight at a time; nothing else kept). In the browser the
 * files are read and decoded by the load workers (./worker/), on the main thread otherwise.
 */
import { VoxsegError, errorMessage } from '../../core/errors';
import type { Volume, VolumeMetadata } from '../../core/types';
import { allocateVoxels, createVolume, valueRange } from '../../volume/volume';
import { decodeFileSlices, type SliceSink } from './filedecode';
import { fmt, type FrameRef } from './multiframe';
import { plans, scanFiles, type ScanOptions, type SeriesInfo, type SeriesPlan } from './scan';
import { planJobs, pool, type FileJob } from './slicejobs';
import { fillSlices, invertSum, type Target } from './values';
import { loadInWorkers } from './worker/client';
import { loaderPool } from './worker/pool';
import { acquisitionOf } from './regular';
import type { SourceFile } from './source';
import { regrid } from './regrid';

const FILES_IN_FLIGHT = 4;

async function planFor(series: SeriesInfo, opts: ScanOptions): Promise<SeriesPlan> {
  const known = plans.get(series);
  if (known) return known;
  // SeriesInfo that lost its plan (e.g. structured-cloned): scan its files again
  const again = await scanFiles(series.files, { signal: opts.signal });
  const same =
    again.series.find((s) => s.uid === series.uid) ?? (again.series.length === 1 ? again.series[0] : undefined);
  if (!same || same.dims.join() !== series.dims.join())
    throw new VoxsegError('inconsistent-series', `series ${series.uid}: its files no longer form the scanned series`);
  return plans.get(same)!;
}

export async function loadSeries(
  series: SeriesInfo,
  opts: ScanOptions = {},
): Promise<{ volume: Volume; warnings: string[] }> {
  if (series.errors.length)
    throw new VoxsegError(
      'inconsistent-series',
      `series ${series.description || series.uid} cannot be loaded: ${series.errors.join('; ')}`,
    );
  const plan = await planFor(series, opts);
  // a series resampled onto a regular grid (regular.ts) loads its acquired slices first
  const { regular } = plan;
  const [nx, ny, nz] = regular ? regular.acquired : series.dims;
  const sliceSize = nx * ny;
  const allocation = regular ? regular.allocation : sliceSize * nz;
  const target: Target = { voxels: allocateVoxels(plan.dtype.dtype, allocation) as Int16Array | Float32Array };
  const { jobs, empty, total } = planJobs(plan.slots);
  let done = 0;
  const stage = 'Decoding slices';
  opts.onProgress?.({ done, total, stage });

  const written = new Set<number>();
  // value range, measured slice by slice as each is written (in cache; no pass over the volume)
  let lo = Infinity;
  let hi = -Infinity;
  let measured = 0;
  const wrote = (k: number, range?: [number, number]) => {
    if (range) {
      lo = Math.min(lo, range[0]);
      hi = Math.max(hi, range[1]);
      measured++;
    }
    written.add(k);
    opts.onProgress?.({ done: ++done, total, stage });
  };
  const failures: VoxsegError[] = [];
  const fileOf = new Map<VoxsegError, number>();
  const failed = (job: FileJob, e: unknown) => {
    const err = decodeFailure(series.files[job.file], e);
    failures.push(err);
    fileOf.set(err, job.file);
  };
  const inThread = async (job: FileJob) => {
    opts.signal?.throwIfAborted();
    const sink: SliceSink = {
      open: (k) => ({ target, at: k }),
      close: (k) => wrote(k, valueRange(target.voxels.subarray(k * sliceSize, (k + 1) * sliceSize))),
    };
    try {
      await decodeFileSlices(series.files[job.file], plan.headers[job.file], job.slices, { nx, ny }, sink, {
        signal: opts.signal,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      failed(job, e);
    }
  };
  // browser: files are read and decoded in the load workers, slices copied in here
  const workers = loaderPool(series.files);
  if (workers)
    await loadInWorkers(workers, {
      files: series.files,
      headers: plan.headers,
      jobs,
      nx,
      ny,
      target,
      written: wrote,
      failed,
      inThread,
      signal: opts.signal,
    });
  else await pool(jobs, FILES_IN_FLIGHT, inThread);
  opts.signal?.throwIfAborted();
  // in file order, whichever worker or task reported first
  failures.sort((a, b) => fileOf.get(a)! - fileOf.get(b)!);
  const range: [number, number] | undefined = measured > 0 && measured === written.size ? [lo, hi] : undefined;
  return finishLoad(series, plan, { target, written, range, failures, empty });
}

/** The error a file that fails to decode is reported with (named). */
export function decodeFailure(file: SourceFile, e: unknown): VoxsegError {
  if (e instanceof VoxsegError && e.file) return e;
  return new VoxsegError(
    e instanceof VoxsegError ? e.code : 'decode-failed',
    `cannot decode pixel data: ${errorMessage(e)}`,
    {
      file: file.name,
      cause: e,
    },
  );
}

/** What decoding a series' slots left: the voxels, the slots written, their range, the files that failed. */
export interface Decoded {
  target: Target;
  written: Set<number>;
  /** [min, max] of the written slices, when every one of them was measured. */
  range?: [number, number];
  /** In file order. */
  failures: VoxsegError[];
  /** Slots no file fills (planJobs' `empty`); failed slots are added here. */
  empty: number[];
}

/**
 * The end of a load (loadSeries, and a progressive load once its last file is in): empty and
 * failed slices filled, resampling, metadata, slice references, warnings.
 */
export function finishLoad(
  series: SeriesInfo,
  plan: SeriesPlan,
  decoded: Decoded,
): { volume: Volume; warnings: string[] } {
  const { target, written, failures, empty } = decoded;
  let range = decoded.range;
  const { regular } = plan;
  const [nx, ny, nz] = regular ? regular.acquired : series.dims;
  const sliceSize = nx * ny;
  // A file that fails here leaves its slices empty (named in a warning); if nothing decoded, fail.
  if (failures.length && !written.size) throw failures[0];
  const failedSlots = plan.slots.map((f, k) => (f && !written.has(k) ? k : -1)).filter((k) => k >= 0);
  for (const k of failedSlots) empty.push(k);

  const warnings = [...series.warnings];
  for (const f of failures.slice(0, 5)) warnings.push(`${f.message}; its slice is left empty`);
  if (failures.length > 5) warnings.push(`${failures.length - 5} more files could not be decoded`);
  if (target.convertedAt)
    warnings.push(`values exceed the int16 range (first in ${target.convertedAt}): volume stored as float32`);
  fillSlices(target.voxels.subarray(0, sliceSize * nz), sliceSize, empty, range?.[0]);
  const filledWith = empty.length ? target.voxels[empty[0] * sliceSize] : 0;
  let voxels = target.voxels;
  if (regular) {
    const fill = range?.[0] ?? valueRange(target.voxels.subarray(0, sliceSize * nz))[0];
    ({ voxels, range } = regrid(target.voxels, regular, fill));
  }
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
    patientBirthDate: h0.patientBirthDate || undefined,
    patientSex: h0.patientSex || undefined,
    studyId: h0.studyId || undefined,
    studyTime: h0.studyTime || undefined,
    accessionNumber: h0.accessionNumber || undefined,
    referringPhysicianName: h0.referringPhysicianName || undefined,
    bodyPartExamined: h0.bodyPartExamined || undefined,
    ...sliceReferences(plan, series),
    unit: h0.unit,
    valueRange: range,
  };
  if (first.windowCenter !== undefined && first.windowWidth !== undefined && first.windowWidth > 0) {
    const inv = invertSum(h0);
    // MONOCHROME1 inversion maps a rescaled value r to slope*(lo+hi) + 2*intercept - r
    metadata.windowCenter =
      inv === undefined ? first.windowCenter : first.slope * inv + 2 * first.intercept - first.windowCenter;
    metadata.windowWidth = first.windowWidth;
  }
  // Every window the file offers (WindowCenter/Width values with their explanations, VOI LUTs).
  const presets = h0.luts?.windows ?? [];
  if (presets.length > 1 || presets.some((p) => p.name)) metadata.windowPresets = presets;
  for (const k of Object.keys(metadata) as (keyof VolumeMetadata)[]) if (metadata[k] === undefined) delete metadata[k];
  const volume = createVolume({
    dims: series.dims,
    spacing: series.spacing,
    origin: series.origin,
    direction: series.direction,
    voxels,
    metadata,
  });
  if (empty.length)
    warnings.push(
      `${empty.length} empty slice${empty.length > 1 ? 's' : ''} (missing or undecodable images) filled with the volume minimum ${fmt(filledWith)}`,
    );
  return { volume, warnings };
}

/**
 * The source image of every k-slice (what a DICOM SEG or other derived object must reference):
 * its SOP Instance UID, and for multi-frame images the frame number. Filled slots get '' / 0.
 * A resampled volume gets `acquisition` (every acquired slice with its image) instead.
 */
function sliceReferences(
  plan: SeriesPlan,
  series: SeriesInfo,
): Pick<VolumeMetadata, 'sopClassUid' | 'sopInstanceUids' | 'frameNumbers' | 'instanceNumbers' | 'acquisition'> {
  const first = plan.slots.find((f): f is FrameRef => !!f)!;
  const h = plan.headers[first.file];
  // resampled: volume slices are not source images; the acquired slices are listed instead
  if (plan.regular)
    return {
      sopClassUid: h.sopClassUid || undefined,
      acquisition: acquisitionOf(plan.regular, plan.slots, plan.headers, series.direction),
    };
  const uids = plan.slots.map((f) => (f ? plan.headers[f.file].sopInstanceUid : ''));
  if (!uids.some((u) => u)) return {};
  const multiFrame = plan.slots.some(
    (f) => f && plan.headers[f.file].numberOfFrames > 1 && !plan.headers[f.file].mosaic,
  );
  return {
    sopClassUid: h.sopClassUid || undefined,
    sopInstanceUids: uids,
    frameNumbers: multiFrame ? plan.slots.map((f) => (f ? f.frame + 1 : 0)) : undefined,
    instanceNumbers: instanceNumbersOf(plan),
  };
}

/**
 * InstanceNumber of the image behind each k-slice (0 for a filled slot), when every slice is its
 * own single-frame image carrying one: the image numbers a PACS shows. Frames of a multi-frame
 * or mosaic image share their instance's number, and a resampled volume's slices are no source
 * images, so those get none.
 */
export function instanceNumbersOf(plan: Pick<SeriesPlan, 'slots' | 'headers' | 'regular'>): number[] | undefined {
  if (plan.regular) return undefined;
  const numbers: number[] = [];
  for (const f of plan.slots) {
    if (!f) {
      numbers.push(0);
      continue;
    }
    const h = plan.headers[f.file];
    if (h.numberOfFrames > 1 || h.mosaic || h.instanceNumber === undefined || !Number.isFinite(h.instanceNumber))
      return undefined;
    numbers.push(h.instanceNumber);
  }
  return numbers.some((n) => n !== 0) ? numbers : undefined;
}
