/**
 * Segment metadata between the editor's model and the exchange formats: DICOM SEG segments
 * (numbered 1..n, coded) and the JSON label table written beside a NIfTI label map.
 */
import type { Volume } from '../../core/types';
import { codesForName } from '../../io/seg/codes';
import { readLabelTable, writeLabelTable, type LabelTableEntry } from '../../io/seg/label-table';
import type { SegLayerEntry, SegSegment } from '../../io/seg/types';
import { countLabels } from '../../volume/labels';
import { segmentColor, type LayeredSegment } from '../../volume/segments';

/** SEG segments numbered 1..n in list order, and where each one's voxels are. */
export function toSegSegments(segments: readonly LayeredSegment[]): {
  segSegments: SegSegment[];
  entries: SegLayerEntry[];
} {
  const segSegments: SegSegment[] = [];
  const entries: SegLayerEntry[] = [];
  segments.forEach((s, i) => {
    const codes = codesForName(s.name);
    const number = i + 1;
    segSegments.push({
      number,
      label: s.name,
      color: [...s.color] as [number, number, number],
      category: s.category ?? codes.category,
      type: s.type ?? codes.type,
      // A segment's own type keeps its own modifier (or none); a guessed type brings the guess's.
      ...((s.type ? s.typeModifier : codes.typeModifier)
        ? { typeModifier: s.type ? s.typeModifier : codes.typeModifier }
        : {}),
      algorithmType: s.algorithm === 'AUTOMATIC' && s.edited ? 'SEMIAUTOMATIC' : s.algorithm,
      algorithmName: s.algorithm === 'MANUAL' ? undefined : (s.algorithmName ?? 'voxseg'),
    });
    entries.push({ layer: s.layer ?? 0, value: s.value, number });
  });
  return { segSegments, entries };
}

/** Editor segments from an imported SEG. */
export function fromSegSegments(segments: readonly SegSegment[], where: readonly SegLayerEntry[]): LayeredSegment[] {
  const now = new Date().toISOString();
  return segments.flatMap((s, i) => {
    const at = where.find((w) => w.number === s.number);
    if (!at) return [];
    return [
      {
        value: at.value,
        layer: at.layer,
        name: s.label || `Segment ${s.number}`,
        color: s.color ? ([...s.color] as [number, number, number]) : segmentColor(i),
        category: s.category,
        type: s.type,
        ...(s.typeModifier ? { typeModifier: s.typeModifier } : {}),
        algorithm: s.algorithmType,
        algorithmName: s.algorithmName,
        createdAt: now,
        edited: false,
        visible: true,
        locked: false,
      },
    ];
  });
}

/** The JSON label table of `segments`. */
export function labelTableJson(segments: readonly LayeredSegment[]): string {
  const entries: LabelTableEntry[] = segments.map((s) => {
    const codes = codesForName(s.name);
    return {
      value: s.value,
      name: s.name,
      color: [...s.color] as [number, number, number],
      category: s.category ?? codes.category,
      type: s.type ?? codes.type,
      ...((s.type ? s.typeModifier : codes.typeModifier)
        ? { typeModifier: s.type ? s.typeModifier : codes.typeModifier }
        : {}),
      algorithmType: s.algorithm,
      algorithmName: s.algorithmName,
      layer: s.layer ?? 0,
    };
  });
  return writeLabelTable(entries);
}

/**
 * Editor segments for an imported label map: from its label table when there is one, else one
 * "Segment v" per value present.
 */
export async function segmentsFromTable(labels: Volume, json: string | null, name?: string): Promise<LayeredSegment[]> {
  const now = new Date().toISOString();
  if (json !== null) {
    return readLabelTable(json, name).map((e, i) => ({
      value: e.value,
      layer: e.layer ?? 0,
      name: e.name,
      color: e.color ?? segmentColor(i),
      category: e.category,
      type: e.type,
      ...(e.typeModifier ? { typeModifier: e.typeModifier } : {}),
      algorithm: e.algorithmType ?? 'MANUAL',
      algorithmName: e.algorithmName,
      createdAt: now,
      edited: false,
      visible: true,
      locked: false,
    }));
  }
  const values = Object.keys(countLabels(labels.voxels))
    .map(Number)
    .filter((v) => v > 0);
  return values.map((v, i) => ({
    value: v,
    layer: 0,
    name: `Segment ${v}`,
    color: segmentColor(i),
    algorithm: 'MANUAL',
    createdAt: now,
    edited: false,
    visible: true,
    locked: false,
  }));
}
