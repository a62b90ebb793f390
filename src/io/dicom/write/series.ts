/**
 * DICOM CT series writer: one CT Image Storage file per slice (index axis k), Part 10 with
 * explicit VR little endian, built with dcmjs. Browser + Node safe (no Node imports).
 *
 * Pixel encoding: when all values lie in -1024..3071 HU, stored values are unsigned 12-bit
 * (PixelRepresentation 0, BitsStored 12) with RescaleIntercept -1024 — the usual CT layout;
 * otherwise signed 16-bit (PixelRepresentation 1, BitsStored 16) with intercept 0. Slope is 1.
 * Geometry: ImageOrientationPatient = direction columns 0 (row direction, i) and 1 (column
 * direction, j); ImagePositionPatient of slice k = origin + k * spacing[2] * direction column 2;
 * PixelSpacing = [spacing[1] (between rows), spacing[0] (between columns)].
 */
// @ts-ignore -- dcmjs ships no type declarations; the small surface used here is typed below.
import * as dcmjsModule from 'dcmjs';
import { VoxsegError } from '../../../core/errors';
import type { Volume } from '../../../core/types';
import { valueRange } from '../../../volume/volume';
import { contentSeed, deterministicUid } from './uid';

interface DcmjsApi {
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): unknown };
  };
}
const dcmjs = ((dcmjsModule as unknown as { default?: DcmjsApi }).default ?? dcmjsModule) as unknown as DcmjsApi;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const IMPLEMENTATION_UID = deterministicUid(0x766f78, 'voxseg implementation');

export interface DicomSeriesMeta {
  /** Seed for deterministic UIDs; default: a fingerprint of the voxels and geometry. */
  seed?: number;
  patientName?: string;
  patientId?: string;
  studyDescription?: string;
  seriesDescription?: string;
  /** YYYYMMDD (default 20000101, so output is reproducible). */
  studyDate?: string;
  /** HHMMSS (default 120000). */
  studyTime?: string;
  seriesNumber?: number;
  windowCenter?: number;
  windowWidth?: number;
  /** Body Part Examined (default 'ABDOMEN'; '' leaves it out). */
  bodyPartExamined?: string;
  /** DICOM Patient Position (default 'HFS'). */
  patientPosition?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
  onProgress?: (p: { done: number; total: number; stage?: string }) => void;
}

export interface DicomFileOut {
  name: string;
  bytes: Uint8Array;
}

