/**
 * Resampling a volume onto another voxel grid (LPS world, conventions in src/core/types.ts).
 *
 * Decisions:
 * - The value of a target voxel is the source sampled at that voxel centre's world position.
 * - A source voxel covers its cell: positions within half a voxel beyond the outer voxel centres
 *   are inside (linear interpolation replicates the edge voxel there, as ITK and skimage 'edge'
 *   do); anything further out gets `fill`.
 * - Source coordinates within SNAP (1e-4) voxel of an integer are snapped to it, so a grid that
 *   coincides with the source (or is a permutation/flip of it) reproduces the voxels exactly, and
 *   linear interpolation at a voxel centre returns that voxel's value bit for bit.
 * - The source index is an affine function of the target index; it is evaluated per row with one
 *   multiply-add per axis. When every target axis runs along one source axis (no rotation between
 *   the grids) the per-axis positions and weights are tabulated once and the loop only gathers.
 * - Integer outputs are rounded and clamped to the type's range: uint8 through a Uint8ClampedArray
 *   view (round half to even, like numpy's rint), other integer types with Math.round.
 * - 'label-linear' resamples a label map like nnU-Net's resize_segmentation with order 1 (one-hot,
 *   trilinear per label, argmax): the 8 source voxels around the sample point get the trilinear
 *   weights of 'linear', and the voxel gets the label with the largest summed weight. Ties go to
 *   the label 'nearest' would give (the nearest source voxel), so label boundaries lie half-way
 *   between voxel centres of different labels instead of on the source voxel's staircase. The
 *   output holds only labels of the input (or `fill`) and keeps the input's dtype. At most 8
 *   candidate labels per voxel are tallied in two preallocated arrays; a voxel whose 8 neighbours
 *   agree (most of them) is a plain copy.
 */
import { VoxsegError } from '../core/errors';
import type { DType, Grid, Mat3, Vec3, Volume } from '../core/types';
import { invert3 } from './geometry';
import { allocateVoxels, createVolume } from './volume';

export interface ResampleOptions {
  interpolation: 'linear' | 'nearest' | 'label-linear';
  /** Value for target voxels outside the source (in output units; default 0). */
  fill?: number;
  /** Output type (default: the input's; 'label-linear' allows only the input's). */
  dtype?: DType;
  /** Applied to every sampled value before rounding/clamping: value * scale + offset (not to `fill`; not with 'label-linear'). */
  valueMap?: { scale: number; offset: number };
}

/** Source coordinates this close (in voxels) to an integer are taken as that integer. */
export const SNAP = 1e-4;

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** A copy of the grid fields of `h` (a header's dtype and metadata left behind). */
export function gridOf(h: Grid): Grid {
  return {
    dims: [h.dims[0], h.dims[1], h.dims[2]],
    spacing: [h.spacing[0], h.spacing[1], h.spacing[2]],
    origin: [h.origin[0], h.origin[1], h.origin[2]],
    direction: [...h.direction] as Mat3,
  };
}

/** Round half to even, as numpy's round and Python's round() do (nnU-Net's shapes and tile starts). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * Grid with (about) the requested spacing over the same physical field of view, nnU-Net/skimage
 * style: dims = max(1, round(oldSpacing / newSpacing * dims)) and the outer voxel edges of both
 * grids coincide. To keep both edges exactly, the returned spacing is oldSpacing * dims / newDims:
 * the requested spacing whenever that gives a whole number of voxels, otherwise within half a
 * voxel over the field of view of it (the effective spacing of an nnU-Net/skimage resize).
 */
export function gridWithSpacing(header: Grid, spacing: Vec3): Grid {
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s)))
    throw new VoxsegError('usage', `target spacing must be 3 positive numbers, got ${JSON.stringify(spacing)}`);
  const { dims: n, spacing: old, origin: o, direction: d } = header;
  const dims = [0, 1, 2].map((c) => Math.max(1, roundHalfEven((old[c] / spacing[c]) * n[c]))) as Vec3;
  const sp = [0, 1, 2].map((c) => {
    const exact = (old[c] * n[c]) / spacing[c];
    return Math.abs(exact - dims[c]) < 1e-9 * dims[c] ? spacing[c] : (old[c] * n[c]) / dims[c];
  }) as Vec3;
  // First voxel edge stays put: origin - d*old/2 = newOrigin - d*sp/2.
  const origin = [0, 1, 2].map(
    (r) => o[r] + [0, 1, 2].reduce((acc, c) => acc + (d[3 * r + c] * (sp[c] - old[c])) / 2, 0),
  ) as Vec3;
  return { dims, spacing: sp, origin, direction: [...d] as Mat3 };
}

