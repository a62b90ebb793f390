/**
 * The image planes a SEG's frames lie on, and the label layers sampled on them.
 *
 * - A volume whose k-slices are its DICOM images (the usual case): plane k is slice k, the layers
 *   are used as they are (no copy).
 * - A volume the loader resampled onto a regular grid (`metadata.acquisition`: gantry tilt, uneven
 *   gaps): the planes are the acquired images, each with its own position and instance, and every
 *   layer is sampled at the acquired pixel centres, nearest neighbour (world -> regular-grid index,
 *   rounded; outside the grid is background). A label drawn on the regular grid then lands on the
 *   source image pixel nearest to it, which is what a viewer showing the SEG on the source shows.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume, VoxelArray } from '../../core/types';
import { orientationCode } from '../../volume/geometry';
import { slicesMatchInstances } from './grid';

export interface PlaneStack {
  rows: number;
  columns: number;
  /** ImageOrientationPatient: unit LPS direction along a row, then along a column. */
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** DICOM PixelSpacing: [between rows, between columns]. */
  pixelSpacing: [number, number];
  sliceThickness: number;
  /** Set when the planes are evenly spaced (SpacingBetweenSlices). */
  spacingBetweenSlices?: number;
  /** Per plane: position of pixel (0,0), source instance ('' when none) and frame (0 single-frame). */
  positions: Vec3[];
  uids: string[];
  frameNumbers: number[];
  /** Plane indices in the order of increasing position along the normal. */
  order: number[];
  /** Each layer's labels, plane s at [s * rows * columns, (s + 1) * rows * columns). */
  layers: VoxelArray[];
}

const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const dot = (a: Readonly<Vec3>, b: Readonly<Vec3>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

export function planeStack(ref: Volume, layers: readonly Volume[]): PlaneStack {
  const h = ref.header;
  const md = h.metadata;
  const [nx, ny, nz] = h.dims;
  const d = h.direction;
  if (md.acquisition) return acquiredStack(ref, layers);
  const uids = md.sopInstanceUids;
  const dicom = !!(uids || md.frameOfReferenceUid || md.modality);
  if (!uids?.some((u) => u))
    throw new VoxsegError(
      dicom ? 'invalid-volume' : 'usage',
      dicom
        ? "the reference series' images have no SOP Instance UID (blank in the data set and in the file meta): a SEG cannot reference them"
        : 'a DICOM SEG references the images it segments, so its reference must be the DICOM series itself; this volume has no DICOM instance UIDs (e.g. it was read from NIfTI)',
    );
  if (!slicesMatchInstances(h))
    throw new VoxsegError(
      'invalid-volume',
      `the reference volume is no longer on its DICOM series' slice grid (${uids.length} source images for ${nz} slices along ${orientationCode(h.direction)}; reoriented or resampled?): use the series as loaded`,
    );
  const rowDirection: Vec3 = [d[0], d[3], d[6]];
  const columnDirection: Vec3 = [d[1], d[4], d[7]];
  const normal = cross(rowDirection, columnDirection);
  const positions = Array.from(
    { length: nz },
    (_, k) => [0, 1, 2].map((r) => h.origin[r] + k * h.spacing[2] * d[3 * r + 2]) as Vec3,
  );
  return {
    rows: ny,
    columns: nx,
    rowDirection,
    columnDirection,
    pixelSpacing: [h.spacing[1], h.spacing[0]],
    sliceThickness: h.spacing[2],
    spacingBetweenSlices: h.spacing[2],
    positions,
    uids: Array.from({ length: nz }, (_, k) => uids[k] ?? ''),
    frameNumbers: Array.from({ length: nz }, (_, k) => md.frameNumbers?.[k] ?? 0),
    order: sortAlong(positions, normal),
    layers: layers.map((l) => l.voxels),
  };
}

function sortAlong(positions: Vec3[], normal: Vec3): number[] {
  const along = positions.map((p) => dot(p, normal));
  return positions.map((_, s) => s).sort((a, b) => along[a] - along[b]);
}

function acquiredStack(ref: Volume, layers: readonly Volume[]): PlaneStack {
  const h = ref.header;
  const acq = h.metadata.acquisition!;
  const { rows, columns, rowDirection, columnDirection, pixelSpacing } = acq;
  if (!acq.slices.length || !acq.slices.some((s) => s.sopInstanceUid))
    throw new VoxsegError(
      'invalid-volume',
      "the reference series' acquired images have no SOP Instance UID: a SEG cannot reference them",
    );
  const positions = acq.slices.map((s) => [...s.position] as Vec3);
  const normal = cross(rowDirection, columnDirection);
  const order = sortAlong(positions, normal);
  const along = order.map((s) => dot(positions[s], normal));
  const gaps = along.slice(1).map((a, i) => a - along[i]);
  const sorted = [...gaps].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : h.spacing[2];
  const even = sorted.length > 0 && sorted[sorted.length - 1] - sorted[0] < 1e-3 * Math.max(1, median);
  return {
    rows,
    columns,
    rowDirection,
    columnDirection,
    pixelSpacing,
    sliceThickness: median > 0 ? median : h.spacing[2],
    spacingBetweenSlices: even && median > 0 ? median : undefined,
    positions,
    uids: acq.slices.map((s) => s.sopInstanceUid),
    frameNumbers: acq.slices.map((s) => s.frameNumber),
    order,
    layers: layers.map((l) => sampleOnPlanes(l, positions, rows, columns, rowDirection, columnDirection, pixelSpacing)),
  };
}

/** Nearest-neighbour samples of `layer` at every pixel centre of the given planes (0 outside). */
export function sampleOnPlanes(
  layer: Volume,
  positions: readonly Vec3[],
  rows: number,
  columns: number,
  rowDirection: Readonly<Vec3>,
  columnDirection: Readonly<Vec3>,
  pixelSpacing: readonly [number, number],
): VoxelArray {
  const g = layer.header;
  const [nx, ny, nz] = g.dims;
  const d = g.direction;
  // index axis a of world offset w: (column a of direction) . w / spacing[a]
  const axis = [0, 1, 2].map((a) => [d[a], d[3 + a], d[6 + a]].map((v) => v / g.spacing[a]) as Vec3);
  const stepC = axis.map((ax) => dot(ax, rowDirection) * pixelSpacing[1]); // per column
  const stepR = axis.map((ax) => dot(ax, columnDirection) * pixelSpacing[0]); // per row
  const Ctor = layer.voxels.constructor as new (n: number) => VoxelArray;
  const out = new Ctor(rows * columns * positions.length);
  const src = layer.voxels;
  let o = 0;
  for (const p of positions) {
    const w: Vec3 = [p[0] - g.origin[0], p[1] - g.origin[1], p[2] - g.origin[2]];
    const q0 = axis.map((ax) => dot(ax, w));
    for (let r = 0; r < rows; r++) {
      const qi = q0[0] + r * stepR[0];
      const qj = q0[1] + r * stepR[1];
      const qk = q0[2] + r * stepR[2];
      for (let c = 0; c < columns; c++, o++) {
        const i = Math.round(qi + c * stepC[0]);
        const j = Math.round(qj + c * stepC[1]);
        const k = Math.round(qk + c * stepC[2]);
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
        out[o] = src[i + nx * (j + ny * k)];
      }
    }
  }
  return out;
}
