/**
 * What the model-matching rules (fit.ts) know about a study, measured once per study on a
 * subsample of its voxels. Pure code (no DOM, no onnxruntime).
 *
 * - **Modality**: DICOM's Modality when present. Otherwise (NIfTI records none) it is inferred and
 *   said to be: values in Hounsfield units (`unit` 'HU'), else an MR word in the description
 *   (T1, T2, FLAIR, MPRAGE, …), else the intensities of a subsample: at least 2% of the voxels at
 *   air density (-1100..-900) and 5% at soft-tissue values (-200..300) is a CT in HU (high
 *   confidence); values below -500 in the lowest 1% with that soft tissue, a CT (medium); values
 *   that are non-negative but for noise (the lowest 0.1% above -10% of the 99th percentile), an MR
 *   (medium for integer data, low for floating point, which could as well be PET or a derived
 *   map); anything else stays unknown.
 * - **Body region**: DICOM BodyPartExamined when the loader keeps it (read as an optional
 *   `bodyPartExamined` metadata field), else region words in the series / study description, else
 *   the size of the body. The body is the voxels above -500 HU (CT) or above 10% of the range
 *   between the 1st and 99th percentiles (other images); its box, trimmed by 0.5% of the body's
 *   voxels at each end of each axis (noise, a stray table edge), is measured along the patient's
 *   left-right, anterior-posterior and head-foot axes (index axes matched to the nearest anatomical
 *   ones). Adult heads are 140-170 mm wide and 170-210 mm long (front to back; the brain alone
 *   less); necks, knees and thighs are narrower than 200 mm too, but not longer front to back than
 *   wide. So: at most 210 mm wide, at most 260 mm front to back and at least 1.05 times longer than
 *   wide is a **head**; 250 mm wide or more is the **trunk** (adult chest and abdomen are
 *   280-450 mm across), and when it also spans 1000 mm head to foot, the **whole body**; in between,
 *   or a body the image cuts off at its left or right edge (15% of that edge's plane is body) while
 *   the image is narrower than 250 mm, is unknown. A CT of the trunk is told apart by its lungs: a
 *   cross-section whose lung-density voxels (-950..-600 HU) enclosed by the body (foam pads and
 *   blankets around it have lung density too) are 10% or more of its body is a chest section; 75%
 *   chest sections or more is a chest CT, 20% or fewer an abdomen (the pelvis cannot be told from
 *   the abdomen by these measures), in between chest and abdomen. An MR of the trunk stays "the
 *   trunk".
 * - **2-D / 4-D**: an axis of one voxel is a 2-D image; `volumes` > 1 (a NIfTI file's dim[4..7],
 *   passed by the caller, or an optional `sourceVolumes` metadata field) is a 4-D series.
 *
 * The subsample is a regular grid of at most about a million voxels (every axis keeps at least 32
 * positions when it has them): tens of milliseconds on a 512 x 512 x 300 CT.
 */
import type { Mat3, Vec3, Volume } from '../core/types';

export type Region = 'head' | 'neck' | 'chest' | 'abdomen' | 'pelvis' | 'limb';
export type Confidence = 'high' | 'medium' | 'low';

export const ALL_REGIONS: Region[] = ['head', 'neck', 'chest', 'abdomen', 'pelvis', 'limb'];
export const TRUNK: Region[] = ['chest', 'abdomen', 'pelvis'];

/** What the rules know about a study. */
export interface StudyFacts {
  dims: Vec3;
  spacing: Vec3;
  /** Extent of the image in mm along each index axis (dims x spacing). */
  extentMm: Vec3;
  /** The body's box in mm along left-right, anterior-posterior, head-foot; null when none was found. */
  bodyMm: Vec3 | null;
  /** CT: fraction of the body's cross-sections that hold lungs (see the file comment); null otherwise. */
  lungSections: number | null;
  modality: {
    /** 'CT', 'MR', … (DICOM terms, upper case), or null when unknown. */
    value: string | null;
    inferred: boolean;
    confidence: Confidence;
    /** How it was found, e.g. "DICOM Modality" or "inferred from intensities: …". */
    why: string;
  };
  region: {
    /** Empty: unknown. */
    regions: Region[];
    source: 'dicom' | 'description' | 'field-of-view' | 'none';
    why: string;
  };
  /** The series / study description (for sequence hints such as T2). */
  description: string;
  /** One slice (an axis of one voxel). */
  is2D: boolean;
  /** Volumes in the source: more than 1 is a 4-D series of which one volume was loaded. */
  volumes: number;
}

