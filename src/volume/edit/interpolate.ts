/**
 * Slice interpolation (morphological contour interpolation): the slices between two labelled
 * slices of a value get the zero level set of a linear blend of the two slices' signed distance
 * maps, so a circle of radius 10 mm and one of 20 mm ten slices apart give radius 15 mm halfway.
 * Distances are exact Euclidean in millimetres (separable transform after Felzenszwalb &
 * Huttenlocher, anisotropic in-plane spacing handled by weighting each pass).
 */
import type { IndexBox, Vec3 } from '../../core/types';
import type { LabelArray } from '../diff';

const FAR = 1e20;

/** One line of the 1D squared distance transform: d[q] = min_p w·(q−p)² + f[p]. */
function edt1d(f: Float64Array, n: number, w: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    // z[0] = -Infinity stops the loop at k = 0 (all values are finite)
    let p = v[k];
    let s = (f[q] + w * q * q - (f[p] + w * p * p)) / (2 * w * (q - p));
    while (s <= z[k]) {
      k--;
      p = v[k];
      s = (f[q] + w * q * q - (f[p] + w * p * p)) / (2 * w * (q - p));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const p = v[k];
    d[q] = w * (q - p) * (q - p) + f[p];
  }
}

/**
 * In place: `g` (w × h, u fastest) holds 0 at feature pixels and a large value elsewhere; on
 * return it holds the squared distance (mm²) to the nearest feature, pixels su × sv mm.
 */
export function squaredDistance2D(g: Float64Array, w: number, h: number, su: number, sv: number): void {
  const n = Math.max(w, h);
  const f = new Float64Array(n), d = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  for (let y = 0; y < h; y++) {
    const row = g.subarray(y * w, (y + 1) * w);
    edt1d(row, w, su * su, d, v, z);
    row.set(d.subarray(0, w));
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) f[y] = g[x + y * w];
    edt1d(f, h, sv * sv, d, v, z);
    for (let y = 0; y < h; y++) g[x + y * w] = d[y];
  }
}

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
function signedDistance(labels: LabelArray, pl: Plane, s: number, value: number, su: number, sv: number, out: Float64Array, tmp: Float64Array): void {
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
export function interpolateSlices(labels: LabelArray, dims: Readonly<Vec3>, spacing: Readonly<Vec3>, box: IndexBox, value: number, axis: 0 | 1 | 2): number {
  const strides = [1, dims[0], dims[0] * dims[1]];
  const u = axis === 0 ? 1 : 0, v = axis === 2 ? 1 : 2;
  const u0 = Math.max(0, box.lo[u] - 1), v0 = Math.max(0, box.lo[v] - 1);
  const pl: Plane = {
    u, v, u0, v0,
    w: Math.min(dims[u], box.hi[u] + 1) - u0,
    h: Math.min(dims[v], box.hi[v] + 1) - v0,
    strideU: strides[u], strideV: strides[v], strideS: strides[axis],
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
  let a = new Float64Array(n), b = new Float64Array(n);
  const tmp = new Float64Array(n);
  const su = spacing[u], sv = spacing[v];
  let have = -1; // slice whose distances `a` holds
  let written = 0;
  for (let k = 0; k + 1 < labelled.length; k++) {
    const s0 = labelled[k], s1 = labelled[k + 1];
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
