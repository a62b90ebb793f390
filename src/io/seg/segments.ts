/**
 * SegmentSequence (0062,0002) of a parsed SEG -> SegSegment[]: label, description, algorithm,
 * coded category / type (+ modifier, nested or at segment level) / anatomic region, and the
 * display colour from RecommendedDisplayCIELabValue. Missing codes become 'Tissue' (warned).
 */
import type { DataSet } from 'dicom-parser';
import { firstItem, str, us } from '../dicom/dsread';
import { dicomLabToRgb } from './color';
import { TISSUE } from './codes';
import type { Code, SegAlgorithmType, SegSegment } from './types';

const ALGORITHM_TYPES = new Set<SegAlgorithmType>(['AUTOMATIC', 'SEMIAUTOMATIC', 'MANUAL']);

function codeOf(item: DataSet | undefined): Code | undefined {
  if (!item) return undefined;
  const value = str(item, 'x00080100') || str(item, 'x00080119') || str(item, 'x00080120');
  const scheme = str(item, 'x00080102');
  const meaning = str(item, 'x00080104');
  return value || meaning ? { scheme, value, meaning } : undefined;
}

function labColor(item: DataSet): [number, number, number] | undefined {
  const el = item.elements['x0062000d'];
  if (!el || el.length < 6) return undefined;
  return dicomLabToRgb([0, 1, 2].map((i) => item.uint16('x0062000d', i) ?? 0));
}

/** Segments in SegmentSequence order; `warn` gets a note for anything filled in. */
export function readSegments(ds: DataSet, warn: (w: string) => void): SegSegment[] {
  const items = ds.elements['x00620002']?.items ?? [];
  const out: SegSegment[] = [];
  items.forEach((it, i) => {
    const item = it.dataSet;
    if (!item) return;
    const number = us(item, 'x00620004') ?? i + 1;
    const label = str(item, 'x00620005') || `Segment ${number}`;
    let algorithmType = str(item, 'x00620008').toUpperCase() as SegAlgorithmType;
    if (!ALGORITHM_TYPES.has(algorithmType)) {
      warn(
        `segment ${number} (${label}): SegmentAlgorithmType ${JSON.stringify(algorithmType)} is not AUTOMATIC/SEMIAUTOMATIC/MANUAL; taken as MANUAL`,
      );
      algorithmType = 'MANUAL';
    }
    const typeItem = firstItem(item, 'x0062000f');
    let category = codeOf(firstItem(item, 'x00620003'));
    let type = codeOf(typeItem);
    if (!category || !type) {
      warn(
        `segment ${number} (${label}): no segmented property ${category ? 'type' : 'category'} code; 'Tissue' assumed`,
      );
      category ??= TISSUE;
      type ??= TISSUE;
    }
    const seg: SegSegment = { number, label, category, type, algorithmType };
    const modifier = codeOf(firstItem(typeItem, 'x00620011')) ?? codeOf(firstItem(item, 'x00620011'));
    if (modifier) seg.typeModifier = modifier;
    const region = codeOf(firstItem(item, 'x00082218'));
    if (region) seg.anatomicRegion = region;
    const color = labColor(item);
    if (color) seg.color = color;
    const name = str(item, 'x00620009');
    if (name) seg.algorithmName = name;
    const version = str(firstItem(item, 'x00620007'), 'x00660031');
    if (version) seg.algorithmVersion = version;
    const description = str(item, 'x00620006');
    if (description) seg.description = description;
    out.push(seg);
  });
  return out;
}
