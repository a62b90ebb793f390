/**
 * Label map → one closed surface per label value, in world coordinates (LPS mm).
 *
 * Per label: a padded binary mask of its bounding box → manifold surface nets → windowed-sinc
 * smoothing with every vertex kept inside its own cell (so the surface never crosses a voxel
 * centre: thin structures keep their voxels) → optional decimation → optional volume restore
 * (a uniform move along the normals so the surface encloses the label's voxel volume again) →
 * world coordinates. Only the labels' bounding boxes are visited after one counting pass.
 */
import { VoxsegError } from '../core/errors';
import type { ProgressCallback, Vec3, Volume, VolumeHeader } from '../core/types';
import { decimate } from './decimate';
import { measure, vertexNormals } from './measure';
import { restoreVolume } from './restore';
import { neighbours, windowedSinc } from './smooth';
import { surfaceNets, type Mask } from './surface-nets';
import type { LabelMesh, MeshOptions } from './types';

/** Where a label lies: inclusive voxel index bounds and its voxel count. */
export interface LabelExtent {
  lo: Vec3;
  hi: Vec3;
  count: number;
}

/**
 * Default smoothing, chosen by measurement. On near-isotropic voxels 10 iterations at pass band
 * 0.2 bring a voxelised sphere's area within 1 % of the true sphere's while thin curved labels
 * (ribs at 3 mm) keep their centroid within about half a voxel; more smoothing starts to
 * straighten thin curved parts. Thick slices leave terraces that this filter keeps (they are long
 * in vertices), so anisotropic grids get more: on 1.35 × 1.35 × 3 mm an ellipsoid's mean normal
 * error drops from 5° to 1.8° (20 at 0.1) and 1° (30 at 0.05).
 */
export function defaultSmoothing(spacing: Readonly<Vec3>): { iterations: number; passBand: number } {
  const ratio = Math.max(...spacing) / Math.min(...spacing);
  if (ratio < 1.5) return { iterations: DEFAULT_SMOOTHING, passBand: DEFAULT_PASS_BAND };
  if (ratio < 2.5) return { iterations: 20, passBand: 0.1 };
  return { iterations: 30, passBand: 0.05 };
}

export const DEFAULT_SMOOTHING = 10;
export const DEFAULT_PASS_BAND = 0.2;

/** One pass over the voxels: bounding box and count of every non-zero label value. */
export function labelExtents(labels: Volume): Map<number, LabelExtent> {
  const [nx, ny, nz] = labels.header.dims;
  const v = labels.voxels;
  const extents = new Map<number, LabelExtent>();
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const l = v[i];
        if (l === 0) continue;
        let e = extents.get(l);
        if (!e) {
          if (!Number.isInteger(l) || l < 0)
            throw new VoxsegError(
              'invalid-volume',
              `label maps hold whole non-negative numbers; found ${l} at voxel (${x}, ${y}, ${z})`,
            );
          extents.set(l, (e = { lo: [x, y, z], hi: [x, y, z], count: 0 }));
        }
        e.count++;
        if (x < e.lo[0]) e.lo[0] = x;
        if (x > e.hi[0]) e.hi[0] = x;
        if (y < e.lo[1]) e.lo[1] = y;
        if (y > e.hi[1]) e.hi[1] = y;
        e.hi[2] = z;
      }
    }
  }
  return extents;
}

/** The label's mask over [lo - 1, hi + 1] (one voxel of background around the bounding box). */
export function labelMask(labels: Volume, label: number, lo: Readonly<Vec3>, hi: Readonly<Vec3>): Mask {
  const [nx, ny] = labels.header.dims;
  const dims: [number, number, number] = [hi[0] - lo[0] + 3, hi[1] - lo[1] + 3, hi[2] - lo[2] + 3];
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const v = labels.voxels;
  for (let z = lo[2]; z <= hi[2]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      let src = lo[0] + y * nx + z * nx * ny;
      let dst = 1 + (y - lo[1] + 1) * dims[0] + (z - lo[2] + 1) * dims[0] * dims[1];
      for (let x = lo[0]; x <= hi[0]; x++, src++, dst++) if (v[src] === label) data[dst] = 1;
    }
  }
  return { data, dims };
}

function triangulate(quads: Uint32Array, p: Float64Array): Uint32Array {
  const tris = new Uint32Array((quads.length / 4) * 6);
  const d2 = (a: number, b: number) =>
    (p[3 * a] - p[3 * b]) ** 2 + (p[3 * a + 1] - p[3 * b + 1]) ** 2 + (p[3 * a + 2] - p[3 * b + 2]) ** 2;
  for (let q = 0, t = 0; q < quads.length; q += 4, t += 6) {
    const a = quads[q],
      b = quads[q + 1],
      c = quads[q + 2],
      d = quads[q + 3];
    if (d2(a, c) <= d2(b, d)) tris.set([a, b, c, a, c, d], t);
    else tris.set([a, b, d, b, c, d], t);
  }
  return tris;
}

function emptyMesh(label: number): LabelMesh {
  return {
    label,
    positions: new Float32Array(0),
    normals: new Float32Array(0),
    indices: new Uint32Array(0),
    stats: { triangles: 0, vertices: 0, areaMm2: 0, volumeMl: 0, centroid: [0, 0, 0] },
  };
}

