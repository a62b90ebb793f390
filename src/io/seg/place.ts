/**
 * Where each SEG frame goes on the reference grid. Tolerances are a tenth of a voxel, as in
 * volume/grid.ts gridMismatch: an orientation or pixel spacing error may move the far edge of the
 * frame by at most that much, and a position must be within it of a reference slice (in plane and
 * along k). A frame off the grid is an error giving the distance (mm and voxels), never snapped onto
 * a slice, even when it references one of the reference's images. A frame without position is
 * placed on the slice of the image it references.
 * A reference the loader resampled (`metadata.acquisition`: gantry tilt, uneven gaps) has no slice
 * per image; frames on its acquired images are resampled onto the regular grid (read-acquired.ts),
 * unless every frame lies on the regular grid itself (a SEG made on the resampled volume).
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import { worldToIndex } from '../../volume/geometry';
import { placeOnAcquired } from './read-acquired';
import { slicesMatchInstances } from './grid';

export interface SegFrame {
  /** 0-based frame index in the SEG. */
  index: number;
  segment: number;
  position?: Vec3;
  orientation?: number[];
  pixelSpacing?: [number, number];
  /** Source images named by the frame (SOP Instance UID, optional frame number). */
  sources: { uid: string; frame?: number }[];
}

export interface Placement {
  /**
   * Visit the reference voxels frame f covers: `pixel` is the frame pixel (row * columns + column)
   * whose value the voxel takes, `voxel` the flat index on the reference grid.
   */
  forEach(f: number, visit: (pixel: number, voxel: number) => void): void;
  /** When frame f maps one to one onto a slice: the flat index of its pixel 0 (voxel = offset + pixel). */
  offset?(f: number): number;
}

const TOL = 0.1;

export function placeFrames(
  ref: Volume,
  frames: readonly SegFrame[],
  file: string,
  warn: (w: string) => void,
): Placement {
  const h = ref.header;
  const [nx, ny, nz] = h.dims;
  const onRegularGrid = (p: Vec3) => {
    const [i, j, k] = worldToIndex(h, p);
    const r = Math.round(k);
    return Math.max(Math.abs(i), Math.abs(j), Math.abs(k - r)) <= TOL && r >= 0 && r < nz;
  };
  // a SEG made on the resampled grid itself (e.g. from a NIfTI of it) is placed as on any grid
  if (h.metadata.acquisition && !frames.every((f) => f.position && onRegularGrid(f.position)))
    return placeOnAcquired(ref, frames, file, warn);
  const [sx, sy] = h.spacing;
  const d = h.direction;
  const fail = (f: SegFrame, msg: string): never => {
    throw new VoxsegError('invalid-volume', `frame ${f.index + 1} (segment ${f.segment}): ${msg}`, { file });
  };
  // reference image -> slice
  const md = h.metadata;
  const bySource = new Map<string, number>();
  const usable = slicesMatchInstances(h);
  if (md.sopInstanceUids && !usable)
    warn(
      'the reference volume is not on its DICOM slice grid (reoriented or resampled?): its image references are ignored, frames placed by position',
    );
  if (usable)
    md.sopInstanceUids!.forEach((uid, k) => {
      if (uid) bySource.set(md.frameNumbers?.[k] ? `${uid}#${md.frameNumbers[k]}` : uid, k);
    });
  const sourceSlice = (f: SegFrame): number | undefined => {
    for (const s of f.sources) {
      const k = bySource.get(s.frame ? `${s.uid}#${s.frame}` : s.uid) ?? bySource.get(s.uid);
      if (k !== undefined) return k;
    }
    return undefined;
  };
  const maxCos = (TOL * Math.min(sx, sy)) / Math.max(nx * sx, ny * sy);
  const slice: number[] = [];
  let referencesRef = false;
  let conflicts = 0;
  for (const f of frames) {
    const byRef = sourceSlice(f);
    if (byRef !== undefined) referencesRef = true;
    if (f.orientation) {
      const o = f.orientation;
      const want = [d[0], d[3], d[6], d[1], d[4], d[7]];
      const err = Math.max(...want.map((w, i) => Math.abs(w - o[i])));
      if (err > maxCos)
        fail(
          f,
          `orientation ${o.map((v) => +v.toFixed(5)).join('\\')} differs from the reference series' ${want.map((v) => +v.toFixed(5)).join('\\')}`,
        );
    } else if (byRef === undefined)
      fail(f, 'no ImageOrientationPatient and no reference to an image of the reference series');
    if (f.pixelSpacing) {
      const [rs, cs] = f.pixelSpacing;
      if (Math.abs(rs - sy) * ny > TOL * sy || Math.abs(cs - sx) * nx > TOL * sx)
        fail(f, `pixel spacing ${rs}\\${cs} differs from the reference series' ${+sy.toFixed(6)}\\${+sx.toFixed(6)}`);
    }
    let k: number | undefined;
    if (f.position) {
      const [i, j, kk] = worldToIndex(h, f.position);
      const r = Math.round(kk);
      const off = Math.max(Math.abs(i), Math.abs(j), Math.abs(kk - r));
      if (off <= TOL && r >= 0 && r < nz) k = r;
      else {
        const where = `(${f.position.map((v) => +v.toFixed(3)).join(', ')})`;
        const mm = Math.hypot(i * sx, j * sy, (kk - r) * h.spacing[2]);
        const detail =
          r < 0 || r >= nz
            ? `outside the reference's ${nz} slices (slice ${+kk.toFixed(2)})`
            : `${+mm.toFixed(2)} mm (${+off.toFixed(2)} voxel) off the reference grid`;
        const refNote =
          byRef !== undefined
            ? `; it references the image of slice ${byRef}, so the SEG and the series disagree (not snapped onto it)`
            : ', and the frame references no image of the reference series';
        fail(f, `position ${where} is ${detail}${refNote}`);
      }
      if (k !== undefined && byRef !== undefined && k !== byRef) conflicts++;
    } else if (byRef !== undefined) k = byRef;
    else fail(f, 'no ImagePositionPatient and no reference to an image of the reference series');
    slice[f.index] = k!;
  }
  if (conflicts)
    warn(`${conflicts} frame(s) reference another slice's image than the one at their position; placed by position`);
  if (usable && !referencesRef && frames.some((f) => f.sources.length))
    warn("the SEG references none of the reference series' images; placed by position (same frame of reference)");
  const nxy = nx * ny;
  return {
    forEach(f, visit) {
      const base = slice[f] * nxy;
      for (let p = 0; p < nxy; p++) visit(p, base + p);
    },
    offset: (f) => slice[f] * nxy,
  };
}
