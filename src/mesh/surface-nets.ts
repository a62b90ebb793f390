/**
 * Surface extraction for one label: manifold surface nets on a binary mask (see tables.ts).
 *
 * The mask covers the label's bounding box plus one voxel of background on every side, so a label
 * touching the border of the volume is closed there (capped) like any other. Every face between an
 * inside and an outside voxel gives one quad joining the vertices of the four cells around it,
 * wound counter-clockwise seen from the outside voxel. Cells are walked one z-layer at a time and
 * only two layers of vertex indices are kept, so memory follows the surface, not the volume.
 */
import * as tables from './tables';

/** A binary mask: 1 inside, 0 outside; x fastest. Its outermost layer must be all 0. */
export interface Mask {
  data: Uint8Array;
  dims: [number, number, number];
}

/** Raw surface nets output, in mask index coordinates. */
export interface RawSurface {
  /** Vertex positions (x, y, z) in mask voxel units. */
  positions: Float64Array;
  /** Cell of each vertex: its corner with the smallest index (x, y, z) in mask voxel units. */
  cells: Int32Array;
  /** Four vertex indices per quad, counter-clockwise seen from outside. */
  quads: Uint32Array;
}

class Growable<T extends Float64Array | Int32Array | Uint32Array> {
  length = 0;
  constructor(public data: T) {}
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const next = new (this.data.constructor as new (n: number) => T)(Math.max(this.data.length * 2, this.length + n));
    next.set(this.data);
    this.data = next;
  }
  result(): T {
    return this.data.slice(0, this.length) as T;
  }
}

