/**
 * Does a model suit the open study? The one place for these rules: the app's model list and the
 * panel's fit line, and `voxseg segment`'s warnings and refusals, all read them from here. Pure
 * code (no DOM, no onnxruntime). The study side is measured once per study by `studyFacts`
 * (study-facts.ts: modality, inferred when the file has none; body region; 2-D / 4-D).
 *
 * The model (`modelFit`): its manifest's `intended.modality` (MRI = MR) and free-text
 * `intended.bodyPart`, normalized to regions by keywords ('HEAD', 'brain' -> head; 'abdomen
 * (synthetic phantom)' -> abdomen; 'whole body' -> every region; 'any' -> any; anything else, e.g.
 * 'see the model source', unknown); "T1" in its name, notes or description makes it a T1 model.
 *
 * Scores (higher ranks first; fitting models always before the others): modality named by DICOM
 * and intended +4, inferred with high / medium / low confidence +4 / +3 / +2, unknown 0; body
 * region inside the model's +3, overlapping it or a whole-body model +2, a model for any region +1,
 * unknown on either side 0. A thick-slice, thin-coverage or sequence caution costs 1 each.
 * A modality the model is not for (unless the inference is low-confidence), or a region that
 * does not overlap the model's (except chest / abdomen / pelvis mix-ups, which are cautions: a chest
 * CT holds the upper abdomen), makes the model not fit: a warning, never a refusal — the user may
 * know better. Slices more than max(3 mm, twice the model's coarsest spacing) apart, or a study
 * covering less than 50 mm along an axis, are cautions. Only a 2-D image or a 4-D series is
 * refused (`checkRunnable`), before anything runs.
 */
import { VoxsegError } from '../core/errors';
import type { ModelManifest } from './manifest';
import {
  ALL_REGIONS,
  TRUNK,
  normalizeModality,
  bodyPartRegions,
  type Confidence,
  type Region,
  type StudyFacts,
} from './study-facts';

export {
  bodyPartRegions,
  normalizeModality,
  studyFacts,
  type Confidence,
  type Region,
  type StudyFacts,
} from './study-facts';

export interface ModelFit {
  /** False: the model is not meant for this study (a warning; only `blocked` stops a run). */
  fits: boolean;
  /** The study cannot be segmented at all (2-D image, 4-D series). */
  blocked: boolean;
  /** Ranking score (see the file comment). */
  score: number;
  /** Why it does not fit, then the cautions; one sentence each. Empty when nothing to say. */
  reasons: string[];
  /** One line, e.g. "Expects a T1 brain MRI; this looks like an abdominal CT." */
  summary: string;
  /** What the model expects, e.g. "a T1 brain MRI". */
  expects: string;
  /** The study as the rules see it, e.g. "an abdominal CT". */
  study: string;
}

// thresholds and words (see the file comment)
const THICK_SLICE_MM = 3;
const THIN_COVERAGE_MM = 50;
const mm = (v: number) => `${Math.round(v)} mm`;
const NON_T1_WORDS = /\b(t2w?|t2-weighted|flair|dwi|dti|adc|bold|fmri|pd|swi)\b/i;
const T1_WORDS = /\b(t1w?|t1-weighted|mprage|mp-rage|spgr)\b/i;

const MODALITY_NOUN: Record<string, string> = { CT: 'CT', MR: 'MRI', PT: 'PET', NM: 'SPECT', US: 'ultrasound' };
const noun = (m: string) => MODALITY_NOUN[m] ?? m;
/** "A", "A or B", "A, B or C". */
const orList = (items: string[]) =>
  items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
const article = (w: string) => (/^([aeiou]|MRI|MR\b|X-?ray|NM|SPECT|8|11|18)/i.test(w) ? `an ${w}` : `a ${w}`);

function regionAdjective(r: Region, mrOnly: boolean): string {
  return {
    head: mrOnly ? 'brain' : 'head',
    neck: 'neck',
    chest: 'chest',
    abdomen: 'abdominal',
    pelvis: 'pelvic',
    limb: 'limb',
  }[r];
}

