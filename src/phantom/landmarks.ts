/**
 * Analytic landmarks of a phantom slice, in LPS mm: the centre of the aorta and of the spinal
 * canal, as `slice.ts` places them (the same formulas, from the same seeded anatomy). Tests draw
 * measurements between them and know the true distance.
 */
import type { Vec3 } from '../core/types';
import { makeAnatomy } from './anatomy';
import type { PhantomOptions } from './generate';
import { hashSeed } from './prng';

export interface SliceLandmarks {
  /** Centre of the aorta (null below its bifurcation). */
  aorta: Vec3 | null;
  /** Centre of the spinal canal. */
  canal: Vec3;
  /** Radius of the aorta, mm. */
  aortaRadius: number;
}

export function phantomLandmarks(
  opts: Required<Pick<PhantomOptions, 'seed' | 'dims' | 'spacing'>> & { vary?: boolean },
  k: number,
): SliceLandmarks {
  const [nx, ny, nz] = opts.dims;
  const [sx, sy, sz] = opts.spacing;
  const an = makeAnatomy(hashSeed(opts.seed, 1), (nx * sx) / 2, (ny * sy) / 2, opts.vary ?? false);
  const t = nz > 1 ? k / (nz - 1) : 0.5;
  const z = -((nz - 1) / 2) * sz + k * sz;
  const cx = an.cx + an.drift[0] * (t - 0.5);
  const cy = an.cy + an.drift[1] * (t - 0.5);
  const s = an.spine;
  const vcx = cx + s.dx;
  const vcy = cy + s.depth - 0.05 * an.B * Math.sin(Math.PI * t);
  const ao = an.aorta;
  const u = Math.min(1, Math.max(0, (t - an.tDia) / 0.2));
  const ax = vcx + ao.dx + 0.06 * an.A * u;
  const ay = vcy - s.vb - ao.r - 2 * an.sc + u * (s.vb + ao.r) * 0.8;
  return {
    aorta: t >= ao.tBif ? [ax, ay, z] : null,
    canal: [vcx, vcy + s.vb + 10 * an.sc, z],
    aortaRadius: ao.r,
  };
}