export function surfaceNets(mask: Mask): RawSurface {
  const [nx, ny, nz] = mask.dims;
  const m = mask.data;
  // Local references: module bindings read through getters in some loaders.
  const EDGE_SHEET = tables.EDGE_SHEET,
    SHEET_CENTROID = tables.SHEET_CENTROID,
    SHEET_COUNT = tables.SHEET_COUNT;
  const sz = nx * ny;
  const cx = nx - 1,
    cy = ny - 1; // cells per row / column
  const positions = new Growable(new Float64Array(3 * 4096));
  const cells = new Growable(new Int32Array(3 * 4096));
  const quads = new Growable(new Uint32Array(4 * 4096));
  // Vertex base index and case per cell, for the previous and current cell layers.
  let prevBase = new Int32Array(cx * cy).fill(-1);
  let curBase = new Int32Array(cx * cy).fill(-1);
  let prevCase = new Uint8Array(cx * cy);
  let curCase = new Uint8Array(cx * cy);
  const col = new Uint8Array(nx * ny);
  let vertexCount = 0;

  const quad = (a: number, b: number, c: number, d: number, flip: boolean) => {
    quads.reserve(4);
    const q = quads.data,
      o = quads.length;
    if (flip) {
      q[o] = a;
      q[o + 1] = d;
      q[o + 2] = c;
      q[o + 3] = b;
    } else {
      q[o] = a;
      q[o + 1] = b;
      q[o + 2] = c;
      q[o + 3] = d;
    }
    quads.length += 4;
  };
  // Vertex of `cell` (in a layer array) holding edge `e`.
  const vtx = (base: Int32Array, cases: Uint8Array, cell: number, e: number) =>
    base[cell] + EDGE_SHEET[cases[cell] * 12 + e];

  for (let z = 0; z < nz - 1; z++) {
    // Column codes: bit 0 = voxel (x, y, z), bit 4 = voxel (x, y, z + 1).
    const o0 = z * sz;
    for (let i = 0; i < sz; i++) col[i] = m[o0 + i] | (m[o0 + sz + i] << 4);
    [prevBase, curBase] = [curBase, prevBase];
    [prevCase, curCase] = [curCase, prevCase];
    // 1. Vertices of cell layer z.
    for (let y = 0; y < cy; y++) {
      for (let x = 0; x < cx; x++) {
        const i = x + y * nx;
        const c = col[i] | (col[i + 1] << 1) | (col[i + nx] << 2) | (col[i + nx + 1] << 3);
        const cell = x + y * cx;
        curCase[cell] = c;
        if (c === 0 || c === 255) {
          curBase[cell] = -1;
          continue;
        }
        curBase[cell] = vertexCount;
        const n = SHEET_COUNT[c];
        positions.reserve(3 * n);
        cells.reserve(3 * n);
        for (let s = 0; s < n; s++) {
          const t = (c * 4 + s) * 3,
            p = positions.length;
          positions.data[p] = x + SHEET_CENTROID[t];
          positions.data[p + 1] = y + SHEET_CENTROID[t + 1];
          positions.data[p + 2] = z + SHEET_CENTROID[t + 2];
          cells.data[p] = x;
          cells.data[p + 1] = y;
          cells.data[p + 2] = z;
          positions.length += 3;
          cells.length += 3;
        }
        vertexCount += n;
      }
    }
    // 2. Quads of the voxel faces whose four cells are now known, in one pass over the voxels of
    //    layer z (bit 0 of col) and z + 1 (bit 4):
    //    z-face (x, y, z)|(x, y, z + 1): cells (x-1..x, y-1..y, z);
    //    x-face (x, y, z)|(x + 1, y, z): cells (x, y-1..y, z-1..z);
    //    y-face (x, y, z)|(x, y + 1, z): cells (x-1..x, y, z-1..z).
    const xyFaces = z > 0;
    for (let y = 0; y < ny - 1; y++) {
      for (let x = 0; x < nx - 1; x++) {
        const i = x + y * nx;
        const a = col[i];
        // Nothing changes around here: same voxel in both layers and in the +x, +y neighbours.
        if ((a === 0 || a === 17) && col[i + 1] === a && col[i + nx] === a) continue;
        const v = a & 1;
        if (y > 0 && x > 0 && v !== a >> 4) {
          const c00 = x - 1 + (y - 1) * cx,
            c10 = c00 + 1,
            c01 = c00 + cx,
            c11 = c01 + 1;
          // Edge z of the cell: 8 + bx + 2*by where (bx, by) locates the voxel within the cell.
          quad(
            vtx(curBase, curCase, c00, 8 + 1 + 2),
            vtx(curBase, curCase, c10, 8 + 0 + 2),
            vtx(curBase, curCase, c11, 8 + 0 + 0),
            vtx(curBase, curCase, c01, 8 + 1 + 0),
            v === 0,
          );
        }
        if (!xyFaces) continue;
        if (y > 0 && v !== (col[i + 1] & 1)) {
          // cells (x, y-1, z-1) (x, y, z-1) (x, y, z) (x, y-1, z); edge index by + 2*bz.
          const cA = x + (y - 1) * cx,
            cB = cA + cx;
          quad(
            vtx(prevBase, prevCase, cA, 1 + 2),
            vtx(prevBase, prevCase, cB, 0 + 2),
            vtx(curBase, curCase, cB, 0 + 0),
            vtx(curBase, curCase, cA, 1 + 0),
            v === 0,
          );
        }
        if (x > 0 && v !== (col[i + nx] & 1)) {
          // cells (x-1, y, z-1) (x-1, y, z) (x, y, z) (x, y, z-1); edge index 4 + bx + 2*bz.
          const cA = x - 1 + y * cx,
            cB = cA + 1;
          quad(
            vtx(prevBase, prevCase, cA, 4 + 1 + 2),
            vtx(curBase, curCase, cA, 4 + 1 + 0),
            vtx(curBase, curCase, cB, 4 + 0 + 0),
            vtx(prevBase, prevCase, cB, 4 + 0 + 2),
            v === 0,
          );
        }
      }
    }
  }
  return { positions: positions.result(), cells: cells.result(), quads: quads.result() };
}
