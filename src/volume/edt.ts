/**
 * Exact Euclidean distance transforms in millimetres: the separable squared-distance transform of
 * Felzenszwalb & Huttenlocher ("Distance Transforms of Sampled Functions", 2012), one 1-D lower
 * envelope of parabolas per grid line and axis, anisotropic spacing handled by weighting each
 * axis' pass with spacing². The one EDT of the code base: slice interpolation (2-D) and surface
 * distances (3-D) both use it.
 *
 * Convention: the grid holds 0 at feature voxels and `EDT_FAR` (a large finite value; Infinity
 * would make the parabola intersections NaN) elsewhere; on return it holds the squared distance
 * in mm² to the nearest feature (about `EDT_FAR` where there is none).
 */

/** "No feature here" in the input of the transforms below. */
export const EDT_FAR = 1e20;

/**
 * One line of the squared distance transform: d[q] = min_p w·(q−p)² + f[p] for q < n.
 * Scratch: v (n ints) and z (n + 1 numbers); d must not alias f.
 */
export function edt1d(
  f: ArrayLike<number>,
  n: number,
  w: number,
  d: Float64Array,
  v: Int32Array,
  z: Float64Array,
): void {
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
 * In place: the squared distance transform of `g` along one axis of a grid of `dims` (x fastest),
 * for every line of that axis; `w` = spacing² of the axis. `skipEmpty`: leave lines without a
 * feature (all ≥ EDT_FAR) as they are (right for the first pass, where they stay "far").
 */
function pass(
  g: Float64Array,
  dims: readonly number[],
  axis: number,
  w: number,
  skipEmpty: boolean,
  buf: { f: Float64Array; d: Float64Array; v: Int32Array; z: Float64Array },
): void {
  const n = dims[axis];
  if (n <= 1) return;
  const strides = [1, dims[0], dims[0] * dims[1]];
  const stride = strides[axis];
  // The two other axes span the lines' starting points.
  const others = [0, 1, 2].filter((a) => a !== axis);
  const [a1, a2] = others;
  const { f, d, v, z } = buf;
  for (let j2 = 0; j2 < dims[a2]; j2++) {
    for (let j1 = 0; j1 < dims[a1]; j1++) {
      const start = j1 * strides[a1] + j2 * strides[a2];
      let any = false;
      for (let q = 0, i = start; q < n; q++, i += stride) {
        const x = g[i];
        f[q] = x;
        if (x < EDT_FAR) any = true;
      }
      if (skipEmpty && !any) continue;
      edt1d(f, n, w, d, v, z);
      for (let q = 0, i = start; q < n; q++, i += stride) g[i] = d[q];
    }
  }
}

function scratch(n: number) {
  return { f: new Float64Array(n), d: new Float64Array(n), v: new Int32Array(n), z: new Float64Array(n + 1) };
}

/**
 * In place: `g` (w × h, u fastest) holds 0 at feature pixels and a large value elsewhere; on
 * return it holds the squared distance (mm²) to the nearest feature, pixels su × sv mm.
 */
export function squaredDistance2D(g: Float64Array, w: number, h: number, su: number, sv: number): void {
  const dims = [w, h, 1];
  const buf = scratch(Math.max(w, h));
  pass(g, dims, 0, su * su, true, buf);
  pass(g, dims, 1, sv * sv, false, buf);
}

/**
 * In place, 3-D: `g` (dims[0] × dims[1] × dims[2], x fastest) holds 0 at feature voxels and
 * EDT_FAR elsewhere; on return the squared distance (mm²) to the nearest feature with voxels of
 * `spacing` mm. Exact (not an approximation such as chamfer distances).
 */
export function edt3d(
  g: Float64Array,
  dims: readonly [number, number, number],
  spacing: readonly [number, number, number],
): void {
  if (g.length !== dims[0] * dims[1] * dims[2]) throw new Error(`edt3d: ${g.length} values for dims ${dims.join('x')}`);
  const buf = scratch(Math.max(dims[0], dims[1], dims[2]));
  pass(g, dims, 0, spacing[0] * spacing[0], true, buf);
  pass(g, dims, 1, spacing[1] * spacing[1], false, buf);
  pass(g, dims, 2, spacing[2] * spacing[2], false, buf);
}
