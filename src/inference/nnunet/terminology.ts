/**
 * Colours and DICOM SEG codes for the labels of an imported nnU-Net model, by label name, and the
 * class maps (label value -> name) of TotalSegmentator v2's 'total' and 'total_mr' tasks.
 *
 * `terminologyFor(name)` looks the exact name up in the TotalSegmentator table
 * (src/volume/totalsegmentator.ts: codes as TotalSegmentator publishes them, colours chosen
 * there). Laterality comes back as `typeModifier` (SCT Left / Right), the way TotalSegmentator and
 * DICOM code it: 'kidney_right' is type Kidney + modifier Right, never a 'Kidney, right' meaning.
 * A manifest label (`LabelInfo`) has no modifier field, so whoever turns terms into labels must
 * carry `typeModifier` on to the SEG segment (`SegSegment.typeModifier`) or the side is lost from
 * the codes (the segment label still says it).
 *
 * Any other name gets no codes (the SEG export then codes it by name with `codesForName`, the
 * generic 'Tissue' when it knows nothing better) and a colour of its own: a hue from a hash of the
 * name, stepped on while it lies within 10 CIELAB units of a colour of the table, so the same
 * name always gets the same colour and it does not pass for a known structure.
 *
 * Class maps: TotalSegmentator (github.com/wasserth/TotalSegmentator, Apache-2.0),
 * totalsegmentator/map_to_binary.py, `class_map['total']` (117 classes) and `['total_mr']` (50
 * classes, the map of TotalSegmentator 2.0-2.4; later releases split total_mr in two models with
 * 56 classes, whose own dataset.json names their labels).
 */
import { TOTALSEG_STRUCTURE_NAMES, totalSegmentatorTerms } from '../../volume/totalsegmentator';
import type { Code, Rgb } from '../../volume/segments';
import type { CodedConcept } from '../manifest';

export interface Terminology {
  /** Display colour, sRGB 0..255 (a fresh array). */
  color: Rgb;
  /** Segmented property category; absent for unknown names. */
  category?: CodedConcept;
  /** Segmented property type; absent for unknown names. */
  type?: CodedConcept;
  /** Type modifier: laterality (SCT 7771000 Left / 24028007 Right) or another qualifier. */
  typeModifier?: CodedConcept;
  /** Anatomic region of a lesion or tissue (e.g. Kidney for 'kidney_cyst_left'). */
  anatomicRegion?: CodedConcept;
  /** Side of the anatomic region. */
  anatomicRegionModifier?: CodedConcept;
}

const concept = (c: Code): CodedConcept => ({ code: c.value, scheme: c.scheme, meaning: c.meaning });

/** Colour, codes and laterality of a label called `name` (exact TotalSegmentator names are known). */
export function terminologyFor(name: string): Terminology {
  const t = totalSegmentatorTerms(name);
  if (!t) return { color: fallbackColor(name) };
  const out: Terminology = { color: [...t.color] as Rgb, category: concept(t.category), type: concept(t.type) };
  if (t.typeModifier) out.typeModifier = concept(t.typeModifier);
  if (t.anatomicRegion) out.anatomicRegion = concept(t.anatomicRegion);
  if (t.anatomicRegionModifier) out.anatomicRegionModifier = concept(t.anatomicRegionModifier);
  return out;
}

