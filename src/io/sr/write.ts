/**
 * writeMeasurementReport: lengths, angles and planar ROI statistics measured on a DICOM series ->
 * one Comprehensive 3D SR instance following TID 1500 (Imaging Measurement Report).
 *
 * Decisions:
 * - Comprehensive 3D SR, so every region is a SCOORD3D in the series' frame of reference (LPS mm,
 *   exactly what was drawn, on any of the three views): POLYLINE for a length (2 points) and an
 *   angle (3 points, vertex in the middle), ELLIPSE (major then minor axis end points) and a closed
 *   POLYGON (5 points) for the ROIs.
 * - One TID 1410 Planar ROI measurement group per measurement: tracking identifier and UID, the
 *   image region, then the values as NUM (TID 1419): Length (mm), Angle (deg), Area (mm2), Mean,
 *   Standard Deviation, Minimum, Maximum (HU for CT in HU, else arbitrary units).
 * - The Image Library (TID 1600) and the evidence sequence list the images the measurements lie
 *   on (slices from the volume's SOP Instance UIDs).
 * - Sources that are not DICOM (no SOP Instance UIDs or no frame of reference, e.g. NIfTI) are
 *   refused: an SR with made-up references would point at images no archive holds.
 * - Text is ASCII (no Specific Character Set); UIDs are derived from the content unless given.
 */
import { VoxsegError } from '../../core/errors';
import { hashSeed } from '../../core/hash';
import type { Vec3, Volume } from '../../core/types';
import { addScaled, sub, worldToIndex } from '../../volume/geometry';
import { deterministicUid } from '../dicom/write/uid';
import { encodePart10 } from '../seg/write-encode';
import { ascii, code } from '../seg/write-segments';
import { sourceUids } from '../seg/write-uids';
import { derivedAttributes, fileMeta, referencedClass } from '../seg/write-derived';
import { CODES, intensityUnit, num, procedureReported, type Item } from './content';

export const COMPREHENSIVE_3D_SR = '1.2.840.10008.5.1.4.1.1.88.34';
export interface SrMeasurement {
  kind: 'length' | 'angle' | 'ellipse' | 'rectangle';
  /** Tracking identifier, e.g. "Length 1". */
  label: string;
  /** Tracking unique identifier (derived when absent). */
  uid?: string;
  /** LPS mm: length [a, b]; angle [a, vertex, b]; ellipse / rectangle [centre, centre + U, centre + V]. */
  points: Vec3[];
  /** Length in mm, angle in degrees, ROI statistics in the volume's unit, area in mm². */
  values: { length?: number; angle?: number; mean?: number; std?: number; min?: number; max?: number; area?: number };
}

export interface WriteSrOptions {
  instanceUid?: string;
  seriesUid?: string;
  date?: Date;
  seriesNumber?: number;
  seriesDescription?: string;
}

/** SCOORD3D graphic type and points of a measurement. */
export function regionOf(m: SrMeasurement): { type: string; points: Vec3[] } {
  if (m.kind === 'length' || m.kind === 'angle') return { type: 'POLYLINE', points: m.points };
  const [c, cu, cv] = m.points;
  const u = sub(cu, c);
  const v = sub(cv, c);
  if (m.kind === 'ellipse') {
    const [major, minor] = Math.hypot(...u) >= Math.hypot(...v) ? [u, v] : [v, u];
    return {
      type: 'ELLIPSE',
      points: [addScaled(c, major, -1), addScaled(c, major), addScaled(c, minor, -1), addScaled(c, minor)],
    };
  }
  const corner = (su: number, sv: number) => addScaled(addScaled(c, u, su), v, sv);
  const ring = [corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)];
  return { type: 'POLYGON', points: [...ring, ring[0]] };
}

/** k slices (0-based) a set of points spans on `ref`'s grid, clamped to the volume. */
function slicesOf(ref: Volume, points: readonly Vec3[]): number[] {
  const ks = points.map((p) => Math.round(worldToIndex(ref.header, p)[2]));
  const nz = ref.header.dims[2];
  const lo = Math.max(0, Math.min(...ks));
  const hi = Math.min(nz - 1, Math.max(...ks));
  const out: number[] = [];
  for (let k = lo; k <= hi; k++) out.push(k);
  return out;
}

