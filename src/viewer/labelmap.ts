/**
 * Pure helpers for the label map overlay: the colour table Cornerstone reads by label value, and
 * the check that a label map lies on the study's grid (overlays are never resampled).
 */
import type { VolumeHeader } from '../core/types';

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
    if (!Number.isInteger(s.value) || s.value < 1 || s.value > 65535) throw new Error(`segment ${JSON.stringify(s.name)}: label value must be an integer in 1..65535, got ${s.value}`);
  }
  const max = segments.reduce((m, s) => Math.max(m, s.value), 0);
  const table: ColorTable = Array.from({ length: max + 1 }, () => [0, 0, 0, 0]);
  for (const s of segments) table[s.value] = [s.color[0], s.color[1], s.color[2], 255];
  return table;
}

/**
 * Why `labels` cannot be overlaid on `study` (dims differ, or spacing / origin / direction differ
 * by more than round-off of DICOM decimal strings), or null when the grids are the same.
 */
export function gridMismatch(labels: VolumeHeader, study: VolumeHeader): string | null {
  const fmt = (v: readonly number[]) => v.map((x) => +x.toFixed(4)).join(', ');
  if (labels.dims.some((d, i) => d !== study.dims[i])) return `label map is ${labels.dims.join('×')} voxels, the study ${study.dims.join('×')}`;
  if (labels.spacing.some((s, i) => Math.abs(s - study.spacing[i]) > 1e-3 * study.spacing[i] + 1e-5))
    return `label map spacing (${fmt(labels.spacing)}) differs from the study's (${fmt(study.spacing)}) mm`;
  const tolerance = 0.05 * Math.min(...study.spacing);
  if (Math.hypot(...labels.origin.map((o, i) => o - study.origin[i])) > tolerance)
    return `label map origin (${fmt(labels.origin)}) differs from the study's (${fmt(study.origin)}) mm`;
  if (labels.direction.some((d, i) => Math.abs(d - study.direction[i]) > 1e-3))
    return `label map direction (${fmt(labels.direction)}) differs from the study's (${fmt(study.direction)})`;
  return null;
}
