/**
 * The 2x2 layout: three orthographic MPR views and one 3D volume-rendering view.
 */
import { Enums, type RenderingEngine } from '@cornerstonejs/core';

export type MprView = 'axial' | 'sagittal' | 'coronal';
export type ViewName = MprView | 'volume3d';

export const MPR_VIEWS: readonly MprView[] = ['axial', 'sagittal', 'coronal'];
export const VIEW_NAMES: readonly ViewName[] = [...MPR_VIEWS, 'volume3d'];

export type ViewerElements = Record<ViewName, HTMLDivElement>;

const BACKGROUND: [number, number, number] = [0, 0, 0];

const ORIENTATION: Record<MprView, Enums.OrientationAxis> = {
  axial: Enums.OrientationAxis.AXIAL,
  sagittal: Enums.OrientationAxis.SAGITTAL,
  coronal: Enums.OrientationAxis.CORONAL,
};

/** Viewport id of a view: `${prefix}-${view}` (no ':'; the suffix names the view). */
export function viewportId(prefix: string, view: ViewName): string {
  return `${prefix}-${view}`;
}

export function createViewports(engine: RenderingEngine, prefix: string, elements: ViewerElements): void {
  engine.setViewports([
    ...MPR_VIEWS.map((view) => ({
      viewportId: viewportId(prefix, view),
      type: Enums.ViewportType.ORTHOGRAPHIC,
      element: elements[view],
      defaultOptions: { orientation: ORIENTATION[view], background: BACKGROUND },
    })),
    {
      viewportId: viewportId(prefix, 'volume3d'),
      type: Enums.ViewportType.VOLUME_3D,
      element: elements.volume3d,
      // Seen from the front, head up: the familiar anterior view.
      defaultOptions: {
        orientation: Enums.OrientationAxis.CORONAL,
        background: [0.08, 0.09, 0.11] as [number, number, number],
      },
    },
  ]);
  // Cornerstone takes the views out of the tab order (tabIndex -1); they are keyboard targets.
  for (const view of VIEW_NAMES) elements[view].tabIndex = 0;
}
