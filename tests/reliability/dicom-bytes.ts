/**
 * A tiny DICOM Part 10 byte writer for hostile test files (explicit VR little endian, or the
 * deflated syntax). The project's own series writer (dcmjs) refuses or repairs the
 * contradictions the reliability corpus needs (BitsAllocated 1 on 16-bit data, Rows that
 * disagree with the data, encapsulated frames of our choosing, a deflated dataset), so the
 * elements are written here byte by byte: exactly what the case says, nothing checked.
 */
import { concatBytes } from '../../src/core/bytes';
import { deflateRawSync } from 'node:zlib';

export type Value = string | number[] | Uint8Array;
/** One element; `number[]` values are written as the VR says (US, SS, UL, SL, FL, FD). */
export interface Element {
  tag: number; // (group << 16) | element
  vr: string;
  value: Value;
}

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90';
export const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const LONG = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UT', 'UN', 'UC', 'UR']);

function encodeValue(vr: string, value: Value): Uint8Array {
  if (value instanceof Uint8Array) return value.length % 2 ? concatBytes([value, new Uint8Array(1)]) : value;
  if (typeof value === 'string') {
    const pad = vr === 'UI' || vr === 'OB' ? '\0' : ' ';
    const s = value.length % 2 ? value + pad : value;
    return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  }
  const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
  const out = new Uint8Array(value.length * size);
  const dv = new DataView(out.buffer);
  value.forEach((v, i) => {
    if (vr === 'US') dv.setUint16(i * size, v, true);
    else if (vr === 'SS') dv.setInt16(i * size, v, true);
    else if (vr === 'UL') dv.setUint32(i * size, v, true);
    else if (vr === 'SL') dv.setInt32(i * size, v, true);
    else if (vr === 'FL') dv.setFloat32(i * size, v, true);
    else dv.setFloat64(i * size, v, true);
  });
  return out;
}

/** One explicit-VR LE element header with an explicit length (may lie about the value). */
export function elementHeader(tag: number, vr: string, length: number): Uint8Array {
  const long = LONG.has(vr);
  const b = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  b[4] = vr.charCodeAt(0);
  b[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, length >>> 0, true);
  else dv.setUint16(6, length, true);
  return b;
}

function encodeElement(e: Element): Uint8Array {
  const v = encodeValue(e.vr, e.value);
  return concatBytes([elementHeader(e.tag, e.vr, v.length), v]);
}

export function encodeDataset(elements: Element[]): Uint8Array {
  return concatBytes([...elements].sort((a, b) => a.tag - b.tag).map(encodeElement));
}

/** Encapsulated Pixel Data: empty basic offset table, one fragment per frame, delimiter. */
export function encapsulated(frames: Uint8Array[]): Uint8Array {
  const item = (bytes: Uint8Array) => {
    const padded = bytes.length % 2 ? concatBytes([bytes, new Uint8Array(1)]) : bytes;
    const h = new Uint8Array(8);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, 0xfffe, true);
    dv.setUint16(2, 0xe000, true);
    dv.setUint32(4, padded.length, true);
    return concatBytes([h, padded]);
  };
  const end = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return concatBytes([elementHeader(0x7fe00010, 'OB', 0xffffffff), item(new Uint8Array(0)), ...frames.map(item), end]);
}

export interface Part10Options {
  sopClass?: string;
  sopInstance: string;
  transferSyntax?: string;
  /** Bytes appended after the sorted elements (e.g. `encapsulated(...)` or a lying PixelData header). */
  tail?: Uint8Array;
  /** The dataset bytes exactly as they go after the meta group (already deflated, a bomb, ...). */
  body?: Uint8Array;
}

/** Preamble, DICM, file meta group, then the dataset (raw-deflated for the deflated syntax). */
export function part10(elements: Element[], o: Part10Options): Uint8Array {
  const ts = o.transferSyntax ?? EXPLICIT_LE;
  const meta = encodeDataset([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: o.sopClass ?? CT_STORAGE },
    { tag: 0x00020003, vr: 'UI', value: o.sopInstance },
    { tag: 0x00020010, vr: 'UI', value: ts },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.9.7433.1' },
  ]);
  const groupLength = encodeElement({ tag: 0x00020000, vr: 'UL', value: [meta.length] });
  let body = o.body ?? concatBytes([encodeDataset(elements), o.tail ?? new Uint8Array(0)]);
  if (ts === DEFLATED_LE && !o.body) body = deflateRawSync(body);
  const head = new Uint8Array(132);
  head.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concatBytes([head, groupLength, meta, body]);
}

