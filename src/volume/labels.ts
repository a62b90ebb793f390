/** Label maps: integer voxel values 0..65535, 0 = background. */

/** Voxels per label value (background 0 included), one pass. */
export function countLabels(labels: ArrayLike<number>): Record<number, number> {
  const counts = new Float64Array(65536);
  for (let i = 0; i < labels.length; i++) counts[labels[i] & 0xffff]++;
  const out: Record<number, number> = {};
  for (let v = 0; v < counts.length; v++) if (counts[v] > 0) out[v] = counts[v];
  return out;
}
