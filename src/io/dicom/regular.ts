/**
 * Regular grid for a series whose acquired slices do not lie on one: detection and planning.
 * (The voxels are resampled at load by regrid.ts; this file only does geometry, at scan time.)
 *
 * Detection (n = row x column, positions relative to the first slice, in voxels of each axis):
 * - **tilt / in-plane shift**: a slice whose ImagePositionPatient is off the line through the first
 *   slice along n by more than max(0.01 mm, 1% of a pixel) along the rows or the columns. DS
 *   positions are written with >= 3 decimals (rounding <= 0.0005 mm; even 2 decimals stay under
 *   0.01 mm in any direction), so a regular series is never resampled because of rounding, and a
 *   misplacement of more than 1% of a voxel is never left in place. A regular gantry tilt (offsets
 *   proportional to the distance along n) is named by its angle; other in-plane shifts by their size.
 * - **uneven gaps**: decided by the caller (sort.ts) — gaps that the missing-slice logic (a gap of
 *   m x spacing gets m-1 empty slots) cannot place within max(0.01 mm, 1% of the spacing).
 *
 * Grid (as dcm2niix's tilt correction `nii_saveNII3Dtilt` + equidistant slices `nii_saveNII3Deq`):
 * - direction [row | column | n]; in-plane spacing as acquired; the in-plane lattice is the first
 *   slice's, extended by whole pixels until every acquired pixel centre lies inside (dcm2niix adds
 *   ceil(shear) rows the same way), so the first slice's pixels are voxel centres.
 * - slice spacing = the **smallest** gap between acquired slices, as dcm2niix's `nii_saveNII3Deq`
 *   (`mn`, the smallest positive distance): no part of the stack is sampled more coarsely than it
 *   was acquired, and the output matches dcm2niix's `_Eq` file. The mode or median would
 *   under-sample the densely acquired parts (a 4.2/7.4 mm series on a 5.8 mm grid loses detail at
 *   every 4.2 mm pair). dcm2niix caps the count at twice the acquired slices (then spacing = extent /
 *   (2N - 1)); so do we, which bounds memory when two slices nearly coincide.
 * - k runs from the first acquired slice to the last that fits (floor): slices lie inside the
 *   acquired extent, the last acquired slice is less than one spacing above the top one.
 *   (dcm2niix's `_Eq` stops half a gap earlier; both bounding boxes agree within one voxel.)
 * - In-place: the load writes the acquired slices at the start of one array sized for the output;
 *   the resampler writes output slices from the top down, keeping the two acquired slices it reads
 *   in a buffer pair. `inPlace` says whether that never overwrites an acquired slice still needed
 *   (true whenever the spacing is the smallest gap); otherwise a second array is used.
 */
import type { AcquiredSlice, Acquisition, Mat3, Vec3 } from '../../core/types';
import { dot } from '../../volume/geometry';
import { fmt, type FrameRef } from './multiframe';
import type { DicomHeader } from './parse';

export interface RegularGrid {
  /** e.g. 'gantry tilt 18.5°; uneven slice gaps 4.2–7.4 mm' */
  reason: string;
  /** The load warning naming the grid and the reason. */
  warning: string;
  /** Acquired [columns, rows, slices]. */
  acquired: Vec3;
  /** Output grid (direction = [row | column | n] of the stack). */
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  /** Per acquired slice: where its pixel (0,0) lies, in output voxel index units [i, j, k]. */
  at: Vec3[];
  /** Resample in the load's array (see above); else into a second array. */
  inPlace: boolean;
  /** Voxels the load allocates (acquired slices, and the output when in place). */
  allocation: number;
  /** Gantry tilt angle (degrees) when the in-plane offsets grow linearly along n. */
  tiltDeg?: number;
  /** Smallest and largest gap between consecutive acquired slices along n (mm). */
  gaps: [number, number];
}

export interface StackGeometry {
  /** World positions of the acquired slices, sorted along n (no duplicates). */
  positions: Vec3[];
  row: Vec3;
  col: Vec3;
  n: Vec3;
  /** DICOM PixelSpacing [between rows, between columns]. */
  pixelSpacing: [number, number];
  rows: number;
  cols: number;
  /** Gaps that the missing-slice plan cannot place (sort.ts). */
  uneven: boolean;
}

/** Offsets within this many voxels of an integer are that integer (positions are rounded DS). */
const SNAP = 1e-3;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const snap = (x: number) => (Math.abs(x - Math.round(x)) < SNAP ? Math.round(x) : x);

