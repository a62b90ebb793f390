/**
 * Coded concepts and content-item builders of the measurement report (TID 1500 / 1410 / 1419).
 * Codes are the ones DICOM PS3.16 names for these rows (DCM, SNOMED CT as SCT, UCUM units).
 */
import type { VolumeMetadata } from '../../core/types';
import { formatDS } from '../dicom/write/series';
import { code } from '../seg/write-segments';
import type { Code } from '../seg/types';

export type Item = Record<string, unknown>;

const dcm = (value: string, meaning: string): Code => ({ scheme: 'DCM', value, meaning });
const sct = (value: string, meaning: string): Code => ({ scheme: 'SCT', value, meaning });
const ucum = (value: string, meaning: string): Code => ({ scheme: 'UCUM', value, meaning });

export const CODES = {
  report: dcm('126000', 'Imaging Measurement Report'),
  language: dcm('121049', 'Language of Content Item and Descendants'),
  englishUS: { scheme: 'RFC5646', value: 'en-US', meaning: 'English (United States)' } as Code,
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceUid: dcm('121012', 'Device Observer UID'),
  deviceName: dcm('121013', 'Device Observer Name'),
  procedureReported: dcm('121058', 'Procedure reported'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingId: dcm('112039', 'Tracking Identifier'),
  trackingUid: dcm('112040', 'Tracking Unique Identifier'),
  imageRegion: dcm('111030', 'Image Region'),
  length: sct('410668003', 'Length'),
  angle: sct('1483009', 'Angle'),
  area: sct('42798000', 'Area'),
  mean: sct('373098007', 'Mean'),
  std: sct('386136009', 'Standard Deviation'),
  min: sct('255605001', 'Minimum'),
  max: sct('56851009', 'Maximum'),
  mm: ucum('mm', 'millimeter'),
  mm2: ucum('mm2', 'square millimeter'),
  deg: ucum('deg', 'degree'),
  hu: ucum("[hnsf'U]", 'Hounsfield unit'),
  arbitrary: ucum("[arb'U]", 'arbitrary unit'),
} as const;

/** Unit of the voxel values: Hounsfield units for CT, else arbitrary units. */
export function intensityUnit(md: Readonly<VolumeMetadata>): Code {
  return md.unit === 'HU' || md.modality === 'CT' ? CODES.hu : CODES.arbitrary;
}

/** The imaging procedure the report is about, by modality. */
export function procedureReported(modality: string | undefined): Code {
  if (modality === 'CT') return sct('77477000', 'Computed Tomography');
  if (modality === 'MR') return sct('113091000', 'Magnetic Resonance Imaging');
  return sct('363679005', 'Imaging procedure');
}

/** A NUM content item (CONTAINS) with its value and unit. */
export function num(name: Code, value: number, unit: Code): Item {
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: [code(name)],
    MeasuredValueSequence: [
      {
        MeasurementUnitsCodeSequence: [code(unit)],
        NumericValue: formatDS(value),
        FloatingPointValue: value,
      },
    ],
  };
}
