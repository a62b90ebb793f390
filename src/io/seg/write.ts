/**
 * writeSeg: label maps on a DICOM series' grid -> one BINARY Segmentation Storage object
 * (multi-frame, explicit VR little endian, built with dcmjs like ../write/series.ts).
 *
 * One frame per (segment, reference slice) where the segment has voxels, ordered by segment
 * number then slice position along the normal; frames bit-packed LSB first, continuously across
 * frames. Each frame references its source image (Derivation Image FG, purpose 121322) and carries
 * its ImagePositionPatient and segment number; orientation and pixel measures are shared.
 * Patient, study and frame of reference come from the reference volume's metadata, which the
 * DICOM loader fills (a volume without per-slice SOP Instance UIDs, e.g. from NIfTI, is refused).
 */
// @ts-ignore -- dcmjs ships no type declarations; the small surface used here is typed below.
import * as dcmjsModule from 'dcmjs';
import { VoxsegError } from '../../core/errors';
import { hashSeed } from '../../core/hash';
import type { Volume, VolumeMetadata } from '../../core/types';
import { orientationCode } from '../../volume/geometry';
import { SEGMENTATION_STORAGE } from '../dicom/sopclass';
import { formatDS } from '../dicom/write/series';
import { contentSeed, deterministicUid } from '../dicom/write/uid';
import { rgbToDicomLab } from './color';
import { slicesMatchInstances } from './grid';
import { packFrame, planMasks } from './masks';
import type { Code, SegMaskSource, SegSegment, WriteSegOptions } from './types';

interface DcmjsApi {
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: Record<string, unknown>): unknown };
  };
}
const dcmjs = ((dcmjsModule as unknown as { default?: DcmjsApi }).default ?? dcmjsModule) as unknown as DcmjsApi;

const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_UID = deterministicUid(0x766f78, 'voxseg implementation');
/** Used when the source files left SOPClassUID blank (seen in real data). */
const CLASS_BY_MODALITY: Record<string, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  PT: '1.2.840.10008.5.1.4.1.1.128',
};

const ascii = (s: string, max: number) =>
  s
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '/')
    .slice(0, max);
const code = (c: Code) => ({
  CodeValue: ascii(c.value, 16),
  CodingSchemeDesignator: ascii(c.scheme, 16),
  CodeMeaning: ascii(c.meaning, 64),
});
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const da = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
const tm = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

function checkSegments(segments: readonly SegSegment[]): SegSegment[] {
  const sorted = [...segments].sort((a, b) => a.number - b.number);
  if (!sorted.length) throw new VoxsegError('usage', 'a SEG needs at least one segment');
  sorted.forEach((s, i) => {
    const where = `segment ${s.number} (${JSON.stringify(s.label)})`;
    if (s.number !== i + 1)
      throw new VoxsegError(
        'usage',
        `segment numbers must be 1..${sorted.length} without gaps or repeats; found ${sorted.map((x) => x.number).join(', ')}`,
      );
    if (!s.label.trim()) throw new VoxsegError('usage', `${where}: empty label`);
    if (s.algorithmType !== 'MANUAL' && !s.algorithmName?.trim())
      throw new VoxsegError(
        'usage',
        `${where}: algorithmType ${s.algorithmType} needs an algorithmName (DICOM requires it)`,
      );
    for (const [key, c] of [
      ['category', s.category],
      ['type', s.type],
    ] as const)
      if (!c?.scheme || !c.value || !c.meaning)
        throw new VoxsegError('usage', `${where}: ${key} code needs scheme, value and meaning`);
  });
  return sorted;
}

function referencedClass(md: Readonly<VolumeMetadata>): string {
  const cls = md.sopClassUid || CLASS_BY_MODALITY[md.modality ?? ''];
  if (!cls)
    throw new VoxsegError('usage', 'the reference series has no SOP Class UID to reference (blank in its files)');
  return cls;
}

