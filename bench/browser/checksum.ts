/**
 * Loader-independent volume fingerprint, so that a broken loader cannot "win" the bench.
 * Flip-tolerant: loaders may legitimately order slices (or rows) in opposite directions, so each
 * axis-weighted sum is compared both as is and mirrored ((n-1)*sum - s).
 */
export interface VolumeSummary {
  dims: [number, number, number];
  dtype: string;
  min: number;
  max: number;
  sum: number;
  /** Σ v·i, Σ v·j, Σ v·k (voxel index weighted sums). */
  axisSums: [number, number, number];
  /** CRC-32 of the voxel array's bytes, when asked for (same dtype → same bytes). */
  crc32?: number;
}

export function summarize(dims: readonly number[], dtype: string, voxels: ArrayLike<number>): VolumeSummary {
  const [nx, ny, nz] = dims;
  if (voxels.length !== nx * ny * nz) throw new Error(`voxel count ${voxels.length} != ${nx}x${ny}x${nz}`);
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let si = 0;
  let sj = 0;
  let sk = 0;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    let sliceSum = 0;
    for (let j = 0; j < ny; j++) {
      let rowSum = 0;
      for (let i = 0; i < nx; i++, p++) {
        const v = voxels[p];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        rowSum += v;
        si += v * i;
      }
      sliceSum += rowSum;
      sj += rowSum * j;
    }
    sum += sliceSum;
    sk += sliceSum * k;
  }
  return { dims: [nx, ny, nz], dtype, min: lo, max: hi, sum, axisSums: [si, sj, sk] };
}

/** Empty string when equivalent, else a short reason. */
export function compareSummaries(a: VolumeSummary, b: VolumeSummary, relTol = 1e-6): string {
  if (a.dims.join('x') !== b.dims.join('x')) return `dims ${a.dims.join('x')} vs ${b.dims.join('x')}`;
  const close = (x: number, y: number, scale: number) => Math.abs(x - y) <= relTol * Math.max(1, Math.abs(scale));
  if (!close(a.min, b.min, a.min) || !close(a.max, b.max, a.max))
    return `range ${a.min}..${a.max} vs ${b.min}..${b.max}`;
  const sumScale = Math.max(Math.abs(a.sum), a.dims[0] * a.dims[1] * a.dims[2]);
  if (!close(a.sum, b.sum, sumScale)) return `sum ${a.sum} vs ${b.sum}`;
  for (let ax = 0; ax < 3; ax++) {
    const n = a.dims[ax];
    const scale = sumScale * n;
    const x = a.axisSums[ax];
    const y = b.axisSums[ax];
    if (!close(x, y, scale) && !close(x, (n - 1) * b.sum - y, scale))
      return `voxel layout differs along axis ${'ijk'[ax]}`;
  }
  return '';
}
