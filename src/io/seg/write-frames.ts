/**
 * SEG frames from label layers sampled on the SEG's planes, in time linear in voxels + frames
 * (independent of the number of segments: 4,096 labels cost what 4 do).
 *
 * Every (layer, value) the label input names gets a segment number through a lookup table, then:
 * - BINARY: pass 1 flags which (segment, plane) pairs have voxels; frames are those pairs, ordered
 *   by segment number then plane position along the normal; pass 2 sets each labelled voxel's bit
 *   in its frame (LSB first, continuous across frames, PS3.5 8.1.1). Overlap between layers is
 *   found on the way, plane by plane.
 * - LABELMAP: one frame per plane that has a label; a pixel holds its segment number (8 bits when
 *   every number is ≤ 255, else 16, little endian); two segments on one pixel cannot be encoded and
 *   are refused.
 */
import { VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import { gridMismatch } from '../../volume/grid';
import type { PlaneStack } from './write-planes';
import type { SegLayerEntry, SegMaskSource, SegSegment } from './types';

export interface SegFramePlan {
  /** Frame f shows segment frames[f].segment (0 for a label map frame) on plane frames[f].plane. */
  frames: { segment: number; plane: number }[];
  /** Pixel Data, padded to an even length. */
  pixels: Uint8Array;
  overlap: boolean;
  bitsAllocated: 1 | 8 | 16;
}

/** The label layers and which (layer, value) holds which segment; checks every layer is on the reference grid. */
export function layersAndEntries(
  ref: Volume,
  masks: SegMaskSource,
  segments: readonly SegSegment[],
): { layers: readonly Volume[]; entries: readonly SegLayerEntry[] } {
  let layers: readonly Volume[];
  let entries: readonly SegLayerEntry[];
  if ('layers' in masks) [layers, entries] = [masks.layers, masks.segments];
  else if ('numbers' in masks)
    [layers, entries] = [[masks.labels], [...masks.numbers].map(([value, number]) => ({ layer: 0, value, number }))];
  else [layers, entries] = [[masks], segments.map((s) => ({ layer: 0, value: s.number, number: s.number }))];
  if (!layers.length) throw new VoxsegError('usage', 'no label map given');
  layers.forEach((l, i) => {
    const why = gridMismatch(l.header, ref.header);
    if (why) throw new VoxsegError('invalid-volume', `label layer ${i} is not on the reference grid (${why})`);
  });
  const known = new Set(segments.map((s) => s.number));
  for (const e of entries) {
    if (!known.has(e.number))
      throw new VoxsegError(
        'usage',
        `label entry (layer ${e.layer}, value ${e.value}) names segment ${e.number}, which is not in the segment list`,
      );
    if (!layers[e.layer])
      throw new VoxsegError(
        'usage',
        `label entry for segment ${e.number} names layer ${e.layer}, but there are ${layers.length} layer(s)`,
      );
  }
  return { layers, entries };
}

type Lookup = (v: number) => number;

/** Per layer: voxel value -> segment number (0: none). */
function lookups(nLayers: number, entries: readonly SegLayerEntry[]): Lookup[] {
  return Array.from({ length: nLayers }, (_, l) => {
    const mine = entries.filter((e) => e.layer === l);
    const map = new Map<number, number>();
    for (const e of mine) {
      const had = map.get(e.value);
      if (had !== undefined && had !== e.number)
        throw new VoxsegError(
          'usage',
          `label value ${e.value} of layer ${l} is named for segments ${had} and ${e.number}; a value can hold one segment`,
        );
      map.set(e.value, e.number);
    }
    if (mine.every((e) => Number.isInteger(e.value) && e.value >= 0 && e.value < 65536)) {
      const lut = new Int32Array(65536);
      for (const [v, n] of map) lut[v] = n;
      return (v: number) => lut[v] | 0; // non-integer, negative or large values read undefined -> 0
    }
    return (v: number) => map.get(v) ?? 0;
  });
}

export function binaryFrames(stack: PlaneStack, entries: readonly SegLayerEntry[], nSegments: number): SegFramePlan {
  const nxy = stack.rows * stack.columns;
  const nPlanes = stack.order.length;
  const rank = new Int32Array(nPlanes);
  stack.order.forEach((s, r) => (rank[s] = r));
  const luts = lookups(stack.layers.length, entries);

  // pass 1: which (segment, plane) pairs have voxels; key = (segment - 1) * planes + rank
  const frameOf = new Int32Array(nSegments * nPlanes).fill(-1);
  stack.layers.forEach((vox, l) => {
    const get = luts[l];
    for (let s = 0; s < nPlanes; s++) {
      const key0 = rank[s] - nPlanes;
      for (let p = s * nxy, end = p + nxy; p < end; p++) {
        const v = vox[p];
        if (v === 0) continue;
        const n = get(v);
        if (n) frameOf[key0 + n * nPlanes] = 0;
      }
    }
  });
  const frames: SegFramePlan['frames'] = [];
  for (let key = 0; key < frameOf.length; key++)
    if (frameOf[key] === 0) {
      frameOf[key] = frames.length;
      frames.push({ segment: Math.floor(key / nPlanes) + 1, plane: stack.order[key % nPlanes] });
    }

  // pass 2: set the bits, plane by plane (an owner per pixel when layers may overlap)
  const bytes = Math.ceil((frames.length * nxy) / 8);
  const pixels = new Uint8Array(bytes + (bytes & 1));
  const owner = stack.layers.length > 1 ? new Int32Array(nxy) : undefined;
  let overlap = false;
  for (let s = 0; s < nPlanes; s++) {
    owner?.fill(0);
    const key0 = rank[s] - nPlanes;
    const base = s * nxy;
    stack.layers.forEach((vox, l) => {
      const get = luts[l];
      let lastN = -1;
      let byte0 = 0;
      let shift = 0;
      for (let i = 0; i < nxy; i++) {
        const v = vox[base + i];
        if (v === 0) continue;
        const n = get(v);
        if (!n) continue;
        if (owner) {
          if (owner[i] && owner[i] !== n) overlap = true;
          owner[i] = n;
        }
        if (n !== lastN) {
          const bit0 = frameOf[key0 + n * nPlanes] * nxy; // may pass 2^32: float arithmetic
          byte0 = Math.floor(bit0 / 8);
          shift = bit0 - byte0 * 8;
          lastN = n;
        }
        const b = shift + i;
        pixels[byte0 + (b >>> 3)] |= 1 << (b & 7);
      }
    });
  }
  return { frames, pixels, overlap, bitsAllocated: 1 };
}

export function labelmapFrames(
  stack: PlaneStack,
  entries: readonly SegLayerEntry[],
  segments: readonly SegSegment[],
): SegFramePlan {
  const nxy = stack.rows * stack.columns;
  const luts = lookups(stack.layers.length, entries);
  if (segments.some((s) => s.number > 65535))
    throw new VoxsegError('usage', 'a label map SEG holds segment numbers up to 65535');
  const wide = segments.some((s) => s.number > 255);
  const used = stack.order.filter((s) =>
    stack.layers.some((vox, l) => {
      for (let p = s * nxy, end = p + nxy; p < end; p++) if (vox[p] !== 0 && luts[l](vox[p])) return true;
      return false;
    }),
  );
  const frame = wide ? new Uint16Array(nxy) : new Uint8Array(nxy);
  const bytes = used.length * nxy * (wide ? 2 : 1);
  const pixels = new Uint8Array(bytes + (bytes & 1));
  const view = new DataView(pixels.buffer);
  used.forEach((s, f) => {
    frame.fill(0);
    stack.layers.forEach((vox, l) => {
      const get = luts[l];
      for (let i = 0, p = s * nxy; i < nxy; i++, p++) {
        const v = vox[p];
        if (v === 0) continue;
        const n = get(v);
        if (!n) continue;
        if (frame[i] && frame[i] !== n)
          throw new VoxsegError(
            'invalid-volume',
            `segments ${frame[i]} and ${n} overlap, which a label map SEG cannot hold: write a BINARY SEG (without --labelmap)`,
          );
        frame[i] = n;
      }
    });
    if (wide) for (let i = 0; i < nxy; i++) view.setUint16((f * nxy + i) * 2, frame[i], true);
    else pixels.set(frame, f * nxy);
  });
  return { frames: used.map((plane) => ({ segment: 0, plane })), pixels, overlap: false, bitsAllocated: wide ? 16 : 8 };
}
