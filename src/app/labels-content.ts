/**
 * Label maps that become a study's segmentation (a model's result, the demo's true labels, an
 * import), and the segment metadata made for them when they come without it: named and coloured
 * from the model's label table (with its SNOMED-CT codes), AUTOMATIC results proposed for review.
 */
import type { Volume } from '../core/types';
import type { AlgorithmType, Segment } from '../volume/segments';
import type { SegmentInfo } from '../viewer';

export interface LabelContent {
  /** The image the labels lie on (the study or an image of it on its grid). */
  study: Volume;
  labels: Volume;
  /** Every label layer (segments in different layers may overlap); default `[labels]`. */
  layers?: readonly Volume[];
  segments: readonly (SegmentInfo & { layer?: number })[];
  /** Segment metadata as it was saved (an import); made from `segments` when absent. */
  meta?: readonly Segment[];
  /** Voxels per label value (as the engine counted them). */
  voxelsPerLabel: Readonly<Record<number, number>>;
  /** e.g. "CT tissue bands 1.0.0" or "True labels (demo phantom)". */
  title: string;
  /** One line under the title, e.g. "12 s on WASM, 8 threads". */
  note: string;
  /** How the labels were made (default AUTOMATIC: a model's result, to be reviewed). */
  algorithm?: AlgorithmType;
}

/** Labels of a model manifest may carry SNOMED-CT codes (`code` = the code value). */
interface ManifestCodes {
  category?: { code: string; scheme: string; meaning: string };
  type?: { code: string; scheme: string; meaning: string };
  typeModifier?: { code: string; scheme: string; meaning: string };
}

function toCode(c: ManifestCodes['category']): Segment['category'] {
  return c ? { scheme: c.scheme, value: c.code, meaning: c.meaning } : undefined;
}

/** Fresh copies of the segment metadata for `c` (its `meta`, or made from its label table). */
export function segmentsOf(c: LabelContent): (Segment & { layer?: number })[] {
  if (c.meta) return c.meta.map((s) => ({ ...s, color: [...s.color] as [number, number, number] }));
  const now = new Date().toISOString();
  const algorithm = c.algorithm ?? 'AUTOMATIC';
  return c.segments.map((s) => ({
    value: s.value,
    name: s.name,
    color: [...s.color] as [number, number, number],
    category: toCode((s as ManifestCodes).category),
    type: toCode((s as ManifestCodes).type),
    typeModifier: toCode((s as ManifestCodes).typeModifier),
    algorithm,
    algorithmName: c.title,
    createdAt: now,
    edited: false,
    visible: true,
    locked: false,
    review: algorithm === 'AUTOMATIC' ? ('proposed' as const) : undefined,
    layer: s.layer,
  }));
}
