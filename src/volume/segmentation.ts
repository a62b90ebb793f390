/**
 * The editable segmentation: label layers on the study grid plus segment metadata, with voxel
 * edit tools (brush, eraser, flood fill, scissors, islands, slice interpolation), AI results
 * written as one undoable replace, and bounded undo/redo of run-length diffs.
 *
 * Edit rules: a locked segment's voxels are never overwritten or erased, and a locked segment is
 * not painted either (hidden segments are protected only when locked). A voxel edit acts on the
 * layer of the segment it paints; erasing without `only` clears every layer. Each call is one
 * undo entry, or part of the stroke opened by `beginStroke`. Tools return the box of the voxels
 * they changed, or null when nothing changed.
 */
import { VoxsegError } from '../core/errors';
import type { IndexBox, Vec3, Volume } from '../core/types';
import { cloneBox, fullBox, unionBox } from './box';
import { diffArrays, diffBox, snapshotBox, type LabelArray } from './diff';
import { keepLargestComponent, removeSmallComponents } from './edit/components';
import { floodFill } from './edit/fill';
import { interpolateSlices } from './edit/interpolate';
import { writeSpans, type WriteRule } from './edit/paint';
import { moveValue, replaceValue } from './edit/relabel';
import { rasterizeShape, type Shape } from './edit/shape';
import { gridMismatch } from './grid';
import type { HistoryOptions, LayerDiff } from './history';
import { valueStatistics, type SegmentStatistics } from './label-stats';
import { makeLayer, prepareLabels, unionKinds } from './layers';
import { makeSegment, nextFreeValue, validateSegments, type LayeredSegment, type Segment } from './segments';
import { SegmentationBase } from './segmentation-base';
import { createVolume } from './volume';

export type { SegmentationChange } from './segmentation-base';

export interface PaintOptions {
  /** Paint only voxels whose study intensity lies in [lo, hi]. */
  threshold?: readonly [number, number];
  /** Paint over other unlocked segments of the layer (default true); false: background only. */
  overwrite?: boolean;
}

export interface SegmentationState {
  layers: Volume[];
  segments: LayeredSegment[];
}

export class Segmentation extends SegmentationBase {
  /** One uint8 layer of zeros on the study grid, no segments. */
  static empty(study: Volume, history?: HistoryOptions): Segmentation {
    const s = new Segmentation(study, history);
    s._layers = Object.freeze([makeLayer(study, 'uint8')]);
    return s;
  }

  /**
   * Label layers (uint8/uint16 arrays are adopted and edited in place; other integer dtypes are
   * converted) and their segments; a segment without `layer` lives on the first layer holding its value.
   */
  static fromLabels(
    study: Volume,
    layers: readonly Volume[],
    segments: readonly (Segment & { layer?: number })[],
    history?: HistoryOptions,
  ): Segmentation {
    const s = new Segmentation(study, history);
    s.load(layers, segments);
    return s;
  }

  private load(layers: readonly Volume[], segments: readonly (Segment & { layer?: number })[]): void {
    const p = prepareLabels(this.study, layers, segments);
    this._layers = Object.freeze(p.labels.map((l, i) => makeLayer(this.study, p.kinds[i], l)));
    this.reshape(p.kinds);
    this.setSegments(p.segments);
    this.boxes = p.boxes;
  }

  /** Replace everything without an undo entry (autosave restore); clears the history. */
  restore(state: { layers: readonly Volume[]; segments: readonly (Segment & { layer?: number })[] }): void {
    this.endStroke();
    this.load(state.layers, state.segments);
    this.history.clear();
    this.emit(
      'restore',
      'Restore',
      this._layers.map((_, layer) => ({ layer, box: fullBox(this.dims) })),
      true,
      true,
    );
  }

  /** Copies of the layers and segments (with their layer), e.g. for an autosave base. */
  snapshot(): SegmentationState {
    const h = this.study.header;
    const layers = this._layers.map((l) =>
      createVolume({
        dims: [...h.dims],
        spacing: [...h.spacing],
        origin: [...h.origin],
        direction: [...h.direction],
        voxels: l.voxels.slice(),
      }),
    );
    return { layers, segments: this._segments.map((s) => ({ ...s, color: [...s.color] })) };
  }

