/**
 * TotalSegmentator names -> colours and DICOM SEG codes: the class maps against the shared
 * TotalSegmentator class-map files, every code a well-formed SNOMED CT concept id (Verhoeff check
 * digit, concept partition) with one meaning per code, laterality as a modifier, colours apart in
 * CIELAB (measured with the SEG writer's own sRGB -> DICOM Lab conversion, not the module's), and
 * the codes.ts lookup that falls back to the same table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codesForName, rgbToDicomLab, structureCode } from '../../../src/io/seg/index';
import { TOTALSEG_STRUCTURE_NAMES, totalSegmentatorTerms } from '../../../src/volume/totalsegmentator';
import type { CodedConcept } from '../../../src/inference/manifest';
import {
  fallbackColor,
  terminologyFor,
  TOTALSEG_TOTAL_CLASSES,
  TOTALSEG_TOTAL_MR_CLASSES,
} from '../../../src/inference/nnunet/terminology';
import { PHANTOM_LABELS } from '../../../src/phantom/index';
import { describeShared, sharedPath } from '../helpers/shared';

const TOTAL = Object.values(TOTALSEG_TOTAL_CLASSES);
const TOTAL_MR = Object.values(TOTALSEG_TOTAL_MR_CLASSES);

// Verhoeff check digit (SNOMED CT identifiers end in one)
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
function verhoeffOk(digits: string): boolean {
  let c = 0;
  [...digits].reverse().forEach((ch, i) => (c = D[c][P[i % 8][Number(ch)]]));
  return c === 0;
}
/** A SNOMED CT concept id: 6..18 digits, no leading zero, partition '00' (concept), Verhoeff check digit. */
function isSctConceptId(code: string): boolean {
  return /^[1-9]\d{5,17}$/.test(code) && code.slice(-3, -1) === '00' && verhoeffOk(code);
}

/** CIELAB (D50, as DICOM stores it) of an sRGB colour, via the SEG writer's conversion. */
function lab(rgb: readonly number[]): number[] {
  const [l, a, b] = rgbToDicomLab(rgb as [number, number, number]);
  return [(l * 100) / 65535, (a * 255) / 65535 - 128, (b * 255) / 65535 - 128];
}
const deltaE = (x: readonly number[], y: readonly number[]) => Math.hypot(...lab(x).map((v, i) => v - lab(y)[i]));

/** Smallest CIELAB distance between the colours of `names`, with the pair. */
function closest(names: string[]): { d: number; pair: string[] } {
  let best = { d: Infinity, pair: [] as string[] };
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) {
      const d = deltaE(terminologyFor(names[i]).color, terminologyFor(names[j]).color);
      if (d < best.d) best = { d, pair: [names[i], names[j]] };
    }
  return best;
}

describe('TotalSegmentator class maps', () => {
  it("'total' has values 1..117 with unique names, 'total_mr' 1..50", () => {
    expect(Object.keys(TOTALSEG_TOTAL_CLASSES).map(Number)).toEqual(Array.from({ length: 117 }, (_, i) => i + 1));
    expect(new Set(TOTAL).size).toBe(117);
    expect(Object.keys(TOTALSEG_TOTAL_MR_CLASSES).map(Number)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(TOTAL_MR).size).toBe(50);
    expect([
      TOTALSEG_TOTAL_CLASSES[1],
      TOTALSEG_TOTAL_CLASSES[5],
      TOTALSEG_TOTAL_CLASSES[52],
      TOTALSEG_TOTAL_CLASSES[63],
      TOTALSEG_TOTAL_CLASSES[117],
    ]).toEqual(['spleen', 'liver', 'aorta', 'inferior_vena_cava', 'costal_cartilages']);
    expect(Object.isFrozen(TOTALSEG_TOTAL_CLASSES)).toBe(true);
  });

  describeShared(
    'labels/totalsegmentator/class_map_total.json',
    'against the class maps TotalSegmentator writes',
    () => {
      it("'total' equals class_map_total.json", () => {
        const json = JSON.parse(
          readFileSync(sharedPath('labels/totalsegmentator/class_map_total.json'), 'utf8'),
        ) as Record<string, string>;
        expect(Object.fromEntries(Object.entries(TOTALSEG_TOTAL_CLASSES).map(([k, v]) => [k, v]))).toEqual(json);
      });
      it("'total_mr' equals class_map_total_mr.json", () => {
        const json = JSON.parse(
          readFileSync(sharedPath('labels/totalsegmentator/class_map_total_mr.json'), 'utf8'),
        ) as Record<string, string>;
        expect(Object.fromEntries(Object.entries(TOTALSEG_TOTAL_MR_CLASSES).map(([k, v]) => [k, v]))).toEqual(json);
      });
    },
  );
});