export function writeMeasurementReport(
  ref: Volume,
  list: readonly SrMeasurement[],
  opts: WriteSrOptions = {},
): Uint8Array {
  const md = ref.header.metadata;
  const uids = md.sopInstanceUids ?? [];
  if (!uids.some((u) => u) || !md.frameOfReferenceUid)
    throw new VoxsegError(
      'usage',
      `the image "${md.seriesDescription ?? 'study'}" is not a DICOM series (no image or frame of reference UIDs): a DICOM SR must reference the images it measures`,
    );
  if (!list.length) throw new VoxsegError('usage', 'no measurement to export');
  const sopClass = referencedClass(md);
  const unit = intensityUnit(md);
  const seed = hashSeed(...list.flatMap((m) => m.points.flat().map((x) => Math.round(x * 1000))), list.length);
  const instanceUid = opts.instanceUid ?? deterministicUid(seed, 'sr instance');
  const seriesUid = opts.seriesUid ?? deterministicUid(seed, 'sr series');
  const now = opts.date ?? new Date();
  const forUid = md.frameOfReferenceUid;
  const source = sourceUids(md);

  const referenced = new Set<string>();
  const groups: Item[] = list.map((m, n) => {
    const region = regionOf(m);
    for (const k of slicesOf(ref, region.points)) if (uids[k]) referenced.add(uids[k]);
    const v = m.values;
    const values: Item[] = [];
    if (m.kind === 'length' && v.length !== undefined) values.push(num(CODES.length, v.length, CODES.mm));
    if (m.kind === 'angle' && v.angle !== undefined) values.push(num(CODES.angle, v.angle, CODES.deg));
    if (m.kind === 'ellipse' || m.kind === 'rectangle') {
      if (v.area !== undefined) values.push(num(CODES.area, v.area, CODES.mm2));
      for (const [key, name] of [
        ['mean', CODES.mean],
        ['std', CODES.std],
        ['min', CODES.min],
        ['max', CODES.max],
      ] as const) {
        const x = v[key];
        if (x !== undefined && Number.isFinite(x)) values.push(num(name, x, unit));
      }
    }
    return {
      RelationshipType: 'CONTAINS',
      ValueType: 'CONTAINER',
      ConceptNameCodeSequence: [code(CODES.measurementGroup)],
      ContinuityOfContent: 'SEPARATE',
      ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1410' }],
      ContentSequence: [
        {
          RelationshipType: 'CONTAINS',
          ValueType: 'TEXT',
          ConceptNameCodeSequence: [code(CODES.trackingId)],
          TextValue: ascii(m.label || `Measurement ${n + 1}`, 1024),
        },
        {
          RelationshipType: 'CONTAINS',
          ValueType: 'UIDREF',
          ConceptNameCodeSequence: [code(CODES.trackingUid)],
          UID: m.uid ?? deterministicUid(seed, 'sr tracking', n),
        },
        {
          RelationshipType: 'CONTAINS',
          ValueType: 'SCOORD3D',
          ConceptNameCodeSequence: [code(CODES.imageRegion)],
          GraphicType: region.type,
          GraphicData: region.points.flat(),
          ReferencedFrameOfReferenceUID: forUid,
        },
        ...values,
      ],
    };
  });

  const refs = uids.filter((u) => referenced.has(u));
  const unique = [...new Set(refs)];
  const library: Item = {
    RelationshipType: 'CONTAINS',
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [code(CODES.imageLibrary)],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: [
      {
        RelationshipType: 'CONTAINS',
        ValueType: 'CONTAINER',
        ConceptNameCodeSequence: [code(CODES.imageLibraryGroup)],
        ContinuityOfContent: 'SEPARATE',
        ContentSequence: unique.map((u) => ({
          RelationshipType: 'CONTAINS',
          ValueType: 'IMAGE',
          ReferencedSOPSequence: [{ ReferencedSOPClassUID: sopClass, ReferencedSOPInstanceUID: u }],
        })),
      },
    ],
  };
  const codeItem = (rel: string, name: typeof CODES.language, value: typeof CODES.language): Item => ({
    RelationshipType: rel,
    ValueType: 'CODE',
    ConceptNameCodeSequence: [code(name)],
    ConceptCodeSequence: [code(value)],
  });
  const content: Item[] = [
    codeItem('HAS CONCEPT MOD', CODES.language, CODES.englishUS),
    codeItem('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'UIDREF',
      ConceptNameCodeSequence: [code(CODES.deviceUid)],
      UID: deterministicUid(0x766f78, 'voxseg device observer'),
    },
    {
      RelationshipType: 'HAS OBS CONTEXT',
      ValueType: 'TEXT',
      ConceptNameCodeSequence: [code(CODES.deviceName)],
      TextValue: 'voxseg',
    },
    codeItem('HAS CONCEPT MOD', CODES.procedureReported, procedureReported(md.modality)),
    library,
    {
      RelationshipType: 'CONTAINS',
      ValueType: 'CONTAINER',
      ConceptNameCodeSequence: [code(CODES.imagingMeasurements)],
      ContinuityOfContent: 'SEPARATE',
      ContentSequence: groups,
    },
  ];
  const description = ascii(opts.seriesDescription ?? 'Measurements', 64);
  const ds: Item = {
    ...derivedAttributes(md, {
      sopClass: COMPREHENSIVE_3D_SR,
      instanceUid,
      studyUid: source.studyInstanceUid,
      seriesUid,
      modality: 'SR',
      seriesDescription: description,
      seriesNumber: opts.seriesNumber ?? 400,
      date: now,
    }),
    ReferencedPerformedProcedureStepSequence: [],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [code(CODES.report)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: source.studyInstanceUid,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: source.seriesInstanceUid,
            ReferencedSOPSequence: unique.map((u) => ({
              ReferencedSOPClassUID: sopClass,
              ReferencedSOPInstanceUID: u,
            })),
          },
        ],
      },
    ],
    ContentSequence: content,
  };
  return encodePart10(fileMeta(COMPREHENSIVE_3D_SR, instanceUid), ds);
}
