/**
 * Turn a pile of dropped files into series rows: NIfTI files are read whole (one volume each);
 * everything else goes through the DICOM scanner. Plain async functions, no UI state.
 */
import type { Progress, Vec3, Volume } from '../core/types';
import { errorReason } from '../core/errors';
import type { SourceFile } from '../io/dicom/source';
import { scanFiles, loadSeries, readNifti, isNiftiName, type SeriesInfo } from './services';
import type { DerivedSource } from './derived';

export interface SeriesRow {
  /** Unique within one catalog. */
  id: string;
  /** 'derived': an image made in the app from another row (see derived.ts). */
  kind: 'dicom' | 'nifti' | 'derived';
  patient: string;
  patientId: string;
  date: string;
  modality: string;
  description: string;
  /** A second line under the description, e.g. a NIfTI header's own description under its file name. */
  detail?: string;
  /** Number of files (DICOM) or 1 (NIfTI, derived). */
  images: number;
  dims: Vec3;
  spacing: Vec3;
  warnings: string[];
  errors: string[];
  /** DICOM: the scanned series; NIfTI: the volume already read; derived: the image and what it was made from. */
  source: { kind: 'dicom'; series: SeriesInfo } | { kind: 'nifti'; volume: Volume; file: string } | DerivedSource;
}

export interface Rejected {
  file: string;
  reason: string;
}

export interface Catalog {
  rows: SeriesRow[];
  rejected: Rejected[];
}

export interface TaskOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** '20240131' -> '2024-01-31'; anything else is returned unchanged. */
export function formatDicomDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
}

/** One component group of a person name: 'Doe^Jane^^Dr' -> 'Doe, Dr Jane'. */
function formatNameGroup(group: string): string {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = group.split('^').map((c) => c.trim());
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest;
}

/**
 * A DICOM person name (PN) as display text: 'Doe^Jane^^Dr' -> 'Doe, Dr Jane'.
 * A PN holds up to three component groups separated by '=': alphabetic, ideographic, phonetic
 * ('Yamada^Tarou=山田^太郎=やまだ^たろう'). The alphabetic group is shown; when it is empty, the other
 * groups are, joined by ' = '. The second and third groups are written in other character sets, so
 * an '=' followed by plain ASCII text, or more than two of them, is not a group separator but part of
 * the name (written by a tool that did not escape it): the name is then shown whole.
 */
export function formatPersonName(pn: string): string {
  const groups = pn.split('=');
  const grouped = groups.length <= 3 && groups.slice(1).every((g) => g.trim() === '' || /[^\x20-\x7e]/.test(g));
  if (!grouped) return formatNameGroup(pn);
  const alphabetic = formatNameGroup(groups[0]);
  if (alphabetic) return alphabetic;
  return groups.map(formatNameGroup).filter(Boolean).join(' = ');
}

function dicomRow(s: SeriesInfo, index: number): SeriesRow {
  return {
    id: `dicom-${index}-${s.uid}`,
    kind: 'dicom',
    patient: formatPersonName(s.patientName),
    patientId: s.patientId,
    date: formatDicomDate(s.studyDate),
    modality: s.modality,
    description: s.description || s.studyDescription,
    images: s.files.length,
    dims: [...s.dims] as Vec3,
    spacing: [...s.spacing] as Vec3,
    warnings: s.warnings,
    errors: s.errors,
    source: { kind: 'dicom', series: s },
  };
}

function niftiRow(file: SourceFile, volume: Volume, index: number): SeriesRow {
  const m = volume.header.metadata;
  return {
    id: `nifti-${index}-${file.name}`,
    kind: 'nifti',
    patient: m.patientName ?? '',
    patientId: m.patientId ?? '',
    date: m.studyDate ?? '',
    modality: m.modality ?? 'NIfTI',
    // The file name is what the user picked: always shown; the header's description goes under it.
    description: file.name,
    ...(m.seriesDescription?.trim() && m.seriesDescription.trim() !== file.name
      ? { detail: m.seriesDescription.trim() }
      : {}),
    images: 1,
    dims: [...volume.header.dims] as Vec3,
    spacing: [...volume.header.spacing] as Vec3,
    warnings: [],
    errors: [],
    source: { kind: 'nifti', volume, file: file.name },
  };
}

/** Scan `files` into series rows plus the files that are not part of any series (with why). */
export async function catalogFiles(files: SourceFile[], opts: TaskOptions = {}): Promise<Catalog> {
  const nifti = files.filter((f) => isNiftiName(f.name));
  const dicom = files.filter((f) => !isNiftiName(f.name));
  const rows: SeriesRow[] = [];
  const rejected: Rejected[] = [];

  for (const [i, file] of nifti.entries()) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.({ done: i, total: nifti.length, stage: `Reading ${file.name}` });
    try {
      rows.push(niftiRow(file, readNifti(await file.slice(0), file.name), i));
    } catch (err) {
      rejected.push({ file: file.name, reason: errorReason(err) });
    }
    await yieldToEventLoop();
  }

  if (dicom.length > 0) {
    const scan = await scanFiles(dicom, {
      signal: opts.signal,
      onProgress: (p) => opts.onProgress?.({ ...p, stage: p.stage ?? 'Scanning files' }),
    });
    scan.series.forEach((s, i) => rows.push(dicomRow(s, i)));
    for (const r of scan.rejected) rejected.push(r);
  }
  return { rows, rejected };
}

/** The volume of a row (decodes DICOM pixel data; NIfTI and derived rows already hold theirs). */
export async function loadRow(row: SeriesRow, opts: TaskOptions = {}): Promise<{ volume: Volume; warnings: string[] }> {
  if (row.source.kind !== 'dicom') return { volume: row.source.volume, warnings: [] };
  return loadSeries(row.source.series, {
    signal: opts.signal,
    onProgress: (p) => opts.onProgress?.({ ...p, stage: p.stage ?? 'Loading series' }),
  });
}

/** The row a fresh catalog opens with: the series with the most voxels. */
export function defaultRow(rows: SeriesRow[]): SeriesRow | undefined {
  let best: SeriesRow | undefined;
  for (const r of rows) {
    if (r.errors.length) continue;
    if (!best || r.dims[0] * r.dims[1] * r.dims[2] > best.dims[0] * best.dims[1] * best.dims[2]) best = r;
  }
  return best ?? rows[0];
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
