/**
 * What TotalSegmentator's structure names mean: a SNOMED CT coding (DICOM SEG segmented property
 * category, type, type modifier, anatomic region) and a display colour for each exact name, e.g.
 * 'kidney_right', 'vertebrae_L1', 'rib_left_3'. `codes.ts` consults it for names it does not know
 * itself; the nnU-Net import gives imported labels these codes and colours.
 *
 * Codes: those TotalSegmentator publishes for its classes (github.com/wasserth/TotalSegmentator,
 * Apache-2.0, resources/totalsegmentator_snomed_mapping.csv), written in our own form:
 * - category 'Anatomical Structure' (SCT 123037004) unless a row says otherwise;
 * - laterality is a type modifier on the unsided type (Kidney + Right, Third rib + Left), as that
 *   file and DICOM PS3.16 (CID 244) do; structures SNOMED names with their side (Left atrium,
 *   Middle lobe of right lung) have no modifier;
 * - lesions (kidney cyst, tumour, effusion) are 'Morphologically Altered Structure' with the organ
 *   as anatomic region (+ the region's side as anatomic region modifier).
 * Departures from that file: 'gluteus_minimus' (unsided) is coded 75297007 Gluteus minimus
 * muscle like its sided rows (the file repeats Gluteus medius there); meanings are spelled as
 * SNOMED does ('Gluteus minimus muscle', 'Small intestine'). Additions for names of the 'total_mr'
 * task the file lacks: lung_left / lung_right (Lung 39607008 + side), vertebrae (Vertebra
 * 51282000, as the file codes its vertebra groups) and intervertebral_discs (Intervertebral disc
 * 360499006).
 *
 * Colours: chosen here. Liver, spleen and aorta keep the colours the phantom uses (3D Slicer's);
 * organs, vessels (arteries red, veins blue), bones (ivory to tan) and muscles (reds and browns)
 * have hand-picked or family colours; vertebrae and ribs have well separated colours so that
 * neighbours differ. The 117 classes of the 'total' task are all at least 10 CIELAB units apart.
 * Group names of other tasks ('kidney', 'ribs', 'lung_left') reuse a member's colour.
 */
import type { Code, Rgb } from './segments';

const sct = (value: string, meaning: string): Code => Object.freeze({ scheme: 'SCT', value, meaning });

export const ANATOMICAL_STRUCTURE: Code = sct('123037004', 'Anatomical Structure');
export const TISSUE: Code = sct('85756007', 'Tissue');
export const MORPHOLOGICALLY_ALTERED: Code = sct('49755003', 'Morphologically Altered Structure');
export const PHYSICAL_OBJECT: Code = sct('260787004', 'Physical object');
export const LEFT: Code = sct('7771000', 'Left');
export const RIGHT: Code = sct('24028007', 'Right');

/** The DICOM SEG description of one structure. */
export interface StructureTerms {
  category: Code;
  type: Code;
  /** Laterality (or another qualifier, e.g. COVID-19 of an infiltrate). */
  typeModifier?: Code;
  anatomicRegion?: Code;
  anatomicRegionModifier?: Code;
  /** sRGB 0..255. */
  color: Rgb;
}

type Side = 'L' | 'R';
const SIDE: Record<Side, Code> = { L: LEFT, R: RIGHT };

const TABLE = new Map<string, StructureTerms>();

function put(name: string, terms: StructureTerms): void {
  if (TABLE.has(name)) throw new Error(`TotalSegmentator terms: '${name}' twice`);
  Object.freeze(terms.color);
  TABLE.set(name, Object.freeze(terms));
}

/** An anatomical structure; `side` becomes the type modifier. */
function row(name: string, color: Rgb, code: string, meaning: string, side?: Side): void {
  put(name, {
    category: ANATOMICAL_STRUCTURE,
    type: sct(code, meaning),
    ...(side ? { typeModifier: SIDE[side] } : {}),
    color,
  });
}

/** A structure described by its category, type and anatomic region (lesions, tissues, groups). */
function regional(
  name: string,
  color: Rgb,
  category: Code,
  type: Code,
  region: Code,
  regionSide?: Side,
  typeModifier?: Code,
): void {
  put(name, {
    category,
    type,
    ...(typeModifier ? { typeModifier } : {}),
    anatomicRegion: region,
    ...(regionSide ? { anatomicRegionModifier: SIDE[regionSide] } : {}),
    color,
  });
}

