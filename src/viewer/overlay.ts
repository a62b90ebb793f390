/**
 * Label map overlay on the three MPR views, with the Cornerstone3D segmentation API: a labelmap
 * segmentation backed by a local volume made from the label `Volume` (its voxels are viewed, not
 * copied, for uint8/uint16), coloured by a colour table from the segment colours.
 * The data (segmentation, volume, colour table) is kept apart from how the views show it
 * (visibility, fill opacity, hidden segments), which can change without touching the voxels.
 */
import { eventTarget } from '@cornerstonejs/core';
import { segmentation, Enums as ToolEnums } from '@cornerstonejs/tools';
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

interface Shown {
  segmentationId: string;
  volumeId: string;
  lutIndex: number;
  values: number[];
}

export class LabelOverlay {
  private shown: Shown | null = null;
  private count = 0;
  private alpha = 0.5;
  private visible = true;
  private readonly hidden = new Set<number>();

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
   * Show `labels` (already checked to lie on the reference grid) over the reference volume,
   * replacing any previous overlay. Resolves once every view has drawn it, and drawn once more.
   */
  async show(labels: Volume, ref: OverlayReference, segments: readonly SegmentInfo[]): Promise<void> {
    this.clear();
    this.hidden.clear();
    this.visible = true;
    const segmentationId = `${this.prefix}-labels${++this.count}`;
    const volumeId = `${segmentationId}-volume`;
    // The study's header: the label map is on its grid, and Cornerstone wants one frame of
    // reference (and bit-identical geometry) for volumes shown together.
    createCornerstoneVolume(volumeId, { header: ref.volume.header, voxels: labels.voxels }, {
      frameOfReferenceUID: ref.volume.header.metadata.frameOfReferenceUid ?? ref.volumeId,
      modality: 'SEG',
      referencedVolumeId: ref.volumeId,
    });
    const lutIndex = segmentation.state.addColorLUT(colorTable(segments));
    this.shown = { segmentationId, volumeId, lutIndex, values: segments.map((s) => s.value) };
    segmentation.addSegmentations([
      {
        segmentationId,
        representation: { type: LABELMAP, data: { volumeId, referencedVolumeId: ref.volumeId } },
        config: { label: 'Labels', segments: Object.fromEntries(segments.map((s) => [s.value, { label: s.name }])) },
      },
    ]);
    this.applyStyle();
    const drawn = this.waitRendered(segmentationId, 60_000);
    segmentation.addLabelmapRepresentationToViewportMap(
      Object.fromEntries(this.viewportIds.map((id) => [id, [{ segmentationId, config: { colorLUTOrIndex: lutIndex } }]])),
    );
    for (const id of this.viewportIds) segmentation.activeSegmentation.setActiveSegmentation(id, segmentationId);
    await drawn;
    // Render once more after the first frame: late texture uploads land in it.
    if (this.shown?.segmentationId === segmentationId) await this.renderAgain();
  }

  /** Remove the overlay and free its volume and colour table. */
  clear(): void {
    const s = this.shown;
    if (!s) return;
    this.shown = null;
    segmentation.removeSegmentation(s.segmentationId);
    segmentation.segmentationStyle.clearSegmentationStyle(s.segmentationId);
    segmentation.state.removeColorLUT(s.lutIndex);
    removeCornerstoneVolume(s.volumeId);
  }

  /** Fill opacity 0..1 (outlines follow, fully opaque from 0.5 up). */
  setOpacity(alpha: number): Promise<void> {
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`label opacity must be within [0, 1], got ${alpha}`);
    this.alpha = alpha;
    if (!this.shown) return Promise.resolve();
    const drawn = this.waitRendered(this.shown.segmentationId);
    this.applyStyle();
    return drawn;
  }

  /** Show or hide the whole overlay (segments hidden one by one stay hidden). */
  setVisible(visible: boolean): Promise<void> {
    this.visible = visible;
    return this.applyVisibility();
  }

  /** Show or hide one label value. */
  setSegmentVisible(value: number, visible: boolean): Promise<void> {
    if (visible) this.hidden.delete(value);
    else this.hidden.add(value);
    return this.applyVisibility();
  }

  private applyStyle(): void {
    if (!this.shown) return;
    const a = this.alpha;
    const outline = Math.min(1, 2 * a);
    segmentation.config.style.setStyle(
      { type: LABELMAP, segmentationId: this.shown.segmentationId },
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
    const s = this.shown;
    if (!s) return Promise.resolve();
    const drawn = this.waitRendered(s.segmentationId);
    const specifier = { segmentationId: s.segmentationId, type: LABELMAP };
    for (const id of this.viewportIds) {
      for (const value of s.values) segmentation.config.visibility.setSegmentIndexVisibility(id, specifier, value, this.visible && !this.hidden.has(value));
    }
    return drawn;
  }

  /**
   * Resolves when every MPR view has drawn segmentation `id` (Cornerstone's segmentation render
   * loop runs on the next animation frame), or after `timeoutMs`.
   */
  private waitRendered(id: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve) => {
      const pending = new Set(this.viewportIds);
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