/** Target index -> source continuous index: src = A * ijk + b (A row-major 3x3). */
export function indexMapping(source: Grid, target: Grid): { A: number[]; b: Vec3 } {
  const inv = invert3(source.direction);
  const A: number[] = new Array(9).fill(0);
  const b: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let m = 0; m < 3; m++) s += inv[3 * r + m] * target.direction[3 * m + c];
      A[3 * r + c] = (s * target.spacing[c]) / source.spacing[r];
    }
    let t = 0;
    for (let m = 0; m < 3; m++) t += inv[3 * r + m] * (target.origin[m] - source.origin[m]);
    b[r] = t / source.spacing[r];
  }
  return { A, b };
}

/** For each target axis, the source axis it runs along, or null when the grids are rotated. */
function separableAxes(A: number[], target: Readonly<Vec3>): number[] | null {
  const rows: number[] = [];
  for (let c = 0; c < 3; c++) {
    let best = 0;
    for (let r = 1; r < 3; r++) if (Math.abs(A[3 * r + c]) > Math.abs(A[3 * best + c])) best = r;
    for (let r = 0; r < 3; r++)
      if (r !== best && Math.abs(A[3 * r + c]) * Math.max(1, target[c] - 1) > 1e-7) return null;
    if (rows.includes(best)) return null;
    rows.push(best);
  }
  return rows;
}

interface AxisTable {
  inside: Uint8Array;
  /** Flat source offsets of the two neighbours (equal when the weight is 0) and the weight of the second. */
  o0: Int32Array;
  o1: Int32Array;
  w: Float64Array;
}

function axisTable(a: number, b: number, m: number, n: number, stride: number, linear: boolean): AxisTable {
  const t: AxisTable = {
    inside: new Uint8Array(m),
    o0: new Int32Array(m),
    o1: new Int32Array(m),
    w: new Float64Array(m),
  };
  const lo = -0.5 - SNAP;
  const hi = n - 0.5 + SNAP;
  for (let q = 0; q < m; q++) {
    const x = b + a * q;
    if (!(x > lo && x < hi)) continue;
    t.inside[q] = 1;
    if (!linear) {
      const i = Math.min(n - 1, Math.max(0, Math.floor(x + 0.5 + SNAP)));
      t.o0[q] = t.o1[q] = i * stride;
      continue;
    }
    let i = Math.floor(x);
    let f = x - i;
    if (f < SNAP) f = 0;
    else if (f > 1 - SNAP) {
      i++;
      f = 0;
    }
    if (i < 0 || i >= n - 1) {
      i = i < 0 ? 0 : n - 1;
      f = 0;
    }
    t.o0[q] = i * stride;
    t.o1[q] = (f > 0 ? i + 1 : i) * stride;
    t.w[q] = f;
  }
  return t;
}

/**
 * Sample `volume` on `grid`. Metadata is copied (less `valueRange`, which no longer holds).
 * Throws 'usage' for a bad grid, 'out-of-memory' when the output cannot be allocated.
 */
