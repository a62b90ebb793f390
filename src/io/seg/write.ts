/**
 * writeSeg: label maps on a DICOM series' grid -> one Segmentation object (multi-frame, explicit
 * VR little endian, encoded by write-encode.ts): BINARY Segmentation Storage by
 * default, or Label Map Segmentation Storage (`labelmap: true`, SegmentationType LABELMAP, 8 or 16
 * bits, MONOCHROME2, PixelPaddingValue 0 = background).
 *
 * Frames lie on the series' images (`planes.ts`: the volume slices, or the acquired planes of a
 * resampled series, each frame with its own position and source image); `frames.ts` builds them in
 * time linear in voxels + frames. BINARY: one frame per (segment, image) where the segment has
 * voxels, by segment number then position; LABELMAP: one frame per image that has any label.
 * Each frame references its source image (Derivation Image FG, purpose 121322) and carries its
 * ImagePositionPatient; orientation and pixel measures are shared. Patient, study and frame of
 * reference come from the reference volume's metadata; blank study/series UIDs are derived
 * (`uids.ts`). A volume without SOP Instance UIDs (e.g. from NIfTI) is refused.
 */
import { VoxsegError } from '../../core/errors';
import { hashSeed } from '../../core/hash';
import type { Volume } from '../../core/types';
import { SEGMENTATION_STORAGE } from '../dicom/sopclass';
import { formatDS } from '../dicom/write/series';
import { contentSeed, deterministicUid } from '../dicom/write/uid';
import { binaryFrames, labelmapFrames, layersAndEntries } from './write-frames';
import { encodePart10 } from './write-encode';
import { planeStack } from './write-planes';
import { ascii, checkSegments, code, segmentItem } from './write-segments';
import type { SegMaskSource, SegSegment, WriteSegOptions } from './types';
import { sourceUids, type SourceUids } from './write-uids';
import { derivedAttributes, fileMeta, referencedClass } from './write-derived';

/** Label Map Segmentation Storage (DICOM Sup 243). */
export const LABELMAP_SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';
export function writeSeg(
  ref: Volume,
  masks: SegMaskSource,
  segments: SegSegment[],
  opts: WriteSegOptions = {},
): Uint8Array {
  return buildSeg(ref, masks, segments, opts).bytes;
}

