/**
 * Label map overlay on the three MPR views, with the Cornerstone3D segmentation API: a labelmap
 * segmentation backed by a local volume made from the label `Volume` (its voxels are viewed, not
 * copied, for uint8/uint16), coloured by a colour table from the segment colours.
 * The data (segmentation, volume, colour table) is kept apart from how the views show it
 * (visibility, fill opacity, hidden segments), which can change without touching the voxels.
 */
import { cache, eventTarget, type Types } from '@cornerstonejs/core';
import { segmentation, utilities as toolUtilities, Enums as ToolEnums } from '@cornerstonejs/tools';
import type { Volume } from '../core/types';
import { colorTable, type SegmentInfo } from './labelmap';
import { createCornerstoneVolume, removeCornerstoneVolume } from './volume';

const LABELMAP = ToolEnums.SegmentationRepresentations.Labelmap;
const RENDERED = ToolEnums.Events.SEGMENTATION_RENDERED;

/** The study volume the labels lie on, as shown in the views. */
export interface OverlayReference {
  volume: Volume;
  volumeId: string;
}

/** One label layer on screen: a Cornerstone segmentation of its own. */
interface ShownLayer {
  segmentationId: string;
  volumeId: string;
  lutIndex: number;
  values: number[];
}

export class LabelOverlay {
  private shown: ShownLayer[] | null = null;
  private count = 0;
  private alpha = 0.5;
  private visible = true;
  /** Hidden segments as "value" (any layer) or "layer:value". */
  private readonly hidden = new Set<string>();

  /**
   * @param prefix id prefix of the viewer (ids never contain ':')
   * @param viewportIds the MPR viewports that show the overlay
   * @param renderAgain renders those views once more and resolves when they have drawn
   */
  constructor(
    private readonly prefix: string,
    private readonly viewportIds: readonly string[],
    private readonly renderAgain: () => Promise<void>,
  ) {}

  get active(): boolean {
    return this.shown !== null;
  }

  /**
   * Show label `layers` (already checked to lie on the reference grid) over the reference volume,
   * replacing any previous overlay. A segment belongs to layer `segment.layer ?? 0`; layers let
   * segments overlap. Resolves once every view has drawn it, and drawn once more.
   */
  async show(layers: readonly Volume[], ref: OverlayReference, segments: readonly SegmentInfo[]): Promise<void> {
    this.clear();
    this.hidden.clear();
    this.visible = true;
    const shown: ShownLayer[] = [];
    this.shown = shown;
    const n = ++this.count;
    const drawn: Promise<void>[] = [];
    layers.forEach((labels, layer) => {
      const segmentationId = `${this.prefix}-labels${n}-layer${layer}`;
      const volumeId = `${segmentationId}-volume`;
      const mine = segments.filter((s) => (s.layer ?? 0) === layer);
      // The study's header: the label map is on its grid, and Cornerstone wants one frame of
      // reference (and bit-identical geometry) for volumes shown together.
      createCornerstoneVolume(
        volumeId,
        { header: ref.volume.header, voxels: labels.voxels },
        {
          frameOfReferenceUID: ref.volume.header.metadata.frameOfReferenceUid ?? ref.volumeId,
          modality: 'SEG',
          referencedVolumeId: ref.volumeId,
        },
      );
      const lutIndex = segmentation.state.addColorLUT(colorTable(mine));
      shown.push({ segmentationId, volumeId, lutIndex, values: mine.map((s) => s.value) });
      segmentation.addSegmentations([
        {
          segmentationId,
          representation: { type: LABELMAP, data: { volumeId, referencedVolumeId: ref.volumeId } },
          config: {
            label: `Labels ${layer + 1}`,
            segments: Object.fromEntries(mine.map((s) => [s.value, { label: s.name }])),
          },
        },
      ]);
      drawn.push(this.waitRendered(segmentationId, 60_000));
      segmentation.addLabelmapRepresentationToViewportMap(
        Object.fromEntries(
          this.viewportIds.map((id) => [id, [{ segmentationId, config: { colorLUTOrIndex: lutIndex } }]]),
        ),
      );
    });
    this.applyStyle();
    if (shown.length > 0)
      for (const id of this.viewportIds)
        segmentation.activeSegmentation.setActiveSegmentation(id, shown[0].segmentationId);
    await Promise.all(drawn);
    // Render once more after the first frame: late texture uploads land in it.
    if (this.shown === shown) await this.renderAgain();
  }

  /**
   * The voxels of `layer` changed in k-slices `slices` (edited in place): upload those slices
   * again. Resolves once every view has drawn the change.
   */
  modified(layer: number, slices: readonly number[], onlyViewportId?: string): Promise<void> {
    const s = this.shown?.[layer];
    if (!s) return Promise.resolve();
    if (onlyViewportId) {
      // Mid-stroke: upload the slices and redraw only the view being drawn in (the texture is
      // shared, so the other views show the change on their next draw, at the stroke's end).
      const volume = cache.getVolume(s.volumeId) as
        (Types.IImageVolume & { vtkOpenGLTexture?: { setUpdatedFrame?(i: number): void } }) | undefined;
      if (volume?.vtkOpenGLTexture?.setUpdatedFrame) {
        const drawn = this.waitRendered(s.segmentationId, 10_000, [onlyViewportId]);
        for (const k of slices) volume.vtkOpenGLTexture.setUpdatedFrame(k);
        (volume as { voxelManager?: { invalidateCache?(): void } }).voxelManager?.invalidateCache?.();
        volume.imageData?.modified();
        toolUtilities.segmentation.triggerSegmentationRender(onlyViewportId);
        return drawn;
      }
    }
    const drawn = this.waitRendered(s.segmentationId);
    segmentation.triggerSegmentationEvents.triggerSegmentationDataModified(s.segmentationId, [...slices]);
    return drawn;
  }

