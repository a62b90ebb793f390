/**
 * Segment numbers of a SEG, checked so that no segment is lost or merged silently:
 * - a segment without SegmentNumber, or two segments with the same number: an error (frames name
 *   their segment by number only, so they could not be told apart);
 * - SegmentNumber 0 (numbers start at 1; voxseg's label value 0 is background): the segment is
 *   read under the next free number, warned. In a label map whose background value is 0 it is an
 *   error (its pixels are the background's);
 * - after the frames are read (`finishNumbers`): a number that frames (or label map pixels) use but
 *   SegmentSequence does not describe becomes a placeholder segment 'Segment N' (warned), and a
 *   described segment that no frame holds is warned about as empty.
 */
import type { DataSet } from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import { us } from '../dicom/dsread';
import { TISSUE } from './codes';
import type { SegSegment } from './types';

const quote = (s: SegSegment) => JSON.stringify(s.label);

/**
 * Validate the numbers of `segments` (in SegmentSequence order, as readSegments gave them) and
 * renumber a segment 0. Returns file number -> number in the result.
 */
export function checkSegmentNumbers(
  ds: DataSet,
  segments: SegSegment[],
  background: number | undefined,
  file: string,
  warn: (w: string) => void,
): Map<number, number> {
  const items = (ds.elements['x00620002']?.items ?? []).filter((it) => it.dataSet);
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-volume', msg, { file });
  };
  const seen = new Map<number, SegSegment>();
  segments.forEach((s, i) => {
    const raw = items[i]?.dataSet ? us(items[i].dataSet!, 'x00620004') : undefined;
    if (raw === undefined)
      fail(`segment ${i + 1} of SegmentSequence (${quote(s)}) has no SegmentNumber: its frames cannot be found`);
    const other = seen.get(raw!);
    if (other)
      fail(
        `segments ${quote(other)} and ${quote(s)} both have SegmentNumber ${raw}: their frames cannot be told apart`,
      );
    seen.set(raw!, s);
  });
  const map = new Map<number, number>([...seen.keys()].map((n) => [n, n]));
  const zero = seen.get(0);
  if (zero) {
    if (background === 0) fail(`segment ${quote(zero)} has SegmentNumber 0, which is the label map's background value`);
    const next = Math.max(...seen.keys()) + 1;
    if (next > 65535) fail(`segment ${quote(zero)} has SegmentNumber 0 and no free number is left to read it under`);
    warn(`segment ${quote(zero)}: SegmentNumber 0 is not valid (numbers start at 1); read as segment ${next}`);
    zero.number = next;
    map.set(0, next);
  }
  return map;
}

/**
 * After the frames: `used` holds every file number that frames or pixels carry, with its voxel count.
 * Adds placeholder segments for undescribed numbers (mapping them to themselves, or to a free number
 * when taken) and warns about described segments with no voxels. Returns the final segment list.
 */
export function finishNumbers(
  segments: SegSegment[],
  map: Map<number, number>,
  used: Map<number, number>,
  labelmap: boolean,
  warn: (w: string) => void,
): SegSegment[] {
  const out = [...segments];
  const taken = new Set(out.map((s) => s.number));
  for (const [n, voxels] of [...used].sort((a, b) => a[0] - b[0])) {
    if (map.has(n)) continue;
    let to = n;
    while (taken.has(to) || to === 0) to++;
    const where = labelmap ? `${voxels} pixel(s) have value ${n}` : `frames name segment ${n}`;
    warn(
      `${where}, which SegmentSequence does not describe: kept as ${JSON.stringify(`Segment ${to}`)} (${voxels} voxel(s), coded as Tissue)`,
    );
    out.push({ number: to, label: `Segment ${to}`, category: TISSUE, type: TISSUE, algorithmType: 'MANUAL' });
    taken.add(to);
    map.set(n, to);
  }
  for (const [n, to] of map) {
    if ((used.get(n) ?? 0) > 0) continue;
    const s = out.find((x) => x.number === to)!;
    const why = labelmap
      ? `no pixel has value ${n}`
      : used.has(n)
        ? 'its frames hold no voxel'
        : 'no frame references it';
    warn(`segment ${to} (${s.label}): ${why}; it is empty`);
  }
  return out;
}
