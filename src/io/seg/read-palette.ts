/**
 * Segment colours from the palette of a PALETTE COLOR label map SEG. Such SEGs (highdicom writes
 * them) may leave out each segment's RecommendedDisplayCIELabValue, the palette being the colour
 * description: the colour of segment N is the palette entry of pixel value N. Only the standard
 * (non-segmented) Red/Green/Blue Palette Color Lookup Tables are read; 16-bit entries are scaled to
 * 8 bits by their high byte. A segment that has its own CIELab colour keeps it.
 */
import type { DataSet } from 'dicom-parser';
import type { SegSegment } from './types';

const CHANNELS = [
  ['x00281101', 'x00281201'],
  ['x00281102', 'x00281202'],
  ['x00281103', 'x00281203'],
] as const;

/** Fill in the colour of segments that have none from the palette; returns how many were filled. */
export function paletteColors(ds: DataSet, segments: SegSegment[]): number {
  const luts = CHANNELS.map(([desc, data]) => {
    const d = ds.elements[desc];
    const el = ds.elements[data];
    if (!d || d.length < 6 || !el || el.length < 2) return undefined;
    const entries = ds.uint16(desc, 0) || 65536;
    const first = ds.uint16(desc, 1) ?? 0;
    const bits = ds.uint16(desc, 2) ?? 16;
    const wide = el.length >= entries * 2;
    const at = (i: number) => (wide ? (ds.uint16(data, i) ?? 0) : ds.byteArray[el.dataOffset + i]);
    const count = wide ? Math.floor(el.length / 2) : el.length;
    return { first, count, at, shift: wide && bits > 8 ? 8 : 0 };
  });
  if (luts.some((l) => !l)) return 0;
  let filled = 0;
  for (const s of segments) {
    if (s.color) continue;
    const rgb = luts.map((l) => {
      const i = Math.min(Math.max(s.number - l!.first, 0), l!.count - 1);
      return l!.at(i) >> l!.shift;
    });
    s.color = [rgb[0], rgb[1], rgb[2]];
    filled++;
  }
  return filled;
}
