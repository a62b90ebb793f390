/**
 * The voxels each segment number covers on the reference grid, gathered frame by frame (so a
 * compressed SEG is decoded one frame at a time): BINARY frames by their segment, FRACTIONAL frames
 * at or above half the MaximumFractionalValue, LABELMAP pixels by their value (the background value
 * skipped). Indices are flat (i + j*nx + k*nx*ny), repeats allowed, kept in growable Uint32Arrays.
 */
import type { Placement, SegFrame } from './place';
import type { FrameValues, SegType } from './read-pixels';

/** Growable list of voxel indices. */
export class Indices {
  buf = new Uint32Array(256);
  n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const b = new Uint32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = v;
  }
}

/** Voxel indices of each segment number (as the file numbers them), frame by frame. */
export class Collector {
  readonly byNumber = new Map<number, Indices>();
  constructor(
    private readonly type: SegType,
    private readonly placed: Placement,
    /** LABELMAP: the background pixel value. */
    private readonly background: number,
    /** FRACTIONAL: MaximumFractionalValue (a value of at least half of it is in). */
    private readonly maxFractional: number,
  ) {}
  private list(n: number): Indices {
    let l = this.byNumber.get(n);
    if (!l) this.byNumber.set(n, (l = new Indices()));
    return l;
  }
  add(fr: SegFrame, values: FrameValues): void {
    const base = this.placed.offset?.(fr.index);
    if (base !== undefined) return this.addSlice(fr, values, base);
    if (this.type === 'LABELMAP') {
      const bg = this.background;
      this.placed.forEach(fr.index, (q, voxel) => {
        const v = values[q];
        if (v !== bg) this.list(v).push(voxel);
      });
      return;
    }
    const out = this.list(fr.segment);
    const min = this.type === 'FRACTIONAL' ? Math.max(this.maxFractional / 2, 1) : 1;
    this.placed.forEach(fr.index, (q, voxel) => {
      if (values[q] >= min) out.push(voxel);
    });
  }

  /** Fast path: frame pixel q is voxel base + q. */
  private addSlice(fr: SegFrame, values: FrameValues, base: number): void {
    const n = values.length;
    if (this.type === 'LABELMAP') {
      const bg = this.background;
      let last = -1;
      let l: Indices | undefined;
      for (let q = 0; q < n; q++) {
        const v = values[q];
        if (v === bg) continue;
        if (v !== last) ((l = this.list(v)), (last = v));
        l!.push(base + q);
      }
      return;
    }
    const out = this.list(fr.segment);
    const min = this.type === 'FRACTIONAL' ? Math.max(this.maxFractional / 2, 1) : 1;
    for (let q = 0; q < n; q++) if (values[q] >= min) out.push(base + q);
  }
}
