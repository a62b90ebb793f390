/**
 * A small SNOMED CT lookup for segments named after common structures (used when a label table
 * has no codes): category 'Anatomical Structure' (SCT 123037004) with the structure as the type,
 * e.g. 'liver', 'Kidney_Left', 'left kidney', 'lungs'. Anything else gets the generic 'Tissue'
 * (SCT 85756007) as category and type. Codes as in DICOM PS3.16 (CID 7166 / 4031 / 10044).
 */
import type { Code } from './types';

const sct = (value: string, meaning: string): Code => ({ scheme: 'SCT', value, meaning });

export const ANATOMICAL_STRUCTURE: Code = sct('123037004', 'Anatomical Structure');
export const TISSUE: Code = sct('85756007', 'Tissue');

/** Structure name (normalised: lower case, words sorted) -> type code. */
const STRUCTURES: [names: string[], code: Code][] = [
  [['liver'], sct('10200004', 'Liver')],
  [['spleen'], sct('78961009', 'Spleen')],
  [['kidney', 'kidneys'], sct('64033007', 'Kidney')],
  [['right kidney'], sct('9846003', 'Right kidney')],
  [['left kidney'], sct('18639004', 'Left kidney')],
  [['aorta'], sct('15825003', 'Aorta')],
  [['lung', 'lungs'], sct('39607008', 'Lung')],
  [['right lung'], sct('3341006', 'Right lung')],
  [['left lung'], sct('44029006', 'Left lung')],
  [['vertebral column', 'spine', 'spinal column'], sct('421060004', 'Vertebral column')],
  [['heart'], sct('80891009', 'Heart')],
  [['brain'], sct('12738006', 'Brain')],
  [['pancreas'], sct('15776009', 'Pancreas')],
  [['stomach'], sct('69695003', 'Stomach')],
  [['gallbladder', 'gall bladder'], sct('28231008', 'Gallbladder')],
  [['esophagus', 'oesophagus'], sct('32849002', 'Esophagus')],
  [['adrenal gland'], sct('23451007', 'Adrenal gland')],
  [['bladder', 'urinary bladder'], sct('89837001', 'Bladder')],
  [['inferior vena cava', 'ivc'], sct('64131007', 'Inferior vena cava')],
  [['colon'], sct('71854001', 'Colon')],
  [['small intestine', 'small bowel'], sct('30315005', 'Small intestine')],
  [['prostate'], sct('41216001', 'Prostate')],
  [['spinal cord'], sct('2748008', 'Spinal cord')],
  [['bone'], sct('272673000', 'Bone')],
  [['muscle'], sct('71616004', 'Muscle')],
  [['thyroid', 'thyroid gland'], sct('69748006', 'Thyroid')],
];

const LOOKUP = new Map<string, Code>();
for (const [names, code] of STRUCTURES) for (const n of names) LOOKUP.set(normalise(n), code);

/** 'Kidney_Left', 'left-kidney', 'LEFT KIDNEY' -> 'kidney left' (words in sorted order). */
function normalise(name: string): string {
  return name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w)
    .sort()
    .join(' ');
}

/** The type code of a common structure named `name`, or undefined. */
export function structureCode(name: string): Code | undefined {
  return LOOKUP.get(normalise(name));
}

/** Category and type for a segment called `name`: a known structure, else the generic Tissue. */
export function codesForName(name: string): { category: Code; type: Code } {
  const type = structureCode(name);
  return type ? { category: ANATOMICAL_STRUCTURE, type } : { category: TISSUE, type: TISSUE };
}
