/**
 * Agreement between two label maps on the same grid: Dice overlap per label (and, in the same
 * module, surface distances). Pure functions on voxel arrays; the grid is the caller's.
 */

/**
 * Dice = 2|A∩B| / (|A|+|B|) of the voxels where `a` equals `aValue` and `b` equals `bValue`.
 * Both empty: 1 (nothing to find, nothing found). The arrays must have the same length.
 */
export function dice(a: ArrayLike<number>, aValue: number, b: ArrayLike<number>, bValue: number): number {
  if (a.length !== b.length) throw new Error(`dice: arrays of ${a.length} and ${b.length} voxels`);
  let na = 0;
  let nb = 0;
  let both = 0;
  for (let i = 0; i < a.length; i++) {
    const inA = a[i] === aValue;
    const inB = b[i] === bValue;
    if (inA) na++;
    if (inB) nb++;
    if (inA && inB) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}
