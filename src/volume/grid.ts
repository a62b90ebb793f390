/**
 * "Are these two volumes on the same voxel grid?", answered in one place. Every check that label
 * maps, layers, overlays or model outputs lie on a study's grid calls `gridMismatch`.
 *
 * Decisions:
 * - The tolerance is in voxels of the reference grid `b`, not in mm, so it means the same on a
 *   0.5 mm CT and a 5 mm MR. An error counts by how far it moves a voxel centre, measured on b's
 *   axes in b's voxels: an origin shift moves every voxel by the shift; a spacing error moves the
 *   far voxel of its axis by Δs·(n−1); a direction error (rotation, shear) moves the corners of
 *   the box by (Da − Db)(s ⊙ ijk), the farthest corner most. Each must stay within `tolVoxels`,
 *   and so must all of them together at every corner (positions are affine in the index, so the
 *   worst voxel is a corner). An axis of one voxel counts as one voxel long, so a single slice
 *   with another thickness or a flipped normal is still another grid.
 * - Default 0.1 voxel. Nearest-neighbour lookups change only past half a voxel, so a tenth keeps
 *   every voxel on itself with a wide margin, while it absorbs what real files carry: float32
 *   NIfTI affines (about 1e-5 mm at 200 mm from the isocentre), DICOM decimal strings rounded to a
 *   few digits, a label map saved by another tool a few hundredths of a millimetre off. The DICOM
 *   SEG reader places frames with the same tenth of a voxel (io/seg/place.ts).
 * - Dims must be equal. Permuted or flipped axes are a mismatch here (the voxels are stored in
 *   another order; the reason names both orientations); reordering them is `alignToGrid`'s job
 *   (io/seg/grid.ts); an axis turned by 45° or more is a mismatch whatever the tolerance.
 *   Orientation codes only name the difference, they are not the test, so a 45° oblique grid
 *   whose nearest axes flip on float noise still matches.
 * - `withGrid` gives a volume that passed the check the reference's header bit for bit, so later
 *   checks, whatever their tolerance, see the same grid.
 */
import { VoxsegError } from '../core/errors';
import type { Grid, Vec3, Volume } from '../core/types';
import { orientationCode } from './geometry';
import { createVolume } from './volume';

/** Default tolerance of `gridMismatch`, in voxels (see the module comment). */
export const GRID_TOLERANCE_VOXELS = 0.1;

const num = (x: number) => String(Number(x.toPrecision(3)));
const vec = (v: readonly number[]) => v.map((x) => String(Number(x.toPrecision(6)))).join(', ');
const voxels = (x: number) => `${num(x)} voxel${num(x) === '1' ? '' : 's'}`;

function valid(g: Grid): boolean {
  return [...g.spacing, ...g.origin, ...g.direction].every(Number.isFinite) && g.spacing.every((s) => s > 0);
}

/**
 * Why `a` is not on grid `b` (null when it is): a short reason naming the difference, e.g.
 * "dims 512×512×100 vs 512×512×99" or "origin differs by 1.6 mm (2 voxels, more than 0.1)".
 * `b` is the reference: distances are in its voxels. `tolVoxels` defaults to 0.1 voxel.
 */
