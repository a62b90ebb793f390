/**
 * Resampling the acquired slices of a series onto its regular grid (planned by regular.ts).
 *
 * - Each output voxel lies between the two acquired slices that bracket it along the slice normal;
 *   its value is the linear blend (by distance along n) of those slices sampled bilinearly at the
 *   voxel's own in-plane position in each (each slice at its true DICOM position, so a tilted
 *   slice is sampled where the voxel really is). Together: trilinear in the sheared acquisition.
 * - A slice pixel covers its cell: positions up to half a pixel beyond the outer pixel centres
 *   replicate the edge pixel (as src/volume/resample.ts does); further out the slice contributes
 *   `fill` (the volume minimum, as dcm2niix pads its tilt-corrected slices with the darkest value).
 * - int16 volumes are rounded (values stay within the acquired range, so no overflow).
 * - Memory: with `inPlace` the output is written into the load's own array from the top slice
 *   down; the two acquired slices being read are first copied into a buffer pair, so the extra
 *   memory is two acquired slices. Otherwise (a capped spacing with slices bunched at the start,
 *   see regular.ts) a second array of the output size is allocated.
 */
import type { RegularGrid } from './regular';
import { below } from './regular';

type Voxels = Int16Array | Float32Array;

/** Resample `voxels` (the acquired slices, in stack order, at its start) onto `g`'s grid. */
export function regrid(voxels: Voxels, g: RegularGrid, fill: number): { voxels: Voxels; range: [number, number] } {
  const [nxIn, nyIn, count] = g.acquired;
  const [nx, ny, nz] = g.dims;
  const sliceIn = nxIn * nyIn;
  const sliceOut = nx * ny;
  const make = (n: number): Voxels => (voxels instanceof Int16Array ? new Int16Array(n) : new Float32Array(n));
  const out = g.inPlace ? voxels.subarray(0, nz * sliceOut) : make(nz * sliceOut);
  const ks = g.at.map((p) => p[2]);
  const buffers = [make(sliceIn), make(sliceIn)];
  const held = [-1, -1];
  /** Acquired slice s from the buffer pair (copied in if needed, never evicting `keep`). */
  const slice = (s: number, keep: number): Voxels => {
    const b = held.indexOf(s);
    if (b >= 0) return buffers[b];
    const slot = held[0] === keep ? 1 : 0;
    held[slot] = s;
    buffers[slot].set(voxels.subarray(s * sliceIn, (s + 1) * sliceIn));
    return buffers[slot];
  };
  const round = voxels instanceof Int16Array;
  let lo = Infinity;
  let hi = -Infinity;
  let s = count - 2;
  for (let k = nz - 1; k >= 0; k--) {
    s = below(ks, k, s);
    let t = (k - ks[s]) / (ks[s + 1] - ks[s]);
    t = t < 1e-6 ? 0 : t > 1 - 1e-6 ? 1 : t;
    // both copies are made before output slice k is written over either acquired slice
    const A = slice(s, s + 1);
    const B = slice(s + 1, s);
    const colA = taps(nx, nxIn, g.at[s][0]);
    const rowA = taps(ny, nyIn, g.at[s][1]);
    const colB = taps(nx, nxIn, g.at[s + 1][0]);
    const rowB = taps(ny, nyIn, g.at[s + 1][1]);
    const [wa, wb] = [1 - t, t];
    const [fxa, fya, fxb, fyb] = [colA.f, rowA.f, colB.f, rowB.f];
    const o = k * sliceOut;
    for (let j = 0; j < ny; j++) {
      // source row offsets around output row j in each slice (-1: outside it, or weight 0)
      const a0 = rowA.a[j] < 0 || !wa ? -1 : rowA.a[j] * nxIn;
      const a1 = rowA.b[j] * nxIn;
      const b0 = rowB.a[j] < 0 || !wb ? -1 : rowB.a[j] * nxIn;
      const b1 = rowB.b[j] * nxIn;
      const row = o + j * nx;
      for (let i = 0; i < nx; i++) {
        let va = fill;
        let vb = fill;
        const ca = colA.a[i];
        if (a0 >= 0 && ca >= 0) {
          const cb = colA.b[i];
          const top = A[a0 + ca] + fxa * (A[a0 + cb] - A[a0 + ca]);
          const bottom = A[a1 + ca] + fxa * (A[a1 + cb] - A[a1 + ca]);
          va = top + fya * (bottom - top);
        }
        const cc = colB.a[i];
        if (b0 >= 0 && cc >= 0) {
          const cd = colB.b[i];
          const top = B[b0 + cc] + fxb * (B[b0 + cd] - B[b0 + cc]);
          const bottom = B[b1 + cc] + fxb * (B[b1 + cd] - B[b1 + cc]);
          vb = top + fyb * (bottom - top);
        }
        const sum = wa * va + wb * vb;
        const value = round ? Math.round(sum) : sum;
        out[row + i] = value;
        if (value < lo) lo = value;
        if (value > hi) hi = value;
      }
    }
  }
  return { voxels: out, range: [lo, hi] };
}

/** Column (or row) taps of a slice whose pixel 0 is at output index `offset`: index pair (-1 outside) and weight. */
interface Taps {
  a: Int32Array;
  b: Int32Array;
  f: number;
}

function taps(n: number, size: number, offset: number): Taps {
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  // source coordinate x = i - offset; floor(x) = i + floor(-offset), fraction the same for every i
  const base = Math.floor(-offset);
  const f = -offset - base;
  for (let i = 0; i < n; i++) {
    const x = i - offset;
    if (x < -0.5 || x > size - 0.5) {
      a[i] = b[i] = -1;
      continue;
    }
    const x0 = i + base;
    a[i] = Math.min(size - 1, Math.max(0, x0));
    b[i] = Math.min(size - 1, Math.max(0, x0 + 1));
  }
  return { a, b, f };
}
