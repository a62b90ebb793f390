/**
 * Siemens CSA header reader (private element (0029,xx10) "CSA Image Header Info", in the block
 * reserved by the private creator "SIEMENS CSA HEADER"). Layout (little endian):
 *   CSA2: 'SV10' + 4 unused bytes, then uint32 nTags, uint32 (77); CSA1: no 'SV10' prefix.
 *   per tag: name[64] (NUL-terminated), int32 vm, vr[4], int32 syngodt, int32 nItems, int32 (77|205)
 *   per item: int32 x[4] (CSA2: x[1] = length; CSA1: x[0] - first tag's nItems), data padded to 4.
 */
import type { DataSet } from 'dicom-parser';

export type CsaHeader = Map<string, string[]>;

const MAX_TAGS = 1000;

/** One character per byte, in chunks: a spread of a megabyte-long string would overflow the stack. */
function bytesToString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode(...b.subarray(i, i + 0x2000));
  return s;
}

function cstr(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && end < b.length && b[end] !== 0) end++;
  return bytesToString(b.subarray(start, end)).trim();
}

/** Parse a CSA header; returns undefined for malformed data (never throws). */
export function parseCsa(b: Uint8Array): CsaHeader | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const csa2 = b.length >= 4 && b[0] === 0x53 && b[1] === 0x56 && b[2] === 0x31 && b[3] === 0x30; // 'SV10'
  let p = csa2 ? 8 : 0;
  if (p + 8 > b.length) return undefined;
  const nTags = dv.getUint32(p, true);
  p += 8;
  if (nTags < 1 || nTags > MAX_TAGS) return undefined;
  const out: CsaHeader = new Map();
  let tag0Items = 0;
  try {
    for (let t = 0; t < nTags; t++) {
      if (p + 84 > b.length) return out.size ? out : undefined;
      const name = cstr(b, p, 64);
      const vm = dv.getInt32(p + 64, true);
      const nItems = dv.getInt32(p + 76, true);
      p += 84;
      if (t === 1) tag0Items = nItems;
      if (nItems < 0 || nItems > MAX_TAGS) return undefined;
      const values: string[] = [];
      const nValues = vm === 0 ? nItems : vm;
      for (let i = 0; i < nItems; i++) {
        if (p + 16 > b.length) return out;
        const x0 = dv.getInt32(p, true);
        const x1 = dv.getInt32(p + 4, true);
        p += 16;
        const len = csa2 ? x1 : x0 - tag0Items;
        if (len < 0 || p + len > b.length) {
          if (csa2) return undefined;
          break;
        }
        if (i < nValues) values.push(cstr(b, p, len));
        p += len + ((4 - (len % 4)) % 4);
      }
      // trailing empty items carry no value
      while (values.length && values[values.length - 1] === '') values.pop();
      out.set(name, values);
    }
  } catch {
    return out.size ? out : undefined;
  }
  return out;
}

/** Find and parse the CSA image header of a dataset (undefined when absent or malformed). */
export function csaImageHeader(ds: DataSet): CsaHeader | undefined {
  for (let block = 0x10; block <= 0xff; block++) {
    const creatorTag = `x002900${block.toString(16).padStart(2, '0')}`;
    const creator = ds.elements[creatorTag] ? (ds.string(creatorTag) ?? '').trim() : '';
    if (creator.toUpperCase() !== 'SIEMENS CSA HEADER') continue;
    const el = ds.elements[`x0029${block.toString(16).padStart(2, '0')}10`];
    if (!el || el.length <= 0 || el.length === 0xffffffff) return undefined;
    const bytes = (ds.byteArray as Uint8Array).subarray(el.dataOffset, el.dataOffset + el.length);
    return parseCsa(bytes);
  }
  return undefined;
}

export function csaNumbers(csa: CsaHeader | undefined, name: string): number[] | undefined {
  const v = csa?.get(name);
  if (!v || !v.length) return undefined;
  const n = v.map((s) => Number.parseFloat(s));
  return n.every(Number.isFinite) ? n : undefined;
}
