/**
 * writeSeg's label input, normalised: for every segment the (layer voxels, value) pairs that hold
 * it, which reference slices it has voxels in (one pass per layer), whether segments overlap,
 * and the bit packing of a frame (LSB first, continuous across frames, PS3.5 8.1.1).
 */
import { VoxsegError } from '../../core/errors';
import type { Volume, VoxelArray } from '../../core/types';
import { gridMismatch } from '../../volume/grid';
import type { SegLayerEntry, SegMaskSource, SegSegment } from './types';

export interface MaskPart {
  layer: number;
  voxels: VoxelArray;
  value: number;
}

export interface MaskPlan {
  /** Segment number -> its parts. */
  parts: Map<number, MaskPart[]>;
  /** Segment number -> 1 for every slice k that has voxels of it. */
  present: Map<number, Uint8Array>;
  /** Some voxel belongs to two segments. */
  overlap: boolean;
}

function layersOf(masks: SegMaskSource): { layers: readonly Volume[]; entries: readonly SegLayerEntry[] | undefined } {
  if ('layers' in masks) return { layers: masks.layers, entries: masks.segments };
  if ('numbers' in masks)
    return {
      layers: [masks.labels],
      entries: [...masks.numbers].map(([value, number]) => ({ layer: 0, value, number })),
    };
  return { layers: [masks], entries: undefined };
}

export function planMasks(ref: Volume, masks: SegMaskSource, segments: readonly SegSegment[]): MaskPlan {
  const { layers, entries } = layersOf(masks);
  if (!layers.length) throw new VoxsegError('usage', 'no label map given');
  layers.forEach((l, i) => {
    const why = gridMismatch(l.header, ref.header);
    if (why) throw new VoxsegError('invalid-volume', `label layer ${i} is not on the reference grid (${why})`);
  });
  const [nx, ny, nz] = ref.header.dims;
  const nxy = nx * ny;
  const parts = new Map<number, MaskPart[]>(segments.map((s) => [s.number, []]));
  const list = entries ?? segments.map((s) => ({ layer: 0, value: s.number, number: s.number }));
  for (const e of list) {
    const target = parts.get(e.number);
    if (!target)
      throw new VoxsegError(
        'usage',
        `label entry (layer ${e.layer}, value ${e.value}) names segment ${e.number}, which is not in the segment list`,
      );
    if (!layers[e.layer])
      throw new VoxsegError(
        'usage',
        `label entry for segment ${e.number} names layer ${e.layer}, but there are ${layers.length} layer(s)`,
      );
    target.push({ layer: e.layer, voxels: layers[e.layer].voxels, value: e.value });
  }

  // one pass per layer: which values occur in which slice
  const byLayer = new Map<number, Map<number, Uint8Array>>();
  for (const l of new Set(list.map((e) => e.layer))) {
    const wanted = new Set(list.filter((e) => e.layer === l).map((e) => e.value));
    const seen = new Map<number, Uint8Array>([...wanted].map((v) => [v, new Uint8Array(nz)]));
    const vox = layers[l].voxels;
    for (let k = 0; k < nz; k++) {
      let last = 0;
      for (let p = k * nxy, end = p + nxy; p < end; p++) {
        const v = vox[p];
        if (v === 0 || v === last) continue;
        last = v;
        const s = seen.get(v);
        if (s) s[k] = 1;
      }
    }
    byLayer.set(l, seen);
  }
  const present = new Map<number, Uint8Array>();
  for (const [n, ps] of parts) {
    const any = new Uint8Array(nz);
    for (const p of ps) {
      const s = byLayer.get(p.layer)!.get(p.value)!;
      for (let k = 0; k < nz; k++) any[k] |= s[k];
    }
    present.set(n, any);
  }
  const overlap = new Set(list.map((e) => e.layer)).size > 1 && findOverlap(parts, present, nxy, nz);
  return { parts, present, overlap };
}

/** Does any voxel belong to two segments? (Only possible across layers.) */
function findOverlap(
  parts: Map<number, MaskPart[]>,
  present: Map<number, Uint8Array>,
  nxy: number,
  nz: number,
): boolean {
  const owner = new Uint16Array(nxy);
  for (let k = 0; k < nz; k++) {
    const here = [...parts.keys()].filter((n) => present.get(n)![k]);
    if (here.length < 2) continue;
    owner.fill(0);
    for (const n of here) {
      for (const p of parts.get(n)!) {
        const base = k * nxy;
        for (let i = 0; i < nxy; i++) {
          if (p.voxels[base + i] !== p.value) continue;
          if (owner[i] && owner[i] !== n) return true;
          owner[i] = n;
        }
      }
    }
  }
  return false;
}

/** Set the bits of segment parts in slice k, frame pixels starting at bit `bit0` of `out`. */
export function packFrame(out: Uint8Array, bit0: number, parts: readonly MaskPart[], k: number, nxy: number): void {
  const base = k * nxy;
  const byte0 = Math.floor(bit0 / 8); // frames may start mid-byte; bit offsets can pass 2^32
  const shift = bit0 - byte0 * 8;
  for (const p of parts) {
    const { voxels, value } = p;
    for (let i = 0; i < nxy; i++) {
      if (voxels[base + i] !== value) continue;
      const b = shift + i;
      out[byte0 + (b >>> 3)] |= 1 << (b & 7);
    }
  }
}