/** Mesh one label lying within `extent` (a loose bounding box is fine). */
export function meshLabel(labels: Volume, label: number, extent: LabelExtent, opts: MeshOptions = {}): LabelMesh {
  if (extent.count === 0) return emptyMesh(label);
  const { spacing } = labels.header;
  const auto = defaultSmoothing(spacing);
  const smoothing = opts.smoothing ?? auto.iterations;
  const raw = surfaceNets(labelMask(labels, label, extent.lo, extent.hi));
  // Millimetres along the index axes, from the centre of voxel (0, 0, 0).
  const p = raw.positions;
  const shift = [extent.lo[0] - 1, extent.lo[1] - 1, extent.lo[2] - 1];
  for (let a = 0; a < 3; a++) for (let k = a; k < p.length; k += 3) p[k] = (p[k] + shift[a]) * spacing[a];
  let pos = p;
  if (smoothing > 0) {
    pos = windowedSinc(p, neighbours(p.length / 3, raw.quads, 4), smoothing, opts.passBand ?? auto.passBand);
    // Keep each vertex inside its cell: the surface stays between inside and outside voxel centres.
    for (let a = 0; a < 3; a++) {
      const s = spacing[a],
        off = shift[a],
        cells = raw.cells;
      for (let k = a; k < pos.length; k += 3) {
        const lo = (cells[k] + off) * s;
        if (pos[k] < lo) pos[k] = lo;
        else if (pos[k] > lo + s) pos[k] = lo + s;
      }
    }
  }
  let tris = triangulate(raw.quads, pos);
  if (smoothing > 0 && (opts.preserveVolume ?? true))
    restoreVolume(pos, tris, extent.count * spacing[0] * spacing[1] * spacing[2], p, Math.min(...spacing));
  // Tiny surfaces (a few voxels) are left whole: collapsing them changes their shape outright.
  if (opts.decimate && opts.decimate > 0 && tris.length / 3 > 200)
    ({ positions: pos, indices: tris } = decimate(pos, tris, Math.min(opts.decimate, 0.95)));
  return toWorld(label, pos, tris, labels.header);
}

/** Rotate/translate millimetre index-axis positions into LPS and package the mesh. */
function toWorld(label: number, pos: Float64Array, tris: Uint32Array, header: VolumeHeader): LabelMesh {
  const { origin, direction: d } = header;
  const world = new Float64Array(pos.length);
  for (let k = 0; k < pos.length; k += 3) {
    const x = pos[k],
      y = pos[k + 1],
      z = pos[k + 2];
    world[k] = origin[0] + d[0] * x + d[1] * y + d[2] * z;
    world[k + 1] = origin[1] + d[3] * x + d[4] * y + d[5] * z;
    world[k + 2] = origin[2] + d[6] * x + d[7] * y + d[8] * z;
  }
  const det =
    d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) + d[2] * (d[3] * d[7] - d[4] * d[6]);
  if (det < 0) {
    // A mirroring direction matrix turns the winding inside out: swap two corners of each triangle.
    for (let t = 0; t < tris.length; t += 3) [tris[t + 1], tris[t + 2]] = [tris[t + 2], tris[t + 1]];
  }
  const m = measure(world, tris);
  return {
    label,
    positions: Float32Array.from(world),
    normals: Float32Array.from(vertexNormals(world, tris)),
    indices: tris,
    stats: {
      triangles: tris.length / 3,
      vertices: world.length / 3,
      areaMm2: m.area,
      volumeMl: m.volume / 1000,
      centroid: m.centroid,
    },
  };
}

function chosenLabels(extents: Map<number, LabelExtent>, opts: MeshOptions): number[] {
  const present = [...extents.keys()].sort((a, b) => a - b);
  return opts.labels ? [...opts.labels] : present;
}

/** Mesh every label (or `opts.labels`) of a label map. Labels asked for but absent give empty meshes. */
export function meshLabels(labels: Volume, opts: MeshOptions = {}, onProgress?: ProgressCallback): LabelMesh[] {
  const extents = labelExtents(labels);
  return meshExtents(labels, extents, chosenLabels(extents, opts), opts, onProgress);
}

export function meshExtents(
  labels: Volume,
  extents: Map<number, LabelExtent>,
  which: number[],
  opts: MeshOptions,
  onProgress?: ProgressCallback,
): LabelMesh[] {
  // Progress in voxels of bounding boxes visited, the measure of the work.
  const work = (l: number) => {
    const e = extents.get(l);
    return e ? (e.hi[0] - e.lo[0] + 3) * (e.hi[1] - e.lo[1] + 3) * (e.hi[2] - e.lo[2] + 3) : 0;
  };
  const total = which.reduce((s, l) => s + work(l), 0);
  let done = 0;
  const out: LabelMesh[] = [];
  for (const label of which) {
    onProgress?.({ done, total, stage: `Meshing label ${label}` });
    const e = extents.get(label);
    out.push(e ? meshLabel(labels, label, e, opts) : emptyMesh(label));
    done += work(label);
  }
  onProgress?.({ done: total, total, stage: 'Meshes ready' });
  return out;
}
