/**
 * The series metadata of a WADO-RS answer (DICOM JSON, PS3.18 F.2) as DICOM headers, so that the
 * series is planned (geometry, slice order, dtype, warnings) by the same `io/dicom` code as local
 * files (`parseBytes` + `planSeries`) before any pixel arrives.
 *
 * Decisions:
 * - Each instance's JSON is written back as the start of a Part-10 file (file meta group, then the
 *   dataset in Explicit VR Little Endian) and read by the one header parser: no second reader of
 *   DICOM attributes to keep in step with the first.
 * - Strings are written as UTF-8 under SpecificCharacterSet 'ISO_IR 192' (JSON holds Unicode);
 *   PN from its Alphabetic group; IS/DS as text; US/SS/UL/SL/FL/FD/SV/UV/AT in binary; sequences
 *   nested with defined lengths; InlineBinary decoded. Values given by BulkDataURI are left out,
 *   except the pixel data element, written empty (its tag and VR say what kind of pixels come).
 * - The file meta says Explicit VR Little Endian whatever the instance's own transfer syntax: the
 *   plan needs no pixel encoding, and each instance is scanned again from its own bytes when it
 *   arrives (see io/dicom/progressive.ts).
 */
import { concatBytes } from '../../core/bytes';
import { parseBytes } from '../dicom/parse';
import { planSeries, type SeriesInfo } from '../dicom/scan';
import type { ScannedFile } from '../dicom/group';
import { memorySource } from '../dicom/source';
import { T, str } from './json';
import type { DicomJson } from './types';

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const BYTES = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBERS: Record<string, [number, (dv: DataView, o: number, v: number) => void]> = {
  US: [2, (dv, o, v) => dv.setUint16(o, v, true)],
  SS: [2, (dv, o, v) => dv.setInt16(o, v, true)],
  UL: [4, (dv, o, v) => dv.setUint32(o, v, true)],
  SL: [4, (dv, o, v) => dv.setInt32(o, v, true)],
  FL: [4, (dv, o, v) => dv.setFloat32(o, v, true)],
  FD: [8, (dv, o, v) => dv.setFloat64(o, v, true)],
  SV: [8, (dv, o, v) => dv.setBigInt64(o, BigInt(Math.trunc(v)), true)],
  UV: [8, (dv, o, v) => dv.setBigUint64(o, BigInt(Math.trunc(v)), true)],
};
const PIXEL_TAGS = new Set(['7FE00008', '7FE00009', '7FE00010']);
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const utf8 = new TextEncoder();

/** The series planned from its metadata (one SeriesInfo per volume, as scanFiles would give). */
export function planFromMetadata(metadata: DicomJson[], nameOf: (sopInstanceUid: string) => string): SeriesInfo[] {
  const scanned: ScannedFile[] = [];
  for (const ds of metadata) {
    const name = nameOf(str(ds, T.SOPInstanceUID));
    const bytes = jsonToPart10(ds);
    try {
      const { header } = parseBytes(bytes, name, true);
      if (header.rows && header.columns) scanned.push({ file: memorySource(name, bytes), header });
    } catch {
      // an instance whose metadata does not read is left to the files themselves
    }
  }
  return planSeries(scanned);
}

/** One instance's DICOM JSON as the start of a Part-10 file (no pixel data). */
export function jsonToPart10(ds: DicomJson): Uint8Array {
  const meta = concatBytes([
    element('00020001', 'OB', new Uint8Array([0, 1])),
    element('00020002', 'UI', text('UI', [str(ds, '00080016')])),
    element('00020003', 'UI', text('UI', [str(ds, T.SOPInstanceUID)])),
    element('00020010', 'UI', text('UI', [EXPLICIT_VR_LE])),
  ]);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, meta.length, true);
  const prefix = new Uint8Array(132);
  prefix.set(utf8.encode('DICM'), 128);
  const body = dataset({ ...ds, '00080005': { vr: 'CS', Value: ['ISO_IR 192'] } });
  return concatBytes([prefix, element('00020000', 'UL', length), meta, body]);
}

