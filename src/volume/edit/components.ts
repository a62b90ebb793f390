/**
 * Connected components of one label value (or of every non-zero voxel, `FOREGROUND`), 6-connected
 * in 3D by default: voxels sharing a face belong together; voxels touching only at an edge or a
 * corner do not. With connectivity 26 they do (brainchop's and niimath's bwlabel rule). Run-based
 * labelling: each row's runs are joined (union-find over runs, path halving, no recursion) with the
 * overlapping runs of the previous row and the previous slice — for 26, runs that touch diagonally
 * too (intervals grown by one voxel), and the rows beside it in the previous slice. Memory is
 * O(runs), time O(box).
 */
import type { IndexBox, Vec3 } from '../../core/types';
import type { LabelArray } from '../diff';
import { grown } from './grow';

export interface Components {
  /** The box that was scanned. */
  box: IndexBox;
  /** Runs of row r (rows in box order, y fastest) are rowFirst[r] .. rowFirst[r+1]-1. */
  rowFirst: Int32Array;
  /** Run extents along x, x0 inclusive, x1 exclusive. */
  x0: Int32Array;
  x1: Int32Array;
  /** Component of each run: the index of its root run. */
  root: Int32Array;
  /** Voxels of the component whose root is run r (0 for non-root runs). */
  size: Float64Array;
  /** Number of components. */
  count: number;
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/** `value` for every non-zero voxel. */
export const FOREGROUND = -1;

export type Connectivity = 6 | 26;

/**
 * Join the runs a..aEnd of one row with the runs b..bEnd of another where they overlap (`grow` 0)
 * or touch diagonally (`grow` 1). Runs of a row are sorted and at least one voxel apart, so
 * advancing the run that ends first never skips a pair.
 */
function unionRows(
  parent: Int32Array,
  x0: Int32Array,
  x1: Int32Array,
  a: number,
  aEnd: number,
  b: number,
  bEnd: number,
  grow: number,
): void {
  while (a < aEnd && b < bEnd) {
    if (x0[a] < x1[b] + grow && x0[b] < x1[a] + grow) {
      const ra = find(parent, a),
        rb = find(parent, b);
      if (ra < rb) parent[rb] = ra;
      else if (rb < ra) parent[ra] = rb;
    }
    if (x1[a] < x1[b]) a++;
    else b++;
  }
}

/** Components of the voxels equal to `value` (non-zero for `FOREGROUND`) inside `box`. */
export function valueComponents(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox,
  value: number,
  connectivity: Connectivity = 6,
): Components {
  const any = value === FOREGROUND;
  const g = connectivity === 26 ? 1 : 0;
  const [nx, ny] = dims;
  const nxy = nx * ny;
  const [lx, ly, lz] = box.lo,
    [hx, hy, hz] = box.hi;
  const by = hy - ly;
  const rows = by * (hz - lz);
  const rowFirst = new Int32Array(rows + 1);
  let x0 = new Int32Array(256),
    x1 = new Int32Array(256),
    parent = new Int32Array(256);
  let n = 0;
  for (let z = lz, r = 0; z < hz; z++)
    for (let y = ly; y < hy; y++, r++) {
      rowFirst[r] = n;
      const base = y * nx + z * nxy;
      for (let x = lx; x < hx;) {
        if (any ? labels[base + x] === 0 : labels[base + x] !== value) {
          x++;
          continue;
        }
        const s = x;
        if (any) while (x < hx && labels[base + x] !== 0) x++;
        else while (x < hx && labels[base + x] === value) x++;
        if (n === x0.length) ((x0 = grown(x0, n + 1)), (x1 = grown(x1, n + 1)), (parent = grown(parent, n + 1)));
        x0[n] = s;
        x1[n] = x;
        parent[n] = n;
        n++;
      }
      const from = rowFirst[r];
      if (y > ly) unionRows(parent, x0, x1, rowFirst[r - 1], from, from, n, g);
      if (z > lz) {
        const p = r - by; // the same row in the previous slice
        unionRows(parent, x0, x1, rowFirst[p], rowFirst[p + 1], from, n, g);
        if (g && y > ly) unionRows(parent, x0, x1, rowFirst[p - 1], rowFirst[p], from, n, g);
        if (g && y < hy - 1) unionRows(parent, x0, x1, rowFirst[p + 1], rowFirst[p + 2], from, n, g);
      }
    }
  rowFirst[rows] = n;
  const root = new Int32Array(n),
    size = new Float64Array(n);
  let count = 0;
  for (let k = 0; k < n; k++) {
    const rt = find(parent, k);
    root[k] = rt;
    if (rt === k) count++;
    size[rt] += x1[k] - x0[k];
  }
  return { box, rowFirst, x0, x1, root, size, count };
}

/** Set to 0 the runs whose component fails `keep` (a per-component test on size and root). */
function eraseComponents(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  c: Components,
  minVoxels: number,
  only: number,
): number {
  const [nx, ny] = dims;
  const { box, rowFirst, x0, x1, root, size } = c;
  let erased = 0;
  for (let z = box.lo[2], r = 0; z < box.hi[2]; z++)
    for (let y = box.lo[1]; y < box.hi[1]; y++, r++) {
      const base = y * nx + z * nx * ny;
      for (let k = rowFirst[r]; k < rowFirst[r + 1]; k++) {
        const rt = root[k];
        if (only >= 0 ? rt === only : size[rt] >= minVoxels) continue;
        labels.fill(0, base + x0[k], base + x1[k]);
        erased += x1[k] - x0[k];
      }
    }
  return erased;
}

/** Erase the components of `value` in `box` smaller than `minVoxels`; returns voxels erased. */
export function removeSmallComponents(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox,
  value: number,
  minVoxels: number,
): number {
  return eraseComponents(labels, dims, valueComponents(labels, dims, box, value), minVoxels, -1);
}

/** Erase every component of `value` in `box` but the largest (the first found on a tie); returns voxels erased. */
export function keepLargestComponent(
  labels: LabelArray,
  dims: Readonly<Vec3>,
  box: IndexBox,
  value: number,
  connectivity: Connectivity = 6,
): number {
  const c = valueComponents(labels, dims, box, value, connectivity);
  if (c.count < 2) return 0;
  let best = -1;
  for (let k = 0; k < c.size.length; k++) if (c.root[k] === k && (best < 0 || c.size[k] > c.size[best])) best = k;
  return eraseComponents(labels, dims, c, 0, best);
}
