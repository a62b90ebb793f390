/**
 * The segmentation being reviewed and edited: the `Segmentation` model (label layers on the
 * study grid + segment metadata + undo history), the active segment and tool, and the glue
 * between pointer input in the 2D views, the model, the overlay on screen, the 3D surfaces and
 * the autosave journal. Voxel work happens in the model; this store only routes it.
 */
import { errorMessage } from '../../core/errors';
import type { IndexBox, Vec3, Volume } from '../../core/types';
import { worldToIndex } from '../../volume/geometry';
import { Segmentation, type SegmentationChange } from '../../volume/segmentation';
import type { LayeredSegment, Segment } from '../../volume/segments';
import type { ViewPointer } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { Overlay, OverlayContent } from '../segment/overlay.svelte';
import type { Surfaces } from '../surfaces/surfaces.svelte';
import type { ViewState } from '../view-state.svelte';
import { nextBrushSize, type CommandName, type ToolName } from './tools';
import type { Autosave } from './autosave';
import type { HistoryEntry } from '../../volume/history';
import { countAll, countsAfter, dabsAlong, nearestAxis, unionBox } from './strokes';

/** Labels of a model manifest may carry SNOMED-CT codes (`code` = the code value). */
interface ManifestCodes {
  category?: { code: string; scheme: string; meaning: string };
  type?: { code: string; scheme: string; meaning: string };
  typeModifier?: { code: string; scheme: string; meaning: string };
}

function toCode(c: ManifestCodes['category']): Segment['category'] {
  return c ? { scheme: c.scheme, value: c.code, meaning: c.meaning } : undefined;
}

export type SegmentStats = ReturnType<Segmentation['statistics']>;


/** The brush outline / scissors shape drawn over a 2D view, in CSS pixels of that view. */
export interface EditCursor {
  view: ViewPointer['view'];
  x: number;
  y: number;
  /** Brush radius in pixels (0 for tools without one). */
  r: number;
  /** Scissors drag rectangle / circle, from the press point. */
  from?: { x: number; y: number };
  shape?: 'rect' | 'circle';
}

interface Drag {
  tool: ToolName;
  view: ViewPointer['view'];
  axis: 0 | 1 | 2;
  erase: boolean;
  /** Eraser with Alt: erase every unlocked segment, not only the active one. */
  eraseAny: boolean;
  last: Vec3;
  start: Vec3;
  startPx: { x: number; y: number };
  box: IndexBox | null;
}


export class Editor {
  seg = $state.raw<Segmentation | null>(null);
  segments = $state.raw<readonly LayeredSegment[]>([]);
  /** Changes when segments are added, removed, renamed or recoloured (not on voxel edits). */
  segmentsKey = $state('');
  active = $state<number | null>(null);
  tool = $state<ToolName>('navigate');
  radiusMm = $state(5);
  /** Sphere brush, 3D fill and sphere scissors instead of their 2D forms. */
  mode3d = $state(false);
  scissorsShape = $state<'rect' | 'circle'>('rect');
  /** Intensity range of the threshold brush (and of fill, when `fillInRange`). */
  threshold = $state<[number, number]>([-100, 300]);
  /** Fill only voxels inside `threshold` (else the whole connected region of the seed's label). */
  fillInRange = $state(false);
  undoLabel = $state<string | null>(null);
  redoLabel = $state<string | null>(null);
  historyBytes = $state(0);
  cursor = $state.raw<EditCursor | null>(null);
  stats = $state.raw<SegmentStats | null>(null);
  /** Voxels per segment value (kept up to date from the diffs of each change). */
  counts = $state.raw<ReadonlyMap<number, number>>(new Map());
  /** Increases after every finished change (tests wait on it). */
  revision = $state(0);