function dataset(ds: DicomJson): Uint8Array {
  const tags = Object.keys(ds)
    .filter((t) => /^[0-9A-Fa-f]{8}$/.test(t) && !t.startsWith('0002') && !t.endsWith('0000'))
    .sort((a, b) => parseInt(a, 16) - parseInt(b, 16));
  const out: Uint8Array[] = [];
  for (const tag of tags) {
    const el = ds[tag];
    const value = valueOf(tag.toUpperCase(), el);
    if (value === null) continue;
    const vr = /^[A-Z]{2}$/.test(el.vr ?? '') ? el.vr : 'UN';
    if (!LONG.has(vr) && value.length > 0xffff) continue;
    out.push(element(tag, vr, value));
  }
  return concatBytes(out);
}

/** The element's value bytes (even length), or null to leave it out. */
function valueOf(tag: string, el: DicomJson[string]): Uint8Array | null {
  const vr = el.vr;
  if (PIXEL_TAGS.has(tag)) return new Uint8Array(0);
  if (el.BulkDataURI !== undefined) return null;
  if (el.InlineBinary !== undefined) return BYTES.has(vr) ? pad(base64(el.InlineBinary), 0) : null;
  const v = Array.isArray(el.Value) ? el.Value : [];
  if (vr === 'SQ') {
    const items = v.map((item) => {
      const body = item && typeof item === 'object' ? dataset(item as DicomJson) : new Uint8Array(0);
      return concatBytes([header('FFFEE000', body.length), body]);
    });
    return concatBytes(items);
  }
  const num = NUMBERS[vr];
  if (num) {
    const [size, set] = num;
    const nums = v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    const bytes = new Uint8Array(nums.length * size);
    const dv = new DataView(bytes.buffer);
    nums.forEach((x, i) => set(dv, i * size, x));
    return bytes;
  }
  if (vr === 'AT') {
    const ats = v.filter((x): x is string => typeof x === 'string' && /^[0-9A-Fa-f]{8}$/.test(x));
    const bytes = new Uint8Array(ats.length * 4);
    const dv = new DataView(bytes.buffer);
    ats.forEach((x, i) => {
      dv.setUint16(i * 4, parseInt(x.slice(0, 4), 16), true);
      dv.setUint16(i * 4 + 2, parseInt(x.slice(4), 16), true);
    });
    return bytes;
  }
  if (BYTES.has(vr)) return null;
  return text(vr, v);
}

/** String values joined with '\\', UTF-8, padded to even length (UI with NUL, others with space). */
function text(vr: string, v: unknown[]): Uint8Array {
  const s = v
    .map((x) => {
      if (x === null || x === undefined) return '';
      if (typeof x === 'object') return String((x as { Alphabetic?: string }).Alphabetic ?? '');
      return String(x);
    })
    .join('\\');
  return pad(utf8.encode(s), vr === 'UI' ? 0 : 0x20);
}

function pad(bytes: Uint8Array, fill: number): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = fill;
  return out;
}

function element(tag: string, vr: string, value: Uint8Array): Uint8Array {
  const long = LONG.has(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, parseInt(tag.slice(0, 4), 16), true);
  dv.setUint16(2, parseInt(tag.slice(4), 16), true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, value.length, true);
  else dv.setUint16(6, value.length, true);
  return concatBytes([head, value]);
}

/** An item (or delimiter) header: tag + 32-bit length, no VR. */
function header(tag: string, length: number): Uint8Array {
  const head = new Uint8Array(8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, parseInt(tag.slice(0, 4), 16), true);
  dv.setUint16(2, parseInt(tag.slice(4), 16), true);
  dv.setUint32(4, length, true);
  return head;
}

function base64(s: string): Uint8Array {
  const bin = atob(s.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