// thresholds (see the file comment)
const SAMPLES = 1_000_000;
const CT_BODY_HU = -500;
const AIR_HU: [number, number] = [-1100, -900];
const SOFT_HU: [number, number] = [-200, 300];
const LUNG_HU: [number, number] = [-950, -600];
/** MR noise may dip below 0: the lowest 0.1% may reach -10% of the 99th percentile. */
const MR_NOISE = 0.1;
const TRIM = 0.005;
const HEAD_MAX_LR = 210;
const HEAD_MAX_AP = 260;
const HEAD_MIN_AP_OVER_LR = 1.05;
const TRUNK_MIN_LR = 250;
const WHOLE_BODY_MIN_SI = 1000;
const CHEST_SECTION_LUNG = 0.1;
const CHEST_MIN_CHEST = 0.75;
const ABDOMEN_MAX_CHEST = 0.2;

const MR_WORDS =
  /\b(t1w?|t2w?|t1-weighted|t2-weighted|flair|mprage|mp-rage|spgr|bravo|dwi|dti|adc|bold|fmri|pd|swi|tse|fse|mri?)\b/i;

/** Region keywords; DICOM's concatenated codes (CHESTABDOMEN, ABDOMENPELVIS) match as substrings. */
const REGION_WORDS: [Region, RegExp][] = [
  ['head', /head|brain|skull|cerebr|cranial|\bneuro|\borbit/i],
  ['neck', /neck|cspine|cervical|thyroid|larynx/i],
  ['chest', /chest|thora[xc]|lung|pulmo|cardiac|heart|breast|tspine|mediastin/i],
  ['abdomen', /abdom|\babd\b|liver|kidney|renal|pancrea|spleen|lspine|lumbar/i],
  ['pelvis', /pelvi|prostate|bladder|rectum|uterus|\bhips?\b/i],
  ['limb', /\b(knees?|legs?|arms?|extremit\w*|shoulders?|hands?|feet|foot|ankles?|wrists?|elbows?|femur|thigh)\b/i],
];
const WHOLE_BODY_WORDS = /whole[\s-]?body|total[\s-]?body|\bwb\b/i;
const ANY_WORDS = /^\s*(any|all|generic|any body part)\s*$/i;

/** Body part text (manifest or DICOM) -> regions; 'any' for a model meant for every region. */
export function bodyPartRegions(text: string | undefined): Region[] | 'any' {
  if (!text) return [];
  if (ANY_WORDS.test(text)) return 'any';
  if (WHOLE_BODY_WORDS.test(text)) return [...ALL_REGIONS];
  return REGION_WORDS.filter(([, re]) => re.test(text)).map(([r]) => r);
}

/** 'MRI' -> 'MR', 'PET' -> 'PT', other DICOM terms upper-cased. */
export function normalizeModality(m: string): string {
  const u = m.trim().toUpperCase();
  return u === 'MRI' ? 'MR' : u === 'PET' ? 'PT' : u;
}

/** Patient axis (0 L-R, 1 A-P, 2 S-I) of each index axis: the permutation closest to the direction. */
function patientAxes(d: Readonly<Mat3>): [number, number, number] {
  const perms: [number, number, number][] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  let best = perms[0];
  let bestSum = -1;
  for (const p of perms) {
    // index axis c points along column c; p[c] is the patient axis it is given
    const sum = Math.abs(d[p[0] * 3 + 0]) + Math.abs(d[p[1] * 3 + 1]) + Math.abs(d[p[2] * 3 + 2]);
    if (sum > bestSum + 1e-9) [best, bestSum] = [p, sum];
  }
  return best;
}

interface Sample {
  values: Float32Array;
  n: Vec3;
  step: Vec3;
  /** About 65 k of the values, sorted (for quantiles). */
  sorted: Float32Array;
}

