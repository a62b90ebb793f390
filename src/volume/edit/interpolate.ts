/**
 * Slice interpolation (morphological contour interpolation): the slices between two labelled
 * slices of a value get the zero level set of a linear blend of the two slices' signed distance
 * maps, so a circle of radius 10 mm and one of 20 mm ten slices apart give radius 15 mm halfway.
 * Distances are exact Euclidean in millimetres (the shared separable transform of ../edt.ts,
 * after Felzenszwalb & Huttenlocher, anisotropic in-plane spacing weighting each pass).
 */
import type { IndexBox, Vec3 } from '../../core/types';
import type { LabelArray } from '../diff';
import { EDT_FAR, squaredDistance2D } from '../edt';

const FAR = EDT_FAR;

// The transform lives in ../edt (shared with surface distances); re-exported for existing users.
export { squaredDistance2D };

interface Plane {
  u: number;
  v: number;
  /** Padded in-plane region. */
  u0: number;
  v0: number;
  w: number;
  h: number;
  strideU: number;
  strideV: number;
  strideS: number;
}

/** Signed distance (mm, negative inside) of the value's mask in slice s, over the plane's region. */
function signedDistance(
  labels: LabelArray,
  pl: Plane,
  s: number,
  value: number,
  su: number,
  sv: number,
  out: Float64Array,
  tmp: Float64Array,
): void {
  const { w, h } = pl;
  for (let y = 0, p = 0; y < h; y++) {
    let i = s * pl.strideS + pl.u0 * pl.strideU + (pl.v0 + y) * pl.strideV;
    for (let x = 0; x < w; x++, p++, i += pl.strideU) {
      const inside = labels[i] === value;
      out[p] = inside ? 0 : FAR; // → distance to the nearest inside pixel
      tmp[p] = inside ? FAR : 0; // → distance to the nearest outside pixel
    }
  }
  squaredDistance2D(out, w, h, su, sv);
  squaredDistance2D(tmp, w, h, su, sv);
  const half = 0.5 * Math.min(su, sv); // the boundary lies half a pixel beyond the last inside pixel
  for (let p = 0; p < w * h; p++) out[p] = out[p] === 0 ? half - Math.sqrt(tmp[p]) : Math.sqrt(out[p]) - half;
}

/**
 * Fill the unlabelled slices (along index axis `axis`) between labelled slices of `value` inside
 * `box`, writing `value` only into background voxels. Returns the number of voxels written.
 */
export function interpolateSlices(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  spacing: Readonly<Vec3>,
  box: IndexBox,
  value: number,
  axis: 0 | 1 | 2,
): number {
  const strides = [1, dims[0], dims[0] * dims[1]];
  const u = axis === 0 ? 1 : 0,
    v = axis === 2 ? 1 : 2;
  const u0 = Math.max(0, box.lo[u] - 1),
    v0 = Math.max(0, box.lo[v] - 1);
  const pl: Plane = {
    u,
    v,
    u0,
    v0,
    w: Math.min(dims[u], box.hi[u] + 1) - u0,
    h: Math.min(dims[v], box.hi[v] + 1) - v0,
    strideU: strides[u],
    strideV: strides[v],
    strideS: strides[axis],
  };
  // Which slices hold the value (scan of the box only).
  const labelled: number[] = [];
  for (let s = box.lo[axis]; s < box.hi[axis]; s++) {
    let found = false;
    for (let y = box.lo[v]; y < box.hi[v] && !found; y++) {
      let i = s * pl.strideS + box.lo[u] * pl.strideU + y * pl.strideV;
      for (let x = box.lo[u]; x < box.hi[u]; x++, i += pl.strideU)
        if (labels[i] === value) {
          found = true;
          break;
        }
    }
    if (found) labelled.push(s);
  }
  const n = pl.w * pl.h;
  let a = new Float64Array(n),
    b = new Float64Array(n);
  const tmp = new Float64Array(n);
  const su = spacing[u],
    sv = spacing[v];
  let have = -1; // slice whose distances `a` holds
  let written = 0;
  for (let k = 0; k + 1 < labelled.length; k++) {
    const s0 = labelled[k],
      s1 = labelled[k + 1];
    if (s1 - s0 < 2) continue;
    if (have !== s0) signedDistance(labels, pl, s0, value, su, sv, a, tmp);
    signedDistance(labels, pl, s1, value, su, sv, b, tmp);
    for (let s = s0 + 1; s < s1; s++) {
      const t = (s - s0) / (s1 - s0);
      for (let y = 0, p = 0; y < pl.h; y++) {
        let i = s * pl.strideS + u0 * pl.strideU + (v0 + y) * pl.strideV;
        for (let x = 0; x < pl.w; x++, p++, i += pl.strideU)
          if ((1 - t) * a[p] + t * b[p] <= 0 && labels[i] === 0) {
            labels[i] = value;
            written++;
          }
      }
    }
    [a, b] = [b, a];
    have = s1;
  }
  return written;
}