describe('terminologyFor: codes', () => {
  it('the Verhoeff check itself: accepts known SNOMED ids, rejects a changed digit', () => {
    for (const id of ['10200004', '123037004', '64033007', '7771000', '24028007', '113205007'])
      expect(isSctConceptId(id), id).toBe(true);
    for (const id of ['10200005', '64033070', '123037040', '123037014']) expect(isSctConceptId(id), id).toBe(false);
  });

  it("every 'total' and 'total_mr' class has category and type codes (no name lacks one)", () => {
    const missing = [...new Set([...TOTAL, ...TOTAL_MR])].filter(
      (n) => !terminologyFor(n).type || !terminologyFor(n).category,
    );
    expect(missing).toEqual([]);
  });

  it('every code of the table is a SNOMED CT concept id with one meaning per code', () => {
    const meaning = new Map<string, string>();
    const seen: string[] = [];
    for (const name of TOTALSEG_STRUCTURE_NAMES) {
      const t = terminologyFor(name);
      for (const c of [t.category, t.type, t.typeModifier, t.anatomicRegion, t.anatomicRegionModifier]) {
        if (!c) continue;
        expect(c.scheme, name).toBe('SCT');
        expect(isSctConceptId(c.code), `${name}: ${c.code} ${c.meaning}`).toBe(true);
        expect(c.meaning.trim(), name).toBe(c.meaning);
        expect(c.meaning.length, name).toBeGreaterThan(0);
        const m = meaning.get(c.code);
        expect(m ?? c.meaning, `${name}: ${c.code}`).toBe(c.meaning);
        meaning.set(c.code, c.meaning);
        seen.push(c.code);
      }
    }
    // the same concept spelled the same way in the codes.ts synonyms
    for (const synonym of [
      'lungs',
      'gall bladder',
      'oesophagus',
      'bladder',
      'ivc',
      'small intestine',
      'thyroid',
      'kidneys',
    ]) {
      const c = structureCode(synonym)!;
      expect(meaning.get(c.value), synonym).toBe(c.meaning);
    }
    expect(seen.length).toBeGreaterThan(300);
  });

  it('known codes of the published mapping', () => {
    const type = (n: string) => terminologyFor(n).type!.code;
    expect(
      [
        'spleen',
        'liver',
        'kidney_right',
        'vertebrae_L1',
        'vertebrae_C3',
        'rib_left_3',
        'rib_right_12',
        'iliopsoas_left',
        'costal_cartilages',
        'brachiocephalic_trunk',
      ].map(type),
    ).toEqual([
      '78961009',
      '10200004',
      '64033007',
      '66794005',
      '113205007',
      '25888004',
      '43993008',
      '68455001',
      '50016007',
      '12691009',
    ]);
    expect(terminologyFor('liver')).toEqual({
      color: [221, 130, 101],
      category: { code: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' },
      type: { code: '10200004', scheme: 'SCT', meaning: 'Liver' },
    });
    // ribs and vertebrae: one concept per level, the same on both sides
    const ribs = Array.from({ length: 12 }, (_, i) => type(`rib_left_${i + 1}`));
    expect(new Set(ribs).size).toBe(12);
    expect(Array.from({ length: 12 }, (_, i) => type(`rib_right_${i + 1}`))).toEqual(ribs);
    expect(new Set(TOTAL.filter((n) => n.startsWith('vertebrae_')).map(type)).size).toBe(25);
  });

  it('laterality is a modifier on the unsided type (or in the concept / region modifier)', () => {
    const LEFT: CodedConcept = { code: '7771000', scheme: 'SCT', meaning: 'Left' };
    const RIGHT: CodedConcept = { code: '24028007', scheme: 'SCT', meaning: 'Right' };
    expect(terminologyFor('kidney_right')).toMatchObject({
      type: { code: '64033007', meaning: 'Kidney' },
      typeModifier: RIGHT,
    });
    expect(terminologyFor('rib_left_3')).toMatchObject({
      type: { code: '25888004', meaning: 'Third rib' },
      typeModifier: LEFT,
    });
    expect(terminologyFor('iliopsoas_left')).toMatchObject({
      type: { meaning: 'Iliopsoas muscle' },
      typeModifier: LEFT,
    });
    expect(terminologyFor('kidney_cyst_left')).toEqual({
      color: terminologyFor('kidney_cyst_left').color,
      category: { code: '49755003', scheme: 'SCT', meaning: 'Morphologically Altered Structure' },
      type: { code: '367643001', scheme: 'SCT', meaning: 'Cyst' },
      anatomicRegion: { code: '64033007', scheme: 'SCT', meaning: 'Kidney' },
      anatomicRegionModifier: LEFT,
    });
    // every sided name says its side somewhere, and never the other one
    const sided = [...new Set([...TOTAL, ...TOTAL_MR])].filter((n) => /(^|_)(left|right)(_|$)/.test(n));
    expect(sided.length).toBe(68); // 66 of total + lung_left/right of total_mr
    const preCoordinated: string[] = [];
    for (const n of sided) {
      const side = n.includes('left') ? LEFT : RIGHT;
      const t = terminologyFor(n);
      if (t.typeModifier) expect(t.typeModifier, n).toEqual(side);
      else if (t.anatomicRegionModifier) expect(t.anatomicRegionModifier, n).toEqual(side);
      else {
        expect(t.type!.meaning.toLowerCase(), n).toContain(side.meaning.toLowerCase());
        preCoordinated.push(n);
      }
    }
    expect(preCoordinated).toEqual(['lung_middle_lobe_right']);
    // unsided names carry no side
    for (const n of TOTAL.filter((x) => !sided.includes(x))) expect(terminologyFor(n).typeModifier, n).toBeUndefined();
  });
});

describe('terminologyFor: colours', () => {
  it("the 117 'total' colours are distinct, at least 10 CIELAB units apart; neighbouring vertebrae and ribs at least 15", () => {
    const colors = TOTAL.map((n) => terminologyFor(n).color);
    for (const c of colors) for (const v of c) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
    expect(new Set(colors.map((c) => c.join())).size).toBe(117);
    const { d, pair } = closest(TOTAL);
    expect(d, pair.join(' / ')).toBeGreaterThanOrEqual(10);
    const levels = [
      'C1',
      'C2',
      'C3',
      'C4',
      'C5',
      'C6',
      'C7',
      ...Array.from({ length: 12 }, (_, i) => `T${i + 1}`),
      'L1',
      'L2',
      'L3',
      'L4',
      'L5',
      'S1',
    ].map((l) => `vertebrae_${l}`);
    const neighbours = [...levels.slice(1).map((v, i) => [levels[i], v]), ['vertebrae_S1', 'sacrum']];
    for (const side of ['left', 'right'])
      for (let i = 1; i < 12; i++) neighbours.push([`rib_${side}_${i}`, `rib_${side}_${i + 1}`]);
    for (let i = 1; i <= 12; i++) neighbours.push([`rib_left_${i}`, `rib_right_${i}`]);
    for (const [a, b] of neighbours)
      expect(deltaE(terminologyFor(a).color, terminologyFor(b).color), `${a} / ${b}`).toBeGreaterThanOrEqual(15);
  });

  it("the 50 'total_mr' colours are at least 10 CIELAB units apart", () => {
    const { d, pair } = closest(TOTAL_MR);
    expect(d, pair.join(' / ')).toBeGreaterThanOrEqual(10);
  });

  it("liver, spleen and aorta keep the phantom's (3D Slicer) colours; results are fresh copies", () => {
    for (const name of ['liver', 'spleen', 'aorta'])
      expect(terminologyFor(name).color).toEqual(PHANTOM_LABELS.find((l) => l.name === name)!.color);
    const a = terminologyFor('spleen');
    a.color[0] = 0;
    a.type!.meaning = 'changed';
    expect(terminologyFor('spleen').color[0]).toBe(157);
    expect(terminologyFor('spleen').type!.meaning).toBe('Spleen');
    expect(Object.isFrozen(totalSegmentatorTerms('spleen')!.color)).toBe(true);
  });

  it('unknown names: no codes, a stable colour of their own, away from every table colour', () => {
    const names = [
      'tumor',
      'Liver',
      'kidney right',
      'edema',
      'lesion_1',
      'lesion_2',
      'background_noise',
      'GTV',
      'CTV',
      'PTV',
      'whole_tumor',
      'enhancing',
      'necrosis',
      'label 42',
      '',
    ];
    const colors = names.map((n) => terminologyFor(n));
    for (const [i, t] of colors.entries()) {
      expect(Object.keys(t), names[i]).toEqual(['color']);
      expect(t.color, names[i]).toEqual(fallbackColor(names[i]));
      expect(terminologyFor(names[i]).color, 'same name, same colour').toEqual(t.color);
      for (const v of t.color) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
      const nearest = Math.min(
        ...TOTALSEG_STRUCTURE_NAMES.map((n) => deltaE(t.color, totalSegmentatorTerms(n)!.color)),
      );
      expect(nearest, names[i]).toBeGreaterThanOrEqual(8); // >= 10 in D65 Lab, where it is chosen; D50 differs a little
    }
    expect(new Set(colors.map((t) => t.color.join())).size).toBe(names.length);
  });
});

describe('codes.ts falls back to the TotalSegmentator table', () => {
  it('TotalSegmentator names and their spelled-out forms get the table codes, with modifier and region', () => {
    expect(codesForName('rib_left_3')).toEqual({
      category: { scheme: 'SCT', value: '123037004', meaning: 'Anatomical Structure' },
      type: { scheme: 'SCT', value: '25888004', meaning: 'Third rib' },
      typeModifier: { scheme: 'SCT', value: '7771000', meaning: 'Left' },
    });
    expect(codesForName('Left rib 3')).toEqual(codesForName('rib_left_3'));
    expect(structureCode('Vertebrae L1')?.value).toBe('66794005');
    expect(codesForName('kidney_cyst_right')).toMatchObject({
      category: { value: '49755003' },
      type: { value: '367643001' },
      anatomicRegion: { value: '64033007' },
    });
    // the common-name table keeps priority: pre-coordinated sided organs
    expect(structureCode('kidney_right')).toEqual({ scheme: 'SCT', value: '9846003', meaning: 'Right kidney' });
    expect(codesForName('kidney_right').typeModifier).toBeUndefined();
  });

  it('every table name reaches its own terms through the normalised lookup (no two names collide)', () => {
    const overridden: string[] = [];
    for (const name of TOTALSEG_STRUCTURE_NAMES) {
      const t = totalSegmentatorTerms(name)!;
      const c = codesForName(name);
      if (c.type.value !== t.type.value) overridden.push(name);
      else
        expect({ ...c }, name).toEqual({
          category: t.category,
          type: t.type,
          ...(t.typeModifier ? { typeModifier: t.typeModifier } : {}),
          ...(t.anatomicRegion ? { anatomicRegion: t.anatomicRegion } : {}),
        });
    }
    expect(overridden).toEqual(['kidney_right', 'kidney_left', 'lung_left', 'lung_right']);
  });
});