/** A regular subsample of at most about SAMPLES voxels (every axis keeps at least 32 positions when it has them). */
function subsample(volume: Volume): Sample {
  const dims = volume.header.dims;
  const s = Math.max(1, Math.ceil(Math.cbrt((dims[0] * dims[1] * dims[2]) / SAMPLES)));
  const step = dims.map((d) => Math.max(1, Math.min(s, Math.floor(d / 32)))) as Vec3;
  const n = dims.map((d, c) => Math.ceil(d / step[c])) as Vec3;
  const values = new Float32Array(n[0] * n[1] * n[2]);
  const v = volume.voxels;
  let o = 0;
  for (let k = 0; k < dims[2]; k += step[2])
    for (let j = 0; j < dims[1]; j += step[1]) {
      const row = k * dims[0] * dims[1] + j * dims[0];
      for (let i = 0; i < dims[0]; i += step[0]) values[o++] = v[row + i];
    }
  const every = Math.max(1, Math.floor(values.length / 65_536));
  const sorted = new Float32Array(Math.ceil(values.length / every));
  for (let i = 0, o = 0; i < values.length; i += every) sorted[o++] = values[i];
  sorted.sort();
  return { values, n, step, sorted };
}

function quantiles({ sorted }: Sample, qs: number[]): number[] {
  return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]);
}

function fraction(values: Float32Array, lo: number, hi: number): number {
  let c = 0;
  for (let i = 0; i < values.length; i++) if (values[i] >= lo && values[i] <= hi) c++;
  return values.length ? c / values.length : 0;
}

const pct = (f: number) => `${(100 * f).toFixed(f < 0.1 ? 1 : 0)}%`;
const mm = (v: number) => `${Math.round(v)} mm`;

function inferModality(volume: Volume, sample: Sample, description: string): StudyFacts['modality'] {
  const m = volume.header.metadata;
  if (m.modality && m.modality.trim() && m.modality.toUpperCase() !== 'OT')
    return { value: normalizeModality(m.modality), inferred: false, confidence: 'high', why: 'DICOM Modality' };
  if (m.unit === 'HU')
    return { value: 'CT', inferred: true, confidence: 'high', why: 'inferred: the values are in Hounsfield units' };
  const word = MR_WORDS.exec(description);
  if (word)
    return { value: 'MR', inferred: true, confidence: 'medium', why: `inferred from the description "${description}"` };
  const v = sample.values;
  if (!v.length) return { value: null, inferred: true, confidence: 'low', why: 'no voxels' };
  const [p001, p01, p99] = quantiles(sample, [0.001, 0.01, 0.99]);
  const air = fraction(v, AIR_HU[0], AIR_HU[1]);
  const soft = fraction(v, SOFT_HU[0], SOFT_HU[1]);
  if (air >= 0.02 && soft >= 0.05)
    return {
      value: 'CT',
      inferred: true,
      confidence: 'high',
      why: `inferred from intensities: ${pct(air)} of the voxels at air density (-1100 to -900) and ${pct(soft)} at soft-tissue values, as in a CT in Hounsfield units`,
    };
  if (p01 < CT_BODY_HU && soft >= 0.05)
    return {
      value: 'CT',
      inferred: true,
      confidence: 'medium',
      why: `inferred from intensities: values down to ${Math.round(p01)} (air or lung in Hounsfield units) with ${pct(soft)} at soft-tissue values`,
    };
  if (p99 > 0 && p001 >= -MR_NOISE * p99) {
    const integer = !volume.header.dtype.startsWith('float') || isIntegerValued(v);
    const what = p001 >= 0 ? 'non-negative' : 'essentially non-negative';
    return integer
      ? {
          value: 'MR',
          inferred: true,
          confidence: 'medium',
          why: `inferred from intensities: ${what} integer values, as in MR; a CT in Hounsfield units has air at -1000`,
        }
      : {
          value: 'MR',
          inferred: true,
          confidence: 'low',
          why: `inferred from intensities: ${what} values, as in MR, but also in PET or a derived map`,
        };
  }
  return {
    value: null,
    inferred: true,
    confidence: 'low',
    why: 'not recorded, and the intensities look like neither a CT in Hounsfield units nor an MR',
  };
}

function isIntegerValued(v: Float32Array): boolean {
  const every = Math.max(1, Math.floor(v.length / 100_000));
  for (let i = 0; i < v.length; i += every) if (!Number.isInteger(v[i])) return false;
  return true;
}

