/**
 * Default part colours when a label table gives none: a fixed, deterministic colour per label
 * value. Hues step by the golden angle so neighbouring values look clearly different, and three
 * lightness/saturation levels alternate so values whose hues come close again still differ.
 */
import type { Rgb } from './part';

const GOLDEN_ANGLE = 137.50776405003785;
const LEVELS: ReadonlyArray<{ s: number; l: number }> = [
  { s: 0.65, l: 0.55 },
  { s: 0.5, l: 0.42 },
  { s: 0.75, l: 0.68 },
];

/** HSL (hue in degrees, saturation and lightness 0..1) → 0..255 RGB. */
export function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** The default colour of label `value` (1, 2, ...); the same value always gets the same colour. */
export function paletteColor(value: number): Rgb {
  const n = Math.max(0, Math.floor(value));
  if (n === 0) return [128, 128, 128];
  const { s, l } = LEVELS[(n - 1) % LEVELS.length];
  return hslToRgb(20 + (n - 1) * GOLDEN_ANGLE, s, l);
}
