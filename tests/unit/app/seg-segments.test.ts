/**
 * Laterality (DICOM SEG's type modifier) survives the editor's segment metadata: a TotalSegmentator
 * label's "Kidney + Right" reaches the SEG segments and the NIfTI label table and comes back, and
 * a segment without its own type still gets the guessed codes of its name.
 */
import { describe, expect, it } from 'vitest';
import { fromSegSegments, labelTableJson, segmentsFromTable, toSegSegments } from '../../../src/app/edit/seg-segments';
import { terminologyFor } from '../../../src/inference/nnunet/terminology';
import { createVolume } from '../../../src/volume/volume';
import type { LayeredSegment } from '../../../src/volume/segments';

function segment(value: number, name: string): LayeredSegment {
  const t = terminologyFor(name);
  const code = (c?: { code: string; scheme: string; meaning: string }) =>
    c ? { scheme: c.scheme, value: c.code, meaning: c.meaning } : undefined;
  return {
    value,
    layer: 0,
    name,
    color: t.color,
    category: code(t.category),
    type: code(t.type),
    typeModifier: code(t.typeModifier),
    algorithm: 'AUTOMATIC',
    algorithmName: 'TotalSegmentator',
    createdAt: '2026-01-01T00:00:00Z',
    edited: false,
    visible: true,
    locked: false,
  };
}

describe('segment metadata with laterality', () => {
  const segs = [
    segment(2, 'kidney_right'),
    segment(3, 'kidney_left'),
    { ...segment(5, 'liver'), type: undefined, category: undefined, typeModifier: undefined },
  ];

  it('goes into the SEG segments and comes back', () => {
    const { segSegments, entries } = toSegSegments(segs);
    expect(segSegments[0].type).toEqual({ scheme: 'SCT', value: '64033007', meaning: 'Kidney' });
    expect(segSegments[0].typeModifier?.meaning).toBe('Right');
    expect(segSegments[1].typeModifier?.meaning).toBe('Left');
    // No own type: the name's guessed codes, and no stray modifier.
    expect(segSegments[2].type?.meaning).toBe('Liver');
    expect(segSegments[2].typeModifier).toBeUndefined();
    const back = fromSegSegments(segSegments, entries);
    expect(back[0].typeModifier).toEqual(segs[0].typeModifier);
    expect(back[1].typeModifier).toEqual(segs[1].typeModifier);
  });

  it('goes into the NIfTI label table and comes back', async () => {
    const labels = createVolume({ dims: [2, 2, 1], voxels: new Uint8Array([0, 2, 3, 5]) });
    const back = await segmentsFromTable(labels, labelTableJson(segs), 'labels.json');
    expect(back.map((s) => s.typeModifier?.meaning)).toEqual(['Right', 'Left', undefined]);
  });
});