// ---- the 117 classes of 'total' (TotalSegmentator v2), in class-map order -------------------
row('spleen', [157, 108, 162], '78961009', 'Spleen');
row('kidney_right', [185, 102, 83], '64033007', 'Kidney', 'R');
row('kidney_left', [120, 60, 50], '64033007', 'Kidney', 'L');
row('gallbladder', [139, 150, 98], '28231008', 'Gallbladder');
row('liver', [221, 130, 101], '10200004', 'Liver');
row('stomach', [255, 174, 201], '69695003', 'Stomach');
row('pancreas', [249, 180, 111], '15776009', 'Pancreas');
row('adrenal_gland_right', [244, 214, 49], '23451007', 'Adrenal gland', 'R');
row('adrenal_gland_left', [190, 160, 20], '23451007', 'Adrenal gland', 'L');
row('lung_upper_lobe_left', [172, 214, 164], '45653009', 'Upper lobe of lung', 'L');
row('lung_lower_lobe_left', [105, 170, 110], '90572001', 'Lower lobe of lung', 'L');
row('lung_upper_lobe_right', [160, 200, 230], '45653009', 'Upper lobe of lung', 'R');
row('lung_middle_lobe_right', [120, 150, 220], '72481006', 'Middle lobe of right lung');
row('lung_lower_lobe_right', [70, 130, 170], '90572001', 'Lower lobe of lung', 'R');
row('esophagus', [211, 171, 143], '32849002', 'Esophagus');
row('trachea', [205, 245, 245], '44567001', 'Trachea');
row('thyroid_gland', [220, 245, 120], '69748006', 'Thyroid gland');
row('small_bowel', [255, 218, 185], '30315005', 'Small intestine');
row('duodenum', [255, 200, 80], '38848004', 'Duodenum');
row('colon', [184, 122, 90], '71854001', 'Colon');
row('urinary_bladder', [200, 200, 235], '89837001', 'Urinary bladder');
row('prostate', [170, 90, 120], '41216001', 'Prostate');
const KIDNEY = sct('64033007', 'Kidney');
const CYST = sct('367643001', 'Cyst');
regional('kidney_cyst_left', [90, 220, 180], MORPHOLOGICALLY_ALTERED, CYST, KIDNEY, 'L');
regional('kidney_cyst_right', [40, 150, 130], MORPHOLOGICALLY_ALTERED, CYST, KIDNEY, 'R');
row('sacrum', [224, 188, 133], '54735007', 'Sacrum');

/** Vertebrae from the top; TotalSegmentator's class map lists them from S1 upwards. */
const VERTEBRAE: [level: string, code: string, color: Rgb][] = [
  ['C1', '14806007', [54, 226, 54]],
  ['C2', '39976000', [71, 209, 108]],
  ['C3', '113205007', [132, 201, 29]],
  ['C4', '5329002', [29, 29, 201]],
  ['C5', '36978003', [144, 192, 89]],
  ['C6', '36054005', [166, 63, 139]],
  ['C7', '87391001', [216, 163, 220]],
  ['T1', '64864005', [189, 201, 29]],
  ['T2', '53733008', [64, 184, 46]],
  ['T3', '1626008', [150, 143, 239]],
  ['T4', '73071006', [233, 99, 206]],
  ['T5', '56401006', [146, 63, 166]],
  ['T6', '45296009', [184, 46, 184]],
  ['T7', '62487009', [77, 166, 63]],
  ['T8', '11068009', [89, 95, 192]],
  ['T9', '82687006', [226, 54, 146]],
  ['T10', '7610001', [206, 126, 174]],
  ['T11', '12989004', [147, 184, 46]],
  ['T12', '23215003', [126, 206, 179]],
  ['L1', '66794005', [179, 206, 126]],
  ['L2', '14293000', [54, 77, 226]],
  ['L3', '36470004', [54, 226, 100]],
  ['L4', '11994002', [239, 143, 226]],
  ['L5', '49668003', [166, 125, 63]],
  ['S1', '65985001', [123, 226, 54]],
];
for (const [level, code, color] of [...VERTEBRAE].reverse())
  row(`vertebrae_${level}`, color, code, `${level} vertebra`);

