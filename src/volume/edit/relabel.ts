/** Relabelling inside a box: merging segments and clearing a removed segment's voxels. O(box). */
import type { IndexBox, Vec3 } from '../../core/types';
import type { LabelArray } from '../diff';

/** Voxels holding `from` inside `box` get `to`; returns how many. */
export function replaceValue(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox,
  from: number,
  to: number,
): number {
  const [nx, ny] = dims;
  let n = 0;
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++) {
      const base = y * nx + z * nx * ny;
      for (let i = base + box.lo[0], end = base + box.hi[0]; i < end; i++)
        if (labels[i] === from) {
          labels[i] = to;
          n++;
        }
    }
  return n;
}

/**
 * Move `from` voxels of layer `src` to value `to` in layer `dst` (another layer on the same grid):
 * `src` voxels become 0, `dst` voxels become `to` unless they hold a locked value. Returns voxels moved.
 */
export function moveValue(
  src: LabelArray,
  dst: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox,
  from: number,
  to: number,
  locked: Uint8Array,
): number {
  const [nx, ny] = dims;
  let n = 0;
  for (let z = box.lo[2]; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++) {
      const base = y * nx + z * nx * ny;
      for (let i = base + box.lo[0], end = base + box.hi[0]; i < end; i++)
        if (src[i] === from) {
          src[i] = 0;
          if (locked[dst[i]] === 0) dst[i] = to;
          n++;
        }
    }
  return n;
}