export function resampleToGrid(volume: Volume, grid: Grid, opts: ResampleOptions): Volume {
  const h = volume.header;
  const { dims } = grid;
  if (dims.length !== 3 || dims.some((v) => !Number.isInteger(v) || v < 1))
    throw new VoxsegError('usage', `target dims must be 3 positive integers, got ${JSON.stringify(dims)}`);
  if (grid.spacing.some((s) => !(s > 0) || !Number.isFinite(s)))
    throw new VoxsegError('usage', `target spacing must be 3 positive numbers, got ${JSON.stringify(grid.spacing)}`);
  const dtype = opts.dtype ?? h.dtype;
  const labels = opts.interpolation === 'label-linear';
  if (labels && (dtype !== h.dtype || opts.valueMap))
    throw new VoxsegError(
      'usage',
      `label-linear resampling keeps the labels as they are: no dtype change (${h.dtype} -> ${dtype}) or valueMap`,
    );
  // Both linear modes need the two neighbours and weights per axis.
  const linear = opts.interpolation !== 'nearest';
  const out = allocateVoxels(dtype, dims[0] * dims[1] * dims[2]);
  const intRange = INT_RANGE[dtype];
  // uint8 is written through a clamped view: the store itself clamps and rounds (half to even).
  const clampedView = dtype === 'uint8' ? new Uint8ClampedArray(out.buffer, out.byteOffset, out.length) : null;
  const manual = clampedView ? undefined : intRange;
  const conv = { isInt: !!manual, lo: manual ? manual[0] : 0, hi: manual ? manual[1] : 0 };
  const scale = opts.valueMap?.scale ?? 1;
  const offset = opts.valueMap?.offset ?? 0;
  let fill = opts.fill ?? 0;
  if (intRange) fill = Math.min(intRange[1], Math.max(intRange[0], Math.round(fill)));
  const { A, b } = indexMapping(h, grid);
  const rows = separableAxes(A, dims);
  const src = volume.voxels;
  const [nx, ny, nz] = h.dims;
  const strides = [1, nx, nx * ny];
  const ctx = { src, out: clampedView ?? out, dims, fill, scale, offset, ...conv };
  if (rows) {
    const t = [0, 1, 2].map((c) =>
      axisTable(A[3 * rows[c] + c], b[rows[c]], dims[c], h.dims[rows[c]], strides[rows[c]], linear),
    );
    const allExact = t.every((tab) => tab.w.every((w) => w === 0));
    if (linear && !allExact) (labels ? tabulatedLabels : tabulatedLinear)(ctx, t[0], t[1], t[2]);
    else tabulatedGather(ctx, t[0], t[1], t[2]);
  } else {
    general(ctx, A, b, [nx, ny, nz], labels ? 'labels' : linear ? 'linear' : 'nearest');
  }
  const { valueRange: _dropped, ...metadata } = h.metadata;
  return createVolume({
    dims: [...dims] as Vec3,
    spacing: [...grid.spacing] as Vec3,
    origin: [...grid.origin] as Vec3,
    direction: [...grid.direction] as Mat3,
    voxels: out,
    metadata,
  });
}

interface LoopContext {
  src: ArrayLike<number>;
  out: { [i: number]: number; length: number };
  dims: Readonly<Vec3>;
  fill: number;
  scale: number;
  offset: number;
  isInt: boolean;
  lo: number;
  hi: number;
}

function tabulatedGather(c: LoopContext, tx: AxisTable, ty: AxisTable, tz: AxisTable): void {
  const { src, out, fill, scale, offset, isInt, lo, hi } = c;
  const [mx, my, mz] = c.dims;
  const identity = scale === 1 && offset === 0;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    for (let j = 0; j < my; j++) {
      if (!tz.inside[k] || !ty.inside[j]) {
        for (let i = 0; i < mx; i++) out[o++] = fill;
        continue;
      }
      const base = tz.o0[k] + ty.o0[j];
      for (let i = 0; i < mx; i++, o++) {
        if (!tx.inside[i]) {
          out[o] = fill;
          continue;
        }
        let v = src[base + tx.o0[i]];
        if (!identity) v = v * scale + offset;
        out[o] = isInt ? (v < lo ? lo : v > hi ? hi : Math.round(v)) : v;
      }
    }
  }
}

function tabulatedLinear(c: LoopContext, tx: AxisTable, ty: AxisTable, tz: AxisTable): void {
  const { src, out, fill, scale, offset, isInt, lo, hi } = c;
  const [mx, my, mz] = c.dims;
  const { inside: xin, o0: x0, o1: x1, w: wxs } = tx;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    const wz = tz.w[k];
    for (let j = 0; j < my; j++) {
      if (!tz.inside[k] || !ty.inside[j]) {
        for (let i = 0; i < mx; i++) out[o++] = fill;
        continue;
      }
      const wy = ty.w[j];
      const p00 = tz.o0[k] + ty.o0[j];
      const p10 = tz.o0[k] + ty.o1[j];
      const p01 = tz.o1[k] + ty.o0[j];
      const p11 = tz.o1[k] + ty.o1[j];
      for (let i = 0; i < mx; i++, o++) {
        if (!xin[i]) {
          out[o] = fill;
          continue;
        }
        const a = x0[i];
        const e = x1[i];
        const wx = wxs[i];
        const s00 = src[p00 + a];
        const c00 = s00 + wx * (src[p00 + e] - s00);
        const s10 = src[p10 + a];
        const c10 = s10 + wx * (src[p10 + e] - s10);
        const s01 = src[p01 + a];
        const c01 = s01 + wx * (src[p01 + e] - s01);
        const s11 = src[p11 + a];
        const c11 = s11 + wx * (src[p11 + e] - s11);
        const c0 = c00 + wy * (c10 - c00);
        const v = (c0 + wz * (c01 + wy * (c11 - c01) - c0)) * scale + offset;
        out[o] = isInt ? (v < lo ? lo : v > hi ? hi : Math.round(v)) : v;
      }
    }
  }
}

