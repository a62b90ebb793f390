/**
 * The open study: one `Workspace` per study, made by `Session` whichever source the study came
 * from (local files, the demo, a DICOMweb server). It owns the study's volume, the image on
 * screen (the study, or an image derived from it on its grid such as the skull-stripped image)
 * and its `Segmentation`, with the title and note it was shown with.
 *
 * Everything that shows or keeps the segmentation subscribes to `events` instead of being called:
 * - `segmentation`: a segmentation was adopted or dropped (the overlay, surfaces, autosave and the
 *   segment list start over);
 * - `change`: the segmentation's own change event, relayed (per dab during a stroke), so that
 *   subscribers need not re-subscribe when the segmentation is replaced;
 * - `committed`: a finished history entry (a stroke, an operation, an undo/redo, a model result);
 *   what it carries is what the autosave journal, the 3D surfaces and the voxel counts need;
 * - `image` / `shown`: another image of the study was selected / is on screen (the viewer drops
 *   the labels of the image it replaces, so the overlay shows them again).
 * A study that is replaced is `dispose`d: its segmentation is dropped with a `segmentation` event.
 */
import { Emitter } from '../core/events';
import type { Volume } from '../core/types';
import type { HistoryEntry } from '../volume/history';
import { Segmentation, type SegmentationChange } from '../volume/segmentation';
import type { MprView } from '../viewer';
import { segmentsOf, type LabelContent } from './labels-content';

/** A finished change. `dir` 'after': the entry was applied; 'before': it was undone. */
export interface Commit {
  entry: HistoryEntry;
  dir: 'before' | 'after';
  /** Layers were added, removed, replaced or promoted. */
  structure: boolean;
  /** The 2D view a stroke was drawn in (only that view was redrawn while it lasted). */
  strokeView?: MprView;
}

export interface WorkspaceEvents {
  segmentation: Segmentation | null;
  change: SegmentationChange;
  committed: Commit;
  image: Volume;
  shown: Volume;
}

export class Workspace {
  /** The image on screen: the study, or an image derived from it on its grid. */
  image: Volume;
  /** The segmentation of the study, if any. */
  seg = $state.raw<Segmentation | null>(null);
  /** What the segmentation is, e.g. "CT tissue bands 1.0.0", and one line under it. */
  title = $state('');
  note = $state('');
  /** The image on screen is `image` (false while the viewer still draws it). */
  onScreen = $state(false);
  readonly events = new Emitter<WorkspaceEvents>();

  private offSeg: (() => void) | null = null;
  /** Id of the newest applied history entry that subscribers have been told about. */
  private top = -1;
  private strokeView: MprView | undefined;
  private inStroke = false;
  private undoing = false;

  constructor(readonly study: Volume) {
    this.image = $state.raw(study);
  }

  /** Another image of the study was selected. */
  setImage(image: Volume): void {
    if (image === this.image) return;
    this.image = image;
    this.onScreen = false;
    this.events.emit('image', image);
  }

  /**
   * The views show something else for a while (a series arriving, session.preview): the viewer
   * drops what was drawn over the image, and `shown` (the image back on screen) brings it back.
   */
  covered(): void {
    this.onScreen = false;
    this.events.emit('image', this.image);
  }

  /** The viewer reports `image` on screen. */
  shown(image: Volume): void {
    if (image !== this.image) return;
    this.onScreen = true;
    this.events.emit('shown', image);
  }

  /**
   * Labels to segment the study with (a model's result, the demo's true labels, an import): always
   * one undoable change, the first one too (on a new empty segmentation). The caller's volume is
   * copied, never edited. Throws when they do not fit the study.
   */
  setLabels(c: LabelContent): Segmentation {
    const given = c.layers ?? [c.labels];
    const meta = segmentsOf(c);
    // The first labels fill a new empty segmentation before it is adopted (subscribers meet it with
    // its labels and one entry to undo), so Ctrl+Z takes a model's first result off again.
    // replaceAll copies the voxels into the segmentation's own layers and keeps no reference.
    const seg = this.seg;
    if (!seg) {
      const first = Segmentation.empty(c.study);
      first.replaceAll(given, meta, `Load ${c.title}`);
      return this.adopt(first, c.title, c.note);
    }
    this.title = c.title;
    this.note = c.note;
    this.endStroke();
    seg.replaceAll(given, meta, `Load ${c.title}`);
    this.commitNew();
    return seg;
  }

  /** An empty segmentation (the first "Add segment" or brush press makes one). */
  startEmpty(): Segmentation {
    return this.seg ?? this.adopt(Segmentation.empty(this.study), 'Segmentation', 'Drawn by hand');
  }

