/**
 * Exact reorientation: permute and flip index axes (no interpolation) so that the volume's axes
 * point as close as possible to a target orientation code, e.g. 'LPS' or 'RAS'. World positions
 * of every voxel are unchanged (origin and direction are updated accordingly).
 * Codes use the letters of `orientationCode`: letter c names the direction index axis c
 * increases towards, one letter from each pair L/R, P/A, S/I.
 */
import { VoxsegError } from '../core/errors';
import type { Grid, Mat3, Vec3, Volume } from '../core/types';
import { indexToWorld } from './geometry';
import { allocateVoxels, createVolume } from './volume';

const LETTERS: Record<string, [axis: number, sign: 1 | -1]> = {
  L: [0, 1],
  R: [0, -1],
  P: [1, 1],
  A: [1, -1],
  S: [2, 1],
  I: [2, -1],
};

/** Parse and validate an orientation code such as 'RAS' (case-insensitive). */
export function parseOrientationCode(code: string): { axis: number[]; sign: (1 | -1)[] } {
  const up = code.toUpperCase();
  const parts = [...up].map((ch) => LETTERS[ch]);
  if (up.length !== 3 || parts.some((p) => !p) || new Set(parts.map((p) => p[0])).size !== 3)
    throw new VoxsegError(
      'usage',
      `bad orientation code ${JSON.stringify(code)}: use one letter of each pair L/R, P/A, S/I, e.g. LPS or RAS`,
    );
  return { axis: parts.map((p) => p[0]), sign: parts.map((p) => p[1]) };
}

/**
 * For each index axis, the world axis (0 x, 1 y, 2 z) it is closest to. The assignment is a
 * permutation chosen greedily by the largest |cosine| so oblique volumes still get a valid one.
 */
export function nearestWorldAxes(direction: Readonly<Mat3>): number[] {
  const out = [-1, -1, -1];
  const usedRow = [false, false, false];
  for (let n = 0; n < 3; n++) {
    let best = -1;
    let br = 0;
    let bc = 0;
    for (let c = 0; c < 3; c++) {
      if (out[c] >= 0) continue;
      for (let r = 0; r < 3; r++) {
        if (usedRow[r]) continue;
        const v = Math.abs(direction[3 * r + c]);
        if (v > best) [best, br, bc] = [v, r, c];
      }
    }
    out[bc] = br;
    usedRow[br] = true;
  }
  return out;
}

/** The axis permutation and flips that bring a volume with `direction` closest to `code`. */
export function reorientPlan(direction: Readonly<Mat3>, code: string): { perm: number[]; flip: boolean[] } {
  const target = parseOrientationCode(code);
  const world = nearestWorldAxes(direction);
  const perm: number[] = []; // perm[t] = source axis that becomes target axis t
  const flip: boolean[] = [];
  for (let t = 0; t < 3; t++) {
    const c = world.indexOf(target.axis[t]);
    perm.push(c);
    const s = Math.sign(direction[3 * target.axis[t] + c]) || 1;
    flip.push(s !== target.sign[t]);
  }
  return { perm, flip };
}

/** Permute/flip axes of `volume` towards `code` ('LPS', 'RAS', 'LIA', ...). Returns the input when nothing changes. */
export function reorientToCode(volume: Volume, code: string): Volume {
  const { perm, flip } = reorientPlan(volume.header.direction, code);
  return permuteAxes(volume, perm, flip);
}

/** The grid `reorientToCode` would give, without touching voxels (e.g. to resample straight onto it). */
export function reorientedGrid(header: Grid, code: string): Grid {
  const { perm, flip } = reorientPlan(header.direction, code);
  return permutedGrid(header, perm, flip).grid;
}

/** Geometry after permuting/flipping axes, and the source voxel that becomes the new first one. */
function permutedGrid(
  h: Grid,
  perm: number[],
  flip: boolean[],
): { grid: { dims: Vec3; spacing: Vec3; origin: Vec3; direction: Mat3 }; first: Vec3 } {
  const dims = perm.map((c) => h.dims[c]) as Vec3;
  const spacing = perm.map((c) => h.spacing[c]) as Vec3;
  const direction = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (let t = 0; t < 3; t++)
    for (let r = 0; r < 3; r++) direction[3 * r + t] = (flip[t] ? -1 : 1) * h.direction[3 * r + perm[t]] + 0; // + 0: no -0
  const first = [0, 0, 0] as Vec3;
  for (let t = 0; t < 3; t++) if (flip[t]) first[perm[t]] = h.dims[perm[t]] - 1;
  return { grid: { dims, spacing, origin: indexToWorld(h, first), direction }, first };
}

/**
 * New axis t is source axis perm[t], reversed when flip[t]. Exact voxel copy; geometry updated so
 * every voxel keeps its world position.
 */
export function permuteAxes(volume: Volume, perm: number[], flip: boolean[]): Volume {
  const h = volume.header;
  if (perm.every((p, t) => p === t) && flip.every((f) => !f)) return volume;
  if ([...perm].sort().join() !== '0,1,2')
    throw new VoxsegError('usage', `bad axis permutation ${JSON.stringify(perm)}`);
  const { grid, first } = permutedGrid(h, perm, flip);
  const { dims, spacing, origin, direction } = grid;

  const srcStride = [1, h.dims[0], h.dims[0] * h.dims[1]];
  const step = perm.map((c, t) => (flip[t] ? -srcStride[c] : srcStride[c]));
  const base = first[0] + first[1] * srcStride[1] + first[2] * srcStride[2];
  const src = volume.voxels;
  const dst = allocateVoxels(h.dtype, src.length);
  const [nx, ny, nz] = dims;
  const [si, sj, sk] = step;
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let s = base + k * sk + j * sj;
      for (let i = 0; i < nx; i++, s += si) dst[o++] = src[s];
    }
  }
  return createVolume({ dims, spacing, origin, direction, voxels: dst, metadata: h.metadata });
}
