/**
 * Measurements on the 2D views with Cornerstone3D's annotation tools (Length, Angle, Probe,
 * EllipticalROI, RectangleROI). This layer only draws and edits them; the app gets plain objects
 * (`ViewMeasurement`: kind, view, LPS points) and computes every value itself from the volume.
 *
 * Decisions:
 * - All five tools sit in the 2D tool group as passive (drawn, handles draggable with the left
 *   button); `setTool(kind)` makes one the primary-button tool in place of window/level, `null`
 *   gives the left button back to window/level. The editing tools' pointer capture (pointer.ts)
 *   runs first, so while a brush is on, annotations neither start nor move.
 * - Points are handed over in the tools' own layouts, normalised here: length [a, b]; angle
 *   [a, vertex, b]; probe [p]; ellipse and rectangle [centre, centre + U, centre + V] (half-axes).
 * - The view of an annotation is the 2D view whose plane normal matches the annotation's.
 * - Programmatic adds and removes (restore, delete from the list, a new volume) are not reported.
 * - `hover` reports the world point under the mouse in a 2D view, at most once per frame, and the
 *   view's bottom-left corner (above the window line) shows the nearest voxel's value and the LPS
 *   position (cheap: one index lookup per frame).
 */
import { eventTarget, getEnabledElementByViewportId, type Types } from '@cornerstonejs/core';
import {
  addTool,
  annotation as csAnnotation,
  AngleTool,
  EllipticalROITool,
  Enums as ToolEnums,
  LengthTool,
  ProbeTool,
  RectangleROITool,
  WindowLevelTool,
} from '@cornerstonejs/tools';
import type { Vec3, Volume } from '../core/types';
import { worldToIndex } from '../volume/geometry';
import type { MprView } from './layout';
import type { ToolGroups } from './tools';

export type MeasureKind = 'length' | 'angle' | 'probe' | 'ellipse' | 'rectangle';

/** A measurement as the views hold it: LPS mm points (layout above), in one 2D view. */
export interface ViewMeasurement {
  uid: string;
  kind: MeasureKind;
  view: MprView;
  points: Vec3[];
}

export interface MeasureChange {
  type: 'completed' | 'modified' | 'removed';
  measurement: ViewMeasurement;
}

const TOOL_OF: Record<MeasureKind, { toolName: string }> = {
  length: LengthTool,
  angle: AngleTool,
  probe: ProbeTool,
  ellipse: EllipticalROITool,
  rectangle: RectangleROITool,
};
const KIND_OF = new Map(Object.entries(TOOL_OF).map(([k, t]) => [t.toolName, k as MeasureKind]));
const { MouseBindings } = ToolEnums;

interface CsAnnotation {
  annotationUID?: string;
  metadata: { toolName: string; viewPlaneNormal?: Types.Point3 };
  data: { handles: { points: Types.Point3[] } };
}

const mid = (a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];

/** Cornerstone's handle points -> our layout. */
function fromHandles(kind: MeasureKind, p: Vec3[]): Vec3[] {
  if (kind === 'ellipse') {
    const [bottom, top, , right] = p;
    const c = mid(top, bottom);
    return [c, [...right], [...top]];
  }
  if (kind === 'rectangle') {
    const [tl, tr, , br] = p;
    return [mid(tl, br), mid(tr, br), mid(tl, tr)];
  }
  return p.map((q) => [q[0], q[1], q[2]] as Vec3);
}

/** Our layout -> Cornerstone's handle points. */
function toHandles(kind: MeasureKind, p: readonly Vec3[]): Types.Point3[] {
  if (kind === 'ellipse' || kind === 'rectangle') {
    const [c, cu, cv] = p;
    const u = [0, 1, 2].map((i) => cu[i] - c[i]);
    const v = [0, 1, 2].map((i) => cv[i] - c[i]);
    const at = (su: number, sv: number) => [0, 1, 2].map((i) => c[i] + su * u[i] + sv * v[i]) as Types.Point3;
    // ellipse: bottom, top, left, right; rectangle: top-left, top-right, bottom-left, bottom-right
    return kind === 'ellipse'
      ? [at(0, -1), at(0, 1), at(-1, 0), at(1, 0)]
      : [at(-1, 1), at(1, 1), at(-1, -1), at(1, -1)];
  }
  return p.map((q) => [q[0], q[1], q[2]] as Types.Point3);
}

