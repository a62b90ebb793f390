/**
 * Segments -> label layers without losing overlaps: in segment-number order, each segment goes
 * into the first layer where none of its voxels is taken yet (layer 0 takes as many as fit);
 * a segment that overlaps every existing layer opens a new one. A layer voxel holds the segment
 * number (uint8, or uint16 when a number exceeds 255).
 */
import type { Mat3, Vec3, Volume, VolumeMetadata } from '../../core/types';
import { createVolume } from '../../volume/volume';
import type { SegLayerEntry } from './types';

export interface LayerGrid {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Volume['header']['direction'];
  metadata: VolumeMetadata;
}

/**
 * `voxels`: for each segment number, the flat voxel indices (i + j*nx + k*nx*ny) it covers
 * (repeats allowed). Segments without voxels go to layer 0.
 */
export function assignLayers(
  grid: LayerGrid,
  numbers: readonly number[],
  voxels: ReadonlyMap<number, Uint32Array>,
): { layers: Volume[]; segmentLayer: SegLayerEntry[] } {
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const wide = numbers.some((s) => s > 255);
  const layers: (Uint8Array | Uint16Array)[] = [];
  const segmentLayer: SegLayerEntry[] = [];
  for (const s of [...numbers].sort((a, b) => a - b)) {
    const idx = voxels.get(s) ?? new Uint32Array(0);
    let layer = 0;
    for (; ; layer++) {
      if (layer === layers.length) layers.push(wide ? new Uint16Array(n) : new Uint8Array(n));
      const lab = layers[layer];
      let free = true;
      for (let i = 0; i < idx.length; i++) {
        const v = lab[idx[i]];
        if (v !== 0 && v !== s) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      for (let i = 0; i < idx.length; i++) lab[idx[i]] = s;
      break;
    }
    segmentLayer.push({ number: s, layer, value: s });
  }
  if (!layers.length) layers.push(wide ? new Uint16Array(n) : new Uint8Array(n));
  return {
    layers: layers.map((voxels) =>
      createVolume({
        dims: grid.dims,
        spacing: grid.spacing,
        origin: grid.origin,
        direction: [...grid.direction] as Mat3,
        voxels,
        metadata: grid.metadata,
      }),
    ),
    segmentLayer,
  };
}
