/**
 * sRGB <-> DICOM CIELab (RecommendedDisplayCIELabValue). DICOM encodes CIELab as the ICC Profile
 * Connection Space does (PS3.3 C.10.7.1.1): relative to the D50 white, L* 0..100 -> 0..65535,
 * a* and b* -128..127 -> 0..65535. sRGB (D65) is adapted to D50 with the Bradford transform; the
 * white point used is the image of sRGB white, so sRGB white encodes as a* = b* = 0 exactly.
 */
import type { Mat3 } from '../../core/types';
import { invert3 } from '../../volume/geometry';
import type { Rgb } from './types';

/** Linear sRGB -> XYZ relative to D50 (Bradford-adapted sRGB matrix, ICC sRGB profile). */
const RGB_TO_XYZ: Mat3 = [
  0.4360747, 0.3850649, 0.1430804, 0.2225045, 0.7168786, 0.0606169, 0.0139322, 0.0971045, 0.7141733,
];
const XYZ_TO_RGB = invert3(RGB_TO_XYZ);
const WHITE = [0, 1, 2].map((r) => RGB_TO_XYZ[3 * r] + RGB_TO_XYZ[3 * r + 1] + RGB_TO_XYZ[3 * r + 2]);

const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toGamma = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
const f = (t: number) => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const fInv = (t: number) => (t ** 3 > EPS ? t ** 3 : (116 * t - 16) / KAPPA);
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

const mul = (m: Readonly<Mat3>, v: number[]) =>
  [0, 1, 2].map((r) => m[3 * r] * v[0] + m[3 * r + 1] * v[1] + m[3 * r + 2] * v[2]);

/** sRGB 0..255 -> DICOM CIELab triplet, integers 0..65535. */
export function rgbToDicomLab(rgb: Readonly<Rgb>): [number, number, number] {
  const xyz = mul(
    RGB_TO_XYZ,
    rgb.map((c) => toLinear(clamp(c, 0, 255) / 255)),
  );
  const [fx, fy, fz] = xyz.map((v, i) => f(v / WHITE[i]));
  const L = 116 * fy - 16;
  const a = 500 * (fx - fy);
  const b = 200 * (fy - fz);
  const scale = (v: number) => clamp(Math.round(v), 0, 65535);
  return [scale((L * 65535) / 100), scale(((a + 128) * 65535) / 255), scale(((b + 128) * 65535) / 255)];
}

/** DICOM CIELab triplet -> sRGB 0..255 (out-of-gamut colours clipped). */
export function dicomLabToRgb(lab: readonly number[]): Rgb {
  const L = (lab[0] * 100) / 65535;
  const a = (lab[1] * 255) / 65535 - 128;
  const b = (lab[2] * 255) / 65535 - 128;
  const fy = (L + 16) / 116;
  const xyz = [fInv(fy + a / 500), L > KAPPA * EPS ? fy ** 3 : L / KAPPA, fInv(fy - b / 200)].map(
    (v, i) => v * WHITE[i],
  );
  const rgb = mul(XYZ_TO_RGB, xyz).map((c) => Math.round(toGamma(clamp(c, 0, 1)) * 255));
  return [rgb[0], rgb[1], rgb[2]];
}
