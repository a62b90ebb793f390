/**
 * The list of shapes (painted in order, later wins) making up one axial slice of the phantom.
 * Only a few dozen small objects per slice are allocated; voxels are filled by raster.ts.
 */
import type { Anatomy } from './anatomy';
import { ellipse, inset, type Ellipse } from './raster';

export { HU } from './hu';

export const LABEL = { liver: 1, spleen: 2, kidney_right: 3, kidney_left: 4, aorta: 5, spine: 6, lungs: 7 } as const;

export interface Shape {
  e: Ellipse | null;
  hu: number;
  label: number;
}

const TWO_PI = 2 * Math.PI;
const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Ellipsoid-like cross-section factor (0 outside, 1 at tc) with separate lower/upper half-heights. */
function profile(t: number, tc: number, down: number, up: number): number {
  const u = t < tc ? (tc - t) / down : (t - tc) / up;
  return u >= 1 ? 0 : Math.sqrt(1 - u * u);
}

export function sliceShapes(an: Anatomy, t: number, zmm: number): Shape[] {
  const out: Shape[] = [];
  const add = (e: Ellipse | null, hu: number, label = 0) => {
    if (e) out.push({ e, hu, label });
  };
  const { A, B, sc, hu } = an;
  // A slow lateral/vertical drift of the whole body along z (zero unless the anatomy is varied).
  const cx = an.cx + an.drift[0] * (t - 0.5);
  const cy = an.cy + an.drift[1] * (t - 0.5);
  const [p1, p2, p3] = an.bodyPhase;
  const bA = A * (1 + 0.04 * Math.sin(TWO_PI * 0.7 * t + p1));
  const bB = B * (1 + 0.05 * Math.sin(TWO_PI * 0.6 * t + p2));
  const body = ellipse(cx, cy, bA, bB, 0, 0.02, TWO_PI / (0.9 * bB), p3);
  add(body, hu.fat);
  add(inset(body, an.fat), hu.muscle);
  add(inset(body, an.fat + an.muscle), hu.visceralFat);

  // Ribs in the muscle wall of the upper half, appearing intermittently (they run obliquely).
  if (t > 0.5) {
    const rx = bA - an.fat - an.muscle * 0.5;
    const ry = bB - an.fat - an.muscle * 0.5;
    for (let n = 0; n < 7; n++) {
      if (Math.sin(TWO_PI * (zmm / an.ribPeriod + n * 0.15)) < 0.2) continue;
      const phi = ((25 + n * 22) * Math.PI) / 180;
      for (const side of [-1, 1]) {
        add(ellipse(cx + side * rx * Math.sin(phi), cy + ry * Math.cos(phi), 5 * sc, 3.5 * sc, side * phi), hu.rib);
      }
    }
  }

  const s = an.spine;
  const vcx = cx + s.dx;
  const vcy = cy + s.depth - 0.05 * B * Math.sin(Math.PI * t);
  for (const side of [-1, 1]) add(ellipse(vcx + side * 0.17 * A, vcy + 0.36 * B, 0.13 * A, 0.15 * B), hu.muscle);
  const w = clamp01((0.6 - t) / 0.3);
  if (w > 0) {
    for (const side of [-1, 1])
      add(
        ellipse(
          vcx + side * (s.va + 0.06 * A * (0.5 + w)),
          vcy - 0.02 * B,
          (0.03 + 0.05 * w) * A,
          (0.04 + 0.05 * w) * B,
        ),
        hu.muscle,
      );
  }

  for (const b of an.bowel) {
    if (t < b.t0 || t > b.t1) continue;
    const x = b.x + b.drift * Math.sin(TWO_PI * b.freq * t + b.phase);
    const y = b.y + 0.5 * b.drift * Math.cos(TWO_PI * b.freq * t + b.phase);
    add(ellipse(x, y, b.r, b.r * 0.85), b.hu);
    if (b.gas) add(ellipse(x, y - 0.3 * b.r, 0.5 * b.r, 0.4 * b.r), hu.gas);
  }

  const l = an.lung;
  for (const side of [-1, 1]) {
    const f = Math.sqrt(clamp01((t - an.tDia - (side < 0 ? 0.03 : 0)) / 0.3));
    if (f > 0)
      add(
        ellipse(cx + side * l.dx, cy + l.dy + (1 - f) * 0.25 * B, l.a * f, l.b * f, 0, 0.03, TWO_PI / 50, side),
        hu.lung,
        LABEL.lungs,
      );
  }
  const h = clamp01((t - 0.86) / 0.14);
  if (h > 0) add(ellipse(cx + 0.12 * A, cy - 0.25 * B, 0.3 * A * Math.sqrt(h), 0.3 * B * Math.sqrt(h), 0.5), hu.heart);

  const L = an.liver;
  const g = profile(t, L.tc, L.down, L.up) ** 0.6;
  if (g > 0)
    add(
      ellipse(cx + L.dx * (0.9 + 0.1 * g), cy + L.dy, L.a * g, L.b * g, L.rot, 0.05, TWO_PI / 70, L.phase + 3 * t),
      hu.liver,
      LABEL.liver,
    );
  const gl = profile(t, L.tc + 0.04, 0.12 * L.left, L.up * 0.9);
  if (gl > 0)
    add(
      ellipse(cx - 0.05 * A, cy - 0.33 * B, 0.3 * A * gl * L.left, 0.17 * B * gl, 0.2, 0.05, TWO_PI / 40, L.phase),
      hu.liver,
      LABEL.liver,
    );

  const S = an.spleen;
  const gs = profile(t, S.tc, S.h, S.h) ** 0.6;
  if (gs > 0)
    add(ellipse(cx + S.dx, cy + S.dy, S.a * gs, S.b * gs, S.rot, 0.04, TWO_PI / 35, 1), hu.spleen, LABEL.spleen);

  an.kidneys.forEach((K, side) => {
    const gk = profile(t, K.tc, K.h, K.h);
    if (gk <= 0) return;
    const label = side ? LABEL.kidney_left : LABEL.kidney_right;
    const ke = ellipse(vcx + K.dx, vcy + K.dy, K.a * gk ** 0.6, K.b * gk ** 0.6, K.rot);
    add(ke, hu.kidneyCortex, label);
    add(inset(ke, 5 * sc), hu.kidneyMedulla, label);
    const medial = side ? -1 : 1;
    if (gk > 0.6)
      add(ellipse(ke.cx + medial * 0.45 * ke.a, ke.cy - 0.3 * ke.b, 0.45 * ke.a, 0.35 * ke.b, K.rot), hu.sinus);
  });

  if (t < L.tc + 0.05) add(ellipse(vcx - 0.1 * A, vcy - s.vb - 12 * sc, 12.5 * sc, 9 * sc), hu.ivc);
  const ao = an.aorta;
  const u = clamp01((t - an.tDia) / 0.2);
  const ax = vcx + ao.dx + 0.06 * A * u;
  const ay = vcy - s.vb - ao.r - 2 * sc + u * (s.vb + ao.r) * 0.8;
  if (t >= ao.tBif) add(ellipse(ax, ay, ao.r, ao.r), hu.aorta, LABEL.aorta);
  else {
    const d = (ao.tBif - t) / ao.tBif;
    for (const side of [-1, 1])
      add(ellipse(ax + side * (0.6 * ao.r + d * 0.25 * A), ay, 0.7 * ao.r, 0.7 * ao.r), hu.aorta);
  }

  const ph = (((zmm + s.offset) % s.period) + s.period) % s.period;
  const ccy = vcy + s.vb + 10 * sc;
  const rc = 8 * sc;
  if (ph < s.disc) add(ellipse(vcx, vcy, s.va * 1.03, s.vb * 1.03), hu.disc);
  else {
    const vb = ellipse(vcx, vcy, s.va, s.vb);
    add(vb, hu.cortical, LABEL.spine);
    add(inset(vb, 1.8), hu.cancellous, LABEL.spine);
    add(ellipse(vcx, ccy, rc + 5 * sc, rc + 5 * sc), hu.arch, LABEL.spine);
    for (const side of [-1, 1])
      add(ellipse(vcx + side * (rc + 14 * sc), ccy - 3 * sc, 14 * sc, 4 * sc), hu.arch, LABEL.spine);
    add(ellipse(vcx, ccy + rc + 14 * sc, 4 * sc, 14 * sc), hu.arch, LABEL.spine);
  }
  add(ellipse(vcx, ccy, rc, rc), hu.csf);
  return out;
}