  /** A saved segmentation of the study (autosave). */
  restore(seg: Segmentation, savedAt: string): Segmentation {
    return this.adopt(seg, 'Restored segmentation', `Saved ${new Date(savedAt).toLocaleString()}`);
  }

  /** Drop the segmentation (the user cleared it; autosave keeps what it saved). */
  close(): void {
    if (!this.seg) return;
    this.endStroke();
    this.offSeg?.();
    this.offSeg = null;
    this.seg = null;
    this.title = '';
    this.note = '';
    this.events.emit('segmentation', null);
  }

  /** The study is no longer open. */
  dispose(): void {
    this.close();
  }

  /**
   * Run `op` on the segmentation (an edit, an operation, a metadata change); subscribers hear of
   * the history entry it added. Errors propagate.
   */
  edit<T>(op: (seg: Segmentation) => T): T | undefined {
    const seg = this.seg;
    if (!seg) return undefined;
    try {
      return op(seg);
    } finally {
      this.commitNew();
    }
  }

  /** Paint/erase calls until `endStroke` are one undo entry; `view`: the 2D view it is drawn in. */
  beginStroke(label: string, view?: MprView): void {
    this.endStroke();
    if (!this.seg) return;
    this.strokeView = view;
    this.inStroke = true;
    this.seg.beginStroke(label);
  }

  endStroke(): void {
    const seg = this.seg;
    if (!seg || !this.inStroke) return;
    this.inStroke = false;
    seg.endStroke();
    this.commitNew();
    this.strokeView = undefined;
  }

  /** Whether a stroke is open (an undo or a new segmentation ends it). */
  get strokeOpen(): boolean {
    return this.inStroke;
  }

  /** The view of the stroke being drawn, if one is. */
  get stroking(): MprView | undefined {
    return this.inStroke ? this.strokeView : undefined;
  }

  undo(): void {
    this.endStroke();
    const seg = this.seg;
    const entry = seg?.history.applied().at(-1);
    if (!seg || !entry) return;
    this.applying(() => seg.undo());
    this.publish(entry, 'before');
  }

  redo(): void {
    this.endStroke();
    const seg = this.seg;
    if (!seg || seg.history.redoCount === 0) return;
    this.applying(() => seg.redo());
    const entry = seg.history.applied().at(-1);
    if (entry) this.publish(entry, 'after');
  }

  private adopt(seg: Segmentation, title: string, note: string): Segmentation {
    this.endStroke();
    this.offSeg?.();
    this.seg = seg;
    this.title = title;
    this.note = note;
    this.top = seg.history.applied().at(-1)?.id ?? -1;
    this.offSeg = seg.events.on('change', (c) => {
      this.events.emit('change', c);
      if (!this.undoing) this.commitNew();
    });
    this.events.emit('segmentation', seg);
    return seg;
  }

  private applying(fn: () => void): void {
    this.undoing = true;
    try {
      fn();
    } finally {
      this.undoing = false;
    }
  }

  /** Announce the newest history entry when it is one subscribers have not heard of. */
  private commitNew(): void {
    const entry = this.seg?.history.applied().at(-1);
    if (!entry || (entry.id ?? -1) === this.top) return;
    this.publish(entry, 'after');
  }

  private publish(entry: HistoryEntry, dir: Commit['dir']): void {
    this.top = this.seg?.history.applied().at(-1)?.id ?? -1;
    const structure = !!(entry.layersBefore || entry.layersAfter);
    this.events.emit('committed', { entry, dir, structure, strokeView: this.strokeView });
  }
}

/** What holds the open workspace (the session) and says when it is replaced. */
export interface WorkspaceSource {
  readonly workspace: Workspace | null;
  /** A volume shown instead of the workspace's image while it arrives (nothing edits then). */
  readonly preview?: Volume | null;
  readonly events: Pick<Emitter<{ workspace: Workspace | null }>, 'on'>;
}

/**
 * Call `attach` for the open workspace and for each one that replaces it; what `attach` returns
 * undoes it when the workspace goes. Returns the unsubscriber.
 */
export function followWorkspace(source: WorkspaceSource, attach: (ws: Workspace) => () => void): () => void {
  let detach: (() => void) | null = source.workspace ? attach(source.workspace) : null;
  const off = source.events.on('workspace', (ws) => {
    detach?.();
    detach = ws ? attach(ws) : null;
  });
  return () => {
    off();
    detach?.();
  };
}

export type { LabelContent };