/** Trimmed [lo, hi] (sample indices) of a profile of counts. */
function trimmedRange(profile: Float64Array, total: number): [number, number] {
  let acc = 0;
  let lo = 0;
  while (lo < profile.length - 1 && (acc += profile[lo]) <= TRIM * total) lo++;
  acc = 0;
  let hi = profile.length - 1;
  while (hi > 0 && (acc += profile[hi]) <= TRIM * total) hi--;
  return [lo, Math.max(lo, hi)];
}

interface Body {
  /** mm along L-R, A-P, S-I. */
  size: Vec3;
  /** The body fills a good part of the image's left or right edge plane. */
  cutLR: boolean;
  /** Image width along L-R (mm). */
  imageLR: number;
  /** Fraction of body cross-sections (along S-I) with lungs (CT only; null otherwise). */
  chestFraction: number | null;
}

function measureBody(volume: Volume, sample: Sample, isCT: boolean): Body | null {
  const { values, n, step } = sample;
  let threshold = CT_BODY_HU;
  if (!isCT) {
    const [p1, p99] = quantiles(sample, [0.01, 0.99]);
    if (!(p99 > p1)) return null;
    threshold = p1 + 0.1 * (p99 - p1);
  }
  const prof = n.map((c) => new Float64Array(c));
  let total = 0;
  for (let k = 0, o = 0; k < n[2]; k++)
    for (let j = 0; j < n[1]; j++)
      for (let i = 0; i < n[0]; i++, o++)
        if (values[o] > threshold) {
          prof[0][i]++;
          prof[1][j]++;
          prof[2][k]++;
          total++;
        }
  if (total < 50) return null;
  const h = volume.header;
  const axes = patientAxes(h.direction);
  const range = prof.map((p) => trimmedRange(p, total));
  const size: Vec3 = [0, 0, 0];
  const image: Vec3 = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    size[axes[c]] = (range[c][1] - range[c][0] + 1) * step[c] * h.spacing[c];
    image[axes[c]] = h.dims[c] * h.spacing[c];
  }
  const lr = axes.indexOf(0);
  const plane = (n[0] * n[1] * n[2]) / n[lr];
  const cutLR = prof[lr][0] / plane > 0.15 || prof[lr][n[lr] - 1] / plane > 0.15;
  const chestFraction = isCT ? lungSections(sample, axes.indexOf(2)) : null;
  return { size, cutLR, imageLR: image[0], chestFraction };
}

/**
 * Fraction of the body's cross-sections (planes across index axis `si`) that hold lungs: lung-density
 * voxels enclosed by the body (not reached from the image border through voxels of -500 HU or less,
 * so that air, foam pads and blankets around the body do not count) making up 10% or more of the
 * section's body voxels. Sections with less than 5% of the largest section's body are skipped.
 */
function lungSections({ values, n }: Sample, si: number): number | null {
  const [a, b] = [0, 1, 2].filter((c) => c !== si);
  const stride = [1, n[0], n[0] * n[1]];
  const na = n[a];
  const nb = n[b];
  const outside = new Uint8Array(na * nb);
  const stack = new Int32Array(na * nb);
  const body = new Float64Array(n[si]);
  const lung = new Float64Array(n[si]);
  const plane = new Float32Array(na * nb);
  for (let s = 0; s < n[si]; s++) {
    for (let y = 0, p = 0; y < nb; y++) {
      const row = s * stride[si] + y * stride[b];
      for (let x = 0; x < na; x++, p++) plane[p] = values[row + x * stride[a]];
    }
    // flood the non-body voxels reachable from the border
    outside.fill(0);
    let top = 0;
    const push = (p: number) => {
      if (!outside[p] && plane[p] <= CT_BODY_HU) {
        outside[p] = 1;
        stack[top++] = p;
      }
    };
    for (let x = 0; x < na; x++) {
      push(x);
      push(x + (nb - 1) * na);
    }
    for (let y = 0; y < nb; y++) {
      push(y * na);
      push(na - 1 + y * na);
    }
    while (top > 0) {
      const p = stack[--top];
      const x = p % na;
      if (x > 0) push(p - 1);
      if (x < na - 1) push(p + 1);
      if (p >= na) push(p - na);
      if (p < na * (nb - 1)) push(p + na);
    }
    for (let p = 0; p < na * nb; p++) {
      const v = plane[p];
      if (v > CT_BODY_HU) body[s]++;
      else if (!outside[p] && v >= LUNG_HU[0] && v <= LUNG_HU[1]) lung[s]++;
    }
  }
  const maxBody = body.reduce((a, b) => Math.max(a, b), 0);
  let sections = 0;
  let chest = 0;
  for (let s = 0; s < n[si]; s++) {
    if (body[s] < 0.05 * maxBody) continue;
    sections++;
    if (lung[s] >= CHEST_SECTION_LUNG * body[s]) chest++;
  }
  return sections ? chest / sections : null;
}

