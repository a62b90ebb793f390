/**
 * Test builds only (Vite mode `e2e`): `window.__voxsegMeasure` reads the Measure store (the
 * measurements with their values, the probe under the mouse) and maps an LPS point to CSS pixels
 * of a 2D view's element, so a test can draw with the mouse between known points. It changes
 * nothing. In any other build `installMeasureHook` is a constant no-op and the bundler drops it.
 */
import type { Vec3 } from '../../core/types';
import type { MprView } from '../../viewer';
import type { AppViewer } from '../view-state.svelte';
import type { Hover, Measure } from './measure.svelte';
import type { Measurement } from './measurements';

export interface MeasureTestHook {
  list(): Measurement[];
  hover(): Hover | null;
  tool(): string | null;
  /** CSS pixels in the view's `.viewport` element. */
  toView(view: MprView, world: Vec3): { x: number; y: number } | null;
}

declare global {
  interface Window {
    __voxsegMeasure?: MeasureTestHook;
  }
}

function install(measure: Measure, viewer: () => AppViewer | null): () => void {
  const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  const hook: MeasureTestHook = {
    list: () => plain(measure.list),
    hover: () => plain(measure.hover),
    tool: () => measure.tool,
    toView: (view, world) => viewer()?.pointOnView(view, world) ?? null,
  };
  window.__voxsegMeasure = hook;
  return () => {
    if (window.__voxsegMeasure === hook) delete window.__voxsegMeasure;
  };
}

export function installMeasureHook(measure: Measure, viewer: () => AppViewer | null): () => void {
  return import.meta.env.MODE === 'e2e' ? install(measure, viewer) : () => undefined;
}
