/**
 * `Viewer`: the 2x2 MPR + 3D display of one volume. The only class the app talks to; the
 * Cornerstone3D details stay in this folder.
 */
import {
  RenderingEngine,
  Enums,
  eventTarget,
  setVolumesForViewports,
  utilities as csUtils,
  type Types,
} from '@cornerstonejs/core';
import { Enums as ToolEnums } from '@cornerstonejs/tools';
import { VoxsegError } from '../core/errors';
import { Emitter } from '../core/events';
import type { Vec3, Volume } from '../core/types';
import { gridMismatch } from '../volume/grid';
import { initCornerstone, isSoftwareRenderer } from './init';
import {
  createViewports,
  MPR_VIEWS,
  VIEW_NAMES,
  viewportId,
  type MprView,
  type ViewerElements,
  type ViewName,
} from './layout';
import { createToolGroups, enableCrosshairs, type ToolGroups } from './tools';
import { cornerstoneSlicesModified, createCornerstoneVolume, removeCornerstoneVolume } from './volume';
import type { SegmentInfo } from './labelmap';
import { LabelOverlay } from './overlay';
import { edgeLabels, type EdgeLabels } from './orientation';
import {
  initialWindow,
  presetWindow,
  renderPresetFor,
  windowToRange,
  type PresetName,
  type WindowLevel,
} from './presets';
import { SurfaceLayer, type SurfaceInput } from './surfaces';
import { isCameraPreset, presetCamera, type CameraPresetName } from './camera3d';
import { PointerInput, type ViewPointer } from './pointer';
import { cornerstoneIndex, sliceDisplay, type SliceDisplay } from './slices';
import { MeasureLayer, type MeasureChange, type MeasureKind, type ViewMeasurement } from './measure';

export interface ViewerEvents {
  /** A volume is on screen (rendered twice, so the first frame's late work is in). */
  shown: { volume: Volume };
  /** Screen-edge anatomical labels of a 2D view, after any camera change. */
  orientation: { view: MprView; labels: EdgeLabels };
  /**
   * Slice position of a 2D view: 1-based index and count, in the order of the DICOM instance
   * numbers on the acquired plane (`instance`: the InstanceNumber of the image shown), else
   * Cornerstone's (slices.ts).
   */
  slice: { view: MprView; index: number; total: number; instance?: number };
  /** Window of the 2D views changed (preset or mouse). */
  window: WindowLevel;
  /** Pointer over / dragging in a 2D view while editing is on (`setEditing`). */
  pointer: ViewPointer;
  /** A 2D view drew the label overlay (after any change: ours or a Cornerstone tool's). */
  labelsDrawn: { view: MprView; time: number };
  /** A measurement was drawn, moved or deleted with the mouse (`setMeasureTool`). */
  measure: MeasureChange;
  /** The world point under the mouse in a 2D view (null: the mouse left the view). */
  hover: { view: MprView; world: Vec3 } | null;
}

let instances = 0;

/**
 * Without a GPU (SwiftShader, llvmpipe) a full-quality 3D frame of a 256x256x100 CT takes ~25 s.
 * There, cap the ray at about 200 samples across the volume diagonal (Cornerstone's default
 * step is half the mean voxel spacing).
 */
function softwareSampleMultiplier(volume: Volume): number {
  const { dims, spacing } = volume.header;
  const diagonal = Math.hypot(dims[0] * spacing[0], dims[1] * spacing[1], dims[2] * spacing[2]);
  const defaultStep = (spacing[0] + spacing[1] + spacing[2]) / 6;
  return Math.max(1, diagonal / 200 / defaultStep);
}

export class Viewer {
  readonly events = new Emitter<ViewerEvents>();
  private readonly prefix = `voxseg${++instances}`;
  private readonly engine: RenderingEngine;
  private readonly tools: ToolGroups;
  private readonly cleanup: (() => void)[] = [];
  private readonly overlay: LabelOverlay;
  private readonly surfaces: SurfaceLayer;
  private readonly pointer: PointerInput;
  private readonly measure: MeasureLayer;
  private volume: Volume | undefined;
  private volumeId: string | undefined;
  private volumeCount = 0;
  private destroyed = false;
  /** Serialises `show` and the calls that draw on its result; `latest` is the volume most recently asked for. */
  private queue: Promise<void> = Promise.resolve();
  private latest: Volume | undefined;

