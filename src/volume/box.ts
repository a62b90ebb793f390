/** Helpers for `IndexBox` (voxel index box, `lo` inclusive, `hi` exclusive). An empty box has some hi <= lo. */
import type { IndexBox, Vec3 } from '../core/types';

export function emptyBox(): IndexBox {
  return { lo: [0, 0, 0], hi: [0, 0, 0] };
}

export function isEmptyBox(b: IndexBox): boolean {
  return b.hi[0] <= b.lo[0] || b.hi[1] <= b.lo[1] || b.hi[2] <= b.lo[2];
}

export function boxVoxels(b: IndexBox): number {
  return isEmptyBox(b) ? 0 : (b.hi[0] - b.lo[0]) * (b.hi[1] - b.lo[1]) * (b.hi[2] - b.lo[2]);
}

export function cloneBox(b: IndexBox): IndexBox {
  return { lo: [...b.lo], hi: [...b.hi] };
}

/** Smallest box holding both (an empty box adds nothing). */
export function unionBox(a: IndexBox | null | undefined, b: IndexBox | null | undefined): IndexBox | null {
  if (!a || isEmptyBox(a)) return b && !isEmptyBox(b) ? cloneBox(b) : null;
  if (!b || isEmptyBox(b)) return cloneBox(a);
  return {
    lo: [Math.min(a.lo[0], b.lo[0]), Math.min(a.lo[1], b.lo[1]), Math.min(a.lo[2], b.lo[2])],
    hi: [Math.max(a.hi[0], b.hi[0]), Math.max(a.hi[1], b.hi[1]), Math.max(a.hi[2], b.hi[2])],
  };
}

/** The box clipped to a grid of `dims` voxels. */
export function clipBox(b: IndexBox, dims: Readonly<Vec3>): IndexBox {
  return {
    lo: [Math.max(0, b.lo[0]), Math.max(0, b.lo[1]), Math.max(0, b.lo[2])],
    hi: [Math.min(dims[0], b.hi[0]), Math.min(dims[1], b.hi[1]), Math.min(dims[2], b.hi[2])],
  };
}

export function fullBox(dims: Readonly<Vec3>): IndexBox {
  return { lo: [0, 0, 0], hi: [dims[0], dims[1], dims[2]] };
}
