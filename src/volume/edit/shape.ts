/**
 * Brush and scissors shapes, rasterised as one x-span per row of their bounding box so an edit
 * costs O(shape volume). Centres and corners are voxel indices (ijk, fractional allowed); radii
 * are millimetres, so on anisotropic voxels a sphere is an ellipsoid in index space.
 */
import { VoxsegError } from '../../core/errors';
import type { IndexBox, Vec3 } from '../../core/types';

export type Shape =
  | { kind: 'sphere'; center: Vec3; radiusMm: number }
  /** Disc in the slice perpendicular to index axis `axis` through round(center[axis]). */
  | { kind: 'circle'; center: Vec3; radiusMm: number; axis: 0 | 1 | 2 }
  /** Rectangle with corners a and b (both inclusive, rounded) in the slice ⟂ `axis` through round(a[axis]). */
  | { kind: 'rect'; a: Vec3; b: Vec3; axis: 0 | 1 | 2 }
  /** Index box, lo inclusive, hi exclusive (rounded). */
  | { kind: 'box'; lo: Vec3; hi: Vec3 };

/**
 * Voxels of a shape clipped to the grid: row r = (j - box.lo[1]) + (k - box.lo[2]) * (box.hi[1] - box.lo[1])
 * holds voxels x0[r] <= i < x1[r] (none when x1[r] <= x0[r]).
 */
export interface ShapeSpans {
  box: IndexBox;
  x0: Int32Array;
  x1: Int32Array;
}

function finite(v: readonly number[], what: string): void {
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x)))
    throw new VoxsegError('usage', `${what} must be 3 finite numbers, got ${JSON.stringify(v)}`);
}

/**
 * Rasterise `shape` on a grid of `dims` voxels of `spacing` mm. With `extrude`, circles and
 * rectangles run through every slice along their axis (a scissors cut); 3D shapes are unchanged.
 * Null when nothing of the shape lies on the grid.
 */
export function rasterizeShape(
  shape: Shape,
  dims: Readonly<Vec3>,
  spacing: Readonly<Vec3>,
  extrude = false,
): ShapeSpans | null {
  const lo: Vec3 = [0, 0, 0],
    hi: Vec3 = [0, 0, 0];
  let flat = -1;
  let c: Vec3 = [0, 0, 0],
    r: Vec3 = [0, 0, 0];
  const ellipsoid = shape.kind === 'sphere' || shape.kind === 'circle';
  if (shape.kind === 'box') {
    (finite(shape.lo, 'box lo'), finite(shape.hi, 'box hi'));
    for (let a = 0; a < 3; a++) ((lo[a] = Math.round(shape.lo[a])), (hi[a] = Math.round(shape.hi[a])));
  } else if (shape.kind === 'rect') {
    (finite(shape.a, 'rect corner a'), finite(shape.b, 'rect corner b'));
    for (let a = 0; a < 3; a++)
      ((lo[a] = Math.round(Math.min(shape.a[a], shape.b[a]))),
        (hi[a] = Math.round(Math.max(shape.a[a], shape.b[a])) + 1));
    flat = shape.axis;
    lo[flat] = Math.round(shape.a[flat]);
    hi[flat] = lo[flat] + 1;
  } else {
    finite(shape.center, `${shape.kind} center`);
    if (!(shape.radiusMm >= 0) || !Number.isFinite(shape.radiusMm))
      throw new VoxsegError('usage', `${shape.kind} radius must be a finite number >= 0 mm, got ${shape.radiusMm}`);
    c = shape.center;
    flat = shape.kind === 'circle' ? shape.axis : -1;
    for (let a = 0; a < 3; a++) {
      r[a] = Math.max(shape.radiusMm / spacing[a], 1e-9); // radius 0: the voxel at an integral centre
      if (a === flat) ((lo[a] = Math.round(c[a])), (hi[a] = lo[a] + 1));
      else ((lo[a] = Math.ceil(c[a] - r[a])), (hi[a] = Math.floor(c[a] + r[a]) + 1));
    }
  }
  if (extrude && flat >= 0) ((lo[flat] = 0), (hi[flat] = dims[flat]));
  for (let a = 0; a < 3; a++) ((lo[a] = Math.max(0, lo[a])), (hi[a] = Math.min(dims[a], hi[a])));
  if (hi[0] <= lo[0] || hi[1] <= lo[1] || hi[2] <= lo[2]) return null;

  const ny = hi[1] - lo[1],
    nz = hi[2] - lo[2];
  const x0 = new Int32Array(ny * nz),
    x1 = new Int32Array(ny * nz);
  let minX = hi[0],
    maxX = lo[0];
  for (let z = lo[2], row = 0; z < hi[2]; z++) {
    const dz = flat === 2 || !ellipsoid ? 0 : (z - c[2]) / r[2];
    for (let y = lo[1]; y < hi[1]; y++, row++) {
      let a = lo[0],
        b = hi[0];
      if (ellipsoid) {
        const dy = flat === 1 ? 0 : (y - c[1]) / r[1];
        const t = 1 - dy * dy - dz * dz;
        if (t < 0) continue;
        if (flat !== 0) {
          const dx = r[0] * Math.sqrt(t);
          a = Math.max(lo[0], Math.ceil(c[0] - dx));
          b = Math.min(hi[0], Math.floor(c[0] + dx) + 1);
        }
      }
      if (b <= a) continue;
      x0[row] = a;
      x1[row] = b;
      if (a < minX) minX = a;
      if (b > maxX) maxX = b;
    }
  }
  if (maxX <= minX) return null;
  return { box: { lo: [minX, lo[1], lo[2]], hi: [maxX, hi[1], hi[2]] }, x0, x1 };
}

/** Voxels a rasterised shape covers. */
export function spanVoxels(s: ShapeSpans): number {
  let n = 0;
  for (let r = 0; r < s.x0.length; r++) if (s.x1[r] > s.x0[r]) n += s.x1[r] - s.x0[r];
  return n;
}
