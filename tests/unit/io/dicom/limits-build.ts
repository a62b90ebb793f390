/**
 * Test helper: a minimal explicit VR little endian Part 10 writer for one CT slice whose header
 * attributes can contradict its pixel data, plus deflated and gzip-wrapped variants.
 */
import { concatBytes } from '../../../../src/core/bytes';
import { deflateRawSync, gzipSync } from 'node:zlib';

export interface Attr {
  tag: number;
  vr: string;
  value: string | number[] | Uint8Array;
}

const LONG = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function value(a: Attr): Uint8Array {
  if (a.value instanceof Uint8Array) return a.value.length % 2 ? concatBytes([a.value, new Uint8Array(1)]) : a.value;
  if (Array.isArray(a.value)) {
    const out = new Uint8Array(a.value.length * 2);
    a.value.forEach((v, i) => new DataView(out.buffer).setUint16(2 * i, v, true));
    return out;
  }
  let s = a.value;
  if (s.length % 2) s += a.vr === 'UI' ? '\0' : ' ';
  return new TextEncoder().encode(s);
}

function encode(attrs: Attr[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const a of [...attrs].sort((x, y) => x.tag - y.tag)) {
    const v = value(a);
    const head = new Uint8Array(LONG.has(a.vr) ? 12 : 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, a.tag >>> 16, true);
    dv.setUint16(2, a.tag & 0xffff, true);
    head[4] = a.vr.charCodeAt(0);
    head[5] = a.vr.charCodeAt(1);
    if (LONG.has(a.vr)) dv.setUint32(8, v.length, true);
    else dv.setUint16(6, v.length, true);
    parts.push(head, v);
  }
  return concatBytes(parts);
}

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED = '1.2.840.10008.1.2.1.99';

export interface SliceOptions {
  rows?: number;
  cols?: number;
  bitsAllocated?: number;
  /** Pixel bytes (default rows x cols int16 ramp). */
  pixels?: Uint8Array;
  /** Attributes replacing or adding to the defaults, by tag. */
  override?: Attr[];
  syntax?: string;
  /** Bytes appended after the pixel data element (e.g. a long private element). */
  trailer?: Attr[];
}

/** Rows x cols 16-bit ramp. */
export function ramp(rows: number, cols: number): Uint8Array {
  const px = new Uint8Array(rows * cols * 2);
  const dv = new DataView(px.buffer);
  for (let i = 0; i < rows * cols; i++) dv.setInt16(2 * i, (i % 2000) - 1000, true);
  return px;
}

/** One CT slice as a Part 10 file. */
export function ctSlice(o: SliceOptions = {}): Uint8Array {
  const rows = o.rows ?? 8;
  const cols = o.cols ?? 8;
  const base: Attr[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.4.1' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3.1' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.3.1.1' },
    { tag: 0x00200013, vr: 'IS', value: '1' },
    { tag: 0x00200032, vr: 'DS', value: '0\\0\\0' },
    { tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    { tag: 0x00200052, vr: 'UI', value: '1.2.3.9' },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [rows] },
    { tag: 0x00280011, vr: 'US', value: [cols] },
    { tag: 0x00280030, vr: 'DS', value: '0.5\\0.5' },
    { tag: 0x00280100, vr: 'US', value: [o.bitsAllocated ?? 16] },
    { tag: 0x00280101, vr: 'US', value: [o.bitsAllocated ?? 16] },
    { tag: 0x00280102, vr: 'US', value: [(o.bitsAllocated ?? 16) - 1] },
    { tag: 0x00280103, vr: 'US', value: [1] },
    { tag: 0x00281052, vr: 'DS', value: '-1024' },
    { tag: 0x00281053, vr: 'DS', value: '1' },
    { tag: 0x7fe00010, vr: 'OW', value: o.pixels ?? ramp(rows, cols) },
  ];
  const over = new Map((o.override ?? []).map((a) => [a.tag, a]));
  const attrs = [...base.filter((a) => !over.has(a.tag)), ...over.values(), ...(o.trailer ?? [])];
  const syntax = o.syntax ?? EXPLICIT_LE;
  const meta = encode([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.2' },
    { tag: 0x00020003, vr: 'UI', value: '1.2.3.4.1' },
    { tag: 0x00020010, vr: 'UI', value: syntax },
    { tag: 0x00020012, vr: 'UI', value: '1.2.3.999' },
  ]);
  const fixedGL = new Uint8Array([0x02, 0, 0, 0, 0x55, 0x4c, 4, 0, 0, 0, 0, 0]); // (0002,0000) UL, length 4
  new DataView(fixedGL.buffer).setUint32(8, meta.length, true);
  let body = encode(attrs);
  if (syntax === DEFLATED) body = deflateRawSync(body, { level: 9 });
  const pre = new Uint8Array(132);
  pre.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concatBytes([pre, fixedGL, meta, body]);
}

export const gzip = (b: Uint8Array) => new Uint8Array(gzipSync(b, { level: 9 }));