  // ---- metadata: each call is one undo entry -------------------------------------------------

  /** New segment (next free value, palette colour, MANUAL); `layer` may be layers.length to add a layer for overlaps. */
  addSegment(init: Partial<Segment> & { layer?: number } = {}): Segment {
    const { layer = 0, ...rest } = init;
    const value = rest.value ?? nextFreeValue(this._segments);
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      throw new VoxsegError('usage', `segment value must be an integer 1..65535, got ${value}`);
    if (this.byValue.has(value))
      throw new VoxsegError('usage', `value ${value} is already segment ${JSON.stringify(this.need(value).name)}`);
    if (!Number.isInteger(layer) || layer < 0 || layer > this._layers.length)
      throw new VoxsegError('usage', `layer ${layer} does not exist (there are ${this._layers.length})`);
    const seg: LayeredSegment = { ...makeSegment(value, this._segments, rest), layer };
    const problems = validateSegments([seg]);
    if (problems.length) throw new VoxsegError('usage', problems.join('; '));
    this.recordMeta(`Add ${seg.name}`, () => {
      const kinds = this.kinds();
      const kind = value > 255 ? 'uint16' : 'uint8';
      if (layer === kinds.length) kinds.push(kind);
      else if (kind === 'uint16') kinds[layer] = kind;
      this.reshape(kinds);
      this.setSegments([...this._segments, seg]);
    });
    return this.need(value);
  }

  updateSegment(value: number, patch: Partial<Omit<Segment, 'value'>>, label?: string): void {
    const seg = this.need(value);
    const next: LayeredSegment = { ...seg, ...patch, value, layer: seg.layer };
    const problems = validateSegments([next]);
    if (problems.length) throw new VoxsegError('usage', problems.join('; '));
    this.recordMeta(label ?? `Edit ${seg.name}`, () =>
      this.setSegments(this._segments.map((s) => (s.value === value ? next : s))),
    );
  }

  /** Remove a segment and clear its voxels. */
  removeSegment(value: number, label?: string): void {
    const seg = this.unlocked(value);
    this.recordMeta(label ?? `Remove ${seg.name}`, () => {
      const box = this.boxes.get(value);
      const voxels = box
        ? [{ layer: seg.layer, diff: this.boxEdit(seg.layer, box, (l) => replaceValue(l, this.dims, box, value, 0)) }]
        : [];
      this.boxes.delete(value);
      this.setSegments(this._segments.filter((s) => s.value !== value));
      return voxels;
    });
  }

  /** The voxels of `from` become `into` (moved to its layer when on another), then `from` segments go. */
  mergeSegments(into: number, from: readonly number[]): void {
    const target = this.unlocked(into);
    const sources = [...new Set(from)].filter((v) => v !== into).map((v) => this.unlocked(v));
    if (!sources.length) return;
    this.recordMeta(`Merge into ${target.name}`, () => {
      const diffs: LayerDiff[] = [];
      for (const src of sources) {
        const box = this.boxes.get(src.value);
        if (!box) continue;
        if (src.layer === target.layer)
          diffs.push({
            layer: src.layer,
            diff: this.boxEdit(src.layer, box, (l) => replaceValue(l, this.dims, box, src.value, into)),
          });
        else diffs.push(...this.moveBetweenLayers(src.layer, target.layer, box, src.value, into));
        this.boxes.set(into, unionBox(this.boxes.get(into), box)!);
        this.boxes.delete(src.value);
      }
      const gone = new Set(sources.map((s) => s.value));
      this.setSegments(
        this._segments.filter((s) => !gone.has(s.value)).map((s) => (s.value === into ? { ...s, edited: true } : s)),
      );
      return this.groupByLayer(diffs);
    });
  }