function regionFromBody(body: Body | null, isCT: boolean): StudyFacts['region'] {
  if (!body) return { regions: [], source: 'none', why: 'no body was found in the image' };
  const [lr, ap, si] = body.size;
  const dims = `${mm(lr)} wide, ${mm(ap)} front to back, ${mm(si)} head to foot`;
  if (body.cutLR) {
    if (body.imageLR >= TRUNK_MIN_LR)
      return trunk(body, isCT, `the image cuts off a body at least ${mm(body.imageLR)} wide`);
    return {
      regions: [],
      source: 'none',
      why: `the image, ${mm(body.imageLR)} wide, cuts off the body at its side, so its size is unknown`,
    };
  }
  if (lr <= HEAD_MAX_LR && ap <= HEAD_MAX_AP) {
    if (ap >= HEAD_MIN_AP_OVER_LR * lr)
      return { regions: ['head'], source: 'field-of-view', why: `a head-sized body, ${dims}` };
    return { regions: [], source: 'none', why: `a small body part not shaped like a head, ${dims}` };
  }
  if (lr >= TRUNK_MIN_LR) {
    if (si >= WHOLE_BODY_MIN_SI) return { regions: [...ALL_REGIONS], source: 'field-of-view', why: `a body ${dims}` };
    return trunk(body, isCT, `a body ${dims}`);
  }
  return { regions: [], source: 'none', why: `a body between head and trunk sizes, ${dims}` };
}

function trunk(body: Body, isCT: boolean, size: string): StudyFacts['region'] {
  const f = body.chestFraction;
  if (!isCT || f === null) return { regions: [...TRUNK], source: 'field-of-view', why: `${size}: the trunk` };
  const lungs = `lungs in ${pct(f)} of its cross-sections`;
  if (f >= CHEST_MIN_CHEST) return { regions: ['chest'], source: 'field-of-view', why: `${size}, ${lungs}` };
  if (f <= ABDOMEN_MAX_CHEST) return { regions: ['abdomen'], source: 'field-of-view', why: `${size}, ${lungs}` };
  return { regions: ['chest', 'abdomen'], source: 'field-of-view', why: `${size}, ${lungs}` };
}

/**
 * Measure a study once (a subsample of at most about a million voxels: tens of milliseconds).
 * `volumes`: how many volumes its source holds (a 4-D NIfTI's dim[4..7]) when the caller knows.
 */
export function studyFacts(volume: Volume, opts: { volumes?: number } = {}): StudyFacts {
  const h = volume.header;
  const meta = h.metadata as typeof h.metadata & { bodyPartExamined?: string; sourceVolumes?: number };
  const description = [meta.seriesDescription, meta.studyDescription].filter(Boolean).join(' · ');
  const dims = [...h.dims] as Vec3;
  const spacing = [...h.spacing] as Vec3;
  const sample = subsample(volume);
  const modality = inferModality(volume, sample, description);
  const isCT = modality.value === 'CT';
  const body = measureBody(volume, sample, isCT);
  let region: StudyFacts['region'];
  const examined = bodyPartRegions(meta.bodyPartExamined);
  const described = bodyPartRegions(description);
  if (Array.isArray(examined) && examined.length)
    region = { regions: examined, source: 'dicom', why: `DICOM BodyPartExamined "${meta.bodyPartExamined}"` };
  else if (Array.isArray(described) && described.length)
    region = { regions: described, source: 'description', why: `the description "${description}"` };
  else region = regionFromBody(body, isCT);
  return {
    dims,
    spacing,
    extentMm: dims.map((d, c) => d * spacing[c]) as Vec3,
    bodyMm: body ? body.size : null,
    lungSections: body ? body.chestFraction : null,
    modality,
    region,
    description,
    is2D: dims.some((d) => d <= 1),
    volumes: Math.max(1, Math.floor(opts.volumes ?? meta.sourceVolumes ?? 1)),
  };
}
