/**
 * Types of the DICOM SEG reader/writer: segments with their coded meaning, the label input of
 * writeSeg (one label map, or several layers so that segments may overlap) and readSeg's result.
 */
import type { Volume } from '../../core/types';

/** A coded concept (one definition, with the segment metadata). */
import type { Code, Rgb } from '../../volume/segments';
export type { Code, Rgb };

export type SegAlgorithmType = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';

export interface SegSegment {
  /** Segment Number, 1..n. */
  number: number;
  label: string;
  /** Display colour, sRGB 0..255 (stored as RecommendedDisplayCIELabValue). */
  color?: Rgb;
  /** Segmented Property Category, e.g. SCT 123037004 'Anatomical Structure'. */
  category: Code;
  /** Segmented Property Type, e.g. SCT 10200004 'Liver'. */
  type: Code;
  typeModifier?: Code;
  anatomicRegion?: Code;
  algorithmType: SegAlgorithmType;
  /** Required (by DICOM) when algorithmType is AUTOMATIC or SEMIAUTOMATIC. */
  algorithmName?: string;
  algorithmVersion?: string;
  description?: string;
}

/** Where a segment's voxels are: voxels of `layer` equal to `value` belong to segment `number`. */
export interface SegLayerEntry {
  layer: number;
  value: number;
  number: number;
}

/**
 * The label input of writeSeg, every volume on the reference grid:
 * - a label map Volume: voxel value v belongs to segment number v;
 * - `{ labels, numbers }`: one label map, value -> segment number;
 * - `{ layers, segments }`: several label maps (e.g. overlapping segments in separate layers);
 *   several entries may name the same segment (their union is written).
 */
export type SegMaskSource =
  | Volume
  | { labels: Volume; numbers: ReadonlyMap<number, number> }
  | { layers: readonly Volume[]; segments: readonly SegLayerEntry[] };

export interface WriteSegOptions {
  seriesDescription?: string;
  /** Default 300. */
  seriesNumber?: number;
  /** Content Creator's Name (a person, PN). */
  contentCreator?: string;
  /** Default 'voxseg'. */
  manufacturer?: string;
  softwareVersion?: string;
  /** Default: deterministic from the reference series and the label content. */
  instanceUid?: string;
  seriesUid?: string;
  /** Content / series date and time (default: now). */
  date?: Date;
  /**
   * Write Label Map Segmentation Storage (SegmentationType LABELMAP: one frame per image, a pixel
   * holds its segment number) instead of BINARY; segments must not overlap.
   */
  labelmap?: boolean;
}

export interface ReadSegResult {
  segments: SegSegment[];
  /** Label maps on the reference grid; a voxel of layer L holds the number of a segment placed in L. */
  layers: Volume[];
  /** Which layer (and value) holds each segment; value = segment number. */
  segmentLayer: SegLayerEntry[];
  warnings: string[];
}