/** Scratch for `labelVote`: the distinct labels among the 8 neighbours and their summed weights. */
interface Votes {
  label: Float64Array;
  weight: Float64Array;
}

function newVotes(): Votes {
  return { label: new Float64Array(8), weight: new Float64Array(8) };
}

/** Add weight `w` to `label` among the first `n` tallies; returns the new count. */
function tally(L: Float64Array, W: Float64Array, n: number, label: number, w: number): number {
  if (w === 0) return n;
  for (let q = 0; q < n; q++)
    if (L[q] === label) {
      W[q] += w;
      return n;
    }
  L[n] = label;
  W[n] = w;
  return n + 1;
}

/** Summed weights this close count as a tie. */
const TIE = 1e-9;

/**
 * Label of the sample with neighbours src[p + {0,dx} + {0,dy} + {0,dz}] and fractions fx, fy, fz
 * toward the second neighbour: the largest summed trilinear weight; on a tie, the nearest voxel's
 * label (the one 'nearest' picks), else the first tied label in memory order.
 */
function labelVote(
  src: ArrayLike<number>,
  p: number,
  dx: number,
  dy: number,
  dz: number,
  fx: number,
  fy: number,
  fz: number,
  v: Votes,
): number {
  const s000 = src[p];
  const s100 = src[p + dx];
  const s010 = src[p + dy];
  const s110 = src[p + dy + dx];
  const s001 = src[p + dz];
  const s101 = src[p + dz + dx];
  const s011 = src[p + dz + dy];
  const s111 = src[p + dz + dy + dx];
  if (
    s100 === s000 &&
    s010 === s000 &&
    s110 === s000 &&
    s001 === s000 &&
    s101 === s000 &&
    s011 === s000 &&
    s111 === s000
  )
    return s000;
  const { label: L, weight: W } = v;
  const gx = 1 - fx;
  const gy = 1 - fy;
  const gz = 1 - fz;
  let n = tally(L, W, 0, s000, gx * gy * gz);
  n = tally(L, W, n, s100, fx * gy * gz);
  n = tally(L, W, n, s010, gx * fy * gz);
  n = tally(L, W, n, s110, fx * fy * gz);
  n = tally(L, W, n, s001, gx * gy * fz);
  n = tally(L, W, n, s101, fx * gy * fz);
  n = tally(L, W, n, s011, gx * fy * fz);
  n = tally(L, W, n, s111, fx * fy * fz);
  const half = 0.5 - SNAP;
  const near = src[p + (fx >= half ? dx : 0) + (fy >= half ? dy : 0) + (fz >= half ? dz : 0)];
  let best = 0;
  let nearW = 0;
  for (let q = 0; q < n; q++) {
    if (W[q] > W[best]) best = q;
    if (L[q] === near) nearW = W[q];
  }
  return nearW >= W[best] - TIE ? near : L[best];
}

function tabulatedLabels(c: LoopContext, tx: AxisTable, ty: AxisTable, tz: AxisTable): void {
  const { src, out, fill } = c;
  const [mx, my, mz] = c.dims;
  const { inside: xin, o0: x0, o1: x1, w: wxs } = tx;
  const votes = newVotes();
  let o = 0;
  for (let k = 0; k < mz; k++) {
    const wz = tz.w[k];
    const dz = tz.o1[k] - tz.o0[k];
    for (let j = 0; j < my; j++) {
      if (!tz.inside[k] || !ty.inside[j]) {
        for (let i = 0; i < mx; i++) out[o++] = fill;
        continue;
      }
      const wy = ty.w[j];
      const dy = ty.o1[j] - ty.o0[j];
      const p00 = tz.o0[k] + ty.o0[j];
      for (let i = 0; i < mx; i++, o++) {
        if (!xin[i]) {
          out[o] = fill;
          continue;
        }
        out[o] = labelVote(src, p00 + x0[i], x1[i] - x0[i], dy, dz, wxs[i], wy, wz, votes);
      }
    }
  }
}