  /** Initialise Cornerstone (once per page) and build the four views in `elements`. */
  static async create(elements: ViewerElements): Promise<Viewer> {
    await initCornerstone();
    return new Viewer(elements);
  }

  private constructor(private readonly elements: ViewerElements) {
    this.engine = new RenderingEngine(`${this.prefix}-engine`);
    createViewports(this.engine, this.prefix, elements);
    this.tools = createToolGroups(
      this.prefix,
      this.engine.id,
      MPR_VIEWS.map((v) => this.id(v)),
      this.id('volume3d'),
    );
    for (const view of MPR_VIEWS) this.listen(view);
    const onSegRendered = (e: Event) => {
      const id = (e as CustomEvent<{ viewportId?: string }>).detail?.viewportId;
      const view = MPR_VIEWS.find((v) => this.id(v) === id);
      if (view) this.events.emit('labelsDrawn', { view, time: performance.now() });
    };
    eventTarget.addEventListener(ToolEnums.Events.SEGMENTATION_RENDERED, onSegRendered);
    this.cleanup.push(() => eventTarget.removeEventListener(ToolEnums.Events.SEGMENTATION_RENDERED, onSegRendered));
    this.overlay = new LabelOverlay(
      this.prefix,
      MPR_VIEWS.map((v) => this.id(v)),
      () => this.renderAndWait(MPR_VIEWS),
    );
    this.surfaces = new SurfaceLayer(this.prefix, () => this.viewport3d());
    this.pointer = new PointerInput(
      { axial: elements.axial, sagittal: elements.sagittal, coronal: elements.coronal },
      (view) => (this.volume ? this.mprViewport(view) : undefined),
      (p) => this.events.emit('pointer', p),
    );
    this.cleanup.push(() => this.pointer.destroy());
    const mprElements = { axial: elements.axial, sagittal: elements.sagittal, coronal: elements.coronal };
    this.measure = new MeasureLayer(
      this.tools,
      { axial: this.id('axial'), sagittal: this.id('sagittal'), coronal: this.id('coronal') },
      mprElements,
      (c) => this.events.emit('measure', c),
      (h) => this.events.emit('hover', h),
      () => this.volume,
    );
    this.cleanup.push(() => this.measure.destroy());
    // Layout changes (banners, progress bar) come in bursts: resize once per animation frame.
    let frame = 0;
    const resize = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        if (!this.destroyed) this.engine.resize(true, true);
      });
    });
    for (const view of VIEW_NAMES) resize.observe(elements[view]);
    this.cleanup.push(() => {
      cancelAnimationFrame(frame);
      resize.disconnect();
    });
  }

  /** The volume on screen, if any. */
  get current(): Volume | undefined {
    return this.volume;
  }

  /**
   * Show `volume` in all four views (replacing the previous one) and reset cameras and window.
   * Calls are serialised; a call overtaken by a newer one resolves without showing its volume.
   */
  show(volume: Volume): Promise<void> {
    this.assertAlive();
    this.latest = volume;
    const run = this.queue.then(() => (this.latest === volume && !this.destroyed ? this.display(volume) : undefined));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async display(volume: Volume): Promise<void> {
    // A label map and its surfaces belong to the volume they were shown over.
    this.overlay.clear();
    this.surfaces.clear();
    this.measure.clear();
    const previous = this.volumeId;
    const volumeId = `${this.prefix}-volume${++this.volumeCount}`;
    createCornerstoneVolume(volumeId, volume);
    this.volume = volume;
    this.volumeId = volumeId;
    await setVolumesForViewports(
      this.engine,
      [{ volumeId }],
      VIEW_NAMES.map((v) => this.id(v)),
    );
    if (previous) removeCornerstoneVolume(previous);
    this.surfaces.setVolumeVisible(true);

    // setProperties types `preset` as a name, but setPreset also takes a full preset object.
    this.viewport3d().setProperties({ preset: renderPresetFor(volume) as string });
    if (isSoftwareRenderer())
      this.viewport3d().setProperties({ sampleDistanceMultiplier: softwareSampleMultiplier(volume) });
    this.applyWindow(initialWindow(volume), false);
    enableCrosshairs(this.tools);
    for (const view of VIEW_NAMES) this.engine.getViewport(this.id(view))?.resetCamera();
    await this.renderAndWait(VIEW_NAMES);
    if (this.destroyed) return;
    // Render once more after the first frame: late texture uploads and overlays land in it.
    await this.renderAndWait(VIEW_NAMES);
    for (const view of MPR_VIEWS) this.emitViewState(view);
    this.events.emit('shown', { volume });
  }

  /**
   * Overlay a label map (or several label layers, whose segments may overlap) on the three 2D
   * views, replacing any previous one. Each layer must lie on the grid of the volume on screen
   * (same dims, spacing, origin, direction; it is not resampled); its voxels are used in place
   * (uint8/uint16 are not copied), so edits made to them show after `labelsModified`. `segments`
   * name and colour the label values (`layer` picks the layer, default 0); values without one
   * stay transparent. Queued after a pending `show()`; resolves once the views have drawn it.
   */
  showLabels(labels: Volume | readonly Volume[], segments: readonly SegmentInfo[]): Promise<void> {
    const layers = Array.isArray(labels) ? (labels as readonly Volume[]) : [labels as Volume];
    return this.enqueue(async () => {
      const volume = this.volume;
      if (!volume || !this.volumeId) throw new VoxsegError('usage', 'no volume is shown to overlay the labels on');
      for (const layer of layers) {
        const mismatch = gridMismatch(layer.header, volume.header);
        if (mismatch) throw new VoxsegError('invalid-volume', `the labels do not fit the study: ${mismatch}`);
      }
      await this.overlay.show(layers, { volume, volumeId: this.volumeId }, segments);
    });
  }

  /**
   * The voxels of label layer `layer` were edited in place inside index box [lo, hi): upload the
   * touched slices again. Not queued (edits must show at once); resolves once the views drew it.
   * `onlyView` (during a stroke) redraws just that view; call again without it at the end.
   */
  labelsModified(layer: number, lo: Readonly<Vec3>, hi: Readonly<Vec3>, onlyView?: MprView): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    const slices: number[] = [];
    for (let k = Math.max(0, lo[2]); k < hi[2]; k++) slices.push(k);
    return slices.length ? this.overlay.modified(layer, slices, onlyView && this.id(onlyView)) : Promise.resolve();
  }

  /**
   * The voxels of `volume` (on screen) were written in place in slices `slices` along k, e.g. as
   * a series arrives: upload those slices again and redraw the four views, the way a label map is
   * redrawn after an edit. Queued after a pending `show()`; nothing when another volume is shown.
   */
  imageModified(volume: Volume, slices: readonly number[]): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return this.enqueue(async () => {
      if (this.volume !== volume || !this.volumeId || slices.length === 0) return;
      cornerstoneSlicesModified(this.volumeId, slices);
      await this.renderAndWait(VIEW_NAMES);
    }).then(() => undefined);
  }

  /** New names / colours for the overlay's segments (same layers and voxels). */
  recolorLabels(segments: readonly SegmentInfo[]): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return this.overlay.recolor(segments);
  }

  /**
   * Editing mode: a plain left drag in a 2D view goes to `events.pointer` instead of
   * window/level (Shift+drag, wheel, middle and right buttons keep navigating).
   */
  /** The measurement tool on the left button of the 2D views, or null for window/level. */
  setMeasureTool(kind: MeasureKind | null): void {
    if (!this.destroyed) this.measure.setTool(kind);
  }

  /** Draw these measurements (replacing the drawn ones). Queued after a pending `show()`. */
  showMeasurements(list: readonly ViewMeasurement[]): Promise<void> {
    return this.enqueue(() => {
      if (this.volume) this.measure.show(list);
    }).then(() => undefined);
  }

  /** Remove one measurement from the views. */
  removeMeasurement(uid: string): void {
    if (!this.destroyed) this.measure.remove(uid);
  }

  /** CSS-pixel position of an LPS point in a 2D view's element. */
  pointOnView(view: MprView, world: Readonly<Vec3>): { x: number; y: number } {
    return this.measure.toCanvas(view, world);
  }

  setEditing(on: boolean): void {
    this.pointer.enabled = on;
    for (const view of MPR_VIEWS) this.elements[view].style.cursor = on ? 'none' : '';
  }

  /** Remove the label overlay, if any. */
  clearLabels(): void {
    if (this.destroyed || !this.overlay.active) return;
    this.overlay.clear();
    this.engine.renderViewports(MPR_VIEWS.map((v) => this.id(v)));
  }

  /** Fill opacity of the label overlay, 0..1 (default 0.5). Resolves once redrawn. */
  setLabelOpacity(alpha: number): Promise<void> {
    return this.overlay.setOpacity(alpha);
  }

  /** Show or hide the whole label overlay. Resolves once redrawn. */
  setLabelsVisible(visible: boolean): Promise<void> {
    return this.overlay.setVisible(visible);
  }

  /** Show or hide one label value of the overlay (of one layer, or all). Resolves once redrawn. */
  setSegmentVisible(value: number, visible: boolean, layer?: number): Promise<void> {
    return this.overlay.setSegmentVisible(value, visible, layer);
  }

  /**
   * Show label surfaces (world-space triangle meshes) in the 3D view, replacing any previous ones,
   * and hide the volume rendering so they are not buried in it (`setVolumeRenderingVisible(true)`
   * brings it back). Per-label visibility and opacity start afresh. Needs a volume on screen (the
   * surfaces belong to it; showing another volume drops them). Queued after a pending `show()`;
   * resolves once the 3D view has drawn them.
   */
  showSurfaces(surfaces: readonly SurfaceInput[]): Promise<void> {
    return this.enqueue(() => {
      this.requireVolume();
      this.surfaces.setAll(surfaces);
      if (this.surfaces.size > 0) this.surfaces.setVolumeVisible(false);
      return this.redraw3d();
    });
  }

  /**
   * Replace the surfaces of the labels in `surfaces` only (others stay); one with no triangles
   * removes its label. Visibility and opacity of a replaced label carry over.
   */
  updateSurfaces(surfaces: readonly SurfaceInput[]): Promise<void> {
    return this.enqueue(() => {
      this.requireVolume();
      this.surfaces.update(surfaces);
      return this.redraw3d();
    });
  }

  /** Remove every surface and show the volume rendering again. */
  clearSurfaces(): Promise<void> {
    return this.enqueue(() => {
      this.surfaces.clear();
      this.surfaces.setVolumeVisible(true);
      return this.redraw3d();
    });
  }

  /** Show or hide the surface of one label value. */
  setSurfaceVisible(value: number, visible: boolean): Promise<void> {
    return this.enqueue(() => (this.surfaces.setVisible(value, visible) ? this.redraw3d() : undefined));
  }

  /** Opacity 0..1 of the surface of one label value (default 1). */
  setSurfaceOpacity(value: number, alpha: number): Promise<void> {
    return this.enqueue(() => (this.surfaces.setOpacity(value, alpha) ? this.redraw3d() : undefined));
  }

  /** Show or hide the volume rendering in the 3D view (the study's actor stays, only hidden). */
  setVolumeRenderingVisible(visible: boolean): Promise<void> {
    return this.enqueue(() => {
      this.surfaces.setVolumeVisible(visible);
      return this.redraw3d();
    });
  }

  /**
   * Look at the 3D scene from one side of the patient (see `camera3d.ts` for the convention),
   * fitted to the visible surfaces, or to the volume when none is visible.
   */
  setCameraPreset(name: CameraPresetName): Promise<void> {
    return this.enqueue(() => {
      if (!isCameraPreset(name)) throw new Error(`unknown camera preset ${JSON.stringify(name)}`);
      const bounds = this.surfaces.visibleBounds() ?? this.surfaces.volumeBounds();
      if (!bounds) return;
      const vp = this.viewport3d();
      const { width, height } = vp.getCanvas();
      const { position, focalPoint, viewUp, parallelScale } = presetCamera(
        name,
        bounds,
        height > 0 ? width / height : 1,
      );
      vp.setCamera({ position, focalPoint, viewUp, parallelScale });
      return this.redraw3d();
    });
  }

  /** PNG of the 3D view as displayed (rendered afresh first). */
  async screenshot3d(): Promise<Blob> {
    const blob = await this.enqueue(async () => {
      await this.redraw3d();
      // The element's own 2D canvas: Cornerstone copies each rendered frame into it.
      const canvas = this.viewport3d().getCanvas();
      return new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    });
    if (!blob) throw new Error(this.destroyed ? 'Viewer was destroyed' : 'the 3D view could not be captured');
    return blob;
  }

  /** Apply a display preset to the 2D views ('auto' = percentiles of the data). */
  setPreset(name: PresetName): void {
    if (!this.volume) return;
    this.applyWindow(presetWindow(name, this.volume));
  }

  /** Apply a window given by the source (e.g. one of the DICOM file's window presets). */
  setWindow(w: WindowLevel): void {
    if (!this.volume || !(w.width > 0) || !Number.isFinite(w.center)) return;
    this.applyWindow(w);
  }

  /**
   * Move a 2D view `delta` slices in its shown order (positive: next, the counter goes up),
   * stopping at the ends, or with `wrap` going round from the last slice to the first (cine).
   */
  scrollSlices(view: MprView, delta: number, wrap = false): void {
    const s = this.sliceState(view);
    if (!s || !Number.isFinite(delta) || delta === 0) return;
    let target = s.index + Math.round(delta);
    if (wrap) target = ((((target - 1) % s.total) + s.total) % s.total) + 1;
    this.setSliceIndex(view, target);
  }

  /** Show slice `index` (1-based, in the view's shown order, clamped to 1..total) of a 2D view. */
  setSliceIndex(view: MprView, index: number): void {
    const s = this.sliceState(view);
    if (!s || this.destroyed) return;
    const vp = this.mprViewport(view);
    const delta = cornerstoneIndex(index, s.total, s.flipped) - vp.getSliceIndex();
    // Cornerstone's own scroll: snaps the focal point to the slice, renders, fires its events.
    if (delta !== 0)
      csUtils.scroll(vp as unknown as Parameters<typeof csUtils.scroll>[0], { delta, volumeId: this.volumeId });
  }

  /** A 2D view's counter and camera (LPS): where it is, for the app and the tests. */
  sliceAt(view: MprView): (SliceDisplay & { focalPoint: Vec3; normal: Vec3 }) | undefined {
    const s = this.sliceState(view);
    if (!s) return undefined;
    const cam = this.mprViewport(view).getCamera();
    return { ...s, focalPoint: [...cam.focalPoint!] as Vec3, normal: [...cam.viewPlaneNormal!] as Vec3 };
  }

  /** Reset pan/zoom/slice of every view and re-centre the 3D view. */
  resetCamera(): void {
    for (const view of VIEW_NAMES) this.engine.getViewport(this.id(view))?.resetCamera();
    this.engine.render();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.overlay.clear();
    this.surfaces.forget();
    for (const fn of this.cleanup.splice(0)) fn();
    this.tools.destroy();
    this.engine.destroy();
    if (this.volumeId) removeCornerstoneVolume(this.volumeId);
    this.volume = undefined;
  }

  /**
   * Run `task` after everything queued before it; a task whose turn comes after `destroy()` is
   * skipped (resolves undefined).
   */
  private enqueue<T>(task: () => Promise<T> | T): Promise<T | undefined> {
    this.assertAlive();
    const run = this.queue.then(() => (this.destroyed ? undefined : task()));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Render the 3D view (when a volume is shown) and resolve once it has drawn. */
  private redraw3d(): Promise<void> | undefined {
    return this.volume ? this.renderAndWait(['volume3d']) : undefined;
  }

  private requireVolume(): void {
    if (!this.volume) throw new VoxsegError('usage', 'no volume is shown to put the surfaces in');
  }

  private applyWindow(w: WindowLevel, render = true): void {
    for (const view of MPR_VIEWS) this.mprViewport(view).setProperties({ voiRange: windowToRange(w) });
    if (render) this.engine.renderViewports(MPR_VIEWS.map((v) => this.id(v)));
    this.events.emit('window', w);
  }

  /**
   * Render `views` and resolve once each has drawn (Cornerstone renders on the next animation
   * frame and fires IMAGE_RENDERED per viewport), or after `timeoutMs`.
   */
  private renderAndWait(views: readonly ViewName[], timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve) => {
      const pending = new Set(views);
      const offs: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      for (const view of views) {
        const el = this.elements[view];
        const fn = () => {
          pending.delete(view);
          if (pending.size === 0) done();
        };
        el.addEventListener(Enums.Events.IMAGE_RENDERED, fn);
        offs.push(() => el.removeEventListener(Enums.Events.IMAGE_RENDERED, fn));
      }
      this.engine.renderViewports(views.map((v) => this.id(v)));
    });
  }

  private listen(view: MprView): void {
    const el = this.elements[view];
    const onCamera = () => this.emitViewState(view);
    const onVoi = (e: Event) => {
      const range = (e as CustomEvent<{ range?: { lower: number; upper: number } }>).detail?.range;
      if (view === 'axial' && range)
        this.events.emit('window', { width: range.upper - range.lower, center: (range.upper + range.lower) / 2 });
    };
    el.addEventListener(Enums.Events.CAMERA_MODIFIED, onCamera);
    el.addEventListener(Enums.Events.VOI_MODIFIED, onVoi);
    this.cleanup.push(() => {
      el.removeEventListener(Enums.Events.CAMERA_MODIFIED, onCamera);
      el.removeEventListener(Enums.Events.VOI_MODIFIED, onVoi);
    });
  }

  private emitViewState(view: MprView): void {
    if (!this.volume) return;
    const vp = this.mprViewport(view);
    const cam = vp.getCamera();
    if (cam.viewUp && cam.viewPlaneNormal) {
      this.events.emit('orientation', { view, labels: edgeLabels(cam.viewUp as Vec3, cam.viewPlaneNormal as Vec3) });
    }
    const s = this.sliceState(view);
    if (s) this.events.emit('slice', { view, index: s.index, total: s.total, instance: s.instance });
  }

  private sliceState(view: MprView): SliceDisplay | undefined {
    if (!this.volume || this.destroyed) return undefined;
    const vp = this.mprViewport(view);
    const total = vp.getNumberOfSlices();
    const cam = vp.getCamera();
    if (!(total > 0) || !cam.viewPlaneNormal || !cam.focalPoint) return undefined;
    const h = this.volume.header;
    return sliceDisplay(
      h,
      h.metadata.instanceNumbers,
      vp.getSliceIndex(),
      total,
      cam.viewPlaneNormal as Vec3,
      cam.focalPoint as Vec3,
    );
  }

  private id(view: ViewName): string {
    return viewportId(this.prefix, view);
  }

  private mprViewport(view: MprView): Types.IVolumeViewport {
    return this.engine.getViewport(this.id(view)) as Types.IVolumeViewport;
  }

  private viewport3d(): Types.IVolumeViewport {
    return this.engine.getViewport(this.id('volume3d')) as Types.IVolumeViewport;
  }

  private assertAlive(): void {
    if (this.destroyed) throw new Error('Viewer was destroyed');
  }
}
