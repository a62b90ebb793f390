/**
 * Rolling (ring) accumulator for sliding-window logits.
 *
 * Holds only the k-slices that the current layer of patches can touch: `slices` ring slots (the
 * patch k-size, or the volume depth when smaller), each one array of channels x nx x ny values
 * ([c][j][i]) in float32 or float16 (Uint16Array bits), plus a float32 weight-sum plane per slot.
 * Patches must arrive in non-decreasing k start order; when a patch starting at slice k arrives,
 * every slice below k is final and goes to the sink, and its slot is cleared for reuse.
 *
 * Each slot stores the running weighted average rather than the weighted sum:
 *   W' = W + w,  avg' = avg + (w / W') * (v - avg).
 * That is the same normalized result as sum(w v) / sum(w), but the stored values stay in the range
 * of the logits, so tiny Gaussian border weights (1e-11 and below) cannot underflow float16, and a
 * voxel whose patches agree gets exactly their value. Finalizing a slice is then a plain hand-over.
 */
import { VoxsegError } from '../core/errors';
import type { Vec3 } from '../core/types';

export type AccumulatorStorage = 'float32' | 'float16';

/**
 * Receives finalized, normalized (weighted average) logits for grid slices k0..k1-1, laid out
 * [channel][k - k0][j][i]. The array is only valid during the call (its storage is reused right
 * after): copy what you need to keep.
 */
export type SlabSink = (k0: number, k1: number, logits: Float32Array) => void;

// ---- float16 <-> float32 -------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
let halfTable: Float32Array | null = null;

/** Float value of every float16 bit pattern (256 KiB, built on first use). */
export function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = sign * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : sign * Infinity;
    else t[h] = sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  halfTable = t;
  return t;
}