  /** Review of an AI result: accepted keeps it, rejected removes it. */
  setReview(value: number, decision: 'accepted' | 'rejected'): void {
    const seg = this.need(value);
    if (decision === 'accepted') this.updateSegment(value, { review: 'accepted' }, `Accept ${seg.name}`);
    else this.removeSegment(value, `Reject ${seg.name}`);
  }

  private unlocked(value: number): LayeredSegment {
    const seg = this.need(value);
    if (seg.locked) throw new VoxsegError('usage', `segment ${JSON.stringify(seg.name)} is locked; unlock it first`);
    return seg;
  }

  private moveBetweenLayers(src: number, dst: number, box: IndexBox, from: number, to: number): LayerDiff[] {
    const a = this.labelsOf(src),
      b = this.labelsOf(dst);
    const sa = snapshotBox(a, this.dims, box),
      sb = snapshotBox(b, this.dims, box);
    moveValue(a, b, this.dims, box, from, to, this.locked);
    return [
      { layer: src, diff: diffBox(a, this.dims, box, sa) },
      { layer: dst, diff: diffBox(b, this.dims, box, sb) },
    ];
  }

  // ---- voxel tools ---------------------------------------------------------------------------

  private rule(value: number, extra: Partial<WriteRule> = {}): WriteRule {
    return { value, locked: this.locked, intensity: this.study.voxels, ...extra };
  }

  /** Brush: `value` into the shape (radius in mm on the study spacing). */
  paint(shape: Shape, value: number, opts: PaintOptions = {}): IndexBox | null {
    const seg = this.need(value);
    const spans = seg.locked ? null : rasterizeShape(shape, this.dims, this.study.header.spacing);
    if (!spans) return null;
    const rule = this.rule(value, { overwrite: opts.overwrite ?? true, threshold: opts.threshold });
    const diff = this.boxEdit(seg.layer, spans.box, (l) => writeSpans(l, this.dims, spans, rule));
    return this.recordVoxels(`Paint ${seg.name}`, [{ layer: seg.layer, diff }]);
  }

  /** Eraser: unlocked voxels in the shape become 0 on every layer, or only those holding `only`. */
  erase(shape: Shape, opts: { only?: number } = {}): IndexBox | null {
    const only = opts.only === undefined ? undefined : this.need(opts.only);
    const spans = only?.locked ? null : rasterizeShape(shape, this.dims, this.study.header.spacing);
    if (!spans) return null;
    const rule = this.rule(0, { only: only?.value });
    const layers = only ? [only.layer] : this._layers.map((_, i) => i);
    const diffs = layers.map((layer) => ({
      layer,
      diff: this.boxEdit(layer, spans.box, (l) => writeSpans(l, this.dims, spans, rule)),
    }));
    return this.recordVoxels(only ? `Erase ${only.name}` : 'Erase', diffs);
  }

  /** Flood fill from `seed` (rounded ijk): its connected region of equal label (6-/4-connected) becomes `value`. */
  fill(
    seed: Vec3,
    value: number,
    opts: { plane?: 0 | 1 | 2; threshold?: readonly [number, number] } = {},
  ): IndexBox | null {
    const seg = this.need(value);
    const s = seed.map(Math.round) as Vec3;
    const labels = this.labelsOf(seg.layer);
    const [nx, ny, nz] = this.dims;
    if (seg.locked || !(s[0] >= 0 && s[1] >= 0 && s[2] >= 0 && s[0] < nx && s[1] < ny && s[2] < nz)) return null;
    if (this.locked[labels[s[0] + s[1] * nx + s[2] * nx * ny]]) return null;
    const diff = floodFill(labels, this.dims, s, value, {
      plane: opts.plane,
      intensity: this.study.voxels,
      threshold: opts.threshold,
    });
    return diff ? this.recordVoxels(`Fill ${seg.name}`, [{ layer: seg.layer, diff }]) : null;
  }