/** Value -> name of TotalSegmentator v2's 'total' task (nnU-Net label values 1..117). */
export const TOTALSEG_TOTAL_CLASSES: Readonly<Record<number, string>> = classMap([
  'spleen',
  'kidney_right',
  'kidney_left',
  'gallbladder',
  'liver',
  'stomach',
  'pancreas',
  'adrenal_gland_right',
  'adrenal_gland_left',
  'lung_upper_lobe_left',
  'lung_lower_lobe_left',
  'lung_upper_lobe_right',
  'lung_middle_lobe_right',
  'lung_lower_lobe_right',
  'esophagus',
  'trachea',
  'thyroid_gland',
  'small_bowel',
  'duodenum',
  'colon',
  'urinary_bladder',
  'prostate',
  'kidney_cyst_left',
  'kidney_cyst_right',
  'sacrum',
  'vertebrae_S1',
  'vertebrae_L5',
  'vertebrae_L4',
  'vertebrae_L3',
  'vertebrae_L2',
  'vertebrae_L1',
  'vertebrae_T12',
  'vertebrae_T11',
  'vertebrae_T10',
  'vertebrae_T9',
  'vertebrae_T8',
  'vertebrae_T7',
  'vertebrae_T6',
  'vertebrae_T5',
  'vertebrae_T4',
  'vertebrae_T3',
  'vertebrae_T2',
  'vertebrae_T1',
  'vertebrae_C7',
  'vertebrae_C6',
  'vertebrae_C5',
  'vertebrae_C4',
  'vertebrae_C3',
  'vertebrae_C2',
  'vertebrae_C1',
  'heart',
  'aorta',
  'pulmonary_vein',
  'brachiocephalic_trunk',
  'subclavian_artery_right',
  'subclavian_artery_left',
  'common_carotid_artery_right',
  'common_carotid_artery_left',
  'brachiocephalic_vein_left',
  'brachiocephalic_vein_right',
  'atrial_appendage_left',
  'superior_vena_cava',
  'inferior_vena_cava',
  'portal_vein_and_splenic_vein',
  'iliac_artery_left',
  'iliac_artery_right',
  'iliac_vena_left',
  'iliac_vena_right',
  'humerus_left',
  'humerus_right',
  'scapula_left',
  'scapula_right',
  'clavicula_left',
  'clavicula_right',
  'femur_left',
  'femur_right',
  'hip_left',
  'hip_right',
  'spinal_cord',
  'gluteus_maximus_left',
  'gluteus_maximus_right',
  'gluteus_medius_left',
  'gluteus_medius_right',
  'gluteus_minimus_left',
  'gluteus_minimus_right',
  'autochthon_left',
  'autochthon_right',
  'iliopsoas_left',
  'iliopsoas_right',
  'brain',
  'skull',
  'rib_left_1',
  'rib_left_2',
  'rib_left_3',
  'rib_left_4',
  'rib_left_5',
  'rib_left_6',
  'rib_left_7',
  'rib_left_8',
  'rib_left_9',
  'rib_left_10',
  'rib_left_11',
  'rib_left_12',
  'rib_right_1',
  'rib_right_2',
  'rib_right_3',
  'rib_right_4',
  'rib_right_5',
  'rib_right_6',
  'rib_right_7',
  'rib_right_8',
  'rib_right_9',
  'rib_right_10',
  'rib_right_11',
  'rib_right_12',
  'sternum',
  'costal_cartilages',
]);

/** Value -> name of TotalSegmentator's 'total_mr' task as released in 2.0-2.4 (values 1..50). */
export const TOTALSEG_TOTAL_MR_CLASSES: Readonly<Record<number, string>> = classMap([
  'spleen',
  'kidney_right',
  'kidney_left',
  'gallbladder',
  'liver',
  'stomach',
  'pancreas',
  'adrenal_gland_right',
  'adrenal_gland_left',
  'lung_left',
  'lung_right',
  'esophagus',
  'small_bowel',
  'duodenum',
  'colon',
  'urinary_bladder',
  'prostate',
  'sacrum',
  'vertebrae',
  'intervertebral_discs',
  'spinal_cord',
  'heart',
  'aorta',
  'inferior_vena_cava',
  'portal_vein_and_splenic_vein',
  'iliac_artery_left',
  'iliac_artery_right',
  'iliac_vena_left',
  'iliac_vena_right',
  'humerus_left',
  'humerus_right',
  'scapula_left',
  'scapula_right',
  'clavicula_left',
  'clavicula_right',
  'femur_left',
  'femur_right',
  'hip_left',
  'hip_right',
  'gluteus_maximus_left',
  'gluteus_maximus_right',
  'gluteus_medius_left',
  'gluteus_medius_right',
  'gluteus_minimus_left',
  'gluteus_minimus_right',
  'autochthon_left',
  'autochthon_right',
  'iliopsoas_left',
  'iliopsoas_right',
  'brain',
]);

function classMap(names: string[]): Readonly<Record<number, string>> {
  const map: Record<number, string> = {};
  names.forEach((n, i) => (map[i + 1] = n));
  return Object.freeze(map);
}

// ---- colours of unknown names ------------------------------------------------------------------

/** sRGB -> CIELAB (D65). */
function lab([r, g, b]: readonly number[]): [number, number, number] {
  const lin = (v: number) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

let tableLabs: [number, number, number][] | undefined;

/** FNV-1a of the UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** HSL (h in degrees) -> sRGB 0..255. */
function hsl(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** A colour of its own for a name the table does not know (same name, same colour). */
export function fallbackColor(name: string): Rgb {
  tableLabs ??= TOTALSEG_STRUCTURE_NAMES.map((n) => lab(totalSegmentatorTerms(n)!.color));
  const h = hash(name);
  let best: Rgb = [128, 128, 128];
  let bestDistance = -1;
  for (let step = 0; step < 64; step++) {
    // golden-angle hue walk from the hash; saturation and lightness from other bits of it
    const n = (h >>> 8) + step;
    const color = hsl(n * 137.508, [0.55, 0.7, 0.85][h % 3], [0.45, 0.55, 0.65, 0.75][(h >>> 2) % 4]);
    const c = lab(color);
    const d = Math.min(...tableLabs.map((t) => Math.hypot(c[0] - t[0], c[1] - t[1], c[2] - t[2])));
    if (d >= 10) return color;
    if (d > bestDistance) [best, bestDistance] = [color, d];
  }
  return best;
}