row('heart', [180, 40, 80], '80891009', 'Heart');
row('aorta', [230, 40, 40], '15825003', 'Aorta');
row('pulmonary_vein', [120, 80, 200], '122972007', 'Pulmonary vein');
row('brachiocephalic_trunk', [196, 70, 40], '12691009', 'Brachiocephalic artery');
row('subclavian_artery_right', [255, 100, 100], '29700009', 'Subclavian artery', 'R');
row('subclavian_artery_left', [150, 20, 30], '29700009', 'Subclavian artery', 'L');
row('common_carotid_artery_right', [255, 130, 60], '32062004', 'Common carotid artery', 'R');
row('common_carotid_artery_left', [200, 90, 0], '32062004', 'Common carotid artery', 'L');
row('brachiocephalic_vein_left', [60, 100, 230], '8887007', 'Brachiocephalic vein', 'L');
row('brachiocephalic_vein_right', [30, 50, 150], '8887007', 'Brachiocephalic vein', 'R');
row('atrial_appendage_left', [240, 120, 190], '68786006', 'Auricular appendage', 'L');
row('superior_vena_cava', [70, 160, 255], '48345005', 'Superior vena cava');
row('inferior_vena_cava', [0, 110, 200], '64131007', 'Inferior vena cava');
row('portal_vein_and_splenic_vein', [0, 180, 170], '110765007', 'Portal vein and splenic vein');
row('iliac_artery_left', [250, 60, 120], '73634005', 'Common iliac artery', 'L');
row('iliac_artery_right', [200, 30, 100], '73634005', 'Common iliac artery', 'R');
row('iliac_vena_left', [100, 130, 255], '46027005', 'Common iliac vein', 'L');
row('iliac_vena_right', [90, 60, 190], '46027005', 'Common iliac vein', 'R');
row('humerus_left', [231, 211, 85], '85050009', 'Humerus', 'L');
row('humerus_right', [246, 241, 193], '85050009', 'Humerus', 'R');
row('scapula_left', [201, 197, 156], '79601000', 'Scapula', 'L');
row('scapula_right', [230, 219, 209], '79601000', 'Scapula', 'R');
row('clavicula_left', [192, 161, 89], '51299004', 'Clavicle', 'L');
row('clavicula_right', [226, 146, 54], '51299004', 'Clavicle', 'R');
row('femur_left', [209, 140, 71], '71341001', 'Femur', 'L');
row('femur_right', [236, 224, 121], '71341001', 'Femur', 'R');
row('hip_left', [192, 182, 89], '29836001', 'Hip', 'L');
row('hip_right', [209, 168, 71], '29836001', 'Hip', 'R');
row('spinal_cord', [255, 255, 100], '2748008', 'Spinal cord');
row('gluteus_maximus_left', [131, 90, 63], '181674001', 'Gluteus maximus muscle', 'L');
row('gluteus_maximus_right', [126, 40, 27], '181674001', 'Gluteus maximus muscle', 'R');
row('gluteus_medius_left', [158, 76, 76], '78333006', 'Gluteus medius muscle', 'L');
row('gluteus_medius_right', [126, 63, 27], '78333006', 'Gluteus medius muscle', 'R');
row('gluteus_minimus_left', [214, 61, 61], '75297007', 'Gluteus minimus muscle', 'L');
row('gluteus_minimus_right', [160, 59, 34], '75297007', 'Gluteus minimus muscle', 'R');
row('autochthon_left', [217, 140, 140], '244849004', 'Deep muscle of back', 'L');
row('autochthon_right', [160, 84, 34], '244849004', 'Deep muscle of back', 'R');
row('iliopsoas_left', [214, 112, 61], '68455001', 'Iliopsoas muscle', 'L');
row('iliopsoas_right', [196, 79, 79], '68455001', 'Iliopsoas muscle', 'R');
row('brain', [250, 190, 200], '12738006', 'Brain');
row('skull', [224, 212, 133], '89546000', 'Skull');

