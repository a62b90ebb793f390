/**
 * SEG frames onto a reference the loader resampled onto a regular grid (`metadata.acquisition`:
 * gantry tilt, uneven slice gaps). Its slices are not the source images, so each frame is matched to
 * the acquired image it lies on, and resampled onto the regular grid by nearest neighbour.
 *
 * - Matching: the frame's referenced image (SOP Instance UID, frame number) names the acquired slice;
 *   its position must then be that slice's within a tenth of a pixel in plane and of the smallest
 *   gap along the normal. A frame without references is matched by position alone. Orientation and
 *   pixel spacing must be the acquired ones (same tenth-of-a-voxel rule as on a regular grid).
 *   Anything else is an error with the distance, never snapped.
 * - Resampling: a regular-grid voxel takes the value of the nearest pixel on the nearest acquired
 *   plane along the normal; voxels more than half a regular slice beyond the first or last plane,
 *   or outside the frame, take none. This mirrors the loader's own nearest-plane choice and the SEG
 *   writer, which samples the regular grid at acquired pixel centres.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import type { Placement, SegFrame } from './place';

const TOL = 0.1;
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];

export function placeOnAcquired(
  ref: Volume,
  frames: readonly SegFrame[],
  file: string,
  warn: (w: string) => void,
): Placement {
  const h = ref.header;
  const acq = h.metadata.acquisition!;
  const [nx, ny, nz] = h.dims;
  const [sx, sy, sz] = h.spacing;
  const d = h.direction;
  const axis = (c: number): Vec3 => [d[c], d[3 + c], d[6 + c]];
  const [di, dj, dk] = [axis(0), axis(1), axis(2)];
  const row = acq.rowDirection;
  const col = acq.columnDirection;
  const [rs, cs] = acq.pixelSpacing;
  const normal: Vec3 = [
    row[1] * col[2] - row[2] * col[1],
    row[2] * col[0] - row[0] * col[2],
    row[0] * col[1] - row[1] * col[0],
  ];
  const fail = (f: SegFrame | undefined, msg: string): never => {
    throw new VoxsegError('invalid-volume', f ? `frame ${f.index + 1} (segment ${f.segment}): ${msg}` : msg, {
      file,
    });
  };
  if (Math.abs(dot(dk, normal)) < 0.9999 || Math.abs(dot(di, normal)) > 1e-4 || Math.abs(dot(dj, normal)) > 1e-4)
    fail(undefined, "the reference was resampled, but its k axis is not the acquired images' normal");
  const planes = acq.slices.map((s) => dot(s.position, normal));
  const gaps = planes.slice(1).map((z, i) => z - planes[i]);
  const minGap = Math.min(sz, ...gaps);
  const key = (uid: string, fr?: number) => (fr ? `${uid}#${fr}` : uid);
  const byUid = new Map<string, number>();
  acq.slices.forEach((s, i) => byUid.set(key(s.sopInstanceUid, s.frameNumber || undefined), i));
  const maxCos = (TOL * Math.min(rs, cs)) / Math.max(acq.columns * cs, acq.rows * rs);

  /** Offset of `p` from acquired slice s: [columns, rows, along the normal in units of the smallest gap]. */
  const offset = (p: Vec3, s: number) => {
    const rel = sub(p, acq.slices[s].position);
    return [dot(rel, row) / cs, dot(rel, col) / rs, dot(rel, normal) / minGap];
  };
  const planeOf: number[] = [];
  for (const f of frames) {
    if (f.orientation) {
      const want = [...row, ...col];
      const err = Math.max(...want.map((w, i) => Math.abs(w - f.orientation![i])));
      if (err > maxCos) fail(f, "orientation differs from the acquired images'");
    }
    if (f.pixelSpacing) {
      const [a, b] = f.pixelSpacing;
      if (Math.abs(a - rs) * acq.rows > TOL * rs || Math.abs(b - cs) * acq.columns > TOL * cs)
        fail(f, `pixel spacing ${a}\\${b} differs from the acquired images' ${rs}\\${cs}`);
    }
    let s: number | undefined;
    for (const src of f.sources) s ??= byUid.get(key(src.uid, src.frame)) ?? byUid.get(src.uid);
    if (s === undefined && f.position) {
      const z = dot(f.position, normal);
      let best = 0;
      planes.forEach((pz, i) => Math.abs(pz - z) < Math.abs(planes[best] - z) && (best = i));
      s = best;
    }
    if (s === undefined) fail(f, 'no ImagePositionPatient and no reference to an acquired image of the reference');
    if (f.position) {
      const off = offset(f.position, s!);
      const far = Math.max(...off.map(Math.abs));
      if (far > TOL) {
        const mm = Math.hypot(off[0] * cs, off[1] * rs, off[2] * minGap);
        fail(
          f,
          `position is ${+mm.toFixed(2)} mm off the acquired image ${acq.slices[s!].sopInstanceUid} it lies on or references`,
        );
      }
    }
    planeOf[f.index] = s!;
  }
  warn(
    `the reference was resampled (${acq.reason}): frames resampled from their acquired images onto its regular grid (nearest neighbour)`,
  );

  // nearest acquired plane of each regular slice k (-1: beyond the acquired extent)
  const origin = h.origin;
  const nearest = new Int32Array(nz).fill(-1);
  for (let k = 0; k < nz; k++) {
    const z = dot(origin, normal) + k * sz * dot(dk, normal);
    if (z < planes[0] - sz / 2 || z > planes[planes.length - 1] + sz / 2) continue;
    let best = 0;
    for (let i = 1; i < planes.length; i++) if (Math.abs(planes[i] - z) < Math.abs(planes[best] - z)) best = i;
    nearest[k] = best;
  }
  return {
    forEach(f, visit) {
      const s = planeOf[f];
      const pos = acq.slices[s].position;
      const ui = (sx * dot(di, row)) / cs;
      const uj = (sy * dot(dj, row)) / cs;
      const vi = (sx * dot(di, col)) / rs;
      const vj = (sy * dot(dj, col)) / rs;
      for (let k = 0; k < nz; k++) {
        if (nearest[k] !== s) continue;
        const rel = sub(
          [0, 1, 2].map((a) => origin[a] + k * sz * dk[a]),
          pos,
        );
        const u0 = dot(rel, row) / cs;
        const v0 = dot(rel, col) / rs;
        for (let j = 0; j < ny; j++)
          for (let i = 0; i < nx; i++) {
            const u = Math.round(u0 + i * ui + j * uj);
            const v = Math.round(v0 + i * vi + j * vj);
            if (u >= 0 && u < acq.columns && v >= 0 && v < acq.rows)
              visit(v * acq.columns + u, i + j * nx + k * nx * ny);
          }
      }
    },
  };
}
