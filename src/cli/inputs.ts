/**
 * Gather image series from paths for the CLI: DICOM files go through the DICOM scanner,
 * `.nii` / `.nii.gz` files are read with the NIfTI reader. Each becomes one InputSeries.
 * DICOM series come first (scanner order), then NIfTI files (path order).
 */
import { errorReason, VoxsegError } from '../core/errors';
import type { DType, Mat3, Vec3, Volume } from '../core/types';
import type { AcquiredGeometry, SeriesInfo } from '../io/dicom/index';
import type { SourceFile } from '../io/dicom/source';
import { isNiftiName, parseNifti } from '../io/nifti/index';
import { listFiles } from './node-files';
import { seriesTable } from './table';
import { usage } from './util';

export interface InputSeries {
  kind: 'dicom' | 'nifti';
  uid: string;
  modality: string;
  description: string;
  /** Number of files. */
  files: number;
  /** First file (for messages). */
  firstFile: string;
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  dtype: DType;
  warnings: string[];
  errors: string[];
  /** DICOM series whose slices are resampled onto the regular grid above (tilt, uneven gaps). */
  acquired?: AcquiredGeometry;
  load(): Promise<{ volume: Volume; warnings: string[] }>;
}

export interface Rejected {
  file: string;
  reason: string;
}

async function readAll(f: SourceFile): Promise<Uint8Array> {
  return f.slice(0, f.size);
}

function niftiSeries(f: SourceFile, volume: Volume, warnings: string[], keep: boolean): InputSeries {
  const h = volume.header;
  let kept: { volume: Volume; warnings: string[] } | undefined = keep ? { volume, warnings } : undefined;
  return {
    kind: 'nifti',
    uid: f.name,
    modality: h.metadata.modality ?? '',
    description: h.metadata.seriesDescription ?? '',
    files: 1,
    firstFile: f.name,
    dims: [...h.dims] as Vec3,
    spacing: [...h.spacing] as Vec3,
    origin: [...h.origin] as Vec3,
    direction: [...h.direction] as Mat3,
    dtype: h.dtype,
    warnings,
    errors: [],
    load: async () => {
      if (kept) {
        const r = kept;
        kept = undefined; // hand it over once; later calls re-read the file
        return r;
      }
      const r = parseNifti(await readAll(f), f.name);
      return { volume: r.volume, warnings: r.warnings };
    },
  };
}

/** `keepNifti`: keep parsed NIfTI volumes for load() (convert) instead of re-reading (info drops them). */
export async function collectSeries(
  paths: string[],
  opts: { keepNifti?: boolean } = {},
): Promise<{ series: InputSeries[]; rejected: Rejected[] }> {
  const all = await listFiles(paths);
  const nifti = all.filter((f) => isNiftiName(f.name));
  const others = all.filter((f) => !isNiftiName(f.name));
  const series: InputSeries[] = [];
  const rejected: Rejected[] = [];

  if (others.length) {
    const dicom = await import('../io/dicom/index');
    const scan = await dicom.scanFiles(others);
    for (const r of scan.rejected) rejected.push(r);
    for (const s of scan.series) series.push(dicomSeries(s, s.files[0]?.name ?? '', () => dicom.loadSeries(s)));
  }
  for (const f of nifti) {
    try {
      const r = parseNifti(await readAll(f), f.name);
      series.push(niftiSeries(f, r.volume, r.warnings, !!opts.keepNifti));
    } catch (e) {
      rejected.push({ file: f.name, reason: errorReason(e) });
    }
  }
  return { series, rejected };
}

/** A scanned DICOM series as an InputSeries: `firstFile` names it in messages, `load` loads it. */
export function dicomSeries(s: SeriesInfo, firstFile: string, load: InputSeries['load']): InputSeries {
  return {
    kind: 'dicom',
    uid: s.uid,
    modality: s.modality,
    description: s.description,
    files: s.files.length,
    firstFile,
    dims: s.dims,
    spacing: s.spacing,
    origin: s.origin,
    direction: s.direction,
    dtype: s.dtype,
    warnings: s.warnings,
    errors: s.errors,
    ...(s.acquired && { acquired: s.acquired }),
    load,
  };
}

/** The series `sel` names (index or UID); without `sel` the only one, else a usage error listing them. */
export function chooseSeries(series: InputSeries[], sel: string | undefined, paths: string[]): InputSeries {
  if (sel === undefined) {
    if (series.length === 1) return series[0];
    throw usage(
      `found ${series.length} series in ${paths.join(', ')}; choose one with --series INDEX|UID:\n${seriesTable(series, false)}`,
    );
  }
  const byUid = series.find((s) => s.uid === sel);
  if (byUid) return byUid;
  if (/^\d+$/.test(sel) && Number(sel) < series.length) return series[Number(sel)];
  throw usage(`--series ${JSON.stringify(sel)} matches no series index or UID; found:\n${seriesTable(series, false)}`);
}

/**
 * Collect the series under `paths`, choose one (see chooseSeries) and load it. Warnings go to
 * `warn`; a missing or broken series is a VoxsegError naming the file.
 */
export async function loadInput(
  paths: string[],
  sel: string | undefined,
  warn: (message: string) => void,
): Promise<{ volume: Volume; series: InputSeries }> {
  const { series, rejected } = await collectSeries(paths, { keepNifti: true });
  if (!series.length) {
    for (const r of rejected) warn(`${r.file}: ${r.reason}`);
    const first = rejected[0];
    throw new VoxsegError(
      'not-image',
      first ? `no image series found (${first.file}: ${first.reason})` : `no files found in ${paths.join(', ')}`,
    );
  }
  const chosen = chooseSeries(series, sel, paths);
  if (chosen.errors.length)
    throw new VoxsegError('inconsistent-series', `series ${chosen.uid} cannot be loaded: ${chosen.errors.join('; ')}`, {
      file: chosen.firstFile,
    });
  const { volume, warnings } = await chosen.load();
  for (const w of [...new Set([...chosen.warnings, ...warnings])]) warn(w);
  // DICOM files left out are named with the reason (a slice refused for its header must not look
  // like a gap); files that are not DICOM at all (a README, a licence) are not worth a warning.
  const skipped = rejected.filter((r) => !/^not a DICOM file/.test(r.reason));
  for (const r of skipped.slice(0, 5)) warn(`skipped ${r.file}: ${r.reason}`);
  if (skipped.length > 5) warn(`skipped ${skipped.length - 5} more files (\`voxseg info\` lists them)`);
  return { volume, series: chosen };
}
