/**
 * scanFiles: read the header of every file (never the pixel data), reject what cannot become a
 * volume (with the cause), group the rest into series and work out each series' geometry.
 * The per-series plan (frame -> slice mapping) is kept in a WeakMap for loadSeries.
 */
import type { DType, Mat3, ProgressCallback, Vec3 } from '../../core/types';
import { groupSeries, splitIncompatible, type ScannedFile } from './group';
import type { FrameRef } from './multiframe';
import type { DicomHeader } from './parse';
import { scanFile, type FileScan } from './scanfile';
import { stackPart, type Stack } from './sort';
import type { RegularGrid } from './regular';
import type { SourceFile } from './source';
import { chooseDtype, type DtypeChoice } from './values';
import { loaderPool } from './worker/pool';
import { pool } from './slicejobs';
import { scanInWorkers } from './worker/client';

export interface SeriesInfo {
  /** SeriesInstanceUID, or a synthesised stable key when blank; '#n' suffixes keep it unique in a scan. */
  uid: string;
  modality: string;
  description: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  studyInstanceUid: string;
  /** Sorted along the slice normal (for multi-frame: the one file). */
  files: SourceFile[];
  dims: Vec3;
  spacing: Vec3;
  /** LPS centre of voxel (0,0,0). */
  origin: Vec3;
  direction: Mat3;
  /** 'int16' when exact, else 'float32' (an optimistic int16 may still become float32 on load). */
  dtype: DType;
  warnings: string[];
  /** Problems that make the series unloadable. */
  errors: string[];
  /**
   * Set when the acquired slices do not lie on one regular grid (gantry tilt, uneven gaps): the
   * loader resamples them onto the grid above (dims/spacing/origin/direction) — see regular.ts.
   */
  acquired?: AcquiredGeometry;
}

/** The acquired geometry of a series that is resampled (`SeriesInfo.acquired`). */
export interface AcquiredGeometry {
  /** e.g. 'gantry tilt 18.5°; uneven slice gaps 4.2–7.4 mm' */
  reason: string;
  /** Acquired [columns, rows, slices]. */
  dims: Vec3;
  /** Smallest and largest gap between consecutive acquired slices along the slice normal (mm). */
  gaps: [number, number];
  /** Gantry tilt (degrees), when the slices are shifted in-plane in proportion to their distance. */
  tiltDeg?: number;
}

export interface ScanResult {
  series: SeriesInfo[];
  rejected: { file: string; reason: string }[];
}

export interface ScanOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** What loadSeries needs beyond SeriesInfo. */
export interface SeriesPlan {
  headers: DicomHeader[];
  slots: (FrameRef | null)[];
  dtype: DtypeChoice;
  /** The slots are acquired slices to resample onto this grid (see regular.ts). */
  regular?: RegularGrid;
}

export const plans = new WeakMap<SeriesInfo, SeriesPlan>();

const CONCURRENCY = 32;
const MAX_VOXELS = 2 ** 32 - 1;

export async function scanFiles(files: SourceFile[], opts: ScanOptions = {}): Promise<ScanResult> {
  const rejected: ({ file: string; reason: string } | undefined)[] = [];
  const scanned: (ScannedFile | undefined)[] = [];
  let done = 0;
  const record = (i: number, r: FileScan) => {
    if (r.header) scanned[i] = { file: files[i], header: r.header };
    else rejected[i] = { file: files[i].name, reason: r.reason };
    opts.onProgress?.({ done: ++done, total: files.length, stage: 'Reading DICOM headers' });
  };
  const inThread = (indices: number[]) =>
    pool(indices, CONCURRENCY, async (i) => {
      opts.signal?.throwIfAborted();
      record(i, await scanFile(files[i], opts.signal));
    });
  const indices = files.map((_, i) => i);
  const workers = loaderPool(files);
  // browser: headers are read and parsed in the load workers (the main thread stays free)
  if (workers) await scanInWorkers(workers, files, record, opts.signal, inThread);
  else await inThread(indices);
  opts.signal?.throwIfAborted();
  const series = planSeries(scanned.filter((s): s is ScannedFile => !!s));
  return { series, rejected: rejected.filter((r): r is { file: string; reason: string } => !!r) };
}

/**
 * Group headers already read into series and plan each one (geometry, slice order, dtype,
 * warnings; the plan is in `plans`). scanFiles uses it on the headers of files; a DICOMweb
 * retrieval on headers made from the series metadata, before any pixel arrives.
 */
export function planSeries(scanned: ScannedFile[]): SeriesInfo[] {
  const series: SeriesInfo[] = [];
  for (const group of groupSeries(scanned)) {
    for (const part of splitIncompatible(group)) for (const stack of stackPart(part)) series.push(toSeries(stack));
  }
  uniqueUids(series);
  return series;
}

function toSeries(stack: Stack): SeriesInfo {
  const { part } = stack;
  // files in slice order, frames re-indexed to that order
  const order: number[] = [];
  for (const f of stack.slots) if (f && !order.includes(f.file)) order.push(f.file);
  const remap = new Map(order.map((fi, i) => [fi, i]));
  const slots = stack.slots.map((f) => (f ? { ...f, file: remap.get(f.file)! } : null));
  const headers = order.map((fi) => part.files[fi].header);
  const h = headers[0];
  const dtype = chooseDtype(
    slots.filter((f): f is FrameRef => !!f).map((frame) => ({ frame, header: headers[frame.file] })),
  );
  const warnings = [...stack.warnings];
  const errors: string[] = [];
  if (headers.some((x) => x.samplesPerPixel > 1))
    warnings.push('colour image converted to luminance (0.299 R + 0.587 G + 0.114 B)');
  if (headers.some((x) => x.luts?.palette))
    warnings.push('PALETTE COLOR image: palette applied, then converted to luminance (0.299 R + 0.587 G + 0.114 B)');
  if (headers.some((x) => x.photometric === 'MONOCHROME1'))
    warnings.push('MONOCHROME1: stored values inverted so that higher values are brighter');
  const [nx, ny, nz] = stack.dims;
  if (nx * ny * nz > MAX_VOXELS) errors.push(`volume too large: ${nx}x${ny}x${nz} voxels`);
  const info: SeriesInfo = {
    uid: part.uid,
    modality: h.modality,
    description: h.seriesDescription,
    patientName: h.patientName,
    patientId: h.patientId,
    studyDate: h.studyDate,
    studyDescription: h.studyDescription,
    studyInstanceUid: h.studyInstanceUid,
    files: order.map((fi) => part.files[fi].file),
    dims: stack.dims,
    spacing: stack.spacing,
    origin: stack.origin,
    direction: stack.direction,
    dtype: dtype.dtype,
    warnings,
    errors,
  };
  const { regular } = stack;
  if (regular) {
    const { reason, acquired, gaps, tiltDeg } = regular;
    info.acquired = { reason, dims: acquired, gaps, ...(tiltDeg !== undefined && { tiltDeg }) };
  }
  plans.set(info, { headers, slots, dtype, regular });
  return info;
}

function uniqueUids(series: SeriesInfo[]): void {
  const count = new Map<string, number>();
  for (const s of series) count.set(s.uid, (count.get(s.uid) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const s of series) {
    if (count.get(s.uid)! < 2) continue;
    const n = (seen.get(s.uid) ?? 0) + 1;
    seen.set(s.uid, n);
    s.uid = `${s.uid}#${n}`;
  }
}
