/**
 * The app's handle on the `Viewer`: what the overlays show (edge labels, slice numbers,
 * window) and the preset / reset commands of the toolbar. The stores use the viewer only through
 * `AppViewer` (the methods they call), so their unit tests run against a fake one.
 */
import type { Volume } from '../core/types';
import type { Viewer, EdgeLabels, MprView, PresetName, ViewerElements, WindowLevel } from '../viewer';

/** The part of the `Viewer` the app's stores use. */
export type AppViewer = Pick<
  Viewer,
  | 'events'
  | 'current'
  | 'show'
  | 'showLabels'
  | 'labelsModified'
  | 'imageModified'
  | 'recolorLabels'
  | 'setEditing'
  | 'setMeasureTool'
  | 'showMeasurements'
  | 'removeMeasurement'
  | 'pointOnView'
  | 'clearLabels'
  | 'setLabelOpacity'
  | 'setLabelsVisible'
  | 'setSegmentVisible'
  | 'showSurfaces'
  | 'updateSurfaces'
  | 'clearSurfaces'
  | 'setSurfaceVisible'
  | 'setSurfaceOpacity'
  | 'setVolumeRenderingVisible'
  | 'setCameraPreset'
  | 'screenshot3d'
  | 'setPreset'
  | 'setWindow'
  | 'resetCamera'
  | 'scrollSlices'
  | 'setSliceIndex'
  | 'sliceAt'
  | 'destroy'
>;

export class ViewState {
  viewer = $state.raw<AppViewer | null>(null);
  labels = $state.raw<Partial<Record<MprView, EdgeLabels>>>({});
  slices = $state.raw<Partial<Record<MprView, { index: number; total: number; instance?: number }>>>({});
  window = $state.raw<WindowLevel | null>(null);
  preset = $state<PresetName | null>(null);
  /** Number of volumes shown so far (tests wait on it). */
  shownCount = $state(0);
  private shownVolume: Volume | null = null;
  private detached = false;

  /** Create the Cornerstone viewer in the four elements (its code is loaded on demand). */
  async attach(elements: ViewerElements): Promise<Viewer> {
    const { Viewer } = await import('../viewer');
    const viewer = await Viewer.create(elements);
    if (this.detached) {
      viewer.destroy();
      return viewer;
    }
    viewer.events.on('orientation', ({ view, labels }) => (this.labels = { ...this.labels, [view]: labels }));
    viewer.events.on(
      'slice',
      ({ view, index, total, instance }) => (this.slices = { ...this.slices, [view]: { index, total, instance } }),
    );
    viewer.events.on('window', (w) => (this.window = w));
    viewer.events.on('shown', () => this.shownCount++);
    this.viewer = viewer;
    return viewer;
  }

  /** Show `volume` unless it is already on screen. */
  async show(volume: Volume): Promise<void> {
    if (!this.viewer || volume === this.shownVolume) return;
    this.shownVolume = volume;
    this.preset = null;
    await this.viewer.show(volume);
  }

  /** Slices `slices` of `volume` (on screen) were written in place: redraw them. */
  refreshImage(volume: Volume, slices: readonly number[]): Promise<void> {
    if (!this.viewer || volume !== this.shownVolume) return Promise.resolve();
    return this.viewer.imageModified(volume, slices);
  }

  setPreset(name: PresetName): void {
    this.preset = name;
    this.viewer?.setPreset(name);
  }

  /** A window preset from the file (DICOM WindowCenter/Width with its explanation). */
  setFileWindow(w: WindowLevel): void {
    this.preset = null;
    this.viewer?.setWindow(w);
  }

  resetCamera(): void {
    this.viewer?.resetCamera();
  }

  detach(): void {
    this.detached = true;
    this.viewer?.destroy();
    this.viewer = null;
    this.shownVolume = null;
  }
}
