/**
 * Voxel values: choosing the output dtype from the headers, and writing one decoded frame (or
 * mosaic tile) into its slice of the preallocated voxel array with the frame's own rescale.
 *
 * dtype: 'int16' when every frame has an integer RescaleSlope/Intercept and the rescaled range of
 * the stored values (from BitsStored / PixelRepresentation) fits int16. When slope/intercept are
 * integers but that header bound does not fit (e.g. 16-bit unsigned MR that really stays below
 * 32768), int16 is allocated optimistically and converted ONCE to float32 as soon as a slice
 * exceeds the int16 range (never clipped). Anything else (fractional rescale, colour, float
 * pixel data) is float32.
 *
 * MONOCHROME1 (higher stored value = darker) is inverted on the stored values so that higher is
 * brighter: stored' = (minStored + maxStored) - stored, then rescaled.
 * Colour (RGB, and YBR which the decoder returns as RGB) becomes luminance
 * Y = 0.299 R + 0.587 G + 0.114 B (float32), with a warning.
 */
import type { DecodedPixels } from './decode/index';
import type { DicomHeader } from './parse';
import type { FrameRef } from './multiframe';
import type { StoredFix } from './decode/index';
import { writeGrey } from './greywrite';
import { lutMax } from './luts';

export function storedRange(h: DicomHeader): [number, number] {
  const bits = Math.min(h.bitsStored || h.bitsAllocated, h.bitsAllocated || 32);
  if (h.pixelData?.float) return [-Infinity, Infinity];
  return h.pixelRepresentation === 1 ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

/** Sum used to invert MONOCHROME1 stored values, or undefined when no inversion applies. */
export function invertSum(h: DicomHeader): number | undefined {
  if (h.photometric !== 'MONOCHROME1' || h.pixelData?.float) return undefined;
  const [lo, hi] = storedRange(h);
  return lo + hi;
}

export interface DtypeChoice {
  dtype: 'int16' | 'float32';
  /** True when the headers guarantee int16 holds every value (false = optimistic int16). */
  exact: boolean;
}

export function chooseDtype(frames: { frame: FrameRef; header: DicomHeader }[]): DtypeChoice {
  let exact = true;
  for (const { frame, header } of frames) {
    if (header.samplesPerPixel > 1 || header.pixelData?.float || header.luts?.palette)
      return { dtype: 'float32', exact: true };
    if (header.luts?.modality) {
      // table values (unsigned, up to 16 bits): int16 unless the table goes past 32767
      if (lutMax(header.luts.modality) > 32767) exact = false;
      continue;
    }
    const { slope: s, intercept: b } = frame;
    if (!Number.isInteger(s) || !Number.isInteger(b)) return { dtype: 'float32', exact: true };
    const [lo, hi] = storedRange(header);
    const a = s * lo + b;
    const c = s * hi + b;
    if (Math.min(a, c) < -32768 || Math.max(a, c) > 32767) exact = false;
  }
  return { dtype: 'int16', exact };
}

export interface Target {
  voxels: Int16Array | Float32Array;
  /** Set when an optimistic int16 array had to become float32. */
  convertedAt?: string;
}

export interface Region {
  /** Output slice index and size. */
  k: number;
  nx: number;
  ny: number;
  /** Source frame width in pixels and the pixel offset of the region's first pixel. */
  srcWidth: number;
  srcOffset: number;
  samples: number;
}

/** How a frame is written: its rescale, and what is known about its values. */
export interface WriteOptions {
  /** Raw native values that still need BitsStored masking / sign extension (see greywrite.ts). */
  fix?: StoredFix;
  /** The stored values are within the BitsStored range and the header says their rescale fits int16. */
  fits?: boolean;
}

/**
 * Write `px` (stored values) into slice `r.k` of `t.voxels`, applying MONOCHROME1 inversion,
 * colour -> luminance and rescale. Converts `t.voxels` to float32 (once) when int16 overflows.
 */
export function writeRegion(
  t: Target,
  r: Region,
  px: DecodedPixels,
  slope: number,
  intercept: number,
  inv: number | undefined,
  where: string,
  opts: WriteOptions = {},
): void {
  const base = r.k * r.nx * r.ny;
  if (r.samples === 1) {
    const g = { base, nx: r.nx, ny: r.ny, srcWidth: r.srcWidth, srcOffset: r.srcOffset };
    const w = { slope, intercept, inv, fix: opts.fix, check: !opts.fits };
    if (writeGrey(t.voxels, g, px, w)) return;
    t.voxels = new Float32Array(t.voxels);
    t.convertedAt = where;
    writeGrey(t.voxels, g, px, w);
    return;
  }
  if (t.voxels instanceof Int16Array) {
    t.voxels = new Float32Array(t.voxels);
    t.convertedAt = where;
  }
  const out = t.voxels;
  const n = r.samples;
  for (let y = 0; y < r.ny; y++) {
    const o = base + y * r.nx;
    const s = r.srcOffset + y * r.srcWidth;
    for (let x = 0; x < r.nx; x++) {
      const p = (s + x) * n;
      out[o + x] = (0.299 * px[p] + 0.587 * px[p + 1] + 0.114 * px[p + 2]) * slope + intercept;
    }
  }
}

/** True when the rescaled BitsStored range of `h` with this slope/intercept fits int16. */
export function rescaleFitsInt16(h: DicomHeader, slope: number, intercept: number): boolean {
  if (!Number.isInteger(slope) || !Number.isInteger(intercept)) return false;
  const [lo, hi] = storedRange(h);
  const a = slope * lo + intercept;
  const c = slope * hi + intercept;
  return Math.min(a, c) >= -32768 && Math.max(a, c) <= 32767;
}

/** Fill the given slices with the minimum of the other slices (background for missing slices); pass it when known. */
export function fillSlices(
  voxels: Int16Array | Float32Array,
  sliceSize: number,
  empty: number[],
  knownMin?: number,
): void {
  if (!empty.length) return;
  let min = knownMin ?? Infinity;
  if (knownMin === undefined) {
    const skip = new Set(empty);
    const nz = voxels.length / sliceSize;
    for (let k = 0; k < nz; k++) {
      if (skip.has(k)) continue;
      const end = (k + 1) * sliceSize;
      for (let i = k * sliceSize; i < end; i++) if (voxels[i] < min) min = voxels[i];
    }
  }
  if (!Number.isFinite(min)) min = 0;
  for (const k of empty) voxels.fill(min, k * sliceSize, (k + 1) * sliceSize);
}
