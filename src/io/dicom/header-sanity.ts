/**
 * Header values that would make a silently wrong volume, refused per file with the reason: a
 * rescale that is zero (a constant image), not finite, or overflows float32 over the stored range
 * (±Inf voxels); positions, orientations or pixel spacings that are not finite numbers or absurd
 * (they would reach the written affine as Inf or NaN).
 *
 * Decisions:
 * - Absurd means beyond any scanner: an ImagePositionPatient coordinate past 1 km, a pixel spacing
 *   past 10 m, a direction cosine vector of (near) zero length or more than 1.5, row and column
 *   cosines (nearly) parallel. Missing values stay missing (the loader warns and assumes); only
 *   present, unusable ones are refused.
 * - The checks cover the image's own attributes and every frame of an enhanced multi-frame image.
 */
import type { DicomHeader, FrameGeom } from './parse';
import { storedRange } from './values';

export const MAX_POSITION_MM = 1e6;
export const MAX_SPACING_MM = 1e4;
const FLOAT32_MAX = 3.4028234663852886e38;

const g = (x: number) => (Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-4) ? x.toExponential(3) : String(x));

function rescaleProblem(h: DicomHeader, f: FrameGeom): string | undefined {
  const { slope, intercept } = f;
  if (!Number.isFinite(slope)) return `RescaleSlope ${slope} is not a finite number`;
  if (!Number.isFinite(intercept)) return `RescaleIntercept ${intercept} is not a finite number`;
  if (slope === 0) return `RescaleSlope is 0: every voxel would equal the intercept (${g(intercept)})`;
  const [lo, hi] = storedRange(h);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined; // float pixel data
  const peak = Math.max(Math.abs(slope * lo + intercept), Math.abs(slope * hi + intercept));
  if (!(peak <= FLOAT32_MAX))
    return `RescaleSlope ${g(slope)} and RescaleIntercept ${g(intercept)} over the stored range ${lo}..${hi} give values up to ${g(peak)}, beyond float32 (±Inf voxels)`;
  return undefined;
}

function geometryProblem(f: FrameGeom): string | undefined {
  if (f.position) {
    const far = f.position.find((x) => !(Math.abs(x) <= MAX_POSITION_MM));
    if (far !== undefined)
      return `ImagePositionPatient ${f.position.map(g).join('\\')} is absurd (a coordinate beyond ${g(MAX_POSITION_MM)} mm)`;
  }
  if (f.orientation) {
    const o = f.orientation;
    const norms = [Math.hypot(o[0], o[1], o[2]), Math.hypot(o[3], o[4], o[5])];
    if (norms.some((n) => !(n >= 0.5 && n <= 1.5)))
      return `ImageOrientationPatient ${o.map(g).join('\\')} does not hold two unit direction cosine vectors`;
    const cross = Math.hypot(o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]);
    if (cross / (norms[0] * norms[1]) < 0.1)
      return `ImageOrientationPatient ${o.map(g).join('\\')}: row and column directions are (nearly) parallel`;
  }
  if (f.pixelSpacing && f.pixelSpacing.some((s) => !(Math.abs(s) <= MAX_SPACING_MM)))
    return `PixelSpacing ${f.pixelSpacing.map(g).join('\\')} is absurd (beyond ${g(MAX_SPACING_MM)} mm)`;
  return undefined;
}

/** Why this header's values cannot give a correct volume, or undefined. */
export function headerValueProblem(h: DicomHeader): string | undefined {
  if (h.badValues?.length) return h.badValues[0];
  const frames = h.perFrame ?? [h.geom];
  for (let i = 0; i < frames.length; i++) {
    // a Modality LUT Sequence replaces the rescale: its slope/intercept are not used
    const why = (h.luts?.modality ? undefined : rescaleProblem(h, frames[i])) ?? geometryProblem(frames[i]);
    if (why) return frames.length > 1 ? `frame ${i + 1}: ${why}` : why;
  }
  return undefined;
}