  /** Cut through all slices: a circle/rect is extruded along its axis (3D shapes as they are); 'fill' paints `value`, 'erase' clears it. */
  scissors(shape: Shape, mode: 'fill' | 'erase', value: number): IndexBox | null {
    const seg = this.need(value);
    const spans = seg.locked ? null : rasterizeShape(shape, this.dims, this.study.header.spacing, true);
    if (!spans) return null;
    const rule = mode === 'fill' ? this.rule(value) : this.rule(0, { only: value });
    const diff = this.boxEdit(seg.layer, spans.box, (l) => writeSpans(l, this.dims, spans, rule));
    return this.recordVoxels(`Scissors ${mode === 'fill' ? 'fill' : 'erase'} ${seg.name}`, [
      { layer: seg.layer, diff },
    ]);
  }

  /** Run `op` over the segment's bounding box (nothing when it is locked or empty). */
  private segmentOp(value: number, label: string, op: (labels: LabelArray, box: IndexBox) => unknown): IndexBox | null {
    const seg = this.need(value);
    const box = this.boxes.get(value);
    if (seg.locked || !box) return null;
    return this.recordVoxels(`${label} ${seg.name}`, [
      { layer: seg.layer, diff: this.boxEdit(seg.layer, box, (l) => op(l, box)) },
    ]);
  }

  /** Keep the largest 3D 6-connected component of the segment, erase the rest. */
  keepLargestComponent(value: number): IndexBox | null {
    return this.segmentOp(value, 'Keep largest island of', (l, box) => keepLargestComponent(l, this.dims, box, value));
  }

  /** Erase the segment's 3D 6-connected components smaller than `minVoxels`. */
  removeIslands(value: number, minVoxels: number): IndexBox | null {
    if (!(minVoxels >= 0))
      throw new VoxsegError('usage', `minimum island size must be a number >= 0, got ${minVoxels}`);
    return this.segmentOp(value, 'Remove islands of', (l, box) =>
      removeSmallComponents(l, this.dims, box, value, minVoxels),
    );
  }

  /** Fill the unlabelled slices between labelled slices of the segment along `axis` (background voxels only). */
  interpolate(value: number, axis: 0 | 1 | 2): IndexBox | null {
    return this.segmentOp(value, 'Interpolate', (l, box) =>
      interpolateSlices(l, this.dims, this.study.header.spacing, box, value, axis),
    );
  }

  // ---- AI results, statistics ----------------------------------------------------------------

  /**
   * Replace all layers and segments (an AI result) as one undo entry. The given voxels are copied
   * into the segmentation's layers; the history keeps only the run-length difference.
   */
  replaceAll(layers: readonly Volume[], segments: readonly (Segment & { layer?: number })[], label: string): void {
    const p = prepareLabels(this.study, layers, segments);
    this.recordMeta(
      label,
      () => {
        const before = this.kinds();
        const after = p.kinds.map((k, i) => (before[i] === 'uint16' ? 'uint16' : k));
        this.reshape(unionKinds(before, after));
        const diffs: LayerDiff[] = [];
        this._layers.forEach((_, i) => {
          const cur = this.labelsOf(i),
            next = p.labels[i] ?? null;
          diffs.push({ layer: i, diff: diffArrays(cur, next, this.dims) });
          if (next) cur.set(next);
        });
        this.reshape(after);
        this.setSegments(p.segments);
        this.boxes = p.boxes;
        return diffs;
      },
      'replace',
    );
  }

  /** Voxels, volume (ml) and, with `image` on the study grid, intensity statistics of a segment (one pass over its box). */
  statistics(value: number, image?: Volume): SegmentStatistics {
    const seg = this.need(value);
    if (image) {
      const why = gridMismatch(image.header, this.study.header);
      if (why) throw new VoxsegError('invalid-volume', `statistics image is not on the study grid: ${why}`);
    }
    const box = this.boxes.get(value);
    if (!box) return { voxels: 0, ml: 0, box: null };
    const st = valueStatistics(
      this.labelsOf(seg.layer),
      this.dims,
      this.study.header.spacing,
      box,
      value,
      image?.voxels,
    );
    if (st.box) this.boxes.set(value, cloneBox(st.box));
    else this.boxes.delete(value);
    return st;
  }
}
