/**
 * What every object voxseg derives from a source series (a SEG, a measurement SR) says the same
 * way: the SOP class of the images it references, the patient / study / series attributes it copies
 * or makes, and its Part 10 file meta (explicit VR little endian).
 */
import { VoxsegError } from '../../core/errors';
import type { VolumeMetadata } from '../../core/types';
import { deterministicUid } from '../dicom/write/uid';
import { ascii } from './write-segments';

const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_UID = deterministicUid(0x766f78, 'voxseg implementation');
/** Used when the source files left SOPClassUID blank (seen in real data). */
const CLASS_BY_MODALITY: Record<string, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  PT: '1.2.840.10008.5.1.4.1.1.128',
};
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const da = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
const tm = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

/** SOP Class UID of the source images: theirs, else the usual one of their modality. */
export function referencedClass(md: Readonly<VolumeMetadata>): string {
  const cls = md.sopClassUid || CLASS_BY_MODALITY[md.modality ?? ''];
  if (!cls)
    throw new VoxsegError('usage', 'the reference series has no SOP Class UID to reference (blank in its files)');
  return cls;
}

export interface DerivedInstance {
  sopClass: string;
  instanceUid: string;
  studyUid: string;
  seriesUid: string;
  modality: string;
  seriesDescription: string;
  seriesNumber: number;
  manufacturer?: string;
  date: Date;
}

/** The SOP common, patient, general study and series attributes of a derived instance. */
export function derivedAttributes(md: Readonly<VolumeMetadata>, d: DerivedInstance): Record<string, unknown> {
  return {
    SOPClassUID: d.sopClass,
    SOPInstanceUID: d.instanceUid,
    StudyDate: md.studyDate ?? '',
    SeriesDate: da(d.date),
    ContentDate: da(d.date),
    StudyTime: md.studyTime ?? '',
    SeriesTime: tm(d.date),
    ContentTime: tm(d.date),
    AccessionNumber: ascii(md.accessionNumber ?? '', 16),
    Modality: d.modality,
    Manufacturer: ascii(d.manufacturer ?? 'voxseg', 64),
    ReferringPhysicianName: ascii(md.referringPhysicianName ?? '', 64),
    StudyDescription: ascii(md.studyDescription ?? '', 64),
    SeriesDescription: d.seriesDescription,
    ManufacturerModelName: 'voxseg',
    PatientName: ascii(md.patientName ?? '', 64),
    PatientID: ascii(md.patientId ?? '', 64),
    PatientBirthDate: md.patientBirthDate ?? '',
    PatientSex: md.patientSex ?? '',
    StudyInstanceUID: d.studyUid,
    SeriesInstanceUID: d.seriesUid,
    StudyID: ascii(md.studyId ?? '', 16),
    SeriesNumber: String(d.seriesNumber),
    InstanceNumber: '1',
  };
}

/** Part 10 file meta of an instance written in explicit VR little endian. */
export function fileMeta(sopClass: string, instanceUid: string): Record<string, unknown> {
  return {
    FileMetaInformationVersion: new Uint8Array([0, 1]),
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: instanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: IMPLEMENTATION_UID,
    ImplementationVersionName: 'VOXSEG_0_1',
  };
}