/** The regular grid for a stack that needs one, else undefined (the stack is placed as it is). */
export function regularGrid(g: StackGeometry): RegularGrid | undefined {
  const { positions, row, col, n, rows, cols } = g;
  const N = positions.length;
  if (N < 2) return undefined;
  const [dy, dx] = g.pixelSpacing;
  const p0 = positions[0];
  const rel = positions.map((p) => [p[0] - p0[0], p[1] - p0[1], p[2] - p0[2]] as Vec3);
  const u = rel.map((d) => dot(d, row));
  const v = rel.map((d) => dot(d, col));
  const w = rel.map((d) => dot(d, n));
  const tolU = Math.max(0.01, 0.01 * dx);
  const tolV = Math.max(0.01, 0.01 * dy);
  const shifted = u.some((x) => Math.abs(x) > tolU) || v.some((y) => Math.abs(y) > tolV);
  if (!shifted && !g.uneven) return undefined;

  let minGap = Infinity;
  let maxGap = 0;
  for (let s = 1; s < N; s++) {
    const gap = w[s] - w[s - 1];
    minGap = Math.min(minGap, gap);
    maxGap = Math.max(maxGap, gap);
  }
  // differences of DS positions: 4.199999999999989 is 4.2 (nm precision is plenty)
  minGap = round6(minGap);
  maxGap = round6(maxGap);
  const extent = w[N - 1];
  let dz = minGap;
  let nz = Math.floor(extent / dz + 0.01) + 1;
  if (nz > 2 * N) {
    nz = 2 * N;
    dz = extent / (nz - 1);
  }

  const reasons: string[] = [];
  let tiltDeg: number | undefined;
  if (shifted) {
    // a gantry tilt shifts each slice in-plane in proportion to its distance along n
    const fu = u[N - 1] / extent;
    const fv = v[N - 1] / extent;
    const linear = w.every((z, s) => Math.abs(u[s] - fu * z) <= tolU && Math.abs(v[s] - fv * z) <= tolV);
    const lateral = Math.hypot(u[N - 1], v[N - 1]);
    if (linear) {
      tiltDeg = Math.round(((Math.atan2(lateral, extent) * 180) / Math.PI) * 1000) / 1000;
      reasons.push(`gantry tilt ${fmt(tiltDeg, 1)}°`);
    } else {
      const worst = rel.reduce((m, _, s) => Math.max(m, Math.hypot(u[s], v[s])), 0);
      reasons.push(`slices shifted in-plane by up to ${fmt(worst, 2)} mm`);
    }
  }
  const tolZ = Math.max(0.01, 0.01 * minGap);
  if (g.uneven || maxGap - minGap > tolZ) reasons.push(`uneven slice gaps ${fmt(minGap, 2)}–${fmt(maxGap, 2)} mm`);

  // in-plane lattice: the first slice's, grown by whole pixels to hold every acquired pixel centre
  const a = u.map((x) => snap(x / dx));
  const b = v.map((y) => snap(y / dy));
  const iLo = Math.min(0, Math.floor(minOf(a)));
  const iHi = Math.max(0, Math.ceil(maxOf(a)));
  const jLo = Math.min(0, Math.floor(minOf(b)));
  const jHi = Math.max(0, Math.ceil(maxOf(b)));
  const nx = cols + iHi - iLo;
  const ny = rows + jHi - jLo;
  const origin: Vec3 = [0, 1, 2].map((c) => p0[c] + iLo * dx * row[c] + jLo * dy * col[c]) as Vec3;
  const at = w.map((z, s) => [a[s] - iLo, b[s] - jLo, snap(z / dz)] as Vec3);
  const sliceIn = cols * rows;
  const sliceOut = nx * ny;
  const inPlace = inPlaceSafe(
    at.map((p) => p[2]),
    nz,
    sliceIn,
    sliceOut,
  );
  const reason = reasons.join('; ');
  return {
    reason,
    warning: `resampled onto a regular ${fmt(dz, 2)} mm grid (${N} acquired slices → ${nz}): ${reasons.join(', ')}; each voxel interpolated from the two nearest acquired slices at their DICOM positions`,
    acquired: [cols, rows, N],
    dims: [nx, ny, nz],
    spacing: [dx, dy, dz],
    origin,
    at,
    inPlace,
    allocation: inPlace ? Math.max(N * sliceIn, nz * sliceOut) : N * sliceIn,
    tiltDeg,
    gaps: [minGap, maxGap],
  };
}

// no spread over input-sized arrays (a series may hold 100 000+ slices)
function minOf(x: number[]): number {
  let m = Infinity;
  for (const v of x) if (v < m) m = v;
  return m;
}
function maxOf(x: number[]): number {
  let m = -Infinity;
  for (const v of x) if (v > m) m = v;
  return m;
}

/**
 * The acquired slice below output slice k: the largest s <= N-2 with ks[s] <= k (ks ascending,
 * ks[0] = 0). Walks down from `from` (the answer for k+1), so a top-down pass is O(N + nz).
 */
export function below(ks: readonly number[], k: number, from: number): number {
  let s = Math.min(from, ks.length - 2);
  while (s > 0 && ks[s] > k + 1e-6) s--;
  return s;
}

/**
 * Whether resampling top-down in place never overwrites an acquired slice before it is copied into
 * the buffer pair (acquired slice s occupies [s, s+1) x sliceIn, output k [k, k+1) x sliceOut).
 */
export function inPlaceSafe(ks: readonly number[], nz: number, sliceIn: number, sliceOut: number): boolean {
  const buffered = new Set<number>();
  let s = ks.length - 2;
  for (let k = nz - 1; k >= 0; k--) {
    s = below(ks, k, s);
    const written = (k + 1) * sliceOut; // lowest offset written so far
    for (const need of [s, s + 1]) {
      if (buffered.has(need)) continue;
      if ((need + 1) * sliceIn > written) return false;
      buffered.add(need);
    }
    for (const b of buffered) if (b !== s && b !== s + 1) buffered.delete(b);
  }
  return true;
}

/** `VolumeMetadata.acquisition` of a resampled stack: every acquired slice with its source image. */
export function acquisitionOf(
  g: RegularGrid,
  slots: readonly (FrameRef | null)[],
  headers: readonly DicomHeader[],
  direction: Readonly<Mat3>,
): Acquisition {
  const slices: AcquiredSlice[] = [];
  for (const f of slots) {
    if (!f) continue;
    const h = headers[f.file];
    const multiFrame = h.numberOfFrames > 1 && !h.mosaic;
    slices.push({
      position: [...f.position!] as Vec3,
      sopInstanceUid: h.sopInstanceUid,
      frameNumber: multiFrame ? f.frame + 1 : 0,
    });
  }
  return {
    reason: g.reason,
    rows: g.acquired[1],
    columns: g.acquired[0],
    rowDirection: [direction[0], direction[3], direction[6]],
    columnDirection: [direction[1], direction[4], direction[7]],
    pixelSpacing: [g.spacing[1], g.spacing[0]],
    slices,
  };
}