  private drag: Drag | null = null;
  private pendingSurface: IndexBox | null = null;
  private statsTimer: ReturnType<typeof setTimeout> | undefined;
  private offSeg: (() => void) | null = null;
  private offPointer: (() => void) | null = null;
  /** Title and note the segmentation was last shown with (to show it again over a sibling image). */
  private shownAs = { title: '', note: '' };

  /**
   * Whether two volumes are one study for the segmentation. The app widens it to images derived
   * from the study on its grid (the skull-stripped image): the segmentation stays across them.
   */
  sameStudy: (a: Volume, b: Volume) => boolean = (a, b) => a === b;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
    private readonly overlay: Overlay,
    private readonly surfaces: Surfaces,
    private readonly autosave: Autosave | null,
  ) {}

  /** Listen to the viewer's pointer events (call once the viewer exists). */
  attach(): void {
    const viewer = this.view.viewer;
    if (!viewer || this.offPointer) return;
    this.offPointer = viewer.events.on('pointer', (p) => this.pointer(p));
    viewer.setEditing(this.tool !== 'navigate');
  }

  get study(): Volume | null {
    return this.seg?.study ?? null;
  }

  get activeSegment(): LayeredSegment | undefined {
    return this.segments.find((s) => s.value === this.active);
  }

  /**
   * Show a label map (a model's result, the demo's true labels, an import): it becomes the
   * segmentation being edited. Over an existing segmentation of the same study it is one undoable
   * change; the labels are copied, the caller's volume is never edited.
   */
  async show(c: OverlayContent & { layers?: readonly Volume[]; meta?: readonly Segment[] }): Promise<boolean> {
    try {
      const layers = (c.layers ?? [c.labels]).map((l) => ({ header: l.header, voxels: l.voxels.slice() }) as Volume);
      const now = new Date().toISOString();
      const meta: Segment[] = (c.meta ?? c.segments.map((s) => ({
        value: s.value,
        name: s.name,
        color: [...s.color] as [number, number, number],
        category: toCode((s as ManifestCodes).category),
        type: toCode((s as ManifestCodes).type),
        typeModifier: toCode((s as ManifestCodes).typeModifier),
        algorithm: c.algorithm ?? 'AUTOMATIC',
        algorithmName: c.title,
        createdAt: now,
        edited: false,
        visible: true,
        locked: false,
        review: (c.algorithm ?? 'AUTOMATIC') === 'AUTOMATIC' ? ('proposed' as const) : undefined,
        layer: s.layer,
      }))).map((s) => ({ ...s }));
      if (this.seg && this.sameStudy(this.seg.study, c.study)) {
        const seg = this.seg;
        this.track(() => seg.replaceAll(layers, meta, `Load ${c.title}`));
      } else {
        this.adopt(Segmentation.fromLabels(c.study, layers, meta), c.title, c.note);
      }
      return await this.display(c.title, c.note);
    } catch (err) {
      this.notices.push({ level: 'error', title: `Could not show ${c.title}`, message: errorMessage(err) });
      return false;
    }
  }

  /** Start an empty segmentation on `study` (the first "Add segment" or paint does this). */
  async startEmpty(study: Volume): Promise<void> {
    this.adopt(Segmentation.empty(study), 'Segmentation', 'Drawn by hand');
    await this.display('Segmentation', 'Drawn by hand');
  }

  /** Restore a saved segmentation (autosave) on `study`. */
  async restore(seg: Segmentation, savedAt: string): Promise<void> {
    this.adopt(seg, 'Restored segmentation', `Saved ${new Date(savedAt).toLocaleString()}`);
    await this.display('Restored segmentation', `Saved ${new Date(savedAt).toLocaleString()}`);
  }

  /** Drop the segmentation (the study changed, or the user cleared it). */
  close(): void {
    this.offSeg?.();
    this.offSeg = null;
    this.seg = null;
    this.segments = [];
    this.segmentsKey = '';
    this.active = null;
    this.stats = null;
    this.drag = null;
    this.cursor = null;
    this.refreshHistory();
    this.overlay.clear();
  }

  /** Another volume is on its way to the screen: the segmentation goes unless it is one study with it. */
  studyChanged(volume: Volume | null): void {
    if (this.seg && (!volume || !this.sameStudy(this.seg.study, volume))) this.close();
  }

  /**
   * A volume is on screen: the segmentation kept for it (one study with the one it was made on)
   * is shown over it again (the viewer drops the labels of the volume it replaces).
   */
  async studyShown(volume: Volume | null): Promise<void> {
    const seg = this.seg;
    if (!seg || !volume || this.overlay.status !== 'none' || this.view.viewer?.current !== volume || !this.sameStudy(seg.study, volume)) return;
    await this.display(this.shownAs.title, this.shownAs.note);
  }

  // ---- tools ------------------------------------------------------------------------------

  setTool(tool: ToolName): void {
    if (tool === 'scissors' && this.tool === 'scissors') this.scissorsShape = this.scissorsShape === 'rect' ? 'circle' : 'rect';
    this.tool = tool;
    this.view.viewer?.setEditing(tool !== 'navigate');
    if (tool === 'navigate') this.cursor = null;
  }

  async command(name: CommandName): Promise<void> {
    switch (name) {
      case 'undo':
        return this.undo();
      case 'redo':
        return this.redo();
      case 'smaller':
      case 'larger':
        this.radiusMm = nextBrushSize(this.radiusMm, name === 'larger' ? 1 : -1);
        return;
      case 'toggle3d':
        this.mode3d = !this.mode3d;
        return;
      case 'addSegment':
        await this.addSegment();
        return;
      case 'prevSegment':
      case 'nextSegment': {
        const list = this.segments;
        if (list.length === 0) return;
        const i = list.findIndex((s) => s.value === this.active);
        const j = (i + (name === 'nextSegment' ? 1 : list.length - 1)) % list.length;
        this.select(list[j < 0 ? 0 : j].value);
        return;
      }
      case 'toggleVisible':
        if (this.activeSegment) this.update(this.activeSegment.value, { visible: !this.activeSegment.visible });
        return;
      case 'toggleLock':
        if (this.activeSegment) this.update(this.activeSegment.value, { locked: !this.activeSegment.locked });
        return;
      case 'interpolate':
        return this.operation('Interpolate', (seg, v) => seg.interpolate(v, this.lastAxis));
      case 'largest':
        return this.operation('Keep largest component', (seg, v) => seg.keepLargestComponent(v));
      case 'islands':
        return this.operation('Remove small islands', (seg, v) => seg.removeIslands(v, this.islandVoxels()));
    }
  }

  /** Islands smaller than this (about 0.1 mL, at least 10 voxels) go. */
  islandVoxels(): number {
    const sp = this.study?.header.spacing ?? [1, 1, 1];
    return Math.max(10, Math.round(100 / (sp[0] * sp[1] * sp[2])));
  }

  /** The index axis the last edited 2D view looks along (for interpolation). */
  private lastAxis: 0 | 1 | 2 = 2;

  // ---- segments -----------------------------------------------------------------------------

  select(value: number | null): void {
    this.active = value;
    this.scheduleStats();
  }

  async addSegment(init?: Partial<Segment>): Promise<Segment | null> {
    const study = this.view.viewer?.current;
    if (!this.seg) {
      if (!study) return null;
      await this.startEmpty(study);
    }
    const seg = this.seg!;
    let s: Segment | null = null;
    this.track(() => (s = seg.addSegment({ algorithm: 'MANUAL', ...init })));
    if (s) this.select((s as Segment).value);
    return s;
  }

  update(value: number, patch: Partial<Omit<Segment, 'value'>>): void {
    const seg = this.seg;
    if (seg) this.run('Changing the segment', () => seg.updateSegment(value, patch));
  }

  remove(value: number): void {
    const seg = this.seg;
    if (seg) this.run('Deleting the segment', () => seg.removeSegment(value));
  }

  merge(into: number, from: number[]): void {
    const seg = this.seg;
    if (seg) this.run('Merging', () => seg.mergeSegments(into, from));
  }

  review(value: number, decision: 'accepted' | 'rejected'): void {
    const seg = this.seg;
    if (seg) this.run(decision === 'accepted' ? 'Accepting' : 'Rejecting', () => seg.setReview(value, decision));
  }

  undo(): void {
    this.finishDrag();
    const seg = this.seg;
    const entry = seg?.history.applied().at(-1);
    if (!seg || !entry) return;
    seg.undo();
    this.afterChange(entry, 'before');
  }

  redo(): void {
    this.finishDrag();
    const seg = this.seg;
    if (!seg || seg.history.redoCount === 0) return;
    seg.redo();
    const entry = seg.history.applied().at(-1);
    if (entry) this.afterChange(entry, 'after');
  }

  // ---- pointer ------------------------------------------------------------------------------

  private pointer(p: ViewPointer): void {
    const seg = this.seg;
    if (this.tool === 'navigate') return;
    const r = this.tool === 'brush' || this.tool === 'eraser' || this.tool === 'threshold' ? this.radiusMm / p.mmPerPixel : 0;
    if (p.phase === 'leave') {
      if (!this.drag) this.cursor = null;
      return;
    }
    const from = this.drag?.tool === 'scissors' ? this.drag.startPx : undefined;
    this.cursor = { view: p.view, x: p.x, y: p.y, r, from, shape: this.mode3d ? 'circle' : this.scissorsShape };
    if (p.phase === 'hover') return;
    if (!seg) {
      if (p.phase === 'down') void this.beginWithoutSegmentation(p);
      return;
    }
    const ijk = worldToIndex(seg.study.header, p.world);
    if (p.phase === 'down') this.down(seg, p, ijk);
    else if (p.phase === 'move') this.move(seg, ijk);
    else this.up(seg, p, ijk);
  }

  /** A press with no segmentation yet: make one with a first segment, then handle it. */
  private async beginWithoutSegmentation(p: ViewPointer): Promise<void> {
    if (this.tool === 'eraser') return;
    const s = await this.addSegment();
    if (s && this.seg) this.down(this.seg, p, worldToIndex(this.seg.study.header, p.world));
  }

  private down(seg: Segmentation, p: ViewPointer, ijk: Vec3): void {
    const value = this.active;
    const axis = nearestAxis(seg.study.header, p.normal);
    this.lastAxis = axis;
    const erase = this.tool === 'eraser' || p.alt;
    if (value === null && !(erase && this.tool !== 'scissors')) {
      this.notices.push({ level: 'warning', title: 'No segment selected', message: 'Add a segment or pick one in the list before drawing.' });
      return;
    }
    const target = value === null ? undefined : seg.segment(value);
    if (target?.locked && !(this.tool === 'eraser' && p.alt)) {
      this.notices.push({ level: 'warning', title: `${target.name} is locked`, message: 'Unlock it in the segment list (or press L) to edit it.' });
      return;
    }
    this.drag = { tool: this.tool, view: p.view, axis, erase, eraseAny: this.tool === 'eraser' && p.alt, last: ijk, start: ijk, startPx: { x: p.x, y: p.y }, box: null };
    if (this.tool === 'fill') {
      const v = value!;
      this.drag = null;
      this.run('Fill', () => seg.fill(ijk.map(Math.round) as Vec3, erase ? 0 : v, { plane: this.mode3d ? undefined : axis, threshold: this.fillInRange ? ([...this.threshold] as [number, number]) : undefined }));
      return;
    }
    if (this.tool === 'scissors') return;
    this.strokeFrom = seg.history.applied().at(-1)?.id ?? -1;
    seg.beginStroke(erase ? 'Erase' : this.tool === 'threshold' ? 'Threshold brush' : 'Brush');
    this.dab(seg, ijk);
  }

  private move(seg: Segmentation, ijk: Vec3): void {
    const d = this.drag;
    if (!d || d.tool === 'scissors' || d.tool === 'fill') return;
    for (const c of dabsAlong(d.last, ijk, seg.study.header.spacing, this.radiusMm)) this.dab(seg, c);
    d.last = ijk;
  }

  private up(seg: Segmentation, p: ViewPointer, ijk: Vec3): void {
    const d = this.drag;
    if (!d) return;
    if (d.tool === 'scissors') {
      this.drag = null;
      this.cursor = { view: p.view, x: p.x, y: p.y, r: 0 };
      const value = this.active ?? 0;
      const shape = this.scissorsShapeFor(seg, d, ijk);
      this.run(d.erase ? 'Scissors (erase)' : 'Scissors', () => seg.scissors(shape, d.erase ? 'erase' : 'fill', value));
      return;
    }
    this.move(seg, ijk);
    this.finishDrag();
  }

  private finishDrag(): void {
    const d = this.drag;
    const seg = this.seg;
    if (!d || !seg) return;
    this.drag = null;
    if (d.tool === 'scissors' || d.tool === 'fill') return;
    seg.endStroke();
    const entry = seg.history.applied().at(-1);
    if (entry && (entry.id ?? -1) !== this.strokeFrom) {
      for (const { layer, diff } of entry.voxels) void this.overlay.modified(layer, diff.box);
      this.afterChange(entry, 'after');
    }
  }

  private strokeFrom = -1;

  private dab(seg: Segmentation, center: Vec3): void {
    const d = this.drag!;
    try {
      this.dabShape(seg, d, center);
    } catch (err) {
      this.drag = null;
      seg.endStroke();
      this.notices.push({ level: 'error', title: 'The brush failed', message: errorMessage(err) });
    }
  }

  private dabShape(seg: Segmentation, d: Drag, center: Vec3): void {
    const shape = this.mode3d
      ? ({ kind: 'sphere', center, radiusMm: this.radiusMm } as const)
      : ({ kind: 'circle', center, radiusMm: this.radiusMm, axis: d.axis } as const);
    const box = d.erase
      ? seg.erase(shape, d.eraseAny || this.active === null ? {} : { only: this.active })
      : seg.paint(shape, this.active!, d.tool === 'threshold' ? { threshold: [...this.threshold] as [number, number] } : {});
    d.box = unionBox(d.box, box);
  }


  private scissorsShapeFor(seg: Segmentation, d: Drag, end: Vec3) {
    const sp = seg.study.header.spacing;
    if (this.mode3d || this.scissorsShape === 'circle') {
      const r = Math.hypot((end[0] - d.start[0]) * sp[0], (end[1] - d.start[1]) * sp[1], (end[2] - d.start[2]) * sp[2]);
      return this.mode3d
        ? ({ kind: 'sphere', center: d.start, radiusMm: r } as const)
        : ({ kind: 'circle', center: d.start, radiusMm: r, axis: d.axis } as const);
    }
    return { kind: 'rect', a: d.start, b: end, axis: d.axis } as const;
  }

  /** Run one model operation; errors go to the banner. */
  private run(label: string, op: () => unknown): void {
    try {
      this.track(op);
    } catch (err) {
      this.notices.push({ level: 'error', title: `${label} failed`, message: errorMessage(err) });
    }
  }

  /** Run `op` on the model; when it added a history entry, bring everything else up to date. */
  private track(op: () => unknown): void {
    const seg = this.seg;
    if (!seg) return;
    const before = seg.history.applied().at(-1)?.id ?? -1;
    op();
    const entry = seg.history.applied().at(-1);
    if (entry && (entry.id ?? -1) !== before) this.afterChange(entry, 'after');
  }

  private async operation(label: string, op: (seg: Segmentation, value: number) => unknown): Promise<void> {
    const seg = this.seg;
    const value = this.active;
    if (!seg || value === null) return;
    this.run(label, () => op(seg, value));
  }


  // ---- model → screen ---------------------------------------------------------------------

  private adopt(seg: Segmentation, _title: string, _note: string): void {
    this.offSeg?.();
    this.seg = seg;
    this.offSeg = seg.events.on('change', (c) => this.changed(c));
    this.refreshSegments();
    this.active = this.segments[0]?.value ?? null;
    this.refreshHistory();
    this.counts = countAll(seg.layers);
    this.autosave?.start(seg);
    this.scheduleStats();
    this.revision++;
  }

  private async display(title: string, note: string): Promise<boolean> {
    const seg = this.seg;
    if (!seg) return false;
    this.shownAs = { title, note };
    return this.overlay.display(seg.layers, this.segments, title, note);
  }

  /** The model changed (per dab during a stroke): show it. */
  private changed(c: SegmentationChange): void {
    const seg = this.seg;
    if (!seg) return;
    if (c.segments) this.refreshSegments();
    if (c.structure) void this.overlay.display(seg.layers, this.segments, this.overlay.title, this.overlay.note);
    else {
      // During a stroke only the view drawn in is redrawn; the stroke's end redraws them all.
      const only = c.kind === 'edit' && this.drag ? this.drag.view : undefined;
      for (const { layer, box } of c.layers) void this.overlay.modified(layer, box, only);
      if (c.segments) void this.overlay.recolor(this.segments);
    }
  }

  /**
   * A change is complete (a stroke, an operation, an undo/redo, a metadata edit): update counts,
   * history, surfaces, statistics, and journal it. `dir` 'after' = the entry was applied,
   * 'before' = it was undone.
   */
  private afterChange(entry: HistoryEntry, dir: 'before' | 'after'): void {
    const seg = this.seg;
    if (!seg) return;
    const structure = !!(entry.layersBefore || entry.layersAfter);
    let box: IndexBox | null = null;
    for (const { layer, diff } of entry.voxels) if (layer === 0 && diff.voxels > 0) box = unionBox(box, diff.box);
    this.counts = countsAfter(this.counts, entry, dir);
    this.refreshSegments();
    this.refreshHistory();
    if (box && !structure) this.queueSurfaces(box);
    else if (structure) this.surfaceSegments++;
    this.autosave?.append(seg, entry.voxels.map((v) => ({ layer: v.layer, diff: v.diff, dir })), structure);
    this.scheduleStats();
    this.revision++;
  }

  /** Bumps when the 3D surfaces need a full rebuild (layers replaced or promoted). */
  surfaceSegments = $state(0);

  private queueSurfaces(box: IndexBox): void {
    this.pendingSurface = unionBox(this.pendingSurface, box);
    queueMicrotask(() => {
      const b = this.pendingSurface;
      this.pendingSurface = null;
      if (b) void this.surfaces.edited([...b.lo] as Vec3, [...b.hi] as Vec3);
    });
  }

  private refreshSegments(): void {
    const seg = this.seg;
    this.segments = seg ? [...seg.segments] : [];
    this.segmentsKey = this.segments.map((s) => `${s.value}/${s.layer ?? 0}/${s.name}/${s.color.join(',')}`).join('|');
    if (this.active !== null && !this.segments.some((s) => s.value === this.active)) this.active = this.segments[0]?.value ?? null;
  }

  private refreshHistory(): void {
    const h = this.seg?.history;
    this.undoLabel = h?.peekUndo() ?? null;
    this.redoLabel = h?.peekRedo() ?? null;
    this.historyBytes = h?.bytes ?? 0;
  }

  private scheduleStats(): void {
    clearTimeout(this.statsTimer);
    this.statsTimer = setTimeout(() => {
      const seg = this.seg;
      const value = this.active;
      this.stats = seg && value !== null && seg.segments.some((x) => x.value === value) ? seg.statistics(value, seg.study) : null;
    }, 150);
  }
}
