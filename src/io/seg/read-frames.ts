/**
 * Per-frame description of a SEG: which segment each frame holds (ReferencedSegmentNumber, per-frame
 * or shared; a label map frame holds every segment), the source images it names and its geometry
 * (per-frame functional groups over shared ones, as the DICOM parser merged them).
 *
 * Every frame must have its own Per-frame Functional Groups item: fewer items than NumberOfFrames is
 * an error naming both counts (frames would lose their segment or slice). More items than frames
 * (seen in pydicom's cut-down test SEGs) is warned: the pixel data length has been checked against
 * NumberOfFrames already, so the extra items describe no pixels.
 */
import type { DataSet } from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import { firstItem, str, us } from '../dicom/dsread';
import type { DicomHeader } from '../dicom/parse';
import type { SegFrame } from './place';

/** Segment value of a label map frame (its pixels carry the segment numbers). */
export const ALL_SEGMENTS = -1;

export function readFrames(
  ds: DataSet,
  h: DicomHeader,
  labelmap: boolean,
  file: string,
  warn: (w: string) => void,
): SegFrame[] {
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-volume', msg, { file });
  };
  const nf = h.numberOfFrames;
  const perFrame = ds.elements['x52009230']?.items ?? [];
  const shared = firstItem(ds, 'x52009229');
  if (perFrame.length < nf) {
    const what = perFrame.length
      ? `PerFrameFunctionalGroupsSequence has ${perFrame.length} items`
      : 'there is no PerFrameFunctionalGroupsSequence';
    fail(
      `${what} but NumberOfFrames is ${nf}: frame ${perFrame.length + 1} has no Per-frame Functional Groups (no segment or position)`,
    );
  }
  if (perFrame.length > nf)
    warn(
      `PerFrameFunctionalGroupsSequence has ${perFrame.length} items but NumberOfFrames is ${nf} (as many as the pixel data holds): the ${perFrame.length - nf} items past frame ${nf} describe no pixels and were ignored`,
    );
  const frames: SegFrame[] = [];
  for (let f = 0; f < nf; f++) {
    const item = perFrame[f]?.dataSet;
    if (!item) fail(`frame ${f + 1} has an empty Per-frame Functional Groups item`);
    let segment = ALL_SEGMENTS;
    if (!labelmap) {
      const segItem = firstItem(item, 'x0062000a') ?? firstItem(shared, 'x0062000a');
      const n = segItem ? us(segItem, 'x0062000b') : undefined;
      if (n === undefined) fail(`frame ${f + 1} names no segment (SegmentIdentificationSequence)`);
      segment = n!;
    }
    const sources: { uid: string; frame?: number }[] = [];
    for (const d of item!.elements['x00089124']?.items ?? [])
      for (const s of d.dataSet?.elements['x00082112']?.items ?? []) {
        const uid = str(s.dataSet, 'x00081155');
        const fr = Number(str(s.dataSet, 'x00081160').split('\\')[0]);
        if (uid) sources.push({ uid, frame: fr > 0 ? fr : undefined });
      }
    const geom = h.perFrame?.[f] ?? h.geom;
    frames.push({
      index: f,
      segment,
      position: geom.position,
      orientation: geom.orientation,
      pixelSpacing: geom.pixelSpacing,
      sources,
    });
  }
  return frames;
}
