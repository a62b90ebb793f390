/**
 * Tensors exchanged with a model, and packing of patches between the model grid and the tensor.
 *
 * A "grid patch" is a patch-sized Float32Array in grid order: voxel (pi, pj, pk) of the patch at
 * pi + pj*Pi + pk*Pi*Pj (i fastest), as everywhere in voxseg. The tensor layout says where that
 * voxel lives in one [c] block of the tensor:
 * - 'NCDHW': tensor[n, c, pk, pj, pi] (spatial dims [Pk, Pj, Pi]; a plain copy of the grid patch);
 * - 'NCWHD': tensor[n, c, pi, pj, pk] (spatial dims [Pi, Pj, Pk]; a transpose).
 *
 * `flip` is a bit mask over grid axes (bit 0: i, bit 1: j, bit 2: k): the tensor holds the patch
 * mirrored along those axes, i.e. grid voxel p goes to tensor position q with
 * q_a = P_a - 1 - p_a on flipped axes. Mirroring is its own inverse, so unpacking with the same mask
 * flips a model output back onto the grid.
 */
import type { Vec3 } from '../core/types';

export interface Tensor {
  data: Float32Array;
  /** e.g. [n, c, d, h, w] */
  dims: number[];
}

/**
 * Runs the model on one batch. `input.data` is reused by the caller once the promise settles, so a
 * predictor must not keep or transfer it (copy it if it has to).
 */
export type Predictor = (input: Tensor, signal?: AbortSignal) => Promise<Tensor>;

export type TensorLayout = 'NCDHW' | 'NCWHD';

/** Spatial dims of a patch in tensor order for `layout`. */
export function tensorSpatialDims(patch: Readonly<Vec3>, layout: TensorLayout): Vec3 {
  return layout === 'NCDHW' ? [patch[2], patch[1], patch[0]] : [patch[0], patch[1], patch[2]];
}

/** Edge of the square blocks used when a layout transposes (keeps both sides in cache). */
const BLOCK = 16;

function transfer(
  grid: Float32Array,
  gridOffset: number,
  tensor: Float32Array,
  tensorOffset: number,
  patch: Readonly<Vec3>,
  layout: TensorLayout,
  flip: number,
  toTensor: boolean,
): void {
  const pi = patch[0];
  const pj = patch[1];
  const pk = patch[2];
  // Tensor strides of the grid axes.
  let si: number;
  let sj: number;
  let sk: number;
  if (layout === 'NCDHW') {
    si = 1;
    sj = pi;
    sk = pi * pj;
  } else {
    sk = 1;
    sj = pk;
    si = pk * pj;
  }
  let base = tensorOffset;
  if (flip & 1) {
    base += (pi - 1) * si;
    si = -si;
  }
  if (flip & 2) {
    base += (pj - 1) * sj;
    sj = -sj;
  }
  if (flip & 4) {
    base += (pk - 1) * sk;
    sk = -sk;
  }
  // Contiguous rows when i is the fastest tensor axis; otherwise walk i x k in square blocks.
  const rowWise = si === 1 || si === -1;
  const bi = rowWise ? pi : BLOCK;
  const bk = rowWise ? pk : BLOCK;
  for (let j = 0; j < pj; j++) {
    const tj = base + j * sj;
    for (let k0 = 0; k0 < pk; k0 += bk) {
      const k1 = Math.min(pk, k0 + bk);
      for (let i0 = 0; i0 < pi; i0 += bi) {
        const i1 = Math.min(pi, i0 + bi);
        for (let k = k0; k < k1; k++) {
          const g = gridOffset + (k * pj + j) * pi;
          const t = tj + k * sk;
          if (toTensor) {
            for (let i = i0; i < i1; i++) tensor[t + i * si] = grid[g + i];
          } else {
            for (let i = i0; i < i1; i++) grid[g + i] = tensor[t + i * si];
          }
        }
      }
    }
  }
}

/** Write a grid patch into one [n, c] block of a tensor (starting at `dstOffset`), mirrored by `flip`. */
export function packPatch(
  grid: Float32Array,
  gridOffset: number,
  patch: Readonly<Vec3>,
  layout: TensorLayout,
  flip: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  transfer(grid, gridOffset, dst, dstOffset, patch, layout, flip, true);
}

/** Read one [n, c] block of a tensor (starting at `srcOffset`) back into a grid patch, undoing `flip`. */
export function unpackPatch(
  src: Float32Array,
  srcOffset: number,
  patch: Readonly<Vec3>,
  layout: TensorLayout,
  flip: number,
  grid: Float32Array,
  gridOffset: number,
): void {
  transfer(grid, gridOffset, src, srcOffset, patch, layout, flip, false);
}

/**
 * Copy the box [start, start + patch) of a volume (dims nx, ny, nz; flat, i fastest) into a grid
 * patch. `start` may lie partly outside the volume: voxels outside read as 0 (zero padding).
 */
export function extractPatch(
  image: Float32Array,
  dims: Readonly<Vec3>,
  start: Readonly<Vec3>,
  patch: Readonly<Vec3>,
  dst: Float32Array,
  dstOffset = 0,
): void {
  const [nx, ny, nz] = dims;
  const [pi, pj, pk] = patch;
  const [x0, y0, z0] = start;
  const i0 = Math.max(0, -x0);
  const i1 = Math.max(i0, Math.min(pi, nx - x0));
  const plane = nx * ny;
  for (let k = 0; k < pk; k++) {
    const z = z0 + k;
    const rowBase = dstOffset + k * pj * pi;
    if (z < 0 || z >= nz) {
      dst.fill(0, rowBase, rowBase + pj * pi);
      continue;
    }
    for (let j = 0; j < pj; j++) {
      const y = y0 + j;
      const d = rowBase + j * pi;
      if (y < 0 || y >= ny || i1 === i0) {
        dst.fill(0, d, d + pi);
        continue;
      }
      if (i0 > 0) dst.fill(0, d, d + i0);
      const s = z * plane + y * nx + x0;
      for (let i = i0; i < i1; i++) dst[d + i] = image[s + i];
      if (i1 < pi) dst.fill(0, d + i1, d + pi);
    }
  }
}