/** float16 bits for float32 bits `u`, rounding to nearest even; overflow gives +-Infinity. */
export function float32BitsToHalf(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // float16 subnormal (or zero): value = m * 2^-24, m = (1.mant) >> (14 - e)
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

export function floatToHalf(x: number): number {
  f32Scratch[0] = x;
  return float32BitsToHalf(u32Scratch[0]);
}

export function halfToFloat(h: number): number {
  return halfToFloatTable()[h & 0xffff];
}

// ---- accumulator ----------------------------------------------------------------------------

/** Bytes of accumulation storage (values + float32 weight sums) for `slices` slices of an nx x ny grid. */
export function accumulatorBytes(
  channels: number,
  dims: Readonly<Vec3>,
  slices: number,
  storage: AccumulatorStorage,
): number {
  return slices * dims[0] * dims[1] * (channels * (storage === 'float32' ? 4 : 2) + 4);
}

export class RollingAccumulator {
  /** Ring slots (k-slices held at once). */
  readonly slices: number;
  /** Bytes of accumulation storage, as accumulatorBytes() counts them. */
  readonly bytes: number;
  /** Bytes of per-patch and per-slice scratch on top of `bytes`. */
  readonly scratchBytes: number;

  private readonly nx: number;
  private readonly ny: number;
  private readonly nz: number;
  private readonly plane: number;
  private readonly v32: Float32Array[] = [];
  private readonly v16: Uint16Array[] = [];
  private readonly wsum: Float32Array[] = [];
  /** w / W' per patch voxel of the current patch (grid-patch order). */
  private readonly ratio: Float32Array;
  private readonly slab: Float32Array | null;
  private readonly row: Float32Array | null;
  private readonly rowBits: Uint32Array | null;
  private emitted = 0;
  // Current patch: real-grid start and the patch-local box inside the volume.
  private sx = 0;
  private sy = 0;
  private sz = 0;
  private i0 = 0;
  private i1 = 0;
  private j0 = 0;
  private j1 = 0;
  private k0 = 0;
  private k1 = 0;

  constructor(
    readonly channels: number,
    dims: Readonly<Vec3>,
    readonly patch: Readonly<Vec3>,
    readonly storage: AccumulatorStorage,
    private readonly sink: SlabSink,
  ) {
    [this.nx, this.ny, this.nz] = dims;
    this.plane = this.nx * this.ny;
    this.slices = Math.min(patch[2], this.nz);
    this.bytes = accumulatorBytes(channels, dims, this.slices, storage);
    const patchVoxels = patch[0] * patch[1] * patch[2];
    for (let s = 0; s < this.slices; s++) {
      if (storage === 'float32') this.v32.push(new Float32Array(channels * this.plane));
      else this.v16.push(new Uint16Array(channels * this.plane));
      this.wsum.push(new Float32Array(this.plane));
    }
    this.ratio = new Float32Array(patchVoxels);
    if (storage === 'float16') {
      halfToFloatTable();
      this.slab = new Float32Array(channels * this.plane);
      this.row = new Float32Array(patch[0]);
      this.rowBits = new Uint32Array(this.row.buffer);
    } else {
      this.slab = this.row = this.rowBits = null;
    }
    // (The shared 256 KiB float16 table is not counted: it is allocated once per process.)
    this.scratchBytes = 4 * patchVoxels + (this.slab ? 4 * this.slab.length + 4 * patch[0] : 0);
  }

  /** Slices handed to the sink so far (all slices below this index are final). */
  get done(): number {
    return this.emitted;
  }

  /**
   * Start a patch at real-grid `start` (may be negative or overhang where the volume is padded)
   * with blending `weights` (grid-patch order). Finalizes every slice below start[2] first.
   */
  begin(start: Readonly<Vec3>, weights: Float32Array): void {
    const [px, py, pz] = this.patch;
    this.flushBefore(start[2]);
    this.sx = start[0];
    this.sy = start[1];
    this.sz = start[2];
    this.i0 = Math.max(0, -start[0]);
    this.i1 = Math.min(px, this.nx - start[0]);
    this.j0 = Math.max(0, -start[1]);
    this.j1 = Math.min(py, this.ny - start[1]);
    this.k0 = Math.max(0, -start[2]);
    this.k1 = Math.min(pz, this.nz - start[2]);
    if (this.sz + this.k0 < this.emitted || this.sz + this.k1 > this.emitted + this.slices) {
      throw new VoxsegError(
        'inference-failed',
        `sliding window: patch at k=${start[2]} is outside the accumulated slices ${this.emitted}..${this.emitted + this.slices - 1} (patches out of order)`,
      );
    }
    const { nx, ratio } = this;
    const { i0, i1 } = this;
    for (let pk = this.k0; pk < this.k1; pk++) {
      const W = this.wsum[(this.sz + pk) % this.slices];
      for (let pj = this.j0; pj < this.j1; pj++) {
        const g = (pk * py + pj) * px;
        const a = (this.sy + pj) * nx + this.sx;
        for (let pi = i0; pi < i1; pi++) {
          const w = weights[g + pi];
          const s = W[a + pi] + w;
          W[a + pi] = s;
          ratio[g + pi] = w / s;
        }
      }
    }
  }

  /** Blend channel `c` of the current patch: grid-patch values at values[offset ...]. */
  add(c: number, values: Float32Array, offset: number): void {
    const [px, py] = this.patch;
    const { nx, ratio, i0, i1 } = this;
    const base = c * this.plane + this.sx;
    if (this.storage === 'float32') {
      for (let pk = this.k0; pk < this.k1; pk++) {
        const acc = this.v32[(this.sz + pk) % this.slices];
        for (let pj = this.j0; pj < this.j1; pj++) {
          const g = (pk * py + pj) * px;
          const v = offset + g;
          const a = base + (this.sy + pj) * nx;
          for (let pi = i0; pi < i1; pi++) {
            const x = acc[a + pi];
            acc[a + pi] = x + ratio[g + pi] * (values[v + pi] - x);
          }
        }
      }
      return;
    }
    const h2f = halfToFloatTable();
    const row = this.row as Float32Array;
    const bits = this.rowBits as Uint32Array;
    for (let pk = this.k0; pk < this.k1; pk++) {
      const acc = this.v16[(this.sz + pk) % this.slices];
      for (let pj = this.j0; pj < this.j1; pj++) {
        const g = (pk * py + pj) * px;
        const v = offset + g;
        const a = base + (this.sy + pj) * nx;
        for (let pi = i0; pi < i1; pi++) {
          const x = h2f[acc[a + pi]];
          row[pi] = x + ratio[g + pi] * (values[v + pi] - x);
        }
        for (let pi = i0; pi < i1; pi++) acc[a + pi] = float32BitsToHalf(bits[pi]);
      }
    }
  }

  /** Hand every slice below `k` (clamped to the volume) to the sink and clear its slot. */
  flushBefore(k: number): void {
    const end = Math.min(k, this.nz);
    while (this.emitted < end) {
      const z = this.emitted;
      const slot = z % this.slices;
      if (this.storage === 'float32') {
        const acc = this.v32[slot];
        this.emitted++;
        this.sink(z, z + 1, acc);
        acc.fill(0);
      } else {
        const acc = this.v16[slot];
        const slab = this.slab as Float32Array;
        const h2f = halfToFloatTable();
        for (let p = 0, n = acc.length; p < n; p++) slab[p] = h2f[acc[p]];
        this.emitted++;
        this.sink(z, z + 1, slab);
        acc.fill(0);
      }
      this.wsum[slot].fill(0);
    }
  }

  /** Finalize the remaining slices. */
  finish(): void {
    this.flushBefore(this.nz);
  }
}
