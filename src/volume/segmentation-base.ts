/**
 * State and undo plumbing of the editable segmentation (the operations are in segmentation.ts):
 * label layers on the study grid, the frozen segment list, a conservative bounding box per
 * segment (grown by every change, tightened by `statistics`), strokes, history entries and the
 * change events views listen to. Every voxel change goes through `boxEdit` (snapshot the box,
 * run the operation, diff) or arrives as a ready diff, so an edit costs O(its box).
 */
import { Emitter } from '../core/events';
import type { IndexBox, Vec3, Volume } from '../core/types';
import { VoxsegError } from '../core/errors';
import { cloneBox, unionBox } from './box';
import { applyDiff, composeDiffs, diffBox, snapshotBox, type LabelArray, type VoxelDiff } from './diff';
import { History, type HistoryEntry, type HistoryOptions, type LayerDiff, type LayerKind } from './history';
import { convertLabels, kindOf, makeLayer, sameKinds, unionKinds } from './layers';
import { cloneSegment, type LayeredSegment } from './segments';

export interface SegmentationChange {
  kind: 'edit' | 'undo' | 'redo' | 'replace' | 'restore';
  label: string;
  /** Boxes where voxels changed, per layer. */
  layers: { layer: number; box: IndexBox }[];
  /** Segment metadata changed. */
  segments: boolean;
  /** Layers were added, removed, replaced or promoted: a view must re-create them. */
  structure: boolean;
}

interface Stroke {
  label: string;
  diffs: Map<number, VoxelDiff[]>;
  segmentsBefore: readonly LayeredSegment[];
}

/** Snapshots of boxes up to this many voxels reuse one scratch buffer; larger ones are allocated and dropped. */
const SCRATCH_MAX = 1 << 24;

function freeze(s: LayeredSegment): LayeredSegment {
  if (Object.isFrozen(s)) return s;
  const c = cloneSegment(s);
  Object.freeze(c.color);
  return Object.freeze(c);
}

export class SegmentationBase {
  readonly events = new Emitter<{ change: SegmentationChange }>();
  readonly history: History;
  protected _layers: readonly Volume[] = [];
  protected _segments: readonly LayeredSegment[] = [];
  protected byValue = new Map<number, LayeredSegment>();
  /** locked[v] = 1 when segment v is locked. */
  protected readonly locked = new Uint8Array(65536);
  /** Superset of each segment's voxels (absent: no voxels). */
  protected boxes = new Map<number, IndexBox>();
  protected stroke: Stroke | null = null;
  private scratch8: Uint8Array = new Uint8Array(0);
  private scratch16: Uint16Array = new Uint16Array(0);

  protected constructor(
    readonly study: Volume,
    history: HistoryOptions = {},
  ) {
    this.history = new History(history);
  }

  get layers(): readonly Volume[] {
    return this._layers;
  }

  /** Frozen; a new array (and new objects for changed segments) after every change. */
  get segments(): readonly LayeredSegment[] {
    return this._segments;
  }

  /** Layer holding the segment's voxels, -1 when no segment has this value. */
  layerOf(value: number): number {
    return this.byValue.get(value)?.layer ?? -1;
  }

  segment(value: number): LayeredSegment | undefined {
    return this.byValue.get(value);
  }

  protected get dims(): Readonly<Vec3> {
    return this.study.header.dims;
  }

  protected labelsOf(layer: number): LabelArray {
    return this._layers[layer].voxels as LabelArray;
  }

  protected need(value: number): LayeredSegment {
    const s = this.byValue.get(value);
    if (!s) throw new VoxsegError('usage', `no segment has value ${value}`);
    return s;
  }

  protected kinds(): LayerKind[] {
    return this._layers.map((l) => kindOf(l.voxels as LabelArray));
  }

