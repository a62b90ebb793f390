/**
 * Images made from a series in the app (the skull-stripped image of a brain extraction) as rows of
 * the series list. A derived row sits under the row it was made from, holds its image, and keeps
 * the source volume it was made from, so that going back to the source shows that same volume
 * (a DICOM series is not decoded again) and the two stay one study: a segmentation made on either
 * stays on screen when the user switches between them, because they share the grid and the origin.
 * Pure functions over the row list; `Session` holds the rows.
 */
import type { Vec3, Volume } from '../core/types';
import { gridMismatch } from '../volume/grid';
import type { SeriesRow } from './catalog';

/** The `source` of a derived row. */
export interface DerivedSource {
  kind: 'derived';
  volume: Volume;
  /** The volume it was made from, and the row showing it. */
  base: Volume;
  baseId: string;
}

/** A row for `image`, made from `base` (shown by row `baseRow`); `suffix` names what was done, e.g. "brain extracted". */
export function derivedRow(baseRow: SeriesRow, base: Volume, image: Volume, suffix: string): SeriesRow {
  return {
    id: `derived-${suffix.replace(/[^A-Za-z0-9]+/g, '-')}-${baseRow.id}`,
    kind: 'derived',
    patient: baseRow.patient,
    patientId: baseRow.patientId,
    date: baseRow.date,
    modality: baseRow.modality,
    description: `${baseRow.description || 'series'} — ${suffix}`,
    images: 1,
    dims: [...image.header.dims] as Vec3,
    spacing: [...image.header.spacing] as Vec3,
    warnings: [],
    errors: [],
    source: { kind: 'derived', volume: image, base, baseId: baseRow.id },
  };
}

/**
 * `rows` with `row` in place: an existing row of the same id is replaced where it stands, a new one
 * goes right under its base row and the rows derived from it before.
 */
export function withDerived(rows: readonly SeriesRow[], row: SeriesRow): SeriesRow[] {
  if (row.source.kind !== 'derived') throw new Error('withDerived takes a derived row');
  const at = rows.findIndex((r) => r.id === row.id);
  if (at >= 0) return rows.map((r, i) => (i === at ? row : r));
  const baseId = row.source.baseId;
  let i = rows.findIndex((r) => r.id === baseId);
  if (i < 0) return [...rows, row];
  while (i + 1 < rows.length && derivedFrom(rows, rows[i + 1], baseId)) i++;
  return [...rows.slice(0, i + 1), row, ...rows.slice(i + 1)];
}

/** Row `row` was derived (directly or through other derived rows) from row `baseId`. */
function derivedFrom(rows: readonly SeriesRow[], row: SeriesRow, baseId: string): boolean {
  for (let r: SeriesRow | undefined = row, n = 0; r?.source.kind === 'derived' && n < rows.length; n++) {
    if (r.source.baseId === baseId) return true;
    const parent: string = r.source.baseId;
    r = rows.find((x) => x.id === parent);
  }
  return false;
}

/** The volume row `id` showed when an image was derived from it (so it is not loaded again), if any. */
export function keptVolume(rows: readonly SeriesRow[], id: string): Volume | undefined {
  for (const r of rows) if (r.source.kind === 'derived' && r.source.baseId === id) return r.source.base;
  return undefined;
}

/** The volume `v` was first derived from (following derived rows), or `v` itself. */
export function originOf(rows: readonly SeriesRow[], v: Volume): Volume {
  let cur = v;
  for (let n = 0; n <= rows.length; n++) {
    const row = rows.find((r) => r.source.kind === 'derived' && r.source.volume === cur);
    if (!row || row.source.kind !== 'derived') break;
    cur = row.source.base;
  }
  return cur;
}

/**
 * `a` and `b` are one study for a segmentation: the same volume, or volumes derived from the same
 * origin lying on the same grid.
 */
export function sameStudy(rows: readonly SeriesRow[], a: Volume, b: Volume): boolean {
  if (a === b) return true;
  return originOf(rows, a) === originOf(rows, b) && gridMismatch(a.header, b.header) === null;
}

/** The row holding `v`: a NIfTI or derived row, the base row a derived row keeps, or the selected row when `v` is on screen. */
export function rowOf(
  rows: readonly SeriesRow[],
  v: Volume,
  selected?: { id: string | null; volume: Volume | null },
): SeriesRow | undefined {
  for (const r of rows)
    if ((r.source.kind === 'nifti' || r.source.kind === 'derived') && r.source.volume === v) return r;
  for (const r of rows)
    if (r.source.kind === 'derived' && r.source.base === v)
      return rows.find((x) => x.id === (r.source as DerivedSource).baseId);
  if (selected?.volume === v) return rows.find((r) => r.id === selected.id);
  return undefined;
}
