/**
 * Reading values out of the DICOM JSON model (PS3.18 F.2): strings, numbers, person names (the
 * 'Alphabetic' group, as stored: 'Doe^John'), sequences. Missing or odd values read as ''/undefined.
 */
import type { DicomJson } from './types';

export function values(ds: DicomJson | undefined, tag: string): unknown[] {
  const v = ds?.[tag]?.Value;
  return Array.isArray(v) ? v : [];
}

/** The first value as a string (PN: the Alphabetic group; several values joined with '\\'). */
export function str(ds: DicomJson | undefined, tag: string): string {
  return values(ds, tag)
    .map((v) => {
      if (v === null || v === undefined) return '';
      if (typeof v === 'object') return String((v as { Alphabetic?: string }).Alphabetic ?? '');
      return String(v);
    })
    .join('\\');
}

export function strs(ds: DicomJson | undefined, tag: string): string[] {
  return values(ds, tag)
    .filter((v) => typeof v === 'string' || typeof v === 'number')
    .map(String)
    .filter((s) => s !== '');
}

export function num(ds: DicomJson | undefined, tag: string): number | undefined {
  const v = values(ds, tag)[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function seq(ds: DicomJson | undefined, tag: string): DicomJson[] {
  return values(ds, tag).filter((v): v is DicomJson => !!v && typeof v === 'object');
}

/** Tags used by the client (group+element, upper-case hex, as DICOM JSON keys them). */
export const T = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  PatientName: '00100010',
  PatientID: '00100020',
  StudyDate: '00080020',
  StudyDescription: '00081030',
  AccessionNumber: '00080050',
  ModalitiesInStudy: '00080061',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  Modality: '00080060',
  SeriesDescription: '0008103E',
  SeriesNumber: '00200011',
  NumberOfSeriesRelatedInstances: '00201209',
  SeriesDate: '00080021',
  SeriesTime: '00080031',
  ContentDate: '00080023',
  ContentTime: '00080033',
  ContentLabel: '00700080',
  ReferencedSeriesSequence: '00081115',
  ReferencedSOPSequence: '00081199',
  FailedSOPSequence: '00081198',
  ReferencedSOPInstanceUID: '00081155',
  FailureReason: '00081197',
  WarningReason: '00081196',
} as const;
