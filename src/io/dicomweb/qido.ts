/**
 * QIDO-RS: the query string of a study search and the DICOM JSON answers turned into summaries.
 * A patient name (or study description) without '*' or '?' gets a trailing '*' (type the start
 * of a name) with fuzzy matching off, so results do not depend on each server's idea of "fuzzy". The counts and
 * modalities are asked for explicitly (includefield): servers leave them out otherwise.
 *
 * Query values are not percent-encoded: Orthanc (1.10) matches the raw, undecoded text, so
 * 'Doe%5EJohn' finds nothing. Characters that are safe in a query are sent as they are ('^', '*',
 * '?', '.', '-' …); one that would need encoding (a space, '&', '=', '#', '+', '%') is sent as the
 * single-character wildcard '?', and a non-ASCII character as '*' (it may be several bytes on
 * the server). Every server then finds at least what the user typed.
 */
import { num, seq, str, strs, T } from './json';
import type { DicomJson, SeriesSummary, StoredSeg, StudyQuery, StudySummary } from './types';

const STUDY_FIELDS = [
  'NumberOfStudyRelatedSeries',
  'NumberOfStudyRelatedInstances',
  'ModalitiesInStudy',
  'StudyDescription',
  'AccessionNumber',
];
const SERIES_FIELDS = ['SeriesDescription', 'SeriesNumber', 'NumberOfSeriesRelatedInstances', 'Modality'];

/** A query string of raw-safe values (see the top of this file). */
class Query {
  private readonly parts: string[] = [];
  set(key: string, value: string): void {
    this.parts.push(`${key}=${safeValue(value)}`);
  }
  toString(): string {
    return this.parts.join('&');
  }
}

export function safeValue(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9\-._~!$()*,;:@/?^]$/.test(ch)) out += ch;
    else if (ch.charCodeAt(0) < 0x80) out += '?';
    else if (!out.endsWith('*')) out += '*';
  }
  return out;
}

export function studyQueryString(q: StudyQuery): string {
  const p = new Query();
  const name = q.patientName?.trim();
  if (name) {
    p.set('PatientName', /[*?]/.test(name) ? name : `${name}*`);
    p.set('fuzzymatching', 'false');
  }
  if (q.patientId?.trim()) p.set('PatientID', q.patientId.trim());
  const from = q.dateFrom?.trim() ?? '';
  const to = q.dateTo?.trim() ?? '';
  if (from || to) p.set('StudyDate', from === to ? from : `${from}-${to}`);
  if (q.modality?.trim()) p.set('ModalitiesInStudy', q.modality.trim().toUpperCase());
  if (q.accessionNumber?.trim()) p.set('AccessionNumber', q.accessionNumber.trim());
  const desc = q.description?.trim();
  if (desc) p.set('StudyDescription', /[*?]/.test(desc) ? desc : `${desc}*`);
  p.set('limit', String(q.limit ?? 25));
  p.set('offset', String(q.offset ?? 0));
  p.set('includefield', STUDY_FIELDS.join(','));
  return p.toString();
}

export function seriesQueryString(): string {
  const p = new Query();
  p.set('includefield', SERIES_FIELDS.join(','));
  return p.toString();
}

export function toStudy(ds: DicomJson): StudySummary {
  return {
    studyInstanceUid: str(ds, T.StudyInstanceUID),
    patientName: str(ds, T.PatientName),
    patientId: str(ds, T.PatientID),
    studyDate: str(ds, T.StudyDate),
    studyDescription: str(ds, T.StudyDescription),
    accessionNumber: str(ds, T.AccessionNumber),
    modalities: strs(ds, T.ModalitiesInStudy),
    seriesCount: num(ds, T.NumberOfStudyRelatedSeries),
    instanceCount: num(ds, T.NumberOfStudyRelatedInstances),
  };
}

export function toSeries(ds: DicomJson, studyUid: string): SeriesSummary {
  return {
    studyInstanceUid: str(ds, T.StudyInstanceUID) || studyUid,
    seriesInstanceUid: str(ds, T.SeriesInstanceUID),
    modality: str(ds, T.Modality),
    description: str(ds, T.SeriesDescription),
    seriesNumber: num(ds, T.SeriesNumber),
    instanceCount: num(ds, T.NumberOfSeriesRelatedInstances),
  };
}

/** A SEG instance's metadata → StoredSeg (referenced series from ReferencedSeriesSequence). */
export function toStoredSeg(ds: DicomJson, studyUid: string, seriesUid: string): StoredSeg {
  const refs = seq(ds, T.ReferencedSeriesSequence)
    .map((item) => str(item, T.SeriesInstanceUID))
    .filter((u) => u !== '');
  const date = str(ds, T.ContentDate) || str(ds, T.SeriesDate);
  const time = (str(ds, T.ContentDate) ? str(ds, T.ContentTime) : str(ds, T.SeriesTime)).slice(0, 6);
  return {
    studyInstanceUid: str(ds, T.StudyInstanceUID) || studyUid,
    seriesInstanceUid: str(ds, T.SeriesInstanceUID) || seriesUid,
    sopInstanceUid: str(ds, T.SOPInstanceUID),
    description: str(ds, T.SeriesDescription) || str(ds, T.ContentLabel),
    referencedSeriesUids: [...new Set(refs)],
    created: date ? (time ? `${date} ${time}` : date) : undefined,
  };
}

/** A QIDO/metadata answer body: a JSON array (an empty body or 204 means none). */
export function parseJsonArray(text: string): DicomJson[] | null {
  if (text.trim() === '') return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as DicomJson[]) : null;
  } catch {
    return null;
  }
}
