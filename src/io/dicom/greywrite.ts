/**
 * The hot loop of loading: one grey frame (or MOSAIC tile) of stored values -> its slice of the
 * output, in a single pass:
 *
 *   v = fix(stored)            keep the low BitsStored bits / sign-extend them (raw native data only)
 *   v = inv - v                MONOCHROME1
 *   out = v * slope + intercept, range-checked against int16 unless the header guarantees it fits
 *
 * `fix` lets the loader use a zero-copy view of the file's native pixel bytes without the decoder's
 * separate "are bits above BitsStored set?" pass: masking / sign extension is the identity for
 * values already in range, so fix(raw) equals what decodeFrame returns in every case.
 * The common CT case (no fix needed or a plain mask, slope 1, no inversion, range known to fit)
 * has its own tight loop.
 */
import type { DecodedPixels, StoredFix } from './decode/index';

export interface GreyWrite {
  slope: number;
  intercept: number;
  /** MONOCHROME1: minStored + maxStored, else undefined. */
  inv?: number;
  fix?: StoredFix;
  /** Check every rescaled value against the int16 range (int16 output only). */
  check: boolean;
}

export interface GreyRegion {
  /** Index in `out` of the region's first voxel; the region is nx x ny, rows contiguous. */
  base: number;
  nx: number;
  ny: number;
  /** Source row length in pixels and the index of the region's first pixel. */
  srcWidth: number;
  srcOffset: number;
}

type Out = Int16Array | Float32Array;

/** Shift (signed) or mask (unsigned) that implements `fix` for elements of `px`; 0 = nothing to do. */
function fixOp(px: DecodedPixels, fix: StoredFix | undefined): { shift: number; mask: number } {
  const bits = px.BYTES_PER_ELEMENT * 8;
  if (!fix || px instanceof Float32Array || fix.bitsStored >= bits || fix.bitsStored <= 0) return { shift: 0, mask: 0 };
  if (fix.signed) return { shift: 32 - fix.bitsStored, mask: 0 };
  return { shift: 0, mask: fix.bitsStored === 31 ? 0x7fffffff : (1 << fix.bitsStored) - 1 };
}

/**
 * Write `px` (one sample per pixel) into region `r` of `out`. Returns false, leaving the region
 * partly written, when an int16 output would overflow (only possible with `w.check`).
 */
export function writeGrey(out: Out, r: GreyRegion, px: DecodedPixels, w: GreyWrite): boolean {
  const { shift, mask } = fixOp(px, w.fix);
  const check = w.check && out instanceof Int16Array;
  // whole contiguous frame: one long row
  const rows = r.srcWidth === r.nx ? 1 : r.ny;
  const len = rows === 1 ? r.nx * r.ny : r.nx;
  for (let y = 0; y < rows; y++) {
    const o = r.base + y * r.nx;
    const s = r.srcOffset + y * r.srcWidth;
    if (!check && w.slope === 1 && w.inv === undefined) {
      copyOffset(out, o, px, s, len, shift, mask, w.intercept);
      continue;
    }
    if (!rowGeneral(out, o, px, s, len, shift, mask, w, check)) return false;
  }
  return true;
}

function copyOffset(
  out: Out,
  o: number,
  px: DecodedPixels,
  s: number,
  len: number,
  shift: number,
  mask: number,
  b: number,
): void {
  if (mask) for (let x = 0; x < len; x++) out[o + x] = (px[s + x] & mask) + b;
  else if (shift) for (let x = 0; x < len; x++) out[o + x] = ((px[s + x] << shift) >> shift) + b;
  else if (b === 0) out.set(px.subarray(s, s + len), o);
  else for (let x = 0; x < len; x++) out[o + x] = px[s + x] + b;
}

function rowGeneral(
  out: Out,
  o: number,
  px: DecodedPixels,
  s: number,
  len: number,
  shift: number,
  mask: number,
  w: GreyWrite,
  check: boolean,
): boolean {
  const { slope, intercept } = w;
  const inv = w.inv ?? 0;
  const invert = w.inv !== undefined;
  for (let x = 0; x < len; x++) {
    let v = px[s + x];
    if (mask) v &= mask;
    else if (shift) v = (v << shift) >> shift;
    if (invert) v = inv - v;
    const r = v * slope + intercept;
    if (check && (r < -32768 || r > 32767)) return false;
    out[o + x] = r;
  }
  return true;
}