export function gridMismatch(a: Grid, b: Grid, tolVoxels: number = GRID_TOLERANCE_VOXELS): string | null {
  if (!(tolVoxels >= 0)) throw new RangeError(`gridMismatch: tolVoxels must be a number >= 0, got ${tolVoxels}`);
  if (a.dims.some((d, c) => d !== b.dims[c])) return `dims ${a.dims.join('×')} vs ${b.dims.join('×')}`;
  if (!valid(a) || !valid(b)) return 'a grid has a spacing that is not positive or a value that is not finite';
  const more = `more than ${tolVoxels}`;
  const da = a.direction;
  const db = b.direction;
  // A displacement in mm -> its length in voxels of b (projected on b's axes).
  const inVoxels = (d: Readonly<Vec3>) =>
    Math.hypot(...[0, 1, 2].map((c) => (db[c] * d[0] + db[3 + c] * d[1] + db[6 + c] * d[2]) / b.spacing[c]));
  const ext = b.dims.map((n) => Math.max(n - 1, 1));
  const corners = Array.from({ length: 8 }, (_, m) => [0, 1, 2].map((c) => ((m >> c) & 1 ? ext[c] : 0)));

  // Direction alone (both grids at b's spacing and origin), first: a flipped or permuted axis
  // also moves the origin, and its orientation is the clearer reason. An axis turned by 45° or
  // more points along another world axis: another grid at any tolerance.
  const turn = (ijk: number[]) =>
    [0, 1, 2].map((r) =>
      [0, 1, 2].reduce((s, c) => s + (da[3 * r + c] - db[3 * r + c]) * b.spacing[c] * ijk[c], 0),
    ) as Vec3;
  const directionErr = Math.max(...corners.map((ijk) => inVoxels(turn(ijk))));
  const angle = Math.max(
    ...[0, 1, 2].map((c) => {
      const dot = da[c] * db[c] + da[3 + c] * db[3 + c] + da[6 + c] * db[6 + c];
      const len = Math.hypot(da[c], da[3 + c], da[6 + c]) * Math.hypot(db[c], db[3 + c], db[6 + c]);
      return (Math.acos(Math.min(1, Math.max(-1, dot / len))) * 180) / Math.PI;
    }),
  );
  if (!(directionErr <= tolVoxels) || !(angle < 45)) {
    const codeA = orientationCode(da);
    const codeB = orientationCode(db);
    if (codeA !== codeB) return `orientation ${codeA} vs ${codeB} (axes permuted or flipped)`;
    const moved =
      directionErr <= tolVoxels
        ? 'an axis turned by 45° or more'
        : `the far corner moves ${voxels(directionErr)}, ${more}`;
    return `direction differs by up to ${num(angle)}° per axis (${moved})`;
  }

  const spacingErr = Math.max(...[0, 1, 2].map((c) => (Math.abs(a.spacing[c] - b.spacing[c]) * ext[c]) / b.spacing[c]));
  if (!(spacingErr <= tolVoxels))
    return `spacing ${vec(a.spacing)} vs ${vec(b.spacing)} mm (the far voxel moves ${voxels(spacingErr)}, ${more})`;

  const shift = [0, 1, 2].map((r) => a.origin[r] - b.origin[r]) as Vec3;
  const originErr = inVoxels(shift);
  if (!(originErr <= tolVoxels))
    return `origin differs by ${num(Math.hypot(...shift))} mm (${voxels(originErr)}, ${more})`;

  // All together: the world position of every corner voxel.
  const at = (g: Grid, ijk: number[]) =>
    [0, 1, 2].map(
      (r) => g.origin[r] + [0, 1, 2].reduce((s, c) => s + g.direction[3 * r + c] * g.spacing[c] * ijk[c], 0),
    );
  const worst = Math.max(
    ...corners.map((ijk) => {
      const p = at(a, ijk);
      const q = at(b, ijk);
      return inVoxels([p[0] - q[0], p[1] - q[1], p[2] - q[2]]);
    }),
  );
  if (!(worst <= tolVoxels))
    return `voxel centres differ by up to ${voxels(worst)} (spacing, origin and direction together; ${more})`;
  return null;
}

/**
 * `v`'s voxels and metadata with `grid`'s dims, spacing, origin and direction exactly (the same
 * volume when they already are). Throws 'invalid-volume' unless `v` is on `grid` within `tolVoxels`.
 */
export function withGrid(v: Volume, grid: Grid, tolVoxels: number = GRID_TOLERANCE_VOXELS): Volume {
  const why = gridMismatch(v.header, grid, tolVoxels);
  if (why) throw new VoxsegError('invalid-volume', `the volume is not on the grid: ${why}`);
  const h = v.header;
  const same = (x: readonly number[], y: readonly number[]) => x.every((e, n) => Object.is(e, y[n]));
  if (
    same(h.dims, grid.dims) &&
    same(h.spacing, grid.spacing) &&
    same(h.origin, grid.origin) &&
    same(h.direction, grid.direction)
  )
    return v;
  return createVolume({ ...grid, metadata: h.metadata, voxels: v.voxels });
}
