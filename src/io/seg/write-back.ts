/**
 * Fill the blank UIDs of a source DICOM file in place of nothing else: Study and Series Instance
 * UID with the ones a SEG derived for its series (`write-uids.ts`), SOP Instance / Class UID with
 * the file meta's (MediaStorageSOPInstanceUID / MediaStorageSOPClassUID), so an archive links the
 * SEG to its images. Only blank or missing values are written; every other byte is kept (pixel
 * data, compressed or not, is copied as is).
 *
 * The patch walks the top-level data set up to (0020,000E) (sequences of undefined length are
 * skipped item by item), then replaces or inserts those elements; the file meta is not changed.
 * Explicit and implicit VR little endian data sets; big endian and deflated files are refused.
 */
import { VoxsegError } from '../../core/errors';

const TARGETS = [0x00080016, 0x00080018, 0x0020000d, 0x0020000e] as const;
const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

export interface FillUids {
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

export interface FilledFile {
  bytes: Uint8Array;
  /** The attributes that were written, e.g. ['SOPInstanceUID', 'SeriesInstanceUID']. */
  filled: string[];
  sopInstanceUid: string;
}

const NAMES: Record<number, string> = {
  0x00080016: 'SOPClassUID',
  0x00080018: 'SOPInstanceUID',
  0x0020000d: 'StudyInstanceUID',
  0x0020000e: 'SeriesInstanceUID',
};

export function fillBlankUids(bytes: Uint8Array, uids: FillUids, file: string): FilledFile {
  const fail = (why: string): never => {
    throw new VoxsegError('unreadable', why, { file });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number, n: number) =>
    String.fromCharCode(...bytes.subarray(at, at + n))
      .replace(/[\0 ]+$/, '')
      .trim();
  if (bytes.length < 144 || text(128, 4) !== 'DICM') fail('not a DICOM Part 10 file (no DICM preamble)');
  // file meta: explicit VR little endian, group 0002
  const meta: Record<number, string> = {};
  let p = 132;
  while (p + 8 <= bytes.length && view.getUint16(p, true) === 0x0002) {
    const tag = (view.getUint16(p, true) << 16) | view.getUint16(p + 2, true);
    const vr = text(p + 4, 2);
    const long = LONG.has(vr);
    const len = long ? view.getUint32(p + 8, true) : view.getUint16(p + 6, true);
    const at = p + (long ? 12 : 8);
    if (at + len > bytes.length) fail('file meta runs past the end of the file');
    if (vr === 'UI') meta[tag >>> 0] = text(at, len);
    p = at + len;
  }
  const ts = meta[0x00020010] ?? '';
  if (ts === '1.2.840.10008.1.2.2' || ts === '1.2.840.10008.1.2.1.99')
    fail(`cannot rewrite a ${ts.endsWith('99') ? 'deflated' : 'big endian'} file in place`);
  const implicit = ts === '1.2.840.10008.1.2';

  /** One element at `q`: tag, VR, value offset and length (0xffffffff: undefined). */
  const read = (q: number) => {
    if (q + 8 > bytes.length) fail('data set ends inside an element header');
    const tag = ((view.getUint16(q, true) << 16) | view.getUint16(q + 2, true)) >>> 0;
    if (implicit || tag >>> 16 === 0xfffe) return { tag, vr: '', at: q + 8, len: view.getUint32(q + 4, true) };
    const vr = text(q + 4, 2);
    if (LONG.has(vr)) return { tag, vr, at: q + 12, len: view.getUint32(q + 8, true) };
    return { tag, vr, at: q + 8, len: view.getUint16(q + 6, true) };
  };
  /** Past an undefined-length value starting at `q` (items up to the sequence delimiter). */
  const skipUndefined = (q: number, depth = 0): number => {
    if (depth > 64) fail('sequences nested too deep');
    for (;;) {
      const e = read(q);
      if (e.tag === 0xfffee0dd) return e.at;
      if (e.tag !== 0xfffee000) fail('malformed sequence of undefined length');
      if (e.len !== 0xffffffff) {
        q = e.at + e.len;
        continue;
      }
      q = e.at;
      for (;;) {
        const n = read(q);
        if (n.tag === 0xfffee00d) {
          q = n.at;
          break;
        }
        q = n.len === 0xffffffff ? skipUndefined(n.at, depth + 1) : n.at + n.len;
      }
    }
  };

  // top-level elements up to the targets: where each target is, or where it would go
  const found = new Map<number, { start: number; end: number; value: string }>();
  const insertAt = new Map<number, number>();
  let q = p;
  while (q < bytes.length) {
    const e = read(q);
    for (const t of TARGETS) if (!found.has(t) && !insertAt.has(t) && e.tag > t) insertAt.set(t, q);
    if (e.tag > TARGETS[TARGETS.length - 1]) break;
    const end = e.len === 0xffffffff ? skipUndefined(e.at) : e.at + e.len;
    if (end > bytes.length) fail(`element (${e.tag.toString(16).padStart(8, '0')}) runs past the end of the file`);
    if ((TARGETS as readonly number[]).includes(e.tag)) found.set(e.tag, { start: q, end, value: text(e.at, e.len) });
    q = end;
  }
  for (const t of TARGETS) if (!found.has(t) && !insertAt.has(t)) insertAt.set(t, q);

  const want: Record<number, string | undefined> = {
    0x00080016: meta[0x00020002],
    0x00080018: meta[0x00020003],
    0x0020000d: uids.studyInstanceUid,
    0x0020000e: uids.seriesInstanceUid,
  };
  const edits: { start: number; end: number; bytes: Uint8Array }[] = [];
  const filled: string[] = [];
  for (const t of TARGETS) {
    const had = found.get(t);
    if (had?.value || !want[t]) continue;
    const value = want[t]!;
    const n = value.length + (value.length & 1);
    const el = new Uint8Array((implicit ? 8 : 8) + n);
    const v = new DataView(el.buffer);
    v.setUint16(0, t >>> 16, true);
    v.setUint16(2, t & 0xffff, true);
    if (implicit) v.setUint32(4, n, true);
    else {
      el[4] = 0x55; // 'U'
      el[5] = 0x49; // 'I'
      v.setUint16(6, n, true);
    }
    for (let i = 0; i < value.length; i++) el[8 + i] = value.charCodeAt(i);
    const start = had ? had.start : insertAt.get(t)!;
    edits.push({ start, end: had ? had.end : start, bytes: el });
    filled.push(NAMES[t]);
  }
  const sopInstanceUid = found.get(0x00080018)?.value || meta[0x00020003] || '';
  if (!edits.length) return { bytes, filled, sopInstanceUid };
  edits.sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const e of edits) {
    parts.push(bytes.subarray(from, e.start), e.bytes);
    from = e.end;
  }
  parts.push(bytes.subarray(from));
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return { bytes: out, filled, sopInstanceUid };
}
