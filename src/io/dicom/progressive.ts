/**
 * A progressive load: the volume of a series planned before its files arrive (e.g. from a
 * DICOMweb server's series metadata, planned by `planSeries` like any scanned files), filled file
 * by file as each arrives, so that a viewer can show the first slices before the last are in.
 *
 * Decisions:
 * - Each arriving file is scanned (its real header) and decoded into the slots the plan gives its
 *   SOP Instance UID, by the same code loadSeries uses (decodeFileSlices, the same slice sink);
 *   slots not yet written hold 0.
 * - `finish` takes the series as scanned from the files themselves and ends through loadSeries'
 *   own tail (finishLoad) with that series' plan, so the result is loadSeries' volume and
 *   warnings. When that plan is not the one the load was started with (other geometry, slice
 *   order, rescale, dtype or warnings), when a file never arrived, or when something failed in a
 *   way loadSeries would report differently, it answers null: the caller then loads the files
 *   with loadSeries. Equal or nothing, never close.
 * - No progressive display (startLoad answers null) for a series that is resampled onto a regular
 *   grid (its slices are only placed at the end) or cannot load. A series that turns out to need
 *   float32 mid-load gets new voxels: `volume` then stops filling (the end result is unaffected).
 */

import type { Volume, VolumeMetadata } from '../../core/types';
import { allocateVoxels, createVolume, valueRange } from '../../volume/volume';
import { decodeFileSlices } from './filedecode';
import { decodeFailure, finishLoad, instanceNumbersOf } from './load';
import { plans, type SeriesInfo, type SeriesPlan } from './scan';
import { scanFile } from './scanfile';
import { planJobs, type FileJob } from './slicejobs';
import type { SourceFile } from './source';
import type { Target } from './values';
import type { VoxsegError } from '../../core/errors';

export interface ProgressiveLoad {
  /** The volume being filled (its voxels are written in place); see the top of this file. */
  readonly volume: Volume;
  /** Scan `file` and decode it into its slots; the slot (slice) indices written. */
  add(file: SourceFile, signal?: AbortSignal): Promise<number[]>;
  /** loadSeries' result for `scanned` (the series scanned from the files added), or null (see the top). */
  finish(scanned: SeriesInfo): { volume: Volume; warnings: string[] } | null;
}

export function startLoad(series: SeriesInfo): ProgressiveLoad | null {
  const plan = plans.get(series);
  if (!plan || plan.regular || series.errors.length) return null;
  const [nx, ny, nz] = series.dims;
  const sliceSize = nx * ny;
  const target: Target = { voxels: allocateVoxels(plan.dtype.dtype, sliceSize * nz) as Int16Array | Float32Array };
  const { jobs, empty } = planJobs(plan.slots);
  const jobOf = new Map<string, FileJob>();
  for (const j of jobs) jobOf.set(plan.headers[j.file].sopInstanceUid, j);
  const volume = createVolume({ ...series, voxels: target.voxels, metadata: previewMetadata(series, plan) });
  const added = new Set<string>();
  const written = new Set<number>();
  const failures = new Map<string, VoxsegError>();
  let lo = Infinity;
  let hi = -Infinity;
  let unusable = false;

  const add = async (file: SourceFile, signal?: AbortSignal): Promise<number[]> => {
    const scan = await scanFile(file, signal);
    const sop = scan.header?.sopInstanceUid ?? '';
    const job = jobOf.get(sop);
    if (!scan.header || !job || added.has(sop)) {
      unusable = true; // not a file of the plan (or twice): the scanned series will say what it is
      return [];
    }
    added.add(sop);
    const done: number[] = [];
    const sink = {
      open: (k: number) => ({ target, at: k }),
      close: (k: number) => {
        const [a, b] = valueRange(target.voxels.subarray(k * sliceSize, (k + 1) * sliceSize));
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
        written.add(k);
        done.push(k);
      },
    };
    try {
      await decodeFileSlices(file, scan.header, job.slices, { nx, ny }, sink, { signal });
    } catch (e) {
      if (signal?.aborted) throw e;
      failures.set(sop, decodeFailure(file, e));
    }
    return done;
  };

  const finish = (scanned: SeriesInfo) => {
    const real = plans.get(scanned);
    if (unusable || !real || added.size !== jobOf.size || !samePlan(series, plan, scanned, real)) return null;
    const order = new Map(real.headers.map((h, i) => [h.sopInstanceUid, i]));
    const failed = [...failures].sort((a, b) => order.get(a[0])! - order.get(b[0])!).map(([, e]) => e);
    const range: [number, number] | undefined = written.size ? [lo, hi] : undefined;
    return finishLoad(scanned, real, { target, written, range, failures: failed, empty: [...empty] });
  };
  return { volume, add, finish };
}

/** The same plan: geometry, dtype, warnings and every slot's source (SOP Instance UID, frame, rescale, window). */
export function samePlan(a: SeriesInfo, pa: SeriesPlan, b: SeriesInfo, pb: SeriesPlan): boolean {
  const info = (s: SeriesInfo) =>
    JSON.stringify([s.dims, s.spacing, s.origin, s.direction, s.dtype, s.warnings, s.errors, s.acquired ?? null]);
  const slots = (p: SeriesPlan) =>
    JSON.stringify([p.dtype, !!p.regular, p.slots.map((f) => f && { ...f, file: p.headers[f.file].sopInstanceUid })]);
  return info(a) === info(b) && slots(pa) === slots(pb);
}

/** What a viewer needs of the volume before it is complete: the names and the first image's window. */
function previewMetadata(series: SeriesInfo, plan: SeriesPlan): VolumeMetadata {
  const first = plan.slots.find((f) => !!f);
  const window =
    first && first.windowCenter !== undefined && first.windowWidth !== undefined && first.windowWidth > 0
      ? { windowCenter: first.windowCenter, windowWidth: first.windowWidth }
      : {};
  return {
    modality: series.modality || undefined,
    seriesDescription: series.description || undefined,
    studyInstanceUid: series.studyInstanceUid || undefined,
    instanceNumbers: instanceNumbersOf(plan),
    ...window,
  };
}
