/**
 * Segment Sequence items and the checks on segments shared by the BINARY and label map writers;
 * text is written ASCII-only ('?' for anything else; no Specific Character Set).
 */
import { VoxsegError } from '../../core/errors';
import { rgbToDicomLab } from './color';
import type { Code, SegSegment } from './types';

export const ascii = (s: string, max: number) =>
  s
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '/')
    .slice(0, max);
export const code = (c: Code) => ({
  CodeValue: ascii(c.value, 16),
  CodingSchemeDesignator: ascii(c.scheme, 16),
  CodeMeaning: ascii(c.meaning, 64),
});

export function checkSegments(segments: readonly SegSegment[]): SegSegment[] {
  const sorted = [...segments].sort((a, b) => a.number - b.number);
  if (!sorted.length) throw new VoxsegError('usage', 'a SEG needs at least one segment');
  sorted.forEach((s, i) => {
    const where = `segment ${s.number} (${JSON.stringify(s.label)})`;
    if (s.number !== i + 1)
      throw new VoxsegError(
        'usage',
        `segment numbers must be 1..${sorted.length} without gaps or repeats; found ${sorted.map((x) => x.number).join(', ')}`,
      );
    if (!s.label.trim()) throw new VoxsegError('usage', `${where}: empty label`);
    if (s.algorithmType !== 'MANUAL' && !s.algorithmName?.trim())
      throw new VoxsegError(
        'usage',
        `${where}: algorithmType ${s.algorithmType} needs an algorithmName (DICOM requires it)`,
      );
    for (const [key, c] of [
      ['category', s.category],
      ['type', s.type],
    ] as const)
      if (!c?.scheme || !c.value || !c.meaning)
        throw new VoxsegError('usage', `${where}: ${key} code needs scheme, value and meaning`);
  });
  return sorted;
}

export function segmentItem(s: SegSegment): Record<string, unknown> {
  const type: Record<string, unknown> = code(s.type);
  if (s.typeModifier) type.SegmentedPropertyTypeModifierCodeSequence = [code(s.typeModifier)];
  const item: Record<string, unknown> = {
    SegmentNumber: s.number,
    SegmentLabel: ascii(s.label, 64),
    SegmentAlgorithmType: s.algorithmType,
    SegmentedPropertyCategoryCodeSequence: [code(s.category)],
    SegmentedPropertyTypeCodeSequence: [type],
  };
  if (s.description) item.SegmentDescription = ascii(s.description, 1024);
  if (s.algorithmType !== 'MANUAL') {
    item.SegmentAlgorithmName = ascii(s.algorithmName!, 64);
    // the version has its place in the algorithm identification (whose family is type 1)
    if (s.algorithmVersion)
      item.SegmentationAlgorithmIdentificationSequence = [
        {
          AlgorithmFamilyCodeSequence: [
            code(
              s.algorithmType === 'AUTOMATIC'
                ? { scheme: 'DCM', value: '123110', meaning: 'Artificial Intelligence' }
                : { scheme: 'DCM', value: '123109', meaning: 'Manual Processing' },
            ),
          ],
          AlgorithmName: ascii(s.algorithmName!, 64),
          AlgorithmVersion: ascii(s.algorithmVersion, 64),
        },
      ];
  }
  if (s.anatomicRegion) item.AnatomicRegionSequence = [code(s.anatomicRegion)];
  if (s.color) item.RecommendedDisplayCIELabValue = rgbToDicomLab(s.color);
  return item;
}
