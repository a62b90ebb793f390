/**
 * Label layers of a segmentation: uint8 or uint16 volumes on the study's grid. Overlapping
 * segments live on different layers; a layer is promoted to uint16 when it must hold a value
 * above 255. Checks that label maps lie on the study grid (`gridMismatch`, default tolerance;
 * the layers made from them carry the study's header exactly) and turns them (and their segment
 * lists) into layers, with the bounding box of every segment found in one pass.
 */
import { VoxsegError } from '../core/errors';
import type { IndexBox, Volume } from '../core/types';
import { allocLabels } from './buffers';
import type { LabelArray } from './diff';
import { gridMismatch } from './grid';
import type { LayerKind } from './history';
import { valueBoxes } from './label-stats';
import { validateSegments, type LayeredSegment, type Segment } from './segments';
import { createVolume } from './volume';

export function kindOf(labels: LabelArray): LayerKind {
  return labels instanceof Uint8Array ? 'uint8' : 'uint16';
}

export function sameKinds(a: readonly LayerKind[], b: readonly LayerKind[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** Enough layers for both, each as wide as the wider of the two. */
export function unionKinds(a: readonly LayerKind[], b: readonly LayerKind[]): LayerKind[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
    a[i] === 'uint16' || b[i] === 'uint16' ? 'uint16' : 'uint8',
  );
}

/** A layer volume on the study grid holding `voxels` (zeros when omitted; no copy). */
export function makeLayer(study: Volume, kind: LayerKind, voxels?: LabelArray): Volume {
  const h = study.header;
  const n = h.dims[0] * h.dims[1] * h.dims[2];
  return createVolume({
    dims: [...h.dims],
    spacing: [...h.spacing],
    origin: [...h.origin],
    direction: [...h.direction],
    voxels: voxels ?? (kind === 'uint8' ? allocLabels(Uint8Array, n) : allocLabels(Uint16Array, n)),
  });
}

/** The layer's voxels as `kind` (the same array when it already is; values must fit). */
export function convertLabels(labels: LabelArray, kind: LayerKind): LabelArray {
  if (kindOf(labels) === kind) return labels;
  return copyLabels(labels, kind);
}

/** A new layer array of `kind` (shared memory where the page can share it) holding `values`. */
function copyLabels(values: ArrayLike<number>, kind: LayerKind): LabelArray {
  const out = kind === 'uint8' ? allocLabels(Uint8Array, values.length) : allocLabels(Uint16Array, values.length);
  out.set(values);
  return out;
}

/** Integer label voxels of any dtype as uint8 / uint16 (uint8 and uint16 arrays pass through uncopied). */
function toLabels(v: Volume, k: number): LabelArray {
  const a = v.voxels;
  if (a instanceof Uint8Array || a instanceof Uint16Array) return a;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!(x >= 0 && x <= 65535 && Math.floor(x) === x))
      throw new VoxsegError('invalid-volume', `label layer ${k}: voxel ${i} is ${x}; labels must be integers 0..65535`);
    if (x > max) max = x;
  }
  return copyLabels(a, max > 255 ? 'uint16' : 'uint8');
}

export interface PreparedLabels {
  labels: LabelArray[];
  /** Kind each layer must have (uint16 where a segment value above 255 lives). */
  kinds: LayerKind[];
  segments: LayeredSegment[];
  /** Bounding box of every segment with voxels on its layer. */
  boxes: Map<number, IndexBox>;
}

/**
 * Validate label layers and segments against the study: same grid, integer labels, valid
 * segments. A segment without `layer` goes to the first layer holding its value (else layer 0).
 */
export function prepareLabels(
  study: Volume,
  layers: readonly Volume[],
  segments: readonly (Segment & { layer?: number })[],
): PreparedLabels {
  if (layers.length === 0) throw new VoxsegError('invalid-volume', 'a segmentation needs at least one label layer');
  layers.forEach((v, k) => {
    const why = gridMismatch(v.header, study.header);
    if (why) throw new VoxsegError('invalid-volume', `label layer ${k} is not on the study grid: ${why}`);
  });
  const problems = validateSegments(segments);
  if (problems.length)
    throw new VoxsegError(
      'usage',
      `invalid segments: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
  const labels = layers.map(toLabels);
  const kinds = labels.map(kindOf);
  const dims = study.header.dims;
  const found = labels.map((l) => valueBoxes(l, dims));
  const boxes = new Map<number, IndexBox>();
  const out = segments.map((s) => {
    let layer = s.layer;
    if (layer === undefined)
      layer = Math.max(
        0,
        found.findIndex((m) => m.has(s.value)),
      );
    else if (!Number.isInteger(layer) || layer < 0 || layer >= labels.length)
      throw new VoxsegError(
        'usage',
        `segment ${s.value} (${JSON.stringify(s.name)}) names layer ${layer}; there are ${labels.length}`,
      );
    if (s.value > 255) kinds[layer] = 'uint16';
    const box = found[layer].get(s.value);
    if (box) boxes.set(s.value, box);
    return { ...s, layer };
  });
  return { labels, kinds, segments: out, boxes };
}
