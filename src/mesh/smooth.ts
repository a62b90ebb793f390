/**
 * Windowed-sinc smoothing (Taubin, Zhang & Golub 1996): a low-pass filter on the mesh built from
 * Chebyshev polynomials of the umbrella operator, weighted by a Hamming window. Unlike repeated
 * Laplacian averaging it removes the voxel staircase without shrinking the surface: frequencies
 * below the pass band (the shape) go through unchanged.
 */

/** Vertex neighbours in compressed rows: neighbours of v are `list[offsets[v] .. offsets[v + 1])`. */
export interface Neighbours {
  offsets: Uint32Array;
  list: Uint32Array;
}

/**
 * Neighbours from polygons of `size` vertices each (quads: 4, triangles: 3). On a closed,
 * consistently wound mesh each directed edge occurs once, so each neighbour is listed once.
 */
export function neighbours(vertexCount: number, polys: Uint32Array, size: number): Neighbours {
  const offsets = new Uint32Array(vertexCount + 1);
  for (let i = 0; i < polys.length; i++) offsets[polys[i] + 1]++;
  for (let v = 0; v < vertexCount; v++) offsets[v + 1] += offsets[v];
  const fill = offsets.slice(0, vertexCount);
  const list = new Uint32Array(polys.length);
  for (let p = 0; p < polys.length; p += size) {
    for (let k = 0; k < size; k++) {
      const a = polys[p + k],
        b = polys[p + ((k + 1) % size)];
      list[fill[a]++] = b;
    }
  }
  return { offsets, list };
}

/** Filter weights c_i · w_i for `iterations` Chebyshev terms, normalised to sum 1. */
export function sincWeights(iterations: number, passBand: number): Float64Array {
  if (!(passBand > 0 && passBand < 2)) throw new RangeError(`pass band must be in (0, 2), got ${passBand}`);
  const thetaPass = Math.acos(1 - passBand / 2);
  const weights = new Float64Array(iterations + 1);
  let sum = 0;
  for (let i = 0; i <= iterations; i++) {
    const window = 0.54 + 0.46 * Math.cos((i * Math.PI) / (iterations + 1));
    const c = i === 0 ? thetaPass / Math.PI : (2 * Math.sin(i * thetaPass)) / (i * Math.PI);
    weights[i] = c * window;
    sum += weights[i];
  }
  for (let i = 0; i <= iterations; i++) weights[i] /= sum;
  return weights;
}

/** Umbrella step: out = x + scale · (mean of neighbours − x). */
function umbrella(x: Float64Array, nb: Neighbours, scale: number, out: Float64Array): void {
  const { offsets, list } = nb;
  const n = offsets.length - 1;
  for (let v = 0; v < n; v++) {
    const start = offsets[v],
      end = offsets[v + 1];
    const p = 3 * v;
    if (end === start) {
      out[p] = x[p];
      out[p + 1] = x[p + 1];
      out[p + 2] = x[p + 2];
      continue;
    }
    let sx = 0,
      sy = 0,
      sz = 0;
    for (let j = start; j < end; j++) {
      const q = 3 * list[j];
      sx += x[q];
      sy += x[q + 1];
      sz += x[q + 2];
    }
    const inv = 1 / (end - start);
    out[p] = x[p] + scale * (sx * inv - x[p]);
    out[p + 1] = x[p + 1] + scale * (sy * inv - x[p + 1]);
    out[p + 2] = x[p + 2] + scale * (sz * inv - x[p + 2]);
  }
}

/** Smoothed copy of `positions` (xyz per vertex). */
export function windowedSinc(
  positions: Float64Array,
  nb: Neighbours,
  iterations: number,
  passBand: number,
): Float64Array {
  const weights = sincWeights(iterations, passBand);
  const n = positions.length;
  const result = new Float64Array(n);
  let prev = positions.slice();
  let cur = new Float64Array(n);
  let next = new Float64Array(n);
  // T0 = x, T1 = (I - K/2) x, T(i+1) = 2 (I - K/2) T(i) - T(i-1), with K = I - mean of neighbours.
  umbrella(prev, nb, 0.5, cur);
  for (let k = 0; k < n; k++) result[k] = weights[0] * prev[k] + (iterations > 0 ? weights[1] * cur[k] : 0);
  for (let i = 2; i <= iterations; i++) {
    umbrella(cur, nb, 0.5, next);
    const w = weights[i];
    for (let k = 0; k < n; k++) {
      const t = 2 * next[k] - prev[k];
      next[k] = t;
      result[k] += w * t;
    }
    [prev, cur, next] = [cur, next, prev];
  }
  return result;
}