export interface CtSliceSpec {
  rows: number;
  columns: number;
  index: number; // slice number (position z = index * 2.5 mm)
  series: string;
  pixels?: Uint8Array; // native pixel bytes (default: rows*columns int16 ramp)
  /** Replace or add elements by tag (e.g. BitsAllocated 8). */
  override?: Element[];
  description?: string;
}

const UID_ROOT = '1.2.826.0.1.3680043.9.7433.2';

/** The elements of a plain 16-bit CT slice on a 0.9 mm grid, 2.5 mm apart (overridable). */
export function ctElements(s: CtSliceSpec): Element[] {
  const base: Element[] = [
    { tag: 0x00080016, vr: 'UI', value: CT_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: `${UID_ROOT}.${s.series}.${s.index + 1}` },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x0008103e, vr: 'LO', value: s.description ?? 'reliability' },
    { tag: 0x00100010, vr: 'PN', value: 'Reliability^Case' },
    { tag: 0x00100020, vr: 'LO', value: 'REL' },
    { tag: 0x0020000d, vr: 'UI', value: `${UID_ROOT}.1` },
    { tag: 0x0020000e, vr: 'UI', value: `${UID_ROOT}.${s.series}` },
    { tag: 0x00200013, vr: 'IS', value: String(s.index + 1) },
    { tag: 0x00200032, vr: 'DS', value: `-14\\-14\\${(s.index * 2.5).toFixed(1)}` },
    { tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    { tag: 0x00200052, vr: 'UI', value: `${UID_ROOT}.2` },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [s.rows] },
    { tag: 0x00280011, vr: 'US', value: [s.columns] },
    { tag: 0x00280030, vr: 'DS', value: '0.9\\0.9' },
    { tag: 0x00280100, vr: 'US', value: [16] },
    { tag: 0x00280101, vr: 'US', value: [16] },
    { tag: 0x00280102, vr: 'US', value: [15] },
    { tag: 0x00280103, vr: 'US', value: [1] },
    { tag: 0x00281052, vr: 'DS', value: '0' },
    { tag: 0x00281053, vr: 'DS', value: '1' },
  ];
  const byTag = new Map(base.map((e) => [e.tag, e]));
  for (const e of s.override ?? []) byTag.set(e.tag, e);
  return [...byTag.values()];
}

/** int16 ramp pixels (a body-like disc of 40 HU in -1000 HU air) for a rows×columns slice. */
export function rampPixels(rows: number, columns: number, index = 0): Uint8Array {
  const px = new Int16Array(rows * columns);
  for (let j = 0; j < rows; j++)
    for (let i = 0; i < columns; i++) {
      const r = Math.hypot(i - columns / 2, j - rows / 2);
      px[j * columns + i] = r < Math.min(rows, columns) * 0.4 ? 40 + ((i + j + index) % 50) : -1000;
    }
  return new Uint8Array(px.buffer);
}

/** A native (uncompressed) CT slice file. */
export function ctSlice(s: CtSliceSpec, transferSyntax = EXPLICIT_LE): Uint8Array {
  const pixels = s.pixels ?? rampPixels(s.rows, s.columns, s.index);
  const elements = [...ctElements(s), { tag: 0x7fe00010, vr: 'OW', value: pixels }];
  return part10(elements, { sopInstance: `${UID_ROOT}.${s.series}.${s.index + 1}`, transferSyntax });
}

/** A sequence value (defined lengths): pass as `{ vr: 'SQ', value: sequence([[...elements]]) }`. */
export function sequence(items: Element[][]): Uint8Array {
  return concatBytes(
    items.map((elements) => {
      const body = encodeDataset(elements);
      const h = new Uint8Array(8);
      const dv = new DataView(h.buffer);
      dv.setUint16(0, 0xfffe, true);
      dv.setUint16(2, 0xe000, true);
      dv.setUint32(4, body.length, true);
      return concatBytes([h, body]);
    }),
  );
}