/** Ribs 1..12: code, meaning, colour left, colour right. */
const RIBS: [code: string, meaning: string, left: Rgb, right: Rgb][] = [
  ['48535007', 'First rib', [226, 54, 226], [201, 29, 155]],
  ['78247007', 'Second rib', [207, 143, 239], [157, 54, 226]],
  ['25888004', 'Third rib', [197, 99, 233], [54, 192, 226]],
  ['25523003', 'Fourth rib', [143, 239, 163], [233, 99, 135]],
  ['15339008', 'Fifth rib', [135, 233, 99], [63, 153, 166]],
  ['59558009', 'Sixth rib', [99, 233, 233], [46, 184, 119]],
  ['24915002', 'Seventh rib', [99, 179, 233], [188, 239, 143]],
  ['5953002', 'Eighth rib', [63, 104, 166], [138, 46, 184]],
  ['22565002', 'Ninth rib', [54, 226, 157], [174, 163, 220]],
  ['77644006', 'Tenth rib', [162, 112, 219], [126, 195, 206]],
  ['58830002', 'Eleventh rib', [184, 46, 119], [219, 112, 119]],
  ['43993008', 'Twelfth rib', [192, 89, 144], [29, 132, 201]],
];
RIBS.forEach(([code, meaning, left], i) => row(`rib_left_${i + 1}`, left, code, meaning, 'L'));
RIBS.forEach(([code, meaning, , right], i) => row(`rib_right_${i + 1}`, right, code, meaning, 'R'));
row('sternum', [175, 152, 106], '56873002', 'Sternum');
row('costal_cartilages', [170, 230, 220], '50016007', 'Costal cartilage');

