/**
 * Siemens MOSAIC: one 2D image holding N slices as tiles on a ceil(sqrt(N)) x ceil(sqrt(N)) grid,
 * filled row by row. Detected by ImageType containing MOSAIC plus the slice count from the CSA
 * image header (NumberOfImagesInMosaic) or, failing that, private (0019,xx0A).
 *
 * Geometry, as dcm2niix / nibabel correct it: ImagePositionPatient refers to the top-left pixel
 * of the whole mosaic as if it were one big slice, so the first tile's centre-of-first-voxel is
 *   IPP + rowCos * colSpacing * (mosaicCols - tileCols)/2 + colCos * rowSpacing * (mosaicRows - tileRows)/2
 * and tile t lies t * SpacingBetweenSlices (SliceThickness if absent) along the CSA
 * SliceNormalVector (row x column cosine when the CSA header lacks it).
 */
import type { DataSet } from 'dicom-parser';
import type { Vec3 } from '../../core/types';
import { cross, dot, normalize } from '../../volume/geometry';
import { csaImageHeader, csaNumbers } from './csa';
import type { DicomHeader } from './parse';
import type { FrameGeom } from './multiframe';

export interface MosaicInfo {
  images: number;
  /** Tiles per mosaic row (and column). */
  across: number;
  tileRows: number;
  tileCols: number;
  sliceNormal?: Vec3;
}

function privateUs(ds: DataSet, group: string, creator: string, element: string): number | undefined {
  for (let block = 0x10; block <= 0xff; block++) {
    const b = block.toString(16).padStart(2, '0');
    const c = ds.elements[`x${group}00${b}`] ? (ds.string(`x${group}00${b}`) ?? '').trim().toUpperCase() : '';
    if (c !== creator) continue;
    const tag = `x${group}${b}${element}`;
    const el = ds.elements[tag];
    if (!el || el.length < 2) return undefined;
    // VR is US, but implicit files sometimes carry it as a string
    const s = (ds.string(tag) ?? '').trim();
    return /^\d+$/.test(s) ? Number(s) : ds.uint16(tag);
  }
  return undefined;
}

export function mosaicInfo(ds: DataSet, h: DicomHeader): MosaicInfo | undefined {
  if (!h.imageType.includes('MOSAIC')) return undefined;
  const csa = csaImageHeader(ds);
  const images = csaNumbers(csa, 'NumberOfImagesInMosaic')?.[0] ?? privateUs(ds, '0019', 'SIEMENS MR HEADER', '0a');
  if (!images || !Number.isInteger(images) || images < 1) {
    h.notes.push('ImageType says MOSAIC but NumberOfImagesInMosaic is missing: loaded as one 2D image');
    return undefined;
  }
  const across = Math.ceil(Math.sqrt(images));
  if (h.rows % across || h.columns % across) {
    h.notes.push(`MOSAIC of ${images} images does not tile a ${h.columns}x${h.rows} image: loaded as one 2D image`);
    return undefined;
  }
  const n = csaNumbers(csa, 'SliceNormalVector');
  return {
    images,
    across,
    tileRows: h.rows / across,
    tileCols: h.columns / across,
    sliceNormal: n && n.length === 3 && Math.hypot(n[0], n[1], n[2]) > 0.5 ? normalize([n[0], n[1], n[2]]) : undefined,
  };
}

/** One FrameGeom per tile (frame index = tile index). */
export function mosaicFrames(h: DicomHeader, notes: string[]): FrameGeom[] {
  const m = h.mosaic!;
  const g = h.geom;
  const tiles: FrameGeom[] = [];
  if (!g.position || !g.orientation || !g.pixelSpacing) {
    notes.push('MOSAIC without ImagePositionPatient/ImageOrientationPatient/PixelSpacing: slice positions unknown');
    for (let t = 0; t < m.images; t++) tiles.push({ ...g, position: undefined });
    return tiles;
  }
  const o = g.orientation;
  const row: Vec3 = [o[0], o[1], o[2]];
  const col: Vec3 = [o[3], o[4], o[5]];
  const [rowSpacing, colSpacing] = g.pixelSpacing;
  const fixC = ((h.columns - m.tileCols) / 2) * colSpacing;
  const fixR = ((h.rows - m.tileRows) / 2) * rowSpacing;
  const first: Vec3 = [0, 1, 2].map((a) => g.position![a] + row[a] * fixC + col[a] * fixR) as Vec3;
  const planeNormal = normalize(cross(row, col));
  let normal = m.sliceNormal ?? planeNormal;
  if (Math.abs(dot(normal, planeNormal)) < 0.999) {
    notes.push('CSA SliceNormalVector is not perpendicular to the image plane: row x column cosine used');
    normal = planeNormal;
  }
  let step = h.spacingBetweenSlices;
  if (!step) {
    step = h.sliceThickness ?? 1;
    notes.push(
      `MOSAIC without SpacingBetweenSlices: slice spacing ${step} mm taken from ${h.sliceThickness ? 'SliceThickness' : 'a default'}`,
    );
  }
  for (let t = 0; t < m.images; t++) {
    tiles.push({ ...g, position: [0, 1, 2].map((a) => first[a] + t * step! * normal[a]) as Vec3 });
  }
  return tiles;
}

/** Pixel offset of tile t's first pixel inside the mosaic frame (in pixels). */
export function tileOrigin(h: DicomHeader, t: number): number {
  const m = h.mosaic!;
  const tx = t % m.across;
  const ty = Math.floor(t / m.across);
  return ty * m.tileRows * h.columns + tx * m.tileCols;
}