/** writeSeg with what was written: frame count and the source UIDs (`derived` lists any made up here). */
export function buildSeg(
  ref: Volume,
  masks: SegMaskSource,
  segments: SegSegment[],
  opts: WriteSegOptions = {},
): { bytes: Uint8Array; frames: number; source: SourceUids } {
  const md = ref.header.metadata;
  const segs = checkSegments(segments);
  const { layers, entries } = layersAndEntries(ref, masks, segs);
  const stack = planeStack(ref, layers);
  if (stack.columns > 65535 || stack.rows > 65535)
    throw new VoxsegError('invalid-volume', `slice ${stack.columns}x${stack.rows} is too large for DICOM`);
  const labelmap = !!opts.labelmap;
  const plan = labelmap ? labelmapFrames(stack, entries, segs) : binaryFrames(stack, entries, segs.length);
  const { frames } = plan;
  if (!frames.length)
    throw new VoxsegError(
      'invalid-volume',
      'nothing to write: no voxel of the label map belongs to any of the segments',
    );
  const usedPlanes = new Set(frames.map((f) => f.plane));
  const posIndex = new Map<number, number>();
  for (const s of stack.order) if (usedPlanes.has(s)) posIndex.set(s, posIndex.size + 1);

  const cls = referencedClass(md);
  const source = sourceUids(md);
  const seed = hashSeed(
    ...layers.map((l, i) => contentSeed(l.voxels, [i])),
    ...entries.flatMap((e) => [e.layer, e.value, e.number]),
    contentSeed(
      stack.uids
        .join('')
        .split('')
        .map((c) => c.charCodeAt(0)),
    ),
    segs.length,
    labelmap ? 1 : 0,
  );
  const sopClass = labelmap ? LABELMAP_SEGMENTATION_STORAGE : SEGMENTATION_STORAGE;
  const instanceUid = opts.instanceUid ?? deterministicUid(seed, 'seg instance');
  const seriesUid = opts.seriesUid ?? deterministicUid(seed, 'seg series');
  const now = opts.date ?? new Date();
  const sourceItem = (s: number) => {
    const item: Record<string, unknown> = {
      ReferencedSOPClassUID: cls,
      ReferencedSOPInstanceUID: stack.uids[s],
      PurposeOfReferenceCodeSequence: [
        code({ scheme: 'DCM', value: '121322', meaning: 'Source image for image processing operation' }),
      ],
    };
    if (stack.frameNumbers[s]) item.ReferencedFrameNumber = String(stack.frameNumbers[s]);
    return item;
  };
  const perFrame = frames.map((f) => {
    const item: Record<string, unknown> = {
      FrameContentSequence: [
        { DimensionIndexValues: labelmap ? [posIndex.get(f.plane)!] : [f.segment, posIndex.get(f.plane)!] },
      ],
      PlanePositionSequence: [{ ImagePositionPatient: stack.positions[f.plane].map(formatDS) }],
    };
    if (!labelmap) item.SegmentIdentificationSequence = [{ ReferencedSegmentNumber: f.segment }];
    if (stack.uids[f.plane])
      item.DerivationImageSequence = [
        {
          SourceImageSequence: [sourceItem(f.plane)],
          DerivationCodeSequence: [code({ scheme: 'DCM', value: '113076', meaning: 'Segmentation' })],
        },
      ];
    return item;
  });
  const referenced = [...new Set(frames.map((f) => stack.uids[f.plane]).filter((u) => u))];
  const dimOrg = deterministicUid(seed, 'seg dimension organization');
  const description = ascii(opts.seriesDescription ?? 'Segmentation', 64);
  const positionIndex = {
    DimensionOrganizationUID: dimOrg,
    DimensionIndexPointer: 0x00200032,
    FunctionalGroupPointer: 0x00209113,
    DimensionDescriptionLabel: 'ImagePositionPatient',
  };
  const bits = plan.bitsAllocated;

  const ds: Record<string, unknown> = {
    ImageType: ['DERIVED', 'PRIMARY'],
    ...derivedAttributes(md, {
      sopClass,
      instanceUid,
      studyUid: source.studyInstanceUid,
      seriesUid,
      modality: 'SEG',
      seriesDescription: description,
      seriesNumber: opts.seriesNumber ?? 300,
      manufacturer: opts.manufacturer,
      date: now,
    }),
    DeviceSerialNumber: '1',
    SoftwareVersions: ascii(opts.softwareVersion ?? 'unknown', 64),
    ContentLabel: 'SEGMENTATION',
    ContentDescription: description,
    ContentCreatorName: ascii(opts.contentCreator ?? '', 64),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: String(frames.length),
    Rows: stack.rows,
    Columns: stack.columns,
    BitsAllocated: bits,
    BitsStored: bits,
    HighBit: bits - 1,
    PixelRepresentation: 0,
    ...(labelmap ? { PixelPaddingValue: 0 } : {}),
    LossyImageCompression: '00',
    SegmentationType: labelmap ? 'LABELMAP' : 'BINARY',
    SegmentsOverlap: plan.overlap ? 'YES' : 'NO',
    SegmentSequence: segs.map(segmentItem),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimOrg }],
    DimensionIndexSequence: labelmap
      ? [positionIndex]
      : [
          {
            DimensionOrganizationUID: dimOrg,
            DimensionIndexPointer: 0x0062000b,
            FunctionalGroupPointer: 0x0062000a,
            DimensionDescriptionLabel: 'ReferencedSegmentNumber',
          },
          positionIndex,
        ],
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [
          { ImageOrientationPatient: [...stack.rowDirection, ...stack.columnDirection].map(formatDS) },
        ],
        PixelMeasuresSequence: [
          {
            PixelSpacing: stack.pixelSpacing.map(formatDS),
            SliceThickness: formatDS(stack.sliceThickness),
            ...(stack.spacingBetweenSlices ? { SpacingBetweenSlices: formatDS(stack.spacingBetweenSlices) } : {}),
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: source.seriesInstanceUid,
        ReferencedInstanceSequence: referenced.map((u) => ({
          ReferencedSOPClassUID: cls,
          ReferencedSOPInstanceUID: u,
        })),
      },
    ],
    PixelData: plan.pixels,
  };
  if (md.frameOfReferenceUid) {
    ds.FrameOfReferenceUID = md.frameOfReferenceUid;
    ds.PositionReferenceIndicator = '';
  }

  const bytes = encodePart10(fileMeta(sopClass, instanceUid), ds, { PixelData: bits === 16 ? 'OW' : 'OB' });
  return { bytes, frames: frames.length, source };
}
