/**
 * The segment list as the panels show it: the open workspace's segments, the active one, voxel
 * counts (kept from the diffs of each committed change, not recounted), the active segment's
 * statistics, and the undo / redo labels. Its methods change the segmentation through the
 * workspace; errors go to the banner. It follows the workspace's events like every other view.
 */
import { errorMessage } from '../../core/errors';
import type { Segmentation } from '../../volume/segmentation';
import type { LayeredSegment, Segment } from '../../volume/segments';
import type { Notices } from '../notices.svelte';
import { followWorkspace, type Workspace, type WorkspaceSource } from '../workspace.svelte';
import { countAll, countsAfter } from './strokes';

export type SegmentStats = ReturnType<Segmentation['statistics']>;

export class SegmentList {
  segments = $state.raw<readonly LayeredSegment[]>([]);
  active = $state<number | null>(null);
  /** Voxels per segment value (kept up to date from the diffs of each change). */
  counts = $state.raw<ReadonlyMap<number, number>>(new Map());
  stats = $state.raw<SegmentStats | null>(null);
  undoLabel = $state<string | null>(null);
  redoLabel = $state<string | null>(null);
  historyBytes = $state(0);
  /** Increases after every finished change (tests wait on it). */
  revision = $state(0);
  /** The open workspace's segmentation (null: none yet). */
  seg = $state.raw<Segmentation | null>(null);
  readonly dispose: () => void;

  private ws: Workspace | null = null;
  private statsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly notices: Notices,
    source: WorkspaceSource,
  ) {
    this.dispose = followWorkspace(source, (ws) => this.follow(ws));
  }

  get study() {
    return this.seg?.study ?? null;
  }

  get activeSegment(): LayeredSegment | undefined {
    return this.segments.find((s) => s.value === this.active);
  }

  select(value: number | null): void {
    this.active = value;
    this.scheduleStats();
  }

  /** The next (1) or previous (-1) segment becomes active. */
  step(dir: 1 | -1): void {
    const list = this.segments;
    if (list.length === 0) return;
    const i = list.findIndex((s) => s.value === this.active);
    const j = (i + (dir === 1 ? 1 : list.length - 1)) % list.length;
    this.select(list[j < 0 ? 0 : j].value);
  }

  /** Add a segment (making an empty segmentation first when there is none); it becomes active. */
  addSegment(init?: Partial<Segment>): Segment | null {
    const ws = this.ws;
    if (!ws) return null;
    ws.startEmpty();
    const s = this.apply('Adding a segment', (seg) => seg.addSegment({ algorithm: 'MANUAL', ...init })) ?? null;
    if (s) this.select(s.value);
    return s;
  }

  update(value: number, patch: Partial<Omit<Segment, 'value'>>): void {
    this.apply('Changing the segment', (seg) => seg.updateSegment(value, patch));
  }

  remove(value: number): void {
    this.apply('Deleting the segment', (seg) => seg.removeSegment(value));
  }

  merge(into: number, from: number[]): void {
    this.apply('Merging', (seg) => seg.mergeSegments(into, from));
  }

  review(value: number, decision: 'accepted' | 'rejected'): void {
    this.apply(decision === 'accepted' ? 'Accepting' : 'Rejecting', (seg) => seg.setReview(value, decision));
  }

  /** An operation on the active segment (interpolate, keep largest, remove islands). */
  operate(label: string, op: (seg: Segmentation, value: number) => unknown): void {
    const value = this.active;
    if (value !== null) this.apply(label, (seg) => op(seg, value));
  }

  undo(): void {
    this.ws?.undo();
  }

  redo(): void {
    this.ws?.redo();
  }

  /** Drop the segmentation from the views (autosave keeps it). */
  close(): void {
    this.ws?.close();
  }

  /** Islands smaller than this (about 0.1 mL, at least 10 voxels) go. */
  islandVoxels(): number {
    const sp = this.study?.header.spacing ?? [1, 1, 1];
    return Math.max(10, Math.round(100 / (sp[0] * sp[1] * sp[2])));
  }

  /** Run one change through the workspace; errors go to the banner (undefined then). */
  apply<T>(label: string, op: (seg: Segmentation) => T): T | undefined {
    try {
      return this.ws?.edit(op);
    } catch (err) {
      this.notices.push({ level: 'error', title: `${label} failed`, message: errorMessage(err), study: true });
      return undefined;
    }
  }

  private follow(ws: Workspace): () => void {
    this.ws = ws;
    const offs = [
      ws.events.on('segmentation', (seg) => this.adopt(seg)),
      ws.events.on('change', (c) => c.segments && this.refreshSegments()),
      ws.events.on('committed', ({ entry, dir }) => {
        this.counts = countsAfter(this.counts, entry, dir);
        this.refreshSegments();
        this.refreshHistory();
        this.scheduleStats();
        this.revision++;
      }),
    ];
    this.adopt(ws.seg);
    return () => {
      for (const off of offs) off();
      this.ws = null;
      this.adopt(null);
    };
  }

  private adopt(seg: Segmentation | null): void {
    this.seg = seg;
    this.refreshSegments();
    this.active = this.segments[0]?.value ?? null;
    this.counts = seg ? countAll(seg.layers) : new Map();
    this.refreshHistory();
    this.scheduleStats();
    if (seg) this.revision++;
  }

  private refreshSegments(): void {
    this.segments = this.seg ? [...this.seg.segments] : [];
    if (this.active !== null && !this.segments.some((s) => s.value === this.active))
      this.active = this.segments[0]?.value ?? null;
  }

  private refreshHistory(): void {
    const h = this.seg?.history;
    this.undoLabel = h?.peekUndo() ?? null;
    this.redoLabel = h?.peekRedo() ?? null;
    this.historyBytes = h?.bytes ?? 0;
  }

  private scheduleStats(): void {
    clearTimeout(this.statsTimer);
    if (!this.seg) {
      this.stats = null;
      return;
    }
    this.statsTimer = setTimeout(() => {
      const seg = this.seg;
      const value = this.active;
      this.stats =
        seg && value !== null && seg.segments.some((x) => x.value === value) ? seg.statistics(value, seg.study) : null;
    }, 150);
  }
}
