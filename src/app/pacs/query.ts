/**
 * The study browser's search form → a QIDO-RS `StudyQuery`, paging, and the series list of a
 * study with its stored SEGs under the series they reference (pure).
 *
 * Decisions:
 * - A patient name matches from its start (`Doe` → `Doe*`, as PACS viewers do); a study
 *   description anywhere in it (`*chest*`). Text the user wrote with `*` or `?` is sent as written.
 *   IDs and accession numbers match exactly unless they hold a wildcard.
 * - Dates come from `<input type="date">` (YYYY-MM-DD) and go out as YYYYMMDD; a range whose end
 *   is before its start is refused before anything is sent.
 * - One page asks for one study more than it shows: that extra study says whether there is a
 *   next page (QIDO-RS gives no total).
 * - SEG series are not listed as image series: each stored SEG shows under every listed series it
 *   references; a SEG that references no listed series is listed apart.
 */
import type { SeriesSummary, StoredSeg, StudyQuery } from '../../io/dicomweb/types';

export interface SearchForm {
  patientName: string;
  patientId: string;
  /** YYYY-MM-DD or ''. */
  dateFrom: string;
  dateTo: string;
  modality: string;
  accessionNumber: string;
  description: string;
}

export const EMPTY_FORM: SearchForm = {
  patientName: '',
  patientId: '',
  dateFrom: '',
  dateTo: '',
  modality: '',
  accessionNumber: '',
  description: '',
};

export const PAGE_SIZE = 10;

const hasWildcard = (s: string) => /[*?]/.test(s);

/** 'YYYY-MM-DD' (or YYYYMMDD) → 'YYYYMMDD'; '' stays ''. Throws a plain message for anything else. */
export function dicomDate(s: string, what: string): string {
  const v = s.trim();
  if (!v) return '';
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v);
  if (!m) throw new Error(`${what} "${v}" is not a date (YYYY-MM-DD)`);
  return `${m[1]}${m[2]}${m[3]}`;
}

/** The QIDO-RS query for `form`, page `page` (0-based). Throws a plain message for a bad date range. */
export function studyQuery(form: SearchForm, page = 0, pageSize = PAGE_SIZE): StudyQuery {
  const q: StudyQuery = { limit: pageSize + 1, offset: page * pageSize };
  const name = form.patientName.trim();
  if (name) q.patientName = hasWildcard(name) ? name : `${name}*`;
  const id = form.patientId.trim();
  if (id) q.patientId = id;
  const from = dicomDate(form.dateFrom, 'From');
  const to = dicomDate(form.dateTo, 'To');
  if (from && to && from > to) throw new Error('the date range ends before it starts');
  if (from) q.dateFrom = from;
  if (to) q.dateTo = to;
  const modality = form.modality.trim().toUpperCase();
  if (modality) q.modality = modality;
  const acc = form.accessionNumber.trim();
  if (acc) q.accessionNumber = acc;
  const desc = form.description.trim();
  if (desc) q.description = hasWildcard(desc) ? desc : `*${desc}*`;
  return q;
}

/** The studies to show of a page's answer and whether a next page exists. */
export function pageOf<T>(results: T[], pageSize = PAGE_SIZE): { items: T[]; hasNext: boolean } {
  return { items: results.slice(0, pageSize), hasNext: results.length > pageSize };
}

export interface SeriesWithSegs {
  series: SeriesSummary;
  segs: StoredSeg[];
}

/** Image series in series-number order, each with the stored SEGs that reference it; and SEGs referencing none of them. */
export function seriesWithSegs(
  series: SeriesSummary[],
  segs: StoredSeg[],
): { rows: SeriesWithSegs[]; unlinked: StoredSeg[] } {
  const images = series
    .filter((s) => s.modality !== 'SEG')
    .sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9));
  const rows = images.map((s) => ({
    series: s,
    segs: segs.filter((g) => g.referencedSeriesUids.includes(s.seriesInstanceUid)),
  }));
  const listed = new Set(images.map((s) => s.seriesInstanceUid));
  const unlinked = segs.filter((g) => !g.referencedSeriesUids.some((u) => listed.has(u)));
  return { rows, unlinked };
}

/** 'Doe^Jane' → 'Doe, Jane'; '20240131' → '2024-01-31' (display). */
export function displayDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
}

/** Bytes as '12.3 MB' / '456 KB'. */
export function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MB`;
  return `${Math.round(b / 1024)} KB`;
}

/** The progress line of a retrieval: 'Retrieving CT abdomen from Orthanc: 12 of 20 instances, 3.4 MB'. */
export function retrieveStage(
  what: string,
  server: string,
  p: { instances: number; totalInstances: number; bytes: number },
): string {
  const of = p.totalInstances > 0 ? ` of ${p.totalInstances}` : '';
  return `Retrieving ${what} from ${server}: ${p.instances}${of} instances, ${formatBytes(p.bytes)}`;
}
