/**
 * The study and series UIDs a SEG names for its source series, derived when the source left them
 * blank (some anonymizers blank Study/Series/SOP Instance UID in the data set).
 *
 * Decisions:
 * - Instances are identified by the SOP Instance UID the loader found: the data set's, or the file
 *   meta's MediaStorageSOPInstanceUID when the data set's is blank. A series where neither
 *   identifies the images is refused by the writer (a SEG must reference its images).
 * - A blank Study or Series Instance UID is derived deterministically, 2.25.<128-bit hash as a
 *   decimal> of the instance UIDs (sorted) and the frame of reference, so every SEG written on the
 *   same series names the same study and series. The caller is told which were derived (a SEG that
 *   names a series its archive does not hold links to nothing until the series is written back
 *   with these UIDs).
 */
import type { VolumeMetadata } from '../../core/types';

export interface SourceUids {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The attributes that were blank in the source and derived here, with the derived UID. */
  derived: { attribute: 'StudyInstanceUID' | 'SeriesInstanceUID'; uid: string }[];
}

/** 128 bits from four differently seeded 32-bit lanes over the text, as 2.25.<decimal> (≤ 44 characters). */
export function uidFromText(purpose: string, text: string): string {
  const input = `${purpose}\u0000${text}`;
  let n = 0n;
  for (let lane = 0; lane < 4; lane++) {
    let h = (0x811c9dc5 ^ Math.imul(lane + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < input.length; i++) {
      h = Math.imul(h ^ input.charCodeAt(i), 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    n = (n << 32n) | BigInt(h >>> 0);
  }
  return `2.25.${(n || 1n).toString(10)}`;
}

/** Instance UIDs the SEG will reference, whether the volume slices are the images or not. */
export function instanceUidsOf(md: Readonly<VolumeMetadata>): string[] {
  return (md.acquisition ? md.acquisition.slices.map((s) => s.sopInstanceUid) : (md.sopInstanceUids ?? [])).filter(
    (u) => u,
  );
}

export function sourceUids(md: Readonly<VolumeMetadata>): SourceUids {
  const basis = [...new Set(instanceUidsOf(md))].sort().join('\\') + `|${md.frameOfReferenceUid ?? ''}`;
  const derived: SourceUids['derived'] = [];
  let studyInstanceUid = md.studyInstanceUid ?? '';
  if (!studyInstanceUid) {
    studyInstanceUid = uidFromText('voxseg source study', basis);
    derived.push({ attribute: 'StudyInstanceUID', uid: studyInstanceUid });
  }
  let seriesInstanceUid = md.seriesInstanceUid ?? '';
  if (!seriesInstanceUid) {
    seriesInstanceUid = uidFromText('voxseg source series', `${studyInstanceUid}|${basis}`);
    derived.push({ attribute: 'SeriesInstanceUID', uid: seriesInstanceUid });
  }
  return { studyInstanceUid, seriesInstanceUid, derived };
}

/** A one-line warning naming the derived UIDs, or undefined when none was derived. */
export function derivedUidsWarning(
  uids: SourceUids,
  where: string,
  fix = 'voxseg export-seg ... --write-ref DIR',
): string | undefined {
  if (!uids.derived.length) return undefined;
  const what = uids.derived.map((d) => `${d.attribute} ${d.uid}`).join(', ');
  return `the source series in ${where} has blank ${uids.derived.map((d) => d.attribute).join(' and ')}: the SEG references derived UIDs (${what}); if the archive needs them to link the SEG to its images, write the series back with them (${fix})`;
}
