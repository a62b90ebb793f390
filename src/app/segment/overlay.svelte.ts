/**
 * The label map shown over the study (a model's result or the demo's true labels) and how it is
 * shown: visible, opacity, hidden segments. Components read the fields and call the methods.
 */
import { errorMessage } from '../../core/errors';
import type { IndexBox, Volume } from '../../core/types';
import type { AlgorithmType } from '../../volume/segments';
import type { MprView, SegmentInfo } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';

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
  /** How the labels were made (default AUTOMATIC: a model's result, to be reviewed). */
  algorithm?: AlgorithmType;
}

export class Overlay {
  /** The first label layer on screen, if any (on the study's grid; never copied). */
  labels = $state.raw<Volume | null>(null);
  /** Every label layer on screen (segments in different layers may overlap). */
  layers = $state.raw<readonly Volume[]>([]);
  /** The study it was shown over. */
  study = $state.raw<Volume | null>(null);
  title = $state('');
  note = $state('');
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

  /**
   * Show label layers over the study on screen (replacing what was there); errors go to the
   * banner. The layers are shown in place: edits to their voxels show after `modified`.
   * Resolves true once on screen.
   */
  async display(layers: readonly Volume[], segments: readonly SegmentInfo[], title: string, note: string): Promise<boolean> {
    const viewer = this.view.viewer;
    if (!viewer || layers.length === 0) return false;
    const gen = ++this.generation;
    this.labels = layers[0];
    this.layers = layers;
    this.study = viewer.current ?? null;
    this.title = title;
    this.note = note;
    this.visible = true;
    this.hidden = new Set();
    this.status = 'rendering';
    try {
      void viewer.setLabelOpacity(this.opacity);
      await viewer.showLabels(layers, segments.map(({ value, name, color, layer }) => ({ value, name, color, layer })));
      if (gen !== this.generation) return false;
      this.status = 'shown';
      return true;
    } catch (err) {
      if (gen !== this.generation) return false;
      this.reset();
      this.notices.push({ level: 'error', title: `Could not show ${title}`, message: errorMessage(err) });
      return false;
    }
  }

  /** Voxels of `layer` changed inside `box`: redraw those slices. */
  modified(layer: number, box: IndexBox, onlyView?: MprView): Promise<void> {
    return this.view.viewer?.labelsModified(layer, box.lo, box.hi, onlyView) ?? Promise.resolve();
  }

  /** Segment names / colours changed. */
  recolor(segments: readonly SegmentInfo[]): Promise<void> {
    for (const s of segments) {
      const hidden = (s as { visible?: boolean }).visible === false;
      if (hidden !== this.hidden.has(s.value)) this.setSegmentVisible(s.value, !hidden);
    }
    return this.view.viewer?.recolorLabels(segments.map(({ value, name, color, layer }) => ({ value, name, color, layer }))) ?? Promise.resolve();
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
    this.layers = [];
    this.study = null;
    this.title = '';
    this.note = '';
    this.hidden = new Set();
    this.visible = true;
    this.status = 'none';
  }
}
