/**
 * Pure helpers for the label map overlay: the colour table Cornerstone reads by label value.
 * (Overlays are never resampled: whether a layer lies on the study's grid is `gridMismatch`
 * in src/volume/grid.ts.)
 */

/** One label value of a label map, as the overlay shows it. */
export interface SegmentInfo {
  /** Label value in the voxels (1..65535; 0 is background). */
  value: number;
  name: string;
  /** RGB 0..255. */
  color: [number, number, number];
  /** Label layer holding it (default 0); segments in different layers may overlap. */
  layer?: number;
}

/** RGBA 0..255, indexed by label value. */
export type ColorTable = [number, number, number, number][];

/**
 * Colour table indexed by label value: entry 0 (background) and values without a segment are
 * transparent, each segment's value gets its colour, fully opaque (the overlay's opacity is
 * applied on top). Length = largest value + 1.
 */
export function colorTable(segments: readonly SegmentInfo[]): ColorTable {
  for (const s of segments) {
    if (!Number.isInteger(s.value) || s.value < 1 || s.value > 65535)
      throw new Error(`segment ${JSON.stringify(s.name)}: label value must be an integer in 1..65535, got ${s.value}`);
  }
  const max = segments.reduce((m, s) => Math.max(m, s.value), 0);
  const table: ColorTable = Array.from({ length: max + 1 }, () => [0, 0, 0, 0]);
  for (const s of segments) table[s.value] = [s.color[0], s.color[1], s.color[2], 255];
  return table;
}
