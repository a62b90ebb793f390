/**
 * The label map shown over the study (a model's result or the demo's true labels) and how it is
 * shown: visible, opacity, hidden segments. Components read the fields and call the methods.
 */
import { errorMessage } from '../../core/errors';
import type { Volume } from '../../core/types';
import type { SegmentInfo } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';
import { voxelsToMl } from './stats';

/** One row of the legend: a segment with its size in the label map. */
export interface LegendRow extends SegmentInfo {
  voxels: number;
  ml: number;
}

/** 'rendering' while the views redraw; the e2e tests wait on 'shown' / 'hidden'. */
export type OverlayStatus = 'none' | 'rendering' | 'shown' | 'hidden';

export interface OverlayContent {
  /** The study the labels lie on. */
  study: Volume;
  labels: Volume;
  segments: readonly SegmentInfo[];
  /** Voxels per label value (as the engine counted them). */
  voxelsPerLabel: Readonly<Record<number, number>>;
  /** e.g. "CT tissue bands 1.0.0" or "True labels (demo phantom)". */
  title: string;
  /** One line under the title, e.g. "12 s on WASM, 8 threads". */
  note: string;
}

export class Overlay {
  /** The label map on screen, if any (on the study's grid; never copied). */
  labels = $state.raw<Volume | null>(null);
  /** The study it was shown over. */
  study = $state.raw<Volume | null>(null);
  title = $state('');
  note = $state('');
  rows = $state.raw<LegendRow[]>([]);
  visible = $state(true);
  opacity = $state(0.5);
  hidden = $state.raw<ReadonlySet<number>>(new Set());
  status = $state<OverlayStatus>('none');
  /** Changes with every show / clear, so a late answer for an older overlay is ignored. */
  private generation = 0;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
  ) {}

  /** Show `c.labels` over the study; errors go to the banner. Resolves true once on screen. */
  async show(c: OverlayContent): Promise<boolean> {
    const viewer = this.view.viewer;
    if (!viewer) return false;
    const gen = ++this.generation;
    this.labels = c.labels;
    this.study = c.study;
    this.title = c.title;
    this.note = c.note;
    this.rows = c.segments.map((s) => {
      const voxels = c.voxelsPerLabel[s.value] ?? 0;
      return { ...s, voxels, ml: voxelsToMl(voxels, c.study.header.spacing) };
    });
    this.visible = true;
    this.hidden = new Set();
    this.status = 'rendering';
    try {
      void viewer.setLabelOpacity(this.opacity);
      await viewer.showLabels(c.labels, c.segments);
      if (gen !== this.generation) return false;
      this.status = 'shown';
      return true;
    } catch (err) {
      if (gen !== this.generation) return false;
      this.reset();
      this.notices.push({ level: 'error', title: `Could not show ${c.title}`, message: errorMessage(err) });
      return false;
    }
  }

  /** Remove the overlay. */
  clear(): void {
    if (!this.labels && this.status === 'none') return;
    this.view.viewer?.clearLabels();
    this.reset();
  }

  /** The study on screen changed: an overlay of another study goes (the viewer has dropped it). */
  studyChanged(volume: Volume | null): void {
    if (this.study && volume !== this.study) this.clear();
  }

  async setVisible(visible: boolean): Promise<void> {
    const viewer = this.view.viewer;
    if (!viewer || !this.labels) return;
    const gen = this.generation;
    this.visible = visible;
    this.status = 'rendering';
    await viewer.setLabelsVisible(visible);
    if (gen === this.generation && this.visible === visible) this.status = visible ? 'shown' : 'hidden';
  }

  setOpacity(alpha: number): void {
    this.opacity = Math.min(1, Math.max(0, alpha));
    void this.view.viewer?.setLabelOpacity(this.opacity);
  }

  setSegmentVisible(value: number, visible: boolean): void {
    const hidden = new Set(this.hidden);
    if (visible) hidden.delete(value);
    else hidden.add(value);
    this.hidden = hidden;
    void this.view.viewer?.setSegmentVisible(value, visible);
  }

  private reset(): void {
    this.generation++;
    this.labels = null;
    this.study = null;
    this.title = '';
    this.note = '';
    this.rows = [];
    this.hidden = new Set();
    this.visible = true;
    this.status = 'none';
  }
}
