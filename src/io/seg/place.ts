/**
 * Where each SEG frame goes on the reference grid (see read.ts for the rules). Tolerances are a
 * tenth of a voxel: an orientation or pixel spacing error may move the far edge of the frame by
 * at most that much, and a position must be within it of a reference slice (in plane and along k).
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import { worldToIndex } from '../../volume/geometry';
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
  /** Reference slice k of each frame, by frame index. */
  slice: number[];
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
  let offGrid = 0;
  let offFrames = 0;
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
      else if (byRef !== undefined) {
        offGrid = Math.max(offGrid, off);
        offFrames++;
        k = byRef;
      } else {
        const where = `(${f.position.map((v) => +v.toFixed(3)).join(', ')})`;
        const detail =
          r < 0 || r >= nz
            ? `outside the reference's ${nz} slices (slice ${+kk.toFixed(2)})`
            : `${+off.toFixed(2)} voxel off the reference grid`;
        fail(f, `position ${where} is ${detail}, and the frame references no image of the reference series`);
      }
      if (k !== undefined && byRef !== undefined && k !== byRef) conflicts++;
    } else if (byRef !== undefined) k = byRef;
    else fail(f, 'no ImagePositionPatient and no reference to an image of the reference series');
    slice[f.index] = k!;
  }
  if (offFrames)
    warn(
      `${offFrames} frame(s) lie up to ${offGrid.toFixed(2)} voxel off the reference grid (e.g. gantry tilt); placed on the slice of the image they reference`,
    );
  if (conflicts)
    warn(`${conflicts} frame(s) reference another slice's image than the one at their position; placed by position`);
  if (usable && !referencesRef && frames.some((f) => f.sources.length))
    warn("the SEG references none of the reference series' images; placed by position (same frame of reference)");
  return { slice };
}
