/**
 * The study's segmentation shown over the 2D views, and how it is shown: visible, opacity, hidden
 * segments. It follows the open workspace: a segmentation adopted there is shown, its change
 * events redraw the boxes they name (during a stroke only the view drawn in; the whole stroke in
 * every view once it is committed), a structure change shows the layers again, and another image
 * of the study gets the labels again once it is on screen. Components read the fields and call
 * the methods.
 */
import { errorMessage } from '../../core/errors';
import type { IndexBox, Volume } from '../../core/types';
import type { SegmentationChange } from '../../volume/segmentation';
import type { MprView, SegmentInfo } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';
import { followWorkspace, type Workspace, type WorkspaceSource } from '../workspace.svelte';

/** 'rendering' while the views redraw; the e2e tests wait on 'shown' / 'hidden'. */
export type OverlayStatus = 'none' | 'rendering' | 'shown' | 'hidden';

export class Overlay {
  title = $state('');
  note = $state('');
  visible = $state(true);
  opacity = $state(0.5);
  hidden = $state.raw<ReadonlySet<number>>(new Set());
  status = $state<OverlayStatus>('none');
  /** Changes with every show / clear, so a late answer for an older overlay is ignored. */
  private generation = 0;
  private shownAny = false;
  readonly dispose: () => void;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
    source: WorkspaceSource,
  ) {
    this.dispose = followWorkspace(source, (ws) => this.follow(ws));
  }

  private follow(ws: Workspace): () => void {
    const offs = [
      ws.events.on('segmentation', (seg) => (seg ? void this.show(ws) : this.clear())),
      ws.events.on('change', (c) => this.changed(ws, c)),
      ws.events.on('committed', (c) => {
        // A stroke redrew only its view while it lasted: now every view.
        if (c.strokeView) for (const { layer, diff } of c.entry.voxels) void this.modified(layer, diff.box);
      }),
      // The viewer drops the labels of the image it replaces; they come back once the next is on screen.
      ws.events.on('image', () => this.clear()),
      ws.events.on('shown', () => {
        if (this.status === 'none') void this.show(ws);
      }),
    ];
    if (ws.seg && ws.onScreen) void this.show(ws);
    return () => {
      for (const off of offs) off();
      this.clear();
    };
  }

  /** Show the workspace's segmentation over the image on screen. Resolves true once on screen. */
  private show(ws: Workspace): Promise<boolean> {
    const seg = ws.seg;
    if (!seg || !ws.onScreen) return Promise.resolve(false);
    return this.display(seg.layers, seg.segments, ws.title, ws.note);
  }

  private changed(ws: Workspace, c: SegmentationChange): void {
    const seg = ws.seg;
    if (!seg || !this.shownAny) return;
    // New layers, or new labels under a new title (a model result over the segmentation): show again.
    if (c.structure || c.kind === 'replace' || c.kind === 'restore') {
      void this.display(seg.layers, seg.segments, ws.title, ws.note);
      return;
    }
    // During a stroke only the view drawn in is redrawn; the committed stroke redraws them all.
    const only = c.kind === 'edit' ? ws.stroking : undefined;
    for (const { layer, box } of c.layers) void this.modified(layer, box, only);
    if (c.segments) void this.recolor(seg.segments);
  }

  /**
   * Show label layers over the image on screen (replacing what was there); errors go to the
   * banner. The layers are shown in place: edits to their voxels show after `modified`.
   */
  private async display(
    layers: readonly Volume[],
    segments: readonly SegmentInfo[],
    title: string,
    note: string,
  ): Promise<boolean> {
    const viewer = this.view.viewer;
    if (!viewer || layers.length === 0) return false;
    const gen = ++this.generation;
    this.shownAny = true;
    this.title = title;
    this.note = note;
    this.visible = true;
    this.hidden = new Set();
    this.status = 'rendering';
    try {
      void viewer.setLabelOpacity(this.opacity);
      await viewer.showLabels(
        layers,
        segments.map(({ value, name, color, layer }) => ({ value, name, color, layer })),
      );
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
  private modified(layer: number, box: IndexBox, onlyView?: MprView): Promise<void> {
    return this.view.viewer?.labelsModified(layer, box.lo, box.hi, onlyView) ?? Promise.resolve();
  }

  /** Segment names / colours / visibility changed. */
  private recolor(segments: readonly SegmentInfo[]): Promise<void> {
    for (const s of segments) {
      const hidden = (s as { visible?: boolean }).visible === false;
      if (hidden !== this.hidden.has(s.value)) this.setSegmentVisible(s.value, !hidden);
    }
    return (
      this.view.viewer?.recolorLabels(
        segments.map(({ value, name, color, layer }) => ({ value, name, color, layer })),
      ) ?? Promise.resolve()
    );
  }

  /** Remove the overlay. */
  private clear(): void {
    if (!this.shownAny && this.status === 'none') return;
    this.view.viewer?.clearLabels();
    this.reset();
  }

  async setVisible(visible: boolean): Promise<void> {
    const viewer = this.view.viewer;
    if (!viewer || !this.shownAny) return;
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
    this.shownAny = false;
    this.title = '';
    this.note = '';
    this.hidden = new Set();
    this.visible = true;
    this.status = 'none';
  }
}
