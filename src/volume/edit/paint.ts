/**
 * Writing a value into the voxels of a rasterised shape under the editor's rules: locked values
 * are never replaced, background-only painting leaves other segments alone, erasing can be
 * limited to one value, and an intensity window restricts the write to voxels of the study
 * whose value lies inside it. Cost O(shape volume).
 */
import type { Vec3, VoxelArray } from '../../core/types';
import type { LabelArray } from '../diff';
import type { ShapeSpans } from './shape';

export interface WriteRule {
  /** Value written (0 erases). */
  value: number;
  /** locked[v] !== 0: voxels holding v are never changed (index 0 must be 0). Length >= the largest label + 1. */
  locked: Uint8Array;
  /** May replace other non-zero values (default); false: writes only into background. */
  overwrite?: boolean;
  /** Only voxels holding exactly this value are replaced. */
  only?: number;
  /** Study intensities on the same grid, with `threshold` [lo, hi] (inclusive). */
  intensity?: VoxelArray;
  threshold?: readonly [number, number];
}

/** Apply `rule` to every voxel of `spans`; returns how many voxels changed. */
export function writeSpans(labels: LabelArray, dims: Readonly<Vec3>, spans: ShapeSpans, rule: WriteRule): number {
  const [nx, ny] = dims;
  const nxy = nx * ny;
  const { box, x0, x1 } = spans;
  const v = rule.value,
    locked = rule.locked;
  const only = rule.only ?? -1,
    overwrite = rule.overwrite ?? true;
  const img = rule.threshold ? rule.intensity : undefined;
  const tlo = rule.threshold ? rule.threshold[0] : 0,
    thi = rule.threshold ? rule.threshold[1] : 0;
  let n = 0;
  for (let z = box.lo[2], row = 0; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++, row++) {
      const base = y * nx + z * nxy;
      for (let i = base + x0[row], end = base + x1[row]; i < end; i++) {
        const o = labels[i];
        if (o === v || locked[o] !== 0) continue;
        if (only >= 0 ? o !== only : o !== 0 && !overwrite) continue;
        if (img !== undefined) {
          const g = img[i];
          if (!(g >= tlo && g <= thi)) continue;
        }
        labels[i] = v;
        n++;
      }
    }
  return n;
}
