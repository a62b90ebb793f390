/**
 * A DICOM Part 10 encoder (explicit VR little endian, defined lengths) for the SEG writer's
 * keyword datasets, in time linear in the output size.
 *
 * Why not dcmjs's writer: it grows and copies its buffers per nested item, so a SEG of 16,384
 * frames (4,096 segments) took minutes. dcmjs's dictionary still gives each keyword its tag and
 * VR; 'xs' (US or SS) is written US and 'ox' (OB or OW) comes from `vrs` (default OB).
 *
 * Values: strings and numbers (or arrays of them) for the string and binary number VRs, AT as the
 * 32-bit tag number, arrays of keyword datasets for SQ, an ArrayBuffer or Uint8Array (or a
 * one-element array of one) for OB/OW. Elements are written in tag order; strings are padded to an
 * even length (UI with NUL, others with a space). Strings must already be ASCII.
 */
// @ts-ignore -- dcmjs ships no type declarations; only its dictionary is used here.
import * as dcmjsModule from 'dcmjs';
import { VoxsegError } from '../../core/errors';

interface DictEntry {
  tag: string;
  vr: string;
}
const dcmjs = ((dcmjsModule as unknown as { default?: unknown }).default ?? dcmjsModule) as {
  data: { DicomMetaDictionary: { nameMap: Record<string, DictEntry | undefined> } };
};
const nameMap = dcmjs.data.DicomMetaDictionary.nameMap;

export type KeywordDataset = Record<string, unknown>;

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const NUMERIC: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 };
const ENC = new TextEncoder();

/** One growing buffer; sequence and item lengths are patched in once their content is written. */
class Writer {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  at = 0;
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** Tag and VR, then the length: returns where the length is, to patch (-1: written). */
  header(tag: number, vr: string, length: number): number {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
    this.room(2);
    this.buf[this.at++] = vr.charCodeAt(0);
    this.buf[this.at++] = vr.charCodeAt(1);
    if (LONG.has(vr)) {
      this.u16(0);
      this.u32(length);
      return this.at - 4;
    }
    if (length > 0xffff) throw new VoxsegError('usage', `internal: value too long for VR ${vr}`);
    this.u16(length);
    return -1;
  }
  patch(pos: number): void {
    this.view.setUint32(pos, this.at - pos - 4, true);
  }
}

const known = new Map<string, { tag: number; vr: string }>();
function tagOf(keyword: string): { tag: number; vr: string } {
  let t = known.get(keyword);
  if (!t) {
    const e = nameMap[keyword];
    if (!e) throw new VoxsegError('usage', `internal: unknown DICOM keyword ${keyword}`);
    t = { tag: parseInt(e.tag.replace(/[(),]/g, ''), 16), vr: e.vr };
    known.set(keyword, t);
  }
  return t;
}

function bytesOf(value: unknown): Uint8Array {
  const v = Array.isArray(value) ? value[0] : value;
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new VoxsegError('usage', 'internal: OB/OW value must be bytes');
}

function element(w: Writer, keyword: string, value: unknown, vrs: Record<string, string>): void {
  const { tag, vr: dictVr } = tagOf(keyword);
  const vr = vrs[keyword] ?? (dictVr === 'xs' ? 'US' : dictVr === 'ox' ? 'OB' : dictVr.slice(0, 2));
  if (vr === 'SQ') {
    const seqLength = w.header(tag, vr, 0);
    for (const item of value as KeywordDataset[]) {
      w.u16(0xfffe);
      w.u16(0xe000);
      w.u32(0);
      const itemLength = w.at - 4;
      dataset(w, item, vrs);
      w.patch(itemLength);
    }
    w.patch(seqLength);
    return;
  }
  const list = Array.isArray(value) ? value : [value];
  const size = NUMERIC[vr];
  if (size) {
    w.header(tag, vr, list.length * size);
    w.room(list.length * size);
    for (const x of list.map(Number)) {
      if (vr === 'US') w.view.setUint16(w.at, x, true);
      else if (vr === 'SS') w.view.setInt16(w.at, x, true);
      else if (vr === 'UL') w.view.setUint32(w.at, x, true);
      else if (vr === 'SL') w.view.setInt32(w.at, x, true);
      else if (vr === 'FL') w.view.setFloat32(w.at, x, true);
      else if (vr === 'FD') w.view.setFloat64(w.at, x, true);
      else {
        w.view.setUint16(w.at, x >>> 16, true); // AT: group, then element
        w.view.setUint16(w.at + 2, x & 0xffff, true);
      }
      w.at += size;
    }
    return;
  }
  const pad = vr === 'UI' || vr === 'OB' || vr === 'UN' ? 0 : 0x20;
  if (vr === 'OB' || vr === 'OW' || vr === 'UN') {
    const body = bytesOf(value);
    w.header(tag, vr, body.length + (body.length & 1));
    w.bytes(body);
    if (body.length & 1) w.bytes(Uint8Array.of(pad));
    return;
  }
  const text = list.length === 1 ? String(list[0]) : list.map(String).join('\\');
  const n = text.length + (text.length & 1);
  w.header(tag, vr, n);
  w.room(n);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e) throw new VoxsegError('usage', `internal: non-ASCII text in ${keyword}`);
    w.buf[w.at++] = c;
  }
  if (text.length & 1) w.buf[w.at++] = pad;
}

function dataset(w: Writer, ds: KeywordDataset, vrs: Record<string, string>): void {
  const keys = Object.keys(ds)
    .filter((k) => ds[k] !== undefined)
    .map((k) => ({ k, tag: tagOf(k).tag }))
    .sort((a, b) => a.tag - b.tag);
  for (const { k } of keys) element(w, k, ds[k], vrs);
}

/** Preamble, 'DICM', file meta (group length added) and the data set, explicit VR little endian. */
export function encodePart10(meta: KeywordDataset, ds: KeywordDataset, vrs: Record<string, string> = {}): Uint8Array {
  const w = new Writer();
  w.room(132);
  w.buf.set(ENC.encode('DICM'), 128);
  w.at = 132;
  w.header(0x00020000, 'UL', 4);
  w.u32(0);
  const groupLength = w.at - 4;
  dataset(w, meta, vrs);
  w.patch(groupLength);
  dataset(w, ds, vrs);
  return w.buf.slice(0, w.at);
}
