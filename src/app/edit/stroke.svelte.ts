/**
 * Pointer input in the 2D views → edits of the open workspace's segmentation. A small state
 * machine: hover draws the cursor; a press starts a drag (brush, eraser, threshold brush: one
 * stroke, dabbed along the path so a fast drag stays continuous), fills at once (fill), or
 * marks the first corner (scissors, applied on release). A press with no segmentation yet makes
 * one with a first segment. Locked and missing segments are refused with a warning. The stroke
 * is one undo entry; its view is redrawn while it lasts, every view once it is committed.
 */
import { errorMessage } from '../../core/errors';
import type { Vec3 } from '../../core/types';
import { worldToIndex } from '../../volume/geometry';
import type { Segmentation } from '../../volume/segmentation';
import type { ViewPointer } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';
import type { WorkspaceSource } from '../workspace.svelte';
import type { SegmentList } from './segment-list.svelte';
import type { ToolSettings } from './tool-settings.svelte';
import type { ToolName } from './tools';
import { dabsAlong, nearestAxis } from './strokes';

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
}

export class StrokeController {
  private pointerCursor = $state.raw<EditCursor | null>(null);
  /** The index axis the last edited 2D view looks along (for interpolation). */
  lastAxis: 0 | 1 | 2 = 2;
  private drag: Drag | null = null;
  private off: (() => void) | null = null;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
    private readonly source: WorkspaceSource,
    private readonly tools: ToolSettings,
    private readonly list: SegmentList,
  ) {}

  /** What to draw under the pointer (none while navigating). */
  get cursor(): EditCursor | null {
    return this.tools.tool === 'navigate' ? null : this.pointerCursor;
  }

  /** Listen to the viewer's pointer events (call once the viewer exists). */
  attach(): void {
    const viewer = this.view.viewer;
    if (!viewer || this.off) return;
    this.off = viewer.events.on('pointer', (p) => this.pointer(p));
    viewer.setEditing(this.tools.tool !== 'navigate');
  }

  /** Handle one pointer event of a 2D view. */
  pointer(p: ViewPointer): void {
    const t = this.tools;
    if (t.tool === 'navigate') return;
    if (p.phase === 'leave') {
      if (!this.drag) this.pointerCursor = null;
      return;
    }
    const from = this.drag?.tool === 'scissors' ? this.drag.startPx : undefined;
    const r = t.hasRadius ? t.radiusMm / p.mmPerPixel : 0;
    this.pointerCursor = { view: p.view, x: p.x, y: p.y, r, from, shape: t.mode3d ? 'circle' : t.scissorsShape };
    if (p.phase === 'hover') return;
    // the views show a series still arriving, not the workspace's image: no edits until it opens
    if (this.source.preview) return;
    const seg = this.source.workspace?.seg;
    if (!seg) {
      // A press with no segmentation yet: make one with a first segment (not to erase nothing).
      if (p.phase === 'down' && t.tool !== 'eraser' && this.list.addSegment()) this.pointer(p);
      return;
    }
    const ijk = worldToIndex(seg.study.header, p.world);
    if (p.phase === 'down') this.down(seg, p, ijk);
    else if (p.phase === 'move') this.move(seg, ijk);
    else this.up(seg, p, ijk);
  }

  private down(seg: Segmentation, p: ViewPointer, ijk: Vec3): void {
    const t = this.tools;
    const value = this.list.active;
    const axis = nearestAxis(seg.study.header, p.normal);
    this.lastAxis = axis;
    const erase = t.tool === 'eraser' || p.alt;
    if (value === null && !(erase && t.tool !== 'scissors')) {
      this.notices.push({
        level: 'warning',
        title: 'No segment selected',
        message: 'Add a segment or pick one in the list before drawing.',
        study: true,
      });
      return;
    }
    const target = value === null ? undefined : seg.segment(value);
    if (target?.locked && !(t.tool === 'eraser' && p.alt)) {
      this.notices.push({
        level: 'warning',
        title: `${target.name} is locked`,
        message: 'Unlock it in the segment list (or press L) to edit it.',
        study: true,
      });
      return;
    }
    if (t.tool === 'fill') {
      const threshold = t.fillInRange ? ([...t.threshold] as [number, number]) : undefined;
      this.list.apply('Fill', (s) =>
        s.fill(ijk.map(Math.round) as Vec3, erase ? 0 : value!, { plane: t.mode3d ? undefined : axis, threshold }),
      );
      return;
    }
    this.drag = {
      tool: t.tool,
      view: p.view,
      axis,
      erase,
      eraseAny: t.tool === 'eraser' && p.alt,
      last: ijk,
      start: ijk,
      startPx: { x: p.x, y: p.y },
    };
    if (t.tool === 'scissors') return;
    this.source.workspace?.beginStroke(erase ? 'Erase' : t.tool === 'threshold' ? 'Threshold brush' : 'Brush', p.view);
    this.dab(seg, ijk);
  }

  private move(seg: Segmentation, ijk: Vec3): void {
    const d = this.drag;
    if (!d || d.tool === 'scissors') return;
    // An undo (or a new segmentation) ended the stroke: the rest of the drag does nothing.
    if (!this.source.workspace?.strokeOpen) {
      this.drag = null;
      return;
    }
    for (const c of dabsAlong(d.last, ijk, seg.study.header.spacing, this.tools.radiusMm)) this.dab(seg, c);
    d.last = ijk;
  }

  private up(seg: Segmentation, p: ViewPointer, ijk: Vec3): void {
    const d = this.drag;
    if (!d) return;
    if (d.tool === 'scissors') {
      this.drag = null;
      this.pointerCursor = { view: p.view, x: p.x, y: p.y, r: 0 };
      const value = this.list.active ?? 0;
      const shape = this.scissorsShape(seg, d, ijk);
      this.list.apply(d.erase ? 'Scissors (erase)' : 'Scissors', (s) =>
        s.scissors(shape, d.erase ? 'erase' : 'fill', value),
      );
      return;
    }
    this.move(seg, ijk);
    this.drag = null;
    this.source.workspace?.endStroke();
  }

  private dab(seg: Segmentation, center: Vec3): void {
    const d = this.drag!;
    const t = this.tools;
    const active = this.list.active;
    try {
      const shape = t.mode3d
        ? ({ kind: 'sphere', center, radiusMm: t.radiusMm } as const)
        : ({ kind: 'circle', center, radiusMm: t.radiusMm, axis: d.axis } as const);
      if (d.erase) seg.erase(shape, d.eraseAny || active === null ? {} : { only: active });
      else seg.paint(shape, active!, d.tool === 'threshold' ? { threshold: [...t.threshold] as [number, number] } : {});
    } catch (err) {
      this.drag = null;
      this.source.workspace?.endStroke();
      this.notices.push({ level: 'error', title: 'The brush failed', message: errorMessage(err), study: true });
    }
  }

  private scissorsShape(seg: Segmentation, d: Drag, end: Vec3) {
    const sp = seg.study.header.spacing;
    if (this.tools.mode3d || this.tools.scissorsShape === 'circle') {
      const r = Math.hypot((end[0] - d.start[0]) * sp[0], (end[1] - d.start[1]) * sp[1], (end[2] - d.start[2]) * sp[2]);
      return this.tools.mode3d
        ? ({ kind: 'sphere', center: d.start, radiusMm: r } as const)
        : ({ kind: 'circle', center: d.start, radiusMm: r, axis: d.axis } as const);
    }
    return { kind: 'rect', a: d.start, b: end, axis: d.axis } as const;
  }
}