  protected setSegments(list: readonly LayeredSegment[]): void {
    this._segments =
      Object.isFrozen(list) && list.every((s) => Object.isFrozen(s)) ? list : Object.freeze(list.map(freeze));
    this.byValue = new Map(this._segments.map((s) => [s.value, s]));
    this.locked.fill(0);
    for (const s of this._segments) if (s.locked) this.locked[s.value] = 1;
  }

  /** Make the layers match `kinds`: new zero layers at the end, dtype conversions, extra layers dropped. */
  protected reshape(kinds: readonly LayerKind[]): void {
    const cur = this._layers;
    if (sameKinds(this.kinds(), kinds)) return;
    this._layers = Object.freeze(
      kinds.map((k, i) => {
        if (i >= cur.length) return makeLayer(this.study, k);
        const labels = cur[i].voxels as LabelArray;
        return kindOf(labels) === k ? cur[i] : makeLayer(this.study, k, convertLabels(labels, k));
      }),
    );
  }

  /** Snapshot `box` of a layer, let `op` write inside it, return what changed. */
  protected boxEdit(layer: number, box: IndexBox, op: (labels: LabelArray) => unknown): VoxelDiff {
    const labels = this.labelsOf(layer);
    const n = (box.hi[0] - box.lo[0]) * (box.hi[1] - box.lo[1]) * (box.hi[2] - box.lo[2]);
    const u8 = labels instanceof Uint8Array;
    let out: LabelArray | undefined = u8 ? this.scratch8 : this.scratch16;
    if (out.length < n) {
      out =
        n > SCRATCH_MAX
          ? undefined
          : u8
            ? new Uint8Array(Math.min(SCRATCH_MAX, Math.max(n, 2 * out.length)))
            : new Uint16Array(Math.min(SCRATCH_MAX, Math.max(n, 2 * out.length)));
      if (out instanceof Uint8Array) this.scratch8 = out;
      else if (out) this.scratch16 = out;
    }
    const snap = snapshotBox(labels, this.dims, box, out);
    op(labels);
    return diffBox(labels, this.dims, box, snap);
  }

  /** Grow the boxes of the segments on `layer` that one side of a diff writes. */
  protected growBoxes(layer: number, diff: VoxelDiff, side: 'before' | 'after'): void {
    const values = side === 'before' ? diff.before : diff.after;
    let last = -1;
    for (let r = 0; r < values.length; r++) {
      const v = values[r];
      if (v === last || v === 0) continue;
      last = v;
      if (this.byValue.get(v)?.layer === layer) this.boxes.set(v, unionBox(this.boxes.get(v), diff.box)!);
    }
  }

  /** Set `edited` on the segments whose voxels the diffs change; returns whether any flag flipped. */
  private markEdited(diffs: readonly LayerDiff[]): boolean {
    const flip = new Set<number>();
    for (const { diff } of diffs)
      for (const side of [diff.before, diff.after])
        for (let r = 0; r < side.length; r++) {
          const s = this.byValue.get(side[r]);
          if (s && !s.edited) flip.add(s.value);
        }
    if (flip.size === 0) return false;
    this.setSegments(this._segments.map((s) => (flip.has(s.value) ? { ...s, edited: true } : s)));
    return true;
  }

  /** Record a hand edit (one entry, or part of the open stroke) and announce it. Returns the changed box. */
  protected recordVoxels(label: string, diffs: LayerDiff[]): IndexBox | null {
    const live = diffs.filter((d) => d.diff.voxels > 0);
    if (live.length === 0) return null;
    for (const d of live) this.growBoxes(d.layer, d.diff, 'after');
    const before = this._segments;
    const segments = this.markEdited(live);
    if (this.stroke) {
      for (const d of live) {
        const list = this.stroke.diffs.get(d.layer);
        if (list) list.push(d.diff);
        else this.stroke.diffs.set(d.layer, [d.diff]);
      }
    } else
      this.history.push({
        label,
        voxels: live,
        ...(segments ? { segmentsBefore: before, segmentsAfter: this._segments } : {}),
      });
    this.emit('edit', this.stroke?.label ?? label, live, segments, false);
    let box: IndexBox | null = null;
    for (const d of live) box = unionBox(box, d.diff.box);
    return box;
  }