export function writeSeg(
  ref: Volume,
  masks: SegMaskSource,
  segments: SegSegment[],
  opts: WriteSegOptions = {},
): Uint8Array {
  const h = ref.header;
  const md = h.metadata;
  const [nx, ny, nz] = h.dims;
  const uids = md.sopInstanceUids;
  if (!uids?.some((u) => u))
    throw new VoxsegError(
      'usage',
      'a DICOM SEG references the images it segments, so its reference must be the DICOM series itself; this volume has no DICOM instance UIDs (e.g. it was read from NIfTI)',
    );
  if (!slicesMatchInstances(h))
    throw new VoxsegError(
      'invalid-volume',
      `the reference volume is no longer on its DICOM series' slice grid (${uids.length} source images for ${nz} slices along ${orientationCode(h.direction)}; reoriented or resampled?): use the series as loaded`,
    );
  if (nx > 65535 || ny > 65535) throw new VoxsegError('invalid-volume', `slice ${nx}x${ny} is too large for DICOM`);
  const segs = checkSegments(segments);
  const plan = planMasks(ref, masks, segs);

  // frames: by segment number, then slice position along the normal
  const d = h.direction;
  const row = [d[0], d[3], d[6]];
  const col = [d[1], d[4], d[7]];
  const normal = [
    row[1] * col[2] - row[2] * col[1],
    row[2] * col[0] - row[0] * col[2],
    row[0] * col[1] - row[1] * col[0],
  ];
  const pos = (k: number) => [0, 1, 2].map((r) => h.origin[r] + k * h.spacing[2] * d[3 * r + 2]);
  const along = (k: number) => pos(k).reduce((acc, v, r) => acc + v * normal[r], 0);
  const order = Array.from({ length: nz }, (_, k) => k).sort((a, b) => along(a) - along(b));
  const frames: { segment: number; k: number }[] = [];
  for (const s of segs)
    for (const k of order) if (plan.present.get(s.number)![k]) frames.push({ segment: s.number, k });
  if (!frames.length)
    throw new VoxsegError(
      'invalid-volume',
      'nothing to write: no voxel of the label map belongs to any of the segments',
    );
  const usedSlices = order.filter((k) => frames.some((f) => f.k === k));
  const posIndex = new Map(usedSlices.map((k, i) => [k, i + 1]));

  const nxy = nx * ny;
  const bytes = Math.ceil((frames.length * nxy) / 8);
  const pixels = new Uint8Array(bytes + (bytes & 1));
  frames.forEach((f, i) => packFrame(pixels, i * nxy, plan.parts.get(f.segment)!, f.k, nxy));

  const cls = referencedClass(md);
  const seed = hashSeed(
    ...[...plan.parts.values()].flat().map((p) => contentSeed(p.voxels, [p.layer, p.value])),
    contentSeed(
      uids
        .join('')
        .split('')
        .map((c) => c.charCodeAt(0)),
    ),
    segs.length,
  );
  const instanceUid = opts.instanceUid ?? deterministicUid(seed, 'seg instance');
  const seriesUid = opts.seriesUid ?? deterministicUid(seed, 'seg series');
  const now = opts.date ?? new Date();
  const source = (k: number) => {
    const item: Record<string, unknown> = {
      ReferencedSOPClassUID: cls,
      ReferencedSOPInstanceUID: uids[k],
      PurposeOfReferenceCodeSequence: [
        code({ scheme: 'DCM', value: '121322', meaning: 'Source image for image processing operation' }),
      ],
    };
    if (md.frameNumbers?.[k]) item.ReferencedFrameNumber = String(md.frameNumbers[k]);
    return item;
  };
  const perFrame = frames.map((f) => {
    const item: Record<string, unknown> = {
      FrameContentSequence: [{ DimensionIndexValues: [f.segment, posIndex.get(f.k)!] }],
      PlanePositionSequence: [{ ImagePositionPatient: pos(f.k).map(formatDS) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.segment }],
    };
    if (uids[f.k])
      item.DerivationImageSequence = [
        {
          SourceImageSequence: [source(f.k)],
          DerivationCodeSequence: [code({ scheme: 'DCM', value: '113076', meaning: 'Segmentation' })],
        },
      ];
    return item;
  });
  const referenced = [...new Set(frames.map((f) => uids[f.k]).filter((u) => u))];
  const dimOrg = deterministicUid(seed, 'seg dimension organization');
  const description = ascii(opts.seriesDescription ?? 'Segmentation', 64);

  const ds: Record<string, unknown> = {
    ImageType: ['DERIVED', 'PRIMARY'],
    SOPClassUID: SEGMENTATION_STORAGE,
    SOPInstanceUID: instanceUid,
    StudyDate: md.studyDate ?? '',
    SeriesDate: da(now),
    ContentDate: da(now),
    StudyTime: md.studyTime ?? '',
    SeriesTime: tm(now),
    ContentTime: tm(now),
    AccessionNumber: ascii(md.accessionNumber ?? '', 16),
    Modality: 'SEG',
    Manufacturer: ascii(opts.manufacturer ?? 'voxseg', 64),
    ReferringPhysicianName: ascii(md.referringPhysicianName ?? '', 64),
    StudyDescription: ascii(md.studyDescription ?? '', 64),
    SeriesDescription: description,
    ManufacturerModelName: 'voxseg',
    PatientName: ascii(md.patientName ?? '', 64),
    PatientID: ascii(md.patientId ?? '', 64),
    PatientBirthDate: md.patientBirthDate ?? '',
    PatientSex: md.patientSex ?? '',
    DeviceSerialNumber: '1',
    SoftwareVersions: ascii(opts.softwareVersion ?? 'unknown', 64),
    StudyInstanceUID: md.studyInstanceUid ?? deterministicUid(seed, 'seg study'),
    SeriesInstanceUID: seriesUid,
    StudyID: ascii(md.studyId ?? '', 16),
    SeriesNumber: String(opts.seriesNumber ?? 300),
    InstanceNumber: '1',
    ContentLabel: 'SEGMENTATION',
    ContentDescription: description,
    ContentCreatorName: ascii(opts.contentCreator ?? '', 64),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: String(frames.length),
    Rows: ny,
    Columns: nx,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentsOverlap: plan.overlap ? 'YES' : 'NO',
    SegmentSequence: segs.map(segmentItem),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimOrg }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimOrg,
        DimensionIndexPointer: 0x0062000b,
        FunctionalGroupPointer: 0x0062000a,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      {
        DimensionOrganizationUID: dimOrg,
        DimensionIndexPointer: 0x00200032,
        FunctionalGroupPointer: 0x00209113,
        DimensionDescriptionLabel: 'ImagePositionPatient',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...row, ...col].map(formatDS) }],
        PixelMeasuresSequence: [
          {
            PixelSpacing: [formatDS(h.spacing[1]), formatDS(h.spacing[0])],
            SliceThickness: formatDS(h.spacing[2]),
            SpacingBetweenSlices: formatDS(h.spacing[2]),
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  if (md.frameOfReferenceUid) {
    ds.FrameOfReferenceUID = md.frameOfReferenceUid;
    ds.PositionReferenceIndicator = '';
  }
  if (md.seriesInstanceUid)
    ds.ReferencedSeriesSequence = [
      {
        SeriesInstanceUID: md.seriesInstanceUid,
        ReferencedInstanceSequence: referenced.map((u) => ({
          ReferencedSOPClassUID: cls,
          ReferencedSOPInstanceUID: u,
        })),
      },
    ];

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEGMENTATION_STORAGE,
    MediaStorageSOPInstanceUID: instanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: IMPLEMENTATION_UID,
    ImplementationVersionName: 'VOXSEG_0_1',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}

function segmentItem(s: SegSegment): Record<string, unknown> {
  const type: Record<string, unknown> = code(s.type);
  if (s.typeModifier) type.SegmentedPropertyTypeModifierCodeSequence = [code(s.typeModifier)];
  const item: Record<string, unknown> = {
    SegmentNumber: s.number,
    SegmentLabel: ascii(s.label, 64),
    SegmentAlgorithmType: s.algorithmType,
    SegmentedPropertyCategoryCodeSequence: [code(s.category)],
    SegmentedPropertyTypeCodeSequence: [type],
  };
  if (s.description) item.SegmentDescription = ascii(s.description, 1024);
  if (s.algorithmType !== 'MANUAL') {
    item.SegmentAlgorithmName = ascii(s.algorithmName!, 64);
    // the version has its place in the algorithm identification (whose family is type 1)
    if (s.algorithmVersion)
      item.SegmentationAlgorithmIdentificationSequence = [
        {
          AlgorithmFamilyCodeSequence: [
            code(
              s.algorithmType === 'AUTOMATIC'
                ? { scheme: 'DCM', value: '123110', meaning: 'Artificial Intelligence' }
                : { scheme: 'DCM', value: '123109', meaning: 'Manual Processing' },
            ),
          ],
          AlgorithmName: ascii(s.algorithmName!, 64),
          AlgorithmVersion: ascii(s.algorithmVersion, 64),
        },
      ];
  }
  if (s.anatomicRegion) item.AnatomicRegionSequence = [code(s.anatomicRegion)];
  if (s.color) item.RecommendedDisplayCIELabValue = rgbToDicomLab(s.color);
  return item;
}