/** Any affine relation between the grids (rotations): per-voxel floor/snap on three axes. */
function general(c: LoopContext, A: number[], b: Vec3, n: Vec3, mode: 'nearest' | 'linear' | 'labels'): void {
  const { src, out, fill, scale, offset, isInt, lo, hi } = c;
  const linear = mode !== 'nearest';
  const votes = mode === 'labels' ? newVotes() : null;
  const [mx, my, mz] = c.dims;
  const [nx, ny, nz] = n;
  const sxy = nx * ny;
  const lim = -0.5 - SNAP;
  const hx = nx - 0.5 + SNAP;
  const hy = ny - 0.5 + SNAP;
  const hz = nz - 0.5 + SNAP;
  const [a00, a01, a02, a10, a11, a12, a20, a21, a22] = A;
  let o = 0;
  for (let k = 0; k < mz; k++) {
    for (let j = 0; j < my; j++) {
      const bx = b[0] + a01 * j + a02 * k;
      const by = b[1] + a11 * j + a12 * k;
      const bz = b[2] + a21 * j + a22 * k;
      for (let i = 0; i < mx; i++, o++) {
        const x = bx + a00 * i;
        const y = by + a10 * i;
        const z = bz + a20 * i;
        if (!(x > lim && x < hx && y > lim && y < hy && z > lim && z < hz)) {
          out[o] = fill;
          continue;
        }
        let v: number;
        if (!linear) {
          const ix = Math.min(nx - 1, Math.max(0, Math.floor(x + 0.5 + SNAP)));
          const iy = Math.min(ny - 1, Math.max(0, Math.floor(y + 0.5 + SNAP)));
          const iz = Math.min(nz - 1, Math.max(0, Math.floor(z + 0.5 + SNAP)));
          v = src[ix + iy * nx + iz * sxy];
        } else {
          let ix = Math.floor(x);
          let fx = x - ix;
          if (fx < SNAP) fx = 0;
          else if (fx > 1 - SNAP) {
            ix++;
            fx = 0;
          }
          if (ix < 0 || ix >= nx - 1) {
            ix = ix < 0 ? 0 : nx - 1;
            fx = 0;
          }
          let iy = Math.floor(y);
          let fy = y - iy;
          if (fy < SNAP) fy = 0;
          else if (fy > 1 - SNAP) {
            iy++;
            fy = 0;
          }
          if (iy < 0 || iy >= ny - 1) {
            iy = iy < 0 ? 0 : ny - 1;
            fy = 0;
          }
          let iz = Math.floor(z);
          let fz = z - iz;
          if (fz < SNAP) fz = 0;
          else if (fz > 1 - SNAP) {
            iz++;
            fz = 0;
          }
          if (iz < 0 || iz >= nz - 1) {
            iz = iz < 0 ? 0 : nz - 1;
            fz = 0;
          }
          const p = ix + iy * nx + iz * sxy;
          const dx = fx > 0 ? 1 : 0;
          const dy = fy > 0 ? nx : 0;
          const dz = fz > 0 ? sxy : 0;
          if (votes) {
            out[o] = labelVote(src, p, dx, dy, dz, fx, fy, fz, votes);
            continue;
          }
          const s00 = src[p];
          const c00 = s00 + fx * (src[p + dx] - s00);
          const s10 = src[p + dy];
          const c10 = s10 + fx * (src[p + dy + dx] - s10);
          const s01 = src[p + dz];
          const c01 = s01 + fx * (src[p + dz + dx] - s01);
          const s11 = src[p + dz + dy];
          const c11 = s11 + fx * (src[p + dz + dy + dx] - s11);
          const c0 = c00 + fy * (c10 - c00);
          v = c0 + fz * (c01 + fy * (c11 - c01) - c0);
        }
        v = v * scale + offset;
        out[o] = isInt ? (v < lo ? lo : v > hi ? hi : Math.round(v)) : v;
      }
    }
  }
}
