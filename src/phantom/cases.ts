/**
 * Acquisition settings of a phantom case: the plain look of the demo study, or (varied) a field
 * of view, in-plane spacing, slice thickness and noise level drawn from the seed, with the varied
 * anatomy. Training sets, held-out sets and evaluation all name cases this way, by seed.
 */
import type { Vec3 } from '../core/types';
import type { PhantomOptions } from './generate';
import { hashSeed, sampler } from './prng';

/** The demo study's acquisition (the app opens seed 1 of it). */
export const DEMO_CASE = { dims: [256, 256, 100] as Vec3, spacing: [1.35, 1.35, 3] as Vec3, noise: 12 };

export type CaseKind = 'demo' | 'varied';

export function phantomCase(
  seed: number,
  kind: CaseKind,
): PhantomOptions & { seed: number; dims: Vec3; spacing: Vec3 } {
  if (kind === 'demo')
    return { seed, dims: [...DEMO_CASE.dims], spacing: [...DEMO_CASE.spacing], noise: DEMO_CASE.noise };
  const { range } = sampler(hashSeed(seed, 11));
  const inPlane = range(0.9, 1.6);
  const slice = [1.5, 2, 2.5, 3, 4, 5][Math.floor(range(0, 6))];
  const fovXY = range(300, 420);
  const fovZ = range(240, 380);
  const nxy = Math.round(fovXY / inPlane);
  return {
    seed,
    dims: [nxy, nxy, Math.max(8, Math.round(fovZ / slice))],
    spacing: [inPlane, inPlane, slice],
    noise: range(4, 25),
    blur: range(0, 1) < 0.8,
    vary: true,
  };
}

/** "1-40,50,60-62" → [1..40, 50, 60, 61, 62]. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(-?\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`seeds: "${part}" is not N or N-M`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 100000) throw new Error(`seeds: bad range "${part}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}
