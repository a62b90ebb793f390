/**
 * A SNOMED CT lookup for segments named after structures (used when a label table has no codes).
 * Names are normalised (lower case, words sorted), so 'liver', 'Kidney_Left', 'left kidney' and
 * 'LUNGS' all match. Two tables, in this order: the common names and synonyms below (category
 * 'Anatomical Structure', SCT 123037004, with the structure as the type; sided organs here are the
 * pre-coordinated concepts 'Right kidney' / 'Left lung'), then every TotalSegmentator structure
 * name (./totalsegmentator.ts: 'rib_left_3', 'vertebrae_L1', 'kidney_cyst_left', ...) with its
 * category, type, laterality modifier and anatomic region. Synonyms of a TotalSegmentator
 * structure reuse its code, so each concept is written once. Anything else gets the generic
 * 'Tissue' (SCT 85756007) as category and type. Codes as in DICOM PS3.16 (CID 7166 / 4031 / 10044).
 */
import {
  ANATOMICAL_STRUCTURE,
  TISSUE,
  TOTALSEG_STRUCTURE_NAMES,
  totalSegmentatorTerms,
} from '../../volume/totalsegmentator';
import type { Code } from './types';

export { ANATOMICAL_STRUCTURE, TISSUE };

const sct = (value: string, meaning: string): Code => ({ scheme: 'SCT', value, meaning });

/** The type code of a TotalSegmentator structure (the names below are all in its table). */
function ts(name: string): Code {
  const terms = totalSegmentatorTerms(name);
  if (!terms) throw new Error(`codes: no TotalSegmentator structure '${name}'`);
  return terms.type;
}

/** Common names and synonyms -> type code. */
const STRUCTURES: [names: string[], code: Code][] = [
  [['kidneys'], ts('kidney')],
  [['right kidney'], sct('9846003', 'Right kidney')],
  [['left kidney'], sct('18639004', 'Left kidney')],
  [['lung', 'lungs'], ts('lung_left')],
  [['right lung'], sct('3341006', 'Right lung')],
  [['left lung'], sct('44029006', 'Left lung')],
  [['vertebral column', 'spine', 'spinal column'], sct('421060004', 'Vertebral column')],
  [['gall bladder'], ts('gallbladder')],
  [['oesophagus'], ts('esophagus')],
  [['bladder'], ts('urinary_bladder')],
  [['ivc'], ts('inferior_vena_cava')],
  [['small intestine'], ts('small_bowel')],
  [['thyroid'], ts('thyroid_gland')],
  [['bone'], sct('272673000', 'Bone')],
  [['muscle'], sct('71616004', 'Muscle')],
];

const LOOKUP = new Map<string, Code>();
for (const [names, code] of STRUCTURES) for (const n of names) LOOKUP.set(normalise(n), code);

/** Normalised TotalSegmentator name -> its exact name ('3 left rib' -> 'rib_left_3'). */
const TOTALSEG = new Map<string, string>();
for (const name of TOTALSEG_STRUCTURE_NAMES) TOTALSEG.set(normalise(name), name);

/** 'Kidney_Left', 'left-kidney', 'LEFT KIDNEY' -> 'kidney left' (words in sorted order). */
function normalise(name: string): string {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w)
    .sort()
    .join(' ');
}

/** The type code of a structure named `name`, or undefined. */
export function structureCode(name: string): Code | undefined {
  const key = normalise(name);
  const own = LOOKUP.get(key);
  if (own) return own;
  const tsName = TOTALSEG.get(key);
  return tsName === undefined ? undefined : totalSegmentatorTerms(tsName)!.type;
}

/** DICOM SEG codes for a segment called `name`: a known structure, else the generic Tissue. */
export function codesForName(name: string): { category: Code; type: Code; typeModifier?: Code; anatomicRegion?: Code } {
  const key = normalise(name);
  const own = LOOKUP.get(key);
  if (own) return { category: ANATOMICAL_STRUCTURE, type: own };
  const tsName = TOTALSEG.get(key);
  if (tsName === undefined) return { category: TISSUE, type: TISSUE };
  const t = totalSegmentatorTerms(tsName)!;
  return {
    category: t.category,
    type: t.type,
    ...(t.typeModifier ? { typeModifier: t.typeModifier } : {}),
    ...(t.anatomicRegion ? { anatomicRegion: t.anatomicRegion } : {}),
  };
}
