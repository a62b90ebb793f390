/**
 * Frames of an image file and their geometry:
 * - single frame: the image's own ImagePositionPatient / ImageOrientationPatient / rescale;
 * - enhanced multi-frame (CT/MR/PET...): Per-frame Functional Groups (5200,9230) merged with the
 *   Shared Functional Groups (5200,9229): PlanePosition, PlaneOrientation, PixelMeasures,
 *   PixelValueTransformation, FrameVOILUT, FrameContent (stack / temporal index), MR echo;
 * - plain multi-frame (RT Dose, NM-like): ImagePositionPatient of frame 0 plus GridFrameOffsetVector,
 *   or SpacingBetweenSlices / SliceThickness along the slice normal;
 * - Siemens MOSAIC: tiles (see mosaic.ts).
 */
import type { DataSet } from 'dicom-parser';
import type { Vec3 } from '../../core/types';
import { cross, normalize } from '../../volume/geometry';
import type { DicomHeader } from './parse';
import { firstItem, num, nums, str, ulString, vec3 } from './dsread';
import { mosaicFrames } from './mosaic';

export interface FrameGeom {
  /** LPS position of the centre of the frame's first pixel. */
  position?: Vec3;
  /** Row cosine (direction of increasing column index) then column cosine. */
  orientation?: number[];
  /** DICOM order: [row spacing (between rows), column spacing (between columns)]. */
  pixelSpacing?: [number, number];
  slope: number;
  intercept: number;
  windowCenter?: number;
  windowWidth?: number;
  /** Attributes that tell apart volumes sharing slice positions (echo, time point, stack, ...). */
  split: Record<string, string>;
}

/** A frame as scanned: which file, which frame (or mosaic tile) in it, and its geometry. */
export interface FrameRef extends FrameGeom {
  file: number;
  frame: number;
  instanceNumber?: number;
}

/** Enhanced multi-frame functional groups, one merged FrameGeom per frame; undefined when absent. */
export function functionalGroups(ds: DataSet, header: DicomHeader): FrameGeom[] | undefined {
  const shared = firstItem(ds, 'x52009229');
  const perFrame = ds.elements['x52009230']?.items;
  if (!shared && !perFrame?.length) return undefined;
  const base = header.geom;
  const out: FrameGeom[] = [];
  for (let f = 0; f < header.numberOfFrames; f++) {
    const item = perFrame?.[f]?.dataSet;
    const macro = (tag: string) => firstItem(item, tag) ?? firstItem(shared, tag);
    const measures = macro('x00289110');
    const ps = nums(measures, 'x00280030');
    const pvt = macro('x00289145');
    const voi = macro('x00289132');
    const content = macro('x00209111');
    const echo = macro('x00189114');
    const echoTime = echo?.elements['x00189082'] ? echo.double('x00189082') : undefined;
    out.push({
      position: vec3(nums(macro('x00209113'), 'x00200032')) ?? base.position,
      orientation: nums(macro('x00209116'), 'x00200037')?.slice(0, 6) ?? base.orientation,
      pixelSpacing: ps && ps.length >= 2 ? [ps[0], ps[1]] : base.pixelSpacing,
      slope: num(pvt, 'x00281053') ?? base.slope,
      intercept: num(pvt, 'x00281052') ?? base.intercept,
      windowCenter: num(voi, 'x00281050') ?? base.windowCenter,
      windowWidth: num(voi, 'x00281051') ?? base.windowWidth,
      split: {
        ...base.split,
        stack: content ? str(content, 'x00209056') : '',
        temporalIndex: ulString(content, 'x00209128'),
        echoTime: echoTime === undefined ? '' : String(echoTime),
      },
    });
    if (f === 0 && !header.sliceThickness) header.sliceThickness = num(measures, 'x00180050');
    if (f === 0 && !header.spacingBetweenSlices) header.spacingBetweenSlices = num(measures, 'x00180088');
  }
  return out;
}

/** Normal of an orientation (row cosine x column cosine), unit length. */
export function sliceNormal(o: number[]): Vec3 {
  return normalize(cross([o[0], o[1], o[2]], [o[3], o[4], o[5]]));
}

/** All frames of a file with their geometry; `notes` receives remarks for the series warnings. */
export function framesOf(h: DicomHeader, file: number, notes: string[]): FrameRef[] {
  const ref = (g: FrameGeom, frame: number): FrameRef => ({ ...g, file, frame, instanceNumber: h.instanceNumber });
  if (h.mosaic) return mosaicFrames(h, notes).map(ref);
  if (h.perFrame) return h.perFrame.map(ref);
  const n = h.numberOfFrames;
  if (n === 1) return [ref(h.geom, 0)];
  const g = h.geom;
  const frames: FrameRef[] = [];
  let offsets: number[] | undefined;
  if (h.gridFrameOffsets && h.gridFrameOffsets.length >= n) {
    // Relative form starts at 0; the absolute (retired) form starts at frame 0's z: use differences.
    offsets = h.gridFrameOffsets.slice(0, n).map((o) => o - h.gridFrameOffsets![0]);
  } else if (g.position && g.orientation) {
    const step = h.spacingBetweenSlices ?? h.sliceThickness;
    if (step) {
      offsets = Array.from({ length: n }, (_, f) => f * step);
      notes.push(
        `multi-frame image without per-frame positions: frames stacked ${fmt(step)} mm apart (${h.spacingBetweenSlices ? 'SpacingBetweenSlices' : 'SliceThickness'})`,
      );
    }
  }
  for (let f = 0; f < n; f++) {
    // without offsets every frame is placed at frame 0's position (sort.ts treats that as cine)
    let position: Vec3 | undefined = g.position;
    if (offsets && g.position && g.orientation) {
      const nrm = sliceNormal(g.orientation);
      position = [
        g.position[0] + offsets[f] * nrm[0],
        g.position[1] + offsets[f] * nrm[1],
        g.position[2] + offsets[f] * nrm[2],
      ];
    }
    frames.push({ ...ref(g, f), position, instanceNumber: f + 1 });
  }
  return frames;
}

export const fmt = (v: number, digits = 3): string => String(Number(v.toFixed(digits)));
