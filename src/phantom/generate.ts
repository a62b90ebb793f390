/**
 * Deterministic synthetic abdominal CT phantom (pure; browser + Node). Geometry: LPS, identity
 * direction (i -> patient left, j -> posterior, k -> head), axial slices from feet to head,
 * head-first supine, origin chosen so the volume is centred on world (0, 0, 0).
 * The same seed and options give identical bytes; different seeds move/resize/reshape organs.
 */
import { VoxsegError } from '../core/errors';
import type { Vec3, Volume } from '../core/types';
import { createVolume } from '../volume/volume';
import { makeAnatomy } from './anatomy';
import { PHANTOM_LABELS, type LabelEntry } from './labels';
import type { ContrastPhase } from './hu';
import { gaussianTable, hashSeed } from './prng';
import { blur121, paint, type SliceGrid } from './raster';
import { sliceShapes } from './slice';

export interface PhantomOptions {
  seed?: number;
  dims?: Vec3;
  spacing?: Vec3;
  /** Noise standard deviation in HU (default 12; 0 = none). */
  noise?: number;
  /** Soften edges with a 3x3 in-plane blur (default true). */
  blur?: boolean;
  /**
   * Wider anatomical variety (organ sizes and positions, a drifting body, one of four contrast
   * phases), drawn from the seed; the plain phantom of the same seed is the starting point.
   */
  vary?: boolean;
  onProgress?: (p: { done: number; total: number; stage?: string }) => void;
}

export interface Phantom {
  ct: Volume;
  labels: Volume;
  labelTable: LabelEntry[];
  /** Contrast phase of a varied phantom ('default' for the plain one). */
  phase: ContrastPhase | 'default';
}

export function generatePhantom(opts: PhantomOptions = {}): Phantom {
  const seed = opts.seed ?? 1;
  const dims = opts.dims ?? [384, 384, 120];
  const spacing = opts.spacing ?? [0.9, 0.9, 2.5];
  if (!Number.isInteger(seed)) throw new VoxsegError('usage', `phantom seed must be an integer, got ${seed}`);
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1 || d > 4096))
    throw new VoxsegError('usage', `phantom dims must be 3 integers in 1..4096, got ${JSON.stringify(dims)}`);
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s)))
    throw new VoxsegError('usage', `phantom spacing must be 3 positive numbers, got ${JSON.stringify(spacing)}`);
  const [nx, ny, nz] = dims;
  const [sx, sy, sz] = spacing;
  const origin: Vec3 = [-((nx - 1) / 2) * sx, -((ny - 1) / 2) * sy, -((nz - 1) / 2) * sz];
  const anat = makeAnatomy(hashSeed(seed, 1), (nx * sx) / 2, (ny * sy) / 2, opts.vary ?? false);
  const sigma = opts.noise ?? 12;
  const table = gaussianTable(hashSeed(seed, 2), 1 << 16, sigma);
  const nxy = nx * ny;
  const ct = new Int16Array(nxy * nz);
  const lab = new Uint8Array(nxy * nz);
  const img = new Float32Array(nxy);
  const tmp = new Float32Array(nxy);
  const grid: SliceGrid = { nx, ny, x0: origin[0], y0: origin[1], sx, sy };
  const blur = opts.blur ?? true;

  for (let k = 0; k < nz; k++) {
    const t = nz > 1 ? k / (nz - 1) : 0.5;
    const zmm = origin[2] + k * sz;
    img.fill(-1000);
    const labSlice = lab.subarray(k * nxy, (k + 1) * nxy);
    for (const s of sliceShapes(anat, t, zmm)) paint(img, labSlice, grid, s.e, s.hu, s.label);
    if (blur) blur121(img, tmp, nx, ny);
    const out = ct.subarray(k * nxy, (k + 1) * nxy);
    let x = hashSeed(seed, 3, k) | 0;
    if (sigma > 0) {
      for (let i = 0; i < nxy; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const v = Math.round(img[i] + table[x >>> 16]);
        out[i] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
      }
    } else {
      for (let i = 0; i < nxy; i++) out[i] = Math.round(img[i]);
    }
    if (opts.onProgress && (k % 16 === 15 || k === nz - 1))
      opts.onProgress({ done: k + 1, total: nz, stage: 'Generating phantom' });
  }

  const geom = { dims, spacing, origin };
  const common = {
    patientName: 'voxseg^phantom',
    patientId: `VOXSEG-PHANTOM-${seed}`,
    studyDescription: 'voxseg phantom',
  };
  return {
    ct: createVolume({
      ...geom,
      voxels: ct,
      metadata: {
        ...common,
        modality: 'CT',
        seriesDescription: anat.phase === 'default' ? 'voxseg phantom' : `voxseg phantom (${anat.phase} phase)`,
        windowCenter: 40,
        windowWidth: 400,
        unit: 'HU',
      },
    }),
    labels: createVolume({ ...geom, voxels: lab, metadata: { ...common, seriesDescription: 'voxseg phantom labels' } }),
    labelTable: PHANTOM_LABELS.map((l) => ({ ...l, color: [...l.color] as [number, number, number] })),
    phase: anat.phase,
  };
}
