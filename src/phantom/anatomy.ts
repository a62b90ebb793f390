/**
 * Seeded anatomical parameters of the synthetic abdomen. Everything in-plane is in mm relative
 * to the volume centre (LPS: +x patient left, +y posterior); the body is scaled down to fit the
 * field of view when needed. Along z the anatomy is laid out over the normalised height
 * t = 0 (first slice, feet side) .. 1 (last slice, head side), so every organ appears at any
 * slice count; the vertebra/disc pattern uses real mm.
 */
import { CONTRAST_PHASES, HU, contrastPhase, type ContrastPhase, type HuTable } from './hu';
import { hashSeed, sampler } from './prng';

export interface Bowel {
  x: number;
  y: number;
  r: number;
  t0: number;
  t1: number;
  drift: number;
  freq: number;
  phase: number;
  hu: number;
  gas: boolean;
}

export interface Anatomy {
  sc: number;
  cx: number;
  cy: number;
  A: number;
  B: number;
  bodyPhase: [number, number, number];
  fat: number;
  muscle: number;
  spine: { dx: number; depth: number; va: number; vb: number; period: number; disc: number; offset: number };
  aorta: { dx: number; r: number; tBif: number };
  liver: {
    tc: number;
    down: number;
    up: number;
    dx: number;
    dy: number;
    a: number;
    b: number;
    rot: number;
    phase: number;
    left: number;
  };
  spleen: { tc: number; h: number; dx: number; dy: number; a: number; b: number; rot: number };
  kidneys: { tc: number; h: number; dx: number; dy: number; a: number; b: number; rot: number }[];
  tDia: number;
  lung: { dx: number; dy: number; a: number; b: number };
  bowel: Bowel[];
  ribPeriod: number;
  noisePhase: number;
  /** Tissue values (HU) of this phantom's contrast phase. */
  hu: HuTable;
  phase: ContrastPhase | 'default';
  /** Lateral and vertical drift (mm) of the whole body from the first to the last slice. */
  drift: [number, number];
}

/**
 * Half-widths (mm) of the field of view in x and y. `vary` draws, from a separate stream of the
 * same seed, the wider variety used for training: organ sizes and positions, a drifting body, a
 * contrast phase; without it the anatomy is the plain phantom's.
 */
export function makeAnatomy(seed: number, hx: number, hy: number, vary = false): Anatomy {
  const { range, jitter } = sampler(seed);
  let A = 150 * jitter(0.08);
  let B = 108 * jitter(0.08);
  const sc = Math.min(1, (0.9 * hx) / (A * 1.08), (0.9 * hy) / (B * 1.08));
  A *= sc;
  B *= sc;
  const two = Math.PI * 2;
  const kidneyT = range(0.41, 0.45); // the right kidney lies lower than the left
  const anat: Anatomy = {
    sc,
    cx: A * range(-0.02, 0.02),
    cy: B * range(-0.03, 0.03),
    A,
    B,
    bodyPhase: [range(0, two), range(0, two), range(0, two)],
    fat: A * range(0.07, 0.16),
    muscle: A * range(0.055, 0.08),
    spine: {
      dx: A * range(-0.015, 0.015),
      depth: B * range(0.27, 0.33),
      va: 22 * sc * jitter(0.08),
      vb: 16 * sc * jitter(0.08),
      period: 36 * jitter(0.06),
      disc: 8 * jitter(0.1),
      offset: range(0, 36),
    },
    aorta: { dx: A * range(0.06, 0.11), r: 11 * sc * jitter(0.1), tBif: range(0.08, 0.14) },
    liver: {
      tc: range(0.63, 0.69),
      down: range(0.21, 0.26),
      up: range(0.14, 0.18),
      dx: -A * range(0.35, 0.41),
      dy: B * range(-0.04, 0.04),
      a: A * range(0.33, 0.38),
      b: B * range(0.46, 0.54),
      rot: range(-0.3, 0.15),
      phase: range(0, two),
      left: range(0.8, 1.2),
    },
    spleen: {
      tc: range(0.68, 0.73),
      h: range(0.11, 0.14),
      dx: A * range(0.5, 0.55),
      dy: B * range(0.22, 0.32),
      a: A * range(0.11, 0.14),
      b: B * range(0.26, 0.33),
      rot: -range(0.45, 0.75),
    },
    kidneys: [0, 1].map((side) => ({
      tc: kidneyT + side * range(0.02, 0.05),
      h: range(0.1, 0.12),
      dx: (side ? 1 : -1) * A * range(0.27, 0.32),
      dy: B * range(-0.04, 0.04),
      a: A * range(0.1, 0.12),
      b: B * range(0.16, 0.19),
      rot: (side ? -1 : 1) * range(0.4, 0.7),
    })),
    tDia: range(0.71, 0.77),
    lung: { dx: A * range(0.4, 0.44), dy: B * range(0.05, 0.12), a: A * range(0.32, 0.36), b: B * range(0.55, 0.62) },
    bowel: [],
    ribPeriod: 40 * jitter(0.1),
    noisePhase: range(0, 1),
    hu: { ...HU },
    phase: 'default',
    drift: [0, 0],
  };
  const n = 14;
  for (let i = 0; i < n; i++) {
    const t0 = range(0.02, 0.45);
    anat.bowel.push({
      x: A * range(-0.5, 0.5),
      y: anat.cy + B * range(-0.55, 0.05),
      r: range(8, 16) * sc,
      t0,
      t1: Math.min(0.66, t0 + range(0.1, 0.35)),
      drift: A * range(0.03, 0.12),
      freq: range(1, 4),
      phase: range(0, two),
      hu: range(22, 42),
      gas: range(0, 1) < 0.35,
    });
  }
  if (vary) varyAnatomy(anat, seed);
  return anat;
}

/** Wider organ sizes and positions, a drifting body and a contrast phase (in place). */
function varyAnatomy(an: Anatomy, seed: number): void {
  const { range, jitter } = sampler(hashSeed(seed, 9));
  const { A, B } = an;
  an.phase = CONTRAST_PHASES[Math.floor(range(0, CONTRAST_PHASES.length))];
  an.hu = contrastPhase(an.phase, () => range(-12, 12));
  an.drift = [A * range(-0.08, 0.08), B * range(-0.08, 0.08)];
  const L = an.liver;
  L.a *= jitter(0.15);
  L.b *= jitter(0.12);
  L.down *= jitter(0.15);
  L.up *= jitter(0.15);
  L.dx += A * range(-0.03, 0.03);
  L.dy += B * range(-0.05, 0.05);
  L.tc += range(-0.03, 0.03);
  const S = an.spleen;
  S.a *= jitter(0.2);
  S.b *= jitter(0.2);
  S.h *= jitter(0.2);
  S.dx += A * range(-0.03, 0.03);
  S.dy += B * range(-0.06, 0.06);
  S.tc += range(-0.03, 0.03);
  for (const K of an.kidneys) {
    K.a *= jitter(0.15);
    K.b *= jitter(0.15);
    K.h *= jitter(0.15);
    K.dx *= jitter(0.08);
    K.dy += B * range(-0.04, 0.04);
    K.tc += range(-0.04, 0.04);
    K.rot += range(-0.2, 0.2);
  }
  an.aorta.r *= jitter(0.2);
  an.aorta.dx *= jitter(0.3);
  an.spine.va *= jitter(0.1);
  an.spine.vb *= jitter(0.1);
  an.lung.a *= jitter(0.1);
  an.lung.b *= jitter(0.1);
  an.tDia += range(-0.03, 0.03);
}