export class MeasureLayer {
  private silent = 0;
  private lastView: MprView = 'axial';
  private readonly offs: (() => void)[] = [];
  private tool: MeasureKind | null = null;

  constructor(
    private readonly groups: ToolGroups,
    private readonly viewportIds: Record<MprView, string>,
    private readonly elements: Record<MprView, HTMLElement>,
    private readonly emit: (c: MeasureChange) => void,
    private readonly hover: (h: { view: MprView; world: Vec3 } | null) => void,
    private readonly volume: () => Volume | undefined,
  ) {
    for (const Tool of Object.values(TOOL_OF) as unknown as Parameters<typeof addTool>[0][]) {
      addTool(Tool);
      groups.mpr.addTool(Tool.toolName);
      groups.mpr.setToolPassive(Tool.toolName);
    }
    const on = (name: string, fn: (e: Event) => void) => {
      eventTarget.addEventListener(name, fn);
      this.offs.push(() => eventTarget.removeEventListener(name, fn));
    };
    on(ToolEnums.Events.ANNOTATION_COMPLETED, (e) => this.report('completed', e));
    on(ToolEnums.Events.ANNOTATION_MODIFIED, (e) => {
      const type = (e as CustomEvent<{ changeType?: string }>).detail?.changeType;
      if (type === ToolEnums.ChangeTypes.HandlesUpdated) this.report('modified', e);
    });
    on(ToolEnums.Events.ANNOTATION_REMOVED, (e) => this.report('removed', e));
    for (const view of Object.keys(elements) as MprView[]) this.listen(view);
  }