  /** Run a metadata change (which may also change voxels and layers) as one undoable entry. */
  protected recordMeta(
    label: string,
    mutate: () => LayerDiff[] | void,
    kind: SegmentationChange['kind'] = 'edit',
  ): void {
    this.endStroke();
    const segmentsBefore = this._segments,
      layersBefore = this.kinds();
    const voxels = (mutate() ?? []).filter((d) => d.diff.voxels > 0);
    const layersAfter = this.kinds();
    const structure = !sameKinds(layersBefore, layersAfter);
    const segments = segmentsBefore !== this._segments;
    if (!voxels.length && !segments && !structure) return;
    const entry: HistoryEntry = { label, voxels };
    if (segments) Object.assign(entry, { segmentsBefore, segmentsAfter: this._segments });
    if (structure) Object.assign(entry, { layersBefore, layersAfter });
    this.history.push(entry);
    this.emit(kind, label, voxels, segments, structure);
  }

  /** One diff per layer: sequential diffs of the same layer composed. */
  protected groupByLayer(diffs: readonly LayerDiff[]): LayerDiff[] {
    const by = new Map<number, VoxelDiff[]>();
    for (const d of diffs) by.set(d.layer, [...(by.get(d.layer) ?? []), d.diff]);
    return [...by].map(([layer, list]) => ({ layer, diff: composeDiffs(list, this.dims) }));
  }

  protected emit(
    kind: SegmentationChange['kind'],
    label: string,
    changed: readonly (LayerDiff | { layer: number; box: IndexBox })[],
    segments: boolean,
    structure: boolean,
  ): SegmentationChange {
    const layers = changed.map((d) => ({ layer: d.layer, box: cloneBox('diff' in d ? d.diff.box : d.box) }));
    const change: SegmentationChange = { kind, label, layers, segments, structure };
    this.events.emit('change', change);
    return change;
  }

  /** Paint/erase calls until `endStroke` become one undo entry (change events still fire per dab). */
  beginStroke(label: string): void {
    this.endStroke();
    this.stroke = { label, diffs: new Map(), segmentsBefore: this._segments };
  }

  endStroke(): void {
    const s = this.stroke;
    if (!s) return;
    this.stroke = null;
    const voxels = [...s.diffs]
      .map(([layer, list]) => ({ layer, diff: composeDiffs(list, this.dims) }))
      .filter((d) => d.diff.voxels > 0);
    const segments = s.segmentsBefore !== this._segments;
    if (!voxels.length && !segments) return;
    this.history.push({
      label: s.label,
      voxels,
      ...(segments ? { segmentsBefore: s.segmentsBefore, segmentsAfter: this._segments } : {}),
    });
  }

  undo(): SegmentationChange | null {
    this.endStroke();
    const e = this.history.undo();
    return e ? this.applyEntry(e, 'before') : null;
  }

  redo(): SegmentationChange | null {
    this.endStroke();
    const e = this.history.redo();
    return e ? this.applyEntry(e, 'after') : null;
  }

  private applyEntry(e: HistoryEntry, side: 'before' | 'after'): SegmentationChange {
    const kinds = side === 'before' ? e.layersBefore : e.layersAfter;
    if (e.layersBefore && e.layersAfter) this.reshape(unionKinds(e.layersBefore, e.layersAfter));
    for (const v of e.voxels) applyDiff(this.labelsOf(v.layer), v.diff, side);
    if (kinds) this.reshape(kinds);
    const segs = side === 'before' ? e.segmentsBefore : e.segmentsAfter;
    if (segs) this.setSegments(segs);
    for (const v of e.voxels) if (v.layer < this._layers.length) this.growBoxes(v.layer, v.diff, side);
    return this.emit(side === 'before' ? 'undo' : 'redo', e.label, e.voxels, !!segs, !!kinds);
  }
}