/** "a T1 brain MRI", "an abdominal CT", "a CT of the chest and abdomen", "a CT of any body part". */
function phrase(modalities: string[], regions: Region[] | 'any', t1 = false): string {
  const mrOnly = modalities.length === 1 && modalities[0] === 'MR';
  const what = modalities.length ? orList(modalities.map(noun)) : 'study';
  const pre = t1 ? 'T1 ' : '';
  if (regions === 'any') return article(`${pre}${what} of any body part`);
  if (regions.length === 0) return article(`${pre}${what}`);
  if (regions.length === ALL_REGIONS.length) return article(`${pre}whole-body ${what}`);
  if (regions.length === 1) return article(`${pre}${regionAdjective(regions[0], mrOnly)} ${what}`);
  if (TRUNK.every((r) => regions.includes(r)) && regions.length === 3) return article(`${pre}${what} of the trunk`);
  const names = regions.map((r) => (r === 'limb' ? 'limbs' : r));
  return article(`${pre}${what} of the ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);
}

/** How the rules see the study: "an abdominal CT", "a brain MRI", "a CT" (body part unknown). */
export function describeStudy(f: StudyFacts): string {
  return phrase(f.modality.value ? [f.modality.value] : [], f.region.regions);
}

// ---------- the fit ----------

/** Why the study cannot be segmented at all (2-D image, 4-D series), or null. */
export function runnableProblem(f: StudyFacts): string | null {
  if (f.is2D)
    return `this is a 2-D image (${f.dims.join(' x ')}: one slice); the models segment 3-D volumes, so use the whole series`;
  if (f.volumes > 1)
    return `this is a 4-D series (${f.volumes} volumes; only the first was loaded); the models segment one 3-D volume, so extract the volume you want into a file of its own`;
  return null;
}

/** Throw a VoxsegError naming `file` when the study cannot be segmented (2-D image, 4-D series). */
export function checkRunnable(f: StudyFacts, file?: string): void {
  const problem = runnableProblem(f);
  if (problem) throw new VoxsegError('unsupported', problem.replace(/^this is/, 'it is'), { file });
}

function modelRegions(m: ModelManifest): Region[] | 'any' {
  return bodyPartRegions(m.intended?.bodyPart);
}

function isT1Model(m: ModelManifest): boolean {
  return [m.name, m.description, m.intended?.notes].some((t) => !!t && T1_WORDS.test(t));
}

/** Coarsest spacing of the model grid (mm), when the manifest says. */
function modelSpacing(m: ModelManifest): number | null {
  const p = m.preprocessing;
  const s = p.mode === 'whole-volume' ? p.conform?.spacing : p.spacing;
  return s && s.length === 3 ? Math.max(...s) : null;
}

const CONFIDENCE_SCORE: Record<Confidence, number> = { high: 4, medium: 3, low: 2 };

/** How well `manifest`'s model suits the study `f`. */
export function modelFit(manifest: ModelManifest, f: StudyFacts): ModelFit {
  const modalities = (manifest.intended?.modality ?? []).map(normalizeModality);
  const regions = modelRegions(manifest);
  const t1 = modalities.length === 1 && modalities[0] === 'MR' && isT1Model(manifest);
  const expects = phrase(modalities, regions, t1);
  const study = describeStudy(f);
  const inferred = f.modality.inferred || f.region.source === 'field-of-view';
  const verb = inferred ? 'looks like' : 'is';
  const misfits: string[] = [];
  const cautions: string[] = [];
  let score = 0;

  const blocked = runnableProblem(f);
  if (blocked) misfits.push(blocked.charAt(0).toUpperCase() + blocked.slice(1) + '.');

  // modality
  const sm = f.modality.value;
  const how = f.modality.inferred ? ` (${f.modality.why})` : '';
  if (!sm)
    cautions.push(
      `The study's modality is unknown (${f.modality.why}); this model is for ${orList(modalities.map(noun))}.`,
    );
  else if (!modalities.length || modalities.includes(sm))
    score += f.modality.inferred ? CONFIDENCE_SCORE[f.modality.confidence] : 4;
  else if (f.modality.confidence === 'low') {
    score -= 1;
    cautions.push(`This model is for ${orList(modalities.map(noun))}; the study may be ${article(noun(sm))}${how}.`);
  } else
    misfits.push(
      `This model is for ${orList(modalities.map(noun))}; the study ${f.modality.inferred ? 'looks like' : 'is'} ${article(noun(sm))}${how}.`,
    );

  // body region
  const sr = f.region.regions;
  if (regions === 'any') score += 1;
  else if (regions.length && sr.length) {
    const overlap = sr.filter((r) => regions.includes(r));
    if (overlap.length === sr.length) score += regions.length === ALL_REGIONS.length ? 2 : 3;
    else if (overlap.length) score += 2;
    else if (sr.every((r) => TRUNK.includes(r)) && regions.every((r) => TRUNK.includes(r))) {
      score -= 1;
      cautions.push(regionReason(regions, f));
    } else misfits.push(regionReason(regions, f));
  } else if (regions.length && !sr.length)
    cautions.push(
      `The body part could not be told (${f.region.why}); this model is for the ${describePlace(regions)}.`,
    );

  // sequence
  if (t1 && sm === 'MR' && f.description && NON_T1_WORDS.test(f.description) && !T1_WORDS.test(f.description)) {
    score -= 1;
    cautions.push(`This model was trained on T1-weighted images; the series is described as "${f.description}".`);
  }

  // spacing and coverage
  if (!f.is2D) {
    const ms = modelSpacing(manifest);
    const slice = Math.max(...f.spacing);
    const limit = Math.max(THICK_SLICE_MM, 2 * (ms ?? 0));
    if (slice > limit) {
      score -= 1;
      cautions.push(
        `Voxels are ${+slice.toFixed(2)} mm apart along one axis, much coarser than the ${ms !== null ? `${+ms.toFixed(2)} mm the model works at` : 'model expects'}: detail between slices is guessed.`,
      );
    }
    const thin = Math.min(...f.extentMm);
    if (thin < THIN_COVERAGE_MM) {
      score -= 1;
      cautions.push(
        `The study covers only ${mm(thin)} along one axis: a 3-D model sees little context there, so expect poorer results.`,
      );
    }
  }

  const fits = misfits.length === 0;
  const unknown = !sm && !f.region.regions.length;
  const what = unknown ? 'the modality and body part of this study are unknown' : `this ${verb} ${study}`;
  const summary = `${fits ? 'For' : 'Expects'} ${expects}; ${what}.`;
  return { fits, blocked: !!blocked, score, reasons: [...misfits, ...cautions], summary, expects, study };
}

function regionReason(regions: Region[], f: StudyFacts): string {
  const shows = f.region.source === 'field-of-view' ? 'seems to show' : 'shows';
  return `This model is for the ${describePlace(regions)}; the study ${shows} the ${describePlace(f.region.regions)} (${f.region.why}).`;
}

function describePlace(regions: Region[]): string {
  if (regions.length === ALL_REGIONS.length) return 'whole body';
  if (regions.length === 3 && TRUNK.every((r) => regions.includes(r))) return 'trunk';
  const names = regions.map((r) => (r === 'limb' ? 'limbs' : r));
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export interface RankedModel<T> {
  item: T;
  fit: ModelFit;
}

/**
 * Models in the order to propose them for the study: fitting ones first, by score; equal ones
 * keep their given order.
 */
export function rankModels<T>(
  items: readonly T[],
  f: StudyFacts,
  manifestOf: (item: T) => ModelManifest,
): RankedModel<T>[] {
  return items
    .map((item, index) => ({ item, fit: modelFit(manifestOf(item), f), index }))
    .sort((a, b) => Number(b.fit.fits) - Number(a.fit.fits) || b.fit.score - a.fit.score || a.index - b.index)
    .map(({ item, fit }) => ({ item, fit }));
}