/** Decimal String: shortest representation within 16 characters. */
export function formatDS(v: number): string {
  if (!Number.isFinite(v)) throw new VoxsegError('invalid-volume', `cannot write ${v} as a DICOM decimal string`);
  if (Object.is(v, -0) || Math.abs(v) < 1e-12) return '0';
  for (let p = 15; p >= 1; p--) {
    const s = String(Number(v.toPrecision(p)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(8);
}

const ascii = (s: string, max: number) =>
  s
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '/')
    .slice(0, max);

export function writeDicomSeries(volume: Volume, meta: DicomSeriesMeta = {}): DicomFileOut[] {
  const h = volume.header;
  if (h.dtype !== 'int16')
    throw new VoxsegError('invalid-volume', `the DICOM CT writer needs int16 voxels (HU), got ${h.dtype}`);
  const [nx, ny, nz] = h.dims;
  if (nx > 65535 || ny > 65535) throw new VoxsegError('invalid-volume', `slice ${nx}x${ny} is too large for DICOM`);
  const md = h.metadata;
  const d = h.direction;
  const seed =
    meta.seed ??
    contentSeed(volume.voxels, [...h.dims, ...[...h.spacing, ...h.origin, ...d].map((v) => Math.round(v * 1e4))]);
  const studyUid = meta.studyInstanceUid ?? md.studyInstanceUid ?? deterministicUid(seed, 'study');
  const seriesUid = meta.seriesInstanceUid ?? deterministicUid(seed, 'series');
  const forUid = meta.frameOfReferenceUid ?? md.frameOfReferenceUid ?? deterministicUid(seed, 'frame of reference');
  const [lo, hi] = valueRange(volume.voxels);
  const unsigned12 = lo >= -1024 && hi <= 3071;
  const intercept = unsigned12 ? -1024 : 0;
  const date = meta.studyDate ?? md.studyDate ?? '20000101';
  const time = meta.studyTime ?? '120000';
  const row = [d[0], d[3], d[6]];
  const col = [d[1], d[4], d[7]];
  const kdir = [d[2], d[5], d[8]];
  const normal = [
    row[1] * col[2] - row[2] * col[1],
    row[2] * col[0] - row[0] * col[2],
    row[0] * col[1] - row[1] * col[0],
  ];
  const wc = meta.windowCenter ?? md.windowCenter ?? 40;
  const ww = meta.windowWidth ?? md.windowWidth ?? 400;

  const common: Record<string, unknown> = {
    ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
    SOPClassUID: CT_IMAGE_STORAGE,
    StudyDate: date,
    SeriesDate: date,
    ContentDate: date,
    StudyTime: time,
    SeriesTime: time,
    ContentTime: time,
    AccessionNumber: '',
    Modality: 'CT',
    Manufacturer: 'voxseg',
    ReferringPhysicianName: '',
    StudyDescription: ascii(meta.studyDescription ?? md.studyDescription ?? 'voxseg phantom', 64),
    SeriesDescription: ascii(meta.seriesDescription ?? md.seriesDescription ?? 'voxseg phantom', 64),
    ManufacturerModelName: 'voxseg',
    PatientName: ascii(meta.patientName ?? md.patientName ?? 'voxseg^phantom', 64),
    PatientID: ascii(meta.patientId ?? md.patientId ?? 'VOXSEG', 64),
    PatientBirthDate: '',
    PatientSex: '',
    SliceThickness: formatDS(h.spacing[2]),
    KVP: '',
    PatientPosition: meta.patientPosition ?? 'HFS',
    StudyInstanceUID: studyUid,
    SeriesInstanceUID: seriesUid,
    StudyID: '1',
    SeriesNumber: String(meta.seriesNumber ?? 1),
    AcquisitionNumber: '1',
    ImageOrientationPatient: [...row, ...col].map(formatDS),
    FrameOfReferenceUID: forUid,
    PositionReferenceIndicator: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    PixelSpacing: [formatDS(h.spacing[1]), formatDS(h.spacing[0])],
    BitsAllocated: 16,
    BitsStored: unsigned12 ? 12 : 16,
    HighBit: unsigned12 ? 11 : 15,
    PixelRepresentation: unsigned12 ? 0 : 1,
    WindowCenter: formatDS(wc),
    WindowWidth: formatDS(ww),
    RescaleIntercept: formatDS(intercept),
    RescaleSlope: '1',
    RescaleType: 'HU',
    _vrMap: { PixelData: 'OW' },
  };

  const bodyPart = meta.bodyPartExamined ?? 'ABDOMEN';
  if (bodyPart) common.BodyPartExamined = ascii(bodyPart, 16).toUpperCase();
  const nxy = nx * ny;
  const width = Math.max(4, String(nz).length);
  const files: DicomFileOut[] = [];
  for (let k = 0; k < nz; k++) {
    const sop = deterministicUid(seed, 'sop', k);
    const pos = [0, 1, 2].map((r) => h.origin[r] + k * h.spacing[2] * kdir[r]);
    const src = (volume.voxels as Int16Array).subarray(k * nxy, (k + 1) * nxy);
    const px = new Int16Array(nxy);
    if (unsigned12) for (let i = 0; i < nxy; i++) px[i] = src[i] + 1024;
    else px.set(src);
    const ds = {
      ...common,
      SOPInstanceUID: sop,
      InstanceNumber: String(k + 1),
      ImagePositionPatient: pos.map(formatDS),
      SliceLocation: formatDS(pos[0] * normal[0] + pos[1] * normal[1] + pos[2] * normal[2]),
      PixelData: [px.buffer],
    };
    const fileMeta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
      MediaStorageSOPInstanceUID: sop,
      TransferSyntaxUID: EXPLICIT_VR_LE,
      ImplementationClassUID: IMPLEMENTATION_UID,
      ImplementationVersionName: 'VOXSEG_0_1',
    };
    const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(fileMeta));
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
    files.push({ name: `IM${String(k + 1).padStart(width, '0')}.dcm`, bytes: new Uint8Array(dict.write()) });
    if (meta.onProgress && (k % 16 === 15 || k === nz - 1))
      meta.onProgress({ done: k + 1, total: nz, stage: 'Writing DICOM' });
  }
  return files;
}
