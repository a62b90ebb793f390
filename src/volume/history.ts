/**
 * Bounded undo/redo stack for segmentation edits. An entry holds run-length voxel diffs per
 * layer, the segment list before/after when metadata changed, and the layer kinds before/after
 * when layers were added, removed or promoted to uint16. The budget counts diff bytes (segment
 * lists are small); the oldest entries are dropped beyond it, the newest one is always kept.
 * Every pushed entry gets an increasing `id`, so an autosave journal can tell what it has stored.
 */
import { diffBytes, type VoxelDiff } from './diff';
import type { LayeredSegment } from './segments';

export type LayerKind = 'uint8' | 'uint16';

export interface LayerDiff {
  layer: number;
  diff: VoxelDiff;
}

export interface HistoryEntry {
  /** Shown in the UI, e.g. 'Paint Liver'. */
  label: string;
  /** At most one diff per layer, only layers that changed. */
  voxels: LayerDiff[];
  /** The whole segment list before/after, present only when metadata changed (frozen, shared with the model). */
  segmentsBefore?: readonly LayeredSegment[];
  segmentsAfter?: readonly LayeredSegment[];
  /** Layer kinds in order, present only when the layer structure changed (a layer added, removed or promoted). */
  layersBefore?: readonly LayerKind[];
  layersAfter?: readonly LayerKind[];
  /** Assigned by `History.push`. */
  id?: number;
}

export interface HistoryOptions {
  /** Default 256 MB. */
  budgetBytes?: number;
  /** Default 1000. */
  maxEntries?: number;
}

export function entryBytes(e: HistoryEntry): number {
  let b = 0;
  for (const v of e.voxels) b += diffBytes(v.diff);
  return b;
}

export class History {
  readonly budgetBytes: number;
  readonly maxEntries: number;
  private undoStack: HistoryEntry[] = [];
  private redoStack: HistoryEntry[] = [];
  private total = 0;
  private nextId = 1;

  constructor(opts: HistoryOptions = {}) {
    this.budgetBytes = opts.budgetBytes ?? 256 * 2 ** 20;
    this.maxEntries = opts.maxEntries ?? 1000;
  }

  /** Record a new entry: clears redo, then drops the oldest entries beyond the budget. */
  push(entry: HistoryEntry): void {
    for (const e of this.redoStack) this.total -= entryBytes(e);
    this.redoStack = [];
    entry.id = this.nextId++;
    this.undoStack.push(entry);
    this.total += entryBytes(entry);
    while (this.undoStack.length > 1 && (this.total > this.budgetBytes || this.undoStack.length > this.maxEntries))
      this.total -= entryBytes(this.undoStack.shift()!);
  }

  /** Move the newest entry to the redo stack and return it (the caller applies its 'before' side). */
  undo(): HistoryEntry | null {
    const e = this.undoStack.pop();
    if (!e) return null;
    this.redoStack.push(e);
    return e;
  }

  /** Move the newest undone entry back and return it (the caller applies its 'after' side). */
  redo(): HistoryEntry | null {
    const e = this.redoStack.pop();
    if (!e) return null;
    this.undoStack.push(e);
    return e;
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.total = 0;
  }

  /** Diff bytes held by both stacks. */
  get bytes(): number {
    return this.total;
  }

  get undoCount(): number {
    return this.undoStack.length;
  }

  get redoCount(): number {
    return this.redoStack.length;
  }

  peekUndo(): string | null {
    return this.undoStack.at(-1)?.label ?? null;
  }

  peekRedo(): string | null {
    return this.redoStack.at(-1)?.label ?? null;
  }

  /** The applied entries, oldest first (what an autosave journal replays after its base snapshot). */
  applied(): readonly HistoryEntry[] {
    return this.undoStack;
  }

  /** The undone entries, the next one to redo last (what an autosave base keeps with the applied ones). */
  undone(): readonly HistoryEntry[] {
    return this.redoStack;
  }
}
