/**
 * Lookup tables of an image: PALETTE COLOR LUTs, the Modality LUT Sequence (0028,3000), and the
 * display windows the file offers (WindowCenter/Width values with their explanations, VOI LUT
 * Sequence items). Read from the header at scan time; applied to decoded frames at load time.
 *
 * Decisions (pydicom's apply_color_lut / apply_modality_lut are the reference):
 * - Values below the first mapped value take the first entry, values past the table the last.
 * - Palette: the entry size is the data length / entries (8-bit entries stored in 16-bit words
 *   keep their word value, as pydicom reads them); segmented palettes are refused with a reason.
 *   The RGB result is then handled like any RGB image (luminance, see values.ts).
 * - A Modality LUT replaces RescaleSlope/Intercept; its output can exceed int16, so writers check.
 * - A VOI LUT Sequence item (a table, not a window) is approximated by the window spanning the
 *   inputs over which the table rises from its lowest to its highest output.
 */
import type { DataSet } from 'dicom-parser';
import { str, us } from './dsread';

export interface Lut {
  /** First mapped stored value. */
  first: number;
  data: Uint16Array;
}

export interface PaletteLuts {
  red: Lut;
  green: Lut;
  blue: Lut;
}

export interface WindowPreset {
  center: number;
  width: number;
  name?: string;
}

export interface ImageLuts {
  palette?: PaletteLuts;
  /** Why a PALETTE COLOR image cannot be shown (segmented or missing tables). */
  paletteProblem?: string;
  modality?: Lut;
  windows: WindowPreset[];
}

function signedFirst(v: number, signed: boolean): number {
  return signed && v >= 0x8000 ? v - 0x10000 : v;
}

/** A LUT from its descriptor (entries, first mapped, bits) and its data element, or why it is unusable. */
function readLut(ds: DataSet, descTag: string, dataTag: string, signed: boolean, bigEndian: boolean): Lut | string {
  const desc = ds.elements[descTag];
  const el = ds.elements[dataTag];
  if (!desc || desc.length < 6) return 'its LUT descriptor is missing';
  if (!el || !el.length) return 'its LUT data is missing';
  const entries = ds.uint16(descTag, 0) || 65536;
  const first = signedFirst(ds.uint16(descTag, 1) ?? 0, signed);
  const bytes = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  const data = new Uint16Array(entries);
  // Entry size from the data length (pydicom does the same): 16-bit words, else bytes.
  if (bytes.length >= 2 * entries) {
    for (let i = 0; i < entries; i++) {
      data[i] = bigEndian ? (bytes[2 * i] << 8) | bytes[2 * i + 1] : bytes[2 * i] | (bytes[2 * i + 1] << 8);
    }
  } else if (bytes.length >= entries) {
    for (let i = 0; i < entries; i++) data[i] = bytes[i];
  } else {
    return `its LUT data holds ${bytes.length} bytes for ${entries} entries`;
  }
  return { first, data };
}

/** Window presets from WindowCenter/Width (+ explanations) and VOI LUT Sequence items. */
function readWindows(ds: DataSet, signed: boolean, bigEndian: boolean): WindowPreset[] {
  const list = (tag: string) =>
    str(ds, tag)
      .split('\\')
      .map((s) => s.trim());
  const centers = list('x00281050').map(Number);
  const widths = list('x00281051').map(Number);
  const names = list('x00281055');
  const out: WindowPreset[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    if (!Number.isFinite(centers[i]) || !(widths[i] > 0)) continue;
    out.push({ center: centers[i], width: widths[i], ...(names[i] ? { name: names[i] } : {}) });
  }
  for (const item of ds.elements.x00283010?.items ?? []) {
    const lut = item.dataSet && readLut(item.dataSet, 'x00283002', 'x00283006', signed, bigEndian);
    if (!lut || typeof lut === 'string' || lut.data.length < 2) continue;
    const d = lut.data;
    let lo = d[0];
    let hi = d[0];
    for (const v of d) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi === lo) continue;
    const i0 = Math.max(0, d.findIndex((v) => v > lo) - 1);
    let i1 = d.length - 1;
    while (i1 > 0 && d[i1 - 1] === hi) i1--;
    const name = str(item.dataSet, 'x00283003') || 'VOI LUT';
    out.push({ center: lut.first + (i0 + i1) / 2, width: Math.max(1, i1 - i0), name: `${name} (table, approximated)` });
  }
  return out;
}

/** Lookup tables of a dataset (`signed`: PixelRepresentation 1). */
export function readImageLuts(ds: DataSet, photometric: string, signed: boolean, bigEndian: boolean): ImageLuts {
  const luts: ImageLuts = { windows: readWindows(ds, signed, bigEndian) };
  if (photometric === 'PALETTE COLOR') {
    if (ds.elements.x00281221 || ds.elements.x00281222 || ds.elements.x00281223) {
      luts.paletteProblem = 'segmented palette colour lookup tables are not supported';
    } else {
      const ch = ['Red', 'Green', 'Blue'].map(
        (c, i) => [c, readLut(ds, `x0028110${i + 1}`, `x0028120${i + 1}`, signed, bigEndian)] as const,
      );
      const bad = ch.find(([, l]) => typeof l === 'string');
      if (bad) luts.paletteProblem = `the ${bad[0]} palette colour lookup table is unusable: ${bad[1] as string}`;
      else luts.palette = { red: ch[0][1] as Lut, green: ch[1][1] as Lut, blue: ch[2][1] as Lut };
    }
  }
  const mod = ds.elements.x00283000?.items?.[0]?.dataSet;
  if (mod) {
    const lut = readLut(mod, 'x00283002', 'x00283006', signed, bigEndian);
    if (typeof lut !== 'string') luts.modality = lut;
  }
  return luts;
}

const lookup = (lut: Lut, v: number) => {
  const i = v - lut.first;
  return lut.data[i < 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i];
};

/** Stored values through a Modality LUT (new Float32Array, values as the table gives them). */
export function applyModalityLut(px: ArrayLike<number>, lut: Lut): Float32Array {
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = lookup(lut, px[i]);
  return out;
}

/** Palette indices -> interleaved RGB (Uint16Array, the tables' values). */
export function applyPalette(px: ArrayLike<number>, p: PaletteLuts): Uint16Array {
  const out = new Uint16Array(px.length * 3);
  for (let i = 0; i < px.length; i++) {
    out[3 * i] = lookup(p.red, px[i]);
    out[3 * i + 1] = lookup(p.green, px[i]);
    out[3 * i + 2] = lookup(p.blue, px[i]);
  }
  return out;
}

/** The largest value a Modality LUT can produce (for the dtype choice). */
export function lutMax(lut: Lut): number {
  let m = 0;
  for (const v of lut.data) if (v > m) m = v;
  return m;
}
