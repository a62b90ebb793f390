/**
 * Pointer input for editing tools on the 2D views. While editing is on, a plain primary-button
 * drag in a 2D view is reported as `ViewPointer` events (world position, view plane, zoom)
 * instead of reaching Cornerstone's tools (its compatibility mouse events are cancelled);
 * Shift+drag still moves the crosshairs, the wheel still scrolls, middle/right still pan/zoom.
 * Hovering is reported too, so the app can draw the brush outline.
 */
import type { Types } from '@cornerstonejs/core';
import type { Vec3 } from '../core/types';
import type { MprView } from './layout';

export interface ViewPointer {
  /** 'down' / 'move' / 'up' during a drag; 'hover' / 'leave' otherwise. */
  phase: 'down' | 'move' | 'up' | 'hover' | 'leave';
  view: MprView;
  /** The point under the pointer on the view plane, LPS mm. */
  world: Vec3;
  /** Unit normal of the view plane, LPS. */
  normal: Vec3;
  /** Pointer position in the view element, CSS pixels. */
  x: number;
  y: number;
  /** Millimetres per CSS pixel at the view's current zoom. */
  mmPerPixel: number;
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
}

/** Listens on the 2D view elements; `emit` receives the events while `enabled`. */
export class PointerInput {
  enabled = false;
  private dragging: { view: MprView; pointerId: number } | null = null;
  private readonly offs: (() => void)[] = [];

  constructor(
    elements: Record<MprView, HTMLElement>,
    private readonly viewport: (view: MprView) => Types.IVolumeViewport | undefined,
    private readonly emit: (p: ViewPointer) => void,
  ) {
    for (const view of Object.keys(elements) as MprView[]) this.listen(view, elements[view]);
  }

  destroy(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private listen(view: MprView, el: HTMLElement): void {
    const down = (e: PointerEvent) => {
      if (!this.enabled || e.button !== 0 || e.shiftKey || this.dragging) return;
      // Cancelling pointerdown suppresses the mouse events Cornerstone's tools listen to.
      e.preventDefault();
      e.stopPropagation();
      el.setPointerCapture?.(e.pointerId);
      this.dragging = { view, pointerId: e.pointerId };
      this.report('down', view, el, e);
    };
    const move = (e: PointerEvent) => {
      if (!this.enabled) return;
      if (this.dragging) {
        if (this.dragging.view === view && this.dragging.pointerId === e.pointerId) this.report('move', view, el, e);
      } else if (e.buttons === 0) this.report('hover', view, el, e);
    };
    const up = (e: PointerEvent) => {
      if (!this.dragging || this.dragging.view !== view || this.dragging.pointerId !== e.pointerId) return;
      this.dragging = null;
      el.releasePointerCapture?.(e.pointerId);
      this.report('up', view, el, e);
    };
    const leave = (e: PointerEvent) => {
      if (this.enabled && !this.dragging) this.report('leave', view, el, e);
    };
    el.addEventListener('pointerdown', down, { capture: true });
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
    el.addEventListener('pointerleave', leave);
    this.offs.push(() => {
      el.removeEventListener('pointerdown', down, { capture: true });
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
      el.removeEventListener('pointerleave', leave);
    });
  }

  private report(phase: ViewPointer['phase'], view: MprView, el: HTMLElement, e: PointerEvent): void {
    const vp = this.viewport(view);
    if (!vp) return;
    const rect = el.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const world = vp.canvasToWorld([x, y]) as Vec3;
    const next = vp.canvasToWorld([x + 1, y]) as Vec3;
    const cam = vp.getCamera();
    const normal = (cam.viewPlaneNormal ?? [0, 0, 1]) as Vec3;
    const mmPerPixel = Math.hypot(next[0] - world[0], next[1] - world[1], next[2] - world[2]);
    this.emit({
      phase,
      view,
      world: [world[0], world[1], world[2]],
      normal: [normal[0], normal[1], normal[2]],
      x,
      y,
      mmPerPixel,
      shift: e.shiftKey,
      ctrl: e.ctrlKey || e.metaKey,
      alt: e.altKey,
    });
  }
}