  /** The tool on the left button, or null for window/level. */
  setTool(kind: MeasureKind | null): void {
    if (kind === this.tool) return;
    const mpr = this.groups.mpr;
    if (this.tool) mpr.setToolPassive(TOOL_OF[this.tool].toolName);
    this.tool = kind;
    if (kind) {
      mpr.setToolPassive(WindowLevelTool.toolName);
      mpr.setToolActive(TOOL_OF[kind].toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    } else {
      mpr.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    }
  }

  /** Draw `list` (replacing every measurement drawn so far), each in its own view. */
  show(list: readonly ViewMeasurement[]): void {
    this.quietly(() => {
      this.removeAll();
      for (const m of list) {
        const Tool = TOOL_OF[m.kind] as unknown as {
          hydrate(id: string, points: Types.Point3[], o: Record<string, unknown>): void;
        };
        Tool.hydrate(this.viewportIds[m.view], toHandles(m.kind, m.points), { annotationUID: m.uid });
      }
    });
    this.render();
  }

  /** Remove one measurement from the views. */
  remove(uid: string): void {
    this.quietly(() => csAnnotation.state.removeAnnotation(uid));
    this.render();
  }

  /** Remove every measurement (another volume is shown). */
  clear(): void {
    this.quietly(() => this.removeAll());
  }

  /** CSS-pixel position of a world point in a 2D view (tests place the mouse with it). */
  toCanvas(view: MprView, p: Readonly<Vec3>): { x: number; y: number } {
    const vp = getEnabledElementByViewportId(this.viewportIds[view])?.viewport;
    if (!vp) return { x: NaN, y: NaN };
    const [x, y] = vp.worldToCanvas([p[0], p[1], p[2]]);
    return { x, y };
  }

  destroy(): void {
    for (const off of this.offs.splice(0)) off();
    this.clear();
  }

  private removeAll(): void {
    for (const a of csAnnotation.state.getAllAnnotations() as CsAnnotation[])
      if (KIND_OF.has(a.metadata.toolName) && a.annotationUID) csAnnotation.state.removeAnnotation(a.annotationUID);
  }

  private quietly(fn: () => void): void {
    this.silent++;
    try {
      fn();
    } finally {
      this.silent--;
    }
  }

  private render(): void {
    for (const id of Object.values(this.viewportIds)) getEnabledElementByViewportId(id)?.viewport.render();
  }

  private report(type: MeasureChange['type'], e: Event): void {
    if (this.silent) return;
    const a = (e as CustomEvent<{ annotation?: CsAnnotation }>).detail?.annotation;
    const kind = a && KIND_OF.get(a.metadata?.toolName);
    if (!a || !kind || !a.annotationUID) return;
    const points = fromHandles(
      kind,
      a.data.handles.points.map((p) => [p[0], p[1], p[2]] as Vec3),
    );
    this.emit({ type, measurement: { uid: a.annotationUID, kind, view: this.viewOf(a), points } });
  }

  /** The 2D view whose plane normal is the annotation's (else the view last pressed in). */
  private viewOf(a: CsAnnotation): MprView {
    const n = a.metadata.viewPlaneNormal;
    if (n)
      for (const view of Object.keys(this.viewportIds) as MprView[]) {
        const vp = getEnabledElementByViewportId(this.viewportIds[view])?.viewport;
        const m = vp?.getCamera().viewPlaneNormal;
        if (m && Math.abs(m[0] * n[0] + m[1] * n[1] + m[2] * n[2]) > 0.999) return view;
      }
    return this.lastView;
  }

  /** "40 HU · (12.3, -4.0, 7.5) mm" at an LPS point, or '' outside the volume. */
  private readout(p: Vec3): string {
    const v = this.volume();
    if (!v) return '';
    const [nx, ny, nz] = v.header.dims;
    const [i, j, k] = worldToIndex(v.header, p).map(Math.round);
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return '';
    const md = v.header.metadata;
    const unit = md.unit ?? (md.modality === 'CT' ? 'HU' : '');
    const x = v.voxels[i + j * nx + k * nx * ny];
    const value = Number.isInteger(x) ? String(x) : x.toFixed(2);
    return `${value}${unit ? ` ${unit}` : ''} · (${p.map((c) => c.toFixed(1)).join(', ')}) mm`;
  }

  private listen(view: MprView): void {
    const el = this.elements[view];
    const label = document.createElement('div');
    label.dataset.testid = `${view}-probe`;
    Object.assign(label.style, {
      position: 'absolute',
      left: '8px',
      bottom: '22px',
      font: '11px system-ui, sans-serif',
      color: '#e8e8e8',
      textShadow: '0 0 3px #000',
      pointerEvents: 'none',
      zIndex: '5',
    });
    el.appendChild(label);
    this.offs.push(() => label.remove());
    let frame = 0;
    let last: PointerEvent | null = null;
    const down = () => (this.lastView = view);
    const move = (e: PointerEvent) => {
      last = e;
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        const vp = getEnabledElementByViewportId(this.viewportIds[view])?.viewport;
        if (!last || !vp) return;
        const r = el.getBoundingClientRect();
        const w = vp.canvasToWorld([last.clientX - r.left, last.clientY - r.top]);
        const world: Vec3 = [w[0], w[1], w[2]];
        label.textContent = this.readout(world);
        this.hover({ view, world });
      });
    };
    const leave = () => {
      cancelAnimationFrame(frame);
      frame = 0;
      label.textContent = '';
      this.hover(null);
    };
    el.addEventListener('pointerdown', down, { capture: true });
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerleave', leave);
    this.offs.push(() => {
      cancelAnimationFrame(frame);
      el.removeEventListener('pointerdown', down, { capture: true });
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerleave', leave);
    });
  }
}