  /** Recolour (new colour table) without touching the voxels. */
  recolor(segments: readonly SegmentInfo[]): Promise<void> {
    const shown = this.shown;
    if (!shown) return Promise.resolve();
    const drawn: Promise<void>[] = [];
    shown.forEach((s, layer) => {
      const mine = segments.filter((x) => (x.layer ?? 0) === layer);
      const old = s.lutIndex;
      s.lutIndex = segmentation.state.addColorLUT(colorTable(mine));
      s.values = mine.map((x) => x.value);
      drawn.push(this.waitRendered(s.segmentationId));
      for (const id of this.viewportIds) segmentation.config.color.setColorLUT(id, s.segmentationId, s.lutIndex);
      segmentation.state.removeColorLUT(old);
    });
    void this.applyVisibility();
    return Promise.all(drawn).then(() => undefined);
  }

  /** Remove the overlay and free its volume and colour table. */
  clear(): void {
    const shown = this.shown;
    if (!shown) return;
    this.shown = null;
    for (const s of shown) {
      segmentation.removeSegmentation(s.segmentationId);
      segmentation.segmentationStyle.clearSegmentationStyle(s.segmentationId);
      segmentation.state.removeColorLUT(s.lutIndex);
      removeCornerstoneVolume(s.volumeId);
    }
  }

  /** Fill opacity 0..1 (outlines follow, fully opaque from 0.5 up). */
  setOpacity(alpha: number): Promise<void> {
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`label opacity must be within [0, 1], got ${alpha}`);
    this.alpha = alpha;
    if (!this.shown) return Promise.resolve();
    const drawn = Promise.all(this.shown.map((s) => this.waitRendered(s.segmentationId)));
    this.applyStyle();
    return drawn.then(() => undefined);
  }

  /** Show or hide the whole overlay (segments hidden one by one stay hidden). */
  setVisible(visible: boolean): Promise<void> {
    this.visible = visible;
    return this.applyVisibility();
  }

  /** Show or hide one label value (of `layer`, or of every layer when omitted). */
  setSegmentVisible(value: number, visible: boolean, layer?: number): Promise<void> {
    const key = layer === undefined ? String(value) : `${layer}:${value}`;
    if (visible) this.hidden.delete(key);
    else this.hidden.add(key);
    return this.applyVisibility();
  }

  private applyStyle(): void {
    for (const s of this.shown ?? []) this.styleLayer(s.segmentationId);
  }

  private styleLayer(segmentationId: string): void {
    const a = this.alpha;
    const outline = Math.min(1, 2 * a);
    segmentation.config.style.setStyle(
      { type: LABELMAP, segmentationId },
      {
        renderFill: true,
        renderFillInactive: true,
        fillAlpha: a,
        fillAlphaInactive: a,
        renderOutline: true,
        renderOutlineInactive: true,
        outlineWidth: 1,
        outlineWidthInactive: 1,
        outlineOpacity: outline,
        outlineOpacityInactive: outline,
      },
    );
  }

  private applyVisibility(): Promise<void> {
    const shown = this.shown;
    if (!shown) return Promise.resolve();
    const drawn: Promise<void>[] = [];
    shown.forEach((s, layer) => {
      drawn.push(this.waitRendered(s.segmentationId));
      const specifier = { segmentationId: s.segmentationId, type: LABELMAP };
      for (const id of this.viewportIds) {
        for (const value of s.values) {
          const show = this.visible && !this.hidden.has(`${layer}:${value}`) && !this.hidden.has(String(value));
          segmentation.config.visibility.setSegmentIndexVisibility(id, specifier, value, show);
        }
      }
    });
    return Promise.all(drawn).then(() => undefined);
  }

  /**
   * Resolves when every MPR view has drawn segmentation `id` (Cornerstone's segmentation render
   * loop runs on the next animation frame), or after `timeoutMs`.
   */
  private waitRendered(
    id: string,
    timeoutMs = 10_000,
    viewportIds: readonly string[] = this.viewportIds,
  ): Promise<void> {
    return new Promise((resolve) => {
      const pending = new Set(viewportIds);
      const done = () => {
        clearTimeout(timer);
        eventTarget.removeEventListener(RENDERED, onRendered);
        resolve();
      };
      const onRendered = (e: Event) => {
        const d = (e as CustomEvent<{ viewportId: string; segmentationId: string }>).detail;
        if (d?.segmentationId !== id) return;
        pending.delete(d.viewportId);
        if (pending.size === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      eventTarget.addEventListener(RENDERED, onRendered);
    });
  }
}