// ---- names of other tasks ('total_mr', heart chambers, appendicular bones, tissue types, ...) ----
row('lung_left', [105, 170, 110], '39607008', 'Lung', 'L');
row('lung_right', [70, 130, 170], '39607008', 'Lung', 'R');
row('vertebrae', [179, 206, 126], '51282000', 'Vertebra');
row('intervertebral_discs', [110, 210, 230], '360499006', 'Intervertebral disc');
row('heart_myocardium', [206, 110, 84], '74281007', 'Myocardium');
row('heart_atrium_left', [230, 120, 160], '82471001', 'Left atrium');
row('heart_atrium_right', [120, 140, 230], '73829009', 'Right atrium');
row('heart_ventricle_left', [200, 50, 70], '87878005', 'Left ventricle of heart');
row('heart_ventricle_right', [60, 90, 200], '53085002', 'Right ventricle of heart');
row('pulmonary_artery', [0, 122, 171], '81040000', 'Pulmonary artery');
row('coronary_arteries', [230, 80, 60], '41801008', 'Coronary artery');
row('face', [240, 200, 170], '89545001', 'Face');
row('femur', [209, 140, 71], '71341001', 'Femur');
row('humerus', [231, 211, 85], '85050009', 'Humerus');
row('patella', [230, 228, 209], '64234005', 'Patella');
row('tibia', [175, 168, 106], '12611008', 'Tibia');
row('fibula', [241, 233, 157], '87342007', 'Fibula');
row('tarsal', [241, 199, 157], '108371006', 'Tarsal bones');
row('metatarsal', [226, 169, 54], '53884002', 'Metatarsal');
row('phalanges_feet', [175, 140, 106], '28641004', 'Phalanx structure');
row('ulna', [216, 185, 100], '23416004', 'Ulna');
row('radius', [201, 197, 156], '62413002', 'Radius');
row('carpal', [246, 241, 193], '83936004', 'Carpus');
row('metacarpal', [192, 151, 89], '36455000', 'Metacarpal bones');
row('phalanges_hand', [236, 178, 121], '28641004', 'Phalanx structure');
row('skeletal_muscle', [192, 104, 88], '127954009', 'Skeletal muscle');
put('subcutaneous_fat', {
  category: TISSUE,
  type: sct('67769002', 'Subcutaneous fatty tissue'),
  color: [230, 210, 120],
});
regional('torso_fat', [250, 180, 80], TISSUE, sct('55603005', 'Fat'), sct('22943007', 'Trunk'));
const LUNG = sct('39607008', 'Lung');
const LIVER = sct('10200004', 'Liver');
const BLOOD_VESSEL = sct('59820001', 'Blood vessel');
regional(
  'lung_covid_infiltrate',
  [255, 160, 60],
  MORPHOLOGICALLY_ALTERED,
  sct('47351003', 'Infiltrate'),
  LUNG,
  undefined,
  sct('840539006', 'COVID-19'),
);
regional(
  'intracerebral_hemorrhage',
  [190, 20, 20],
  MORPHOLOGICALLY_ALTERED,
  sct('50960005', 'Hemorrhage'),
  sct('12738006', 'Brain'),
);
regional('hip_implant', [180, 180, 200], PHYSICAL_OBJECT, sct('40388003', 'Implant'), sct('24136001', 'Hip joint'));
row('kidney', [120, 60, 50], '64033007', 'Kidney');
row('adrenal_gland', [190, 160, 20], '23451007', 'Adrenal gland');
const VERTEBRA = sct('51282000', 'Vertebra');
regional('vertebrae_lumbar', [179, 206, 126], ANATOMICAL_STRUCTURE, VERTEBRA, sct('122496007', 'Lumbar spine'));
regional('vertebrae_thoracic', [189, 201, 29], ANATOMICAL_STRUCTURE, VERTEBRA, sct('122495006', 'Thoracic spine'));
regional('vertebrae_cervical', [54, 226, 54], ANATOMICAL_STRUCTURE, VERTEBRA, sct('122494005', 'Cervical spine'));
row('iliac_artery', [250, 60, 120], '73634005', 'Common iliac artery');
row('iliac_vena', [100, 130, 255], '46027005', 'Common iliac vein');
row('ribs', [226, 54, 226], '113197003', 'Rib');
row('scapula', [201, 197, 156], '79601000', 'Scapula');
row('clavicula', [192, 161, 89], '51299004', 'Clavicle');
row('hip', [192, 182, 89], '29836001', 'Hip');
row('gluteus_maximus', [131, 90, 63], '181674001', 'Gluteus maximus muscle');
row('gluteus_medius', [158, 76, 76], '78333006', 'Gluteus medius muscle');
row('gluteus_minimus', [214, 61, 61], '75297007', 'Gluteus minimus muscle');
row('autochthon', [217, 140, 140], '244849004', 'Deep muscle of back');
row('iliopsoas', [214, 112, 61], '68455001', 'Iliopsoas muscle');
regional('lung_vessels', [200, 60, 60], ANATOMICAL_STRUCTURE, BLOOD_VESSEL, LUNG);
row('lung_trachea_bronchia', [182, 228, 255], '110726009', 'Trachea and bronchus');
row('body_trunc', [230, 200, 180], '22943007', 'Trunk');
row('body_extremities', [200, 170, 150], '66019005', 'Limb');
row('vertebrae_body', [224, 188, 133], '3572006', 'Vertebral body');
row('lung_pleural', [200, 200, 160], '3120008', 'Pleural membrane');
const EFFUSION = sct('41699000', 'Effusion');
regional('pleural_effusion', [100, 190, 255], MORPHOLOGICALLY_ALTERED, EFFUSION, sct('91381003', 'Pleural cavity'));
regional(
  'pericardial_effusion',
  [255, 170, 120],
  MORPHOLOGICALLY_ALTERED,
  EFFUSION,
  sct('25489000', 'Pericardial cavity'),
);
regional('liver_vessels', [0, 151, 206], ANATOMICAL_STRUCTURE, BLOOD_VESSEL, LIVER);
regional('liver_tumor', [150, 220, 90], MORPHOLOGICALLY_ALTERED, sct('108369006', 'Neoplasm'), LIVER);

/** Every name the table knows, in table order ('total' classes first). */
export const TOTALSEG_STRUCTURE_NAMES: readonly string[] = Object.freeze([...TABLE.keys()]);

/** The terms of a TotalSegmentator structure by its exact name ('kidney_right'), or undefined. */
export function totalSegmentatorTerms(name: string): StructureTerms | undefined {
  return TABLE.get(name);
}
