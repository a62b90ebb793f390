/**
 * The undo history of an autosave journal, so that a restored segmentation can be undone as the
 * saved one could.
 *
 * Decisions:
 * - A base record keeps, with the layers, the segmentation's history at that moment: the newest
 *   `HISTORY_KEEP` applied entries (within `HISTORY_BYTES` of encoded diffs) and as many undone
 *   ones (redo). A base is written when a journal starts, after a structure change and when the
 *   journal is folded, so none of them loses the recent history.
 * - Each change record names its history entry by a journal id (the same object keeps its id
 *   while the journal lasts) and its direction. Replaying the records after the base re-enacts
 *   the stacks: an applied record on top of the redo stack is a redo, any other applied record
 *   a new entry (the redo stack is cleared, as `History.push` does), an undone record moves the
 *   top entry to the redo stack. An undo of an entry the journal no longer holds (older than the
 *   kept history) leaves the history empty rather than wrong.
 * - Segment lists of an entry are stored when they changed (compared as JSON), as plain objects.
 */
import { decodeDiff, encodeDiff } from '../../volume/diff';
import type { History, HistoryEntry, LayerDiff, LayerKind } from '../../volume/history';
import type { Segmentation } from '../../volume/segmentation';
import type { LayeredSegment, Segment } from '../../volume/segments';

/** Undo steps kept with a saved segmentation (each way), and the byte cap of their diffs. */
export const HISTORY_KEEP = 50;
export const HISTORY_BYTES = 32 * 2 ** 20;

/** A history entry as stored: its journal id and the encoded diffs. */
export interface SavedEntry {
  entry: number;
  label: string;
  voxels: { layer: number; bytes: Uint8Array }[];
  segmentsBefore?: Segment[];
  segmentsAfter?: Segment[];
  layersBefore?: LayerKind[];
  layersAfter?: LayerKind[];
}

export interface SavedHistory {
  /** Oldest first (the next undo last). */
  undo: SavedEntry[];
  /** The next redo last. */
  redo: SavedEntry[];
}

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function encodeEntry(e: HistoryEntry, entry: number): SavedEntry {
  const out: SavedEntry = {
    entry,
    label: e.label,
    voxels: e.voxels.map((v) => ({ layer: v.layer, bytes: encodeDiff(v.diff) })),
  };
  if (e.segmentsBefore) out.segmentsBefore = plain([...e.segmentsBefore]);
  if (e.segmentsAfter) out.segmentsAfter = plain([...e.segmentsAfter]);
  if (e.layersBefore) out.layersBefore = [...e.layersBefore];
  if (e.layersAfter) out.layersAfter = [...e.layersAfter];
  return out;
}

/** Newest first from `list` (newest last) until the count or byte cap; returned oldest first. */
function newest(list: readonly HistoryEntry[], idOf: (e: HistoryEntry) => number): SavedEntry[] {
  const out: SavedEntry[] = [];
  let bytes = 0;
  for (let i = list.length - 1; i >= 0 && out.length < HISTORY_KEEP; i--) {
    const s = encodeEntry(list[i], idOf(list[i]));
    bytes += s.voxels.reduce((n, v) => n + v.bytes.length, 0);
    if (bytes > HISTORY_BYTES && out.length > 0) break;
    out.push(s);
  }
  return out.reverse();
}

/** The bounded history to keep with a base record. */
export function saveHistory(history: History, idOf: (e: HistoryEntry) => number): SavedHistory {
  return { undo: newest(history.applied(), idOf), redo: newest(history.undone(), idOf) };
}

/** A rebuilt entry with its journal id (absent for records of journals that had none). */
type Rebuilt = HistoryEntry & { journalId?: number };

function decodeEntry(s: SavedEntry): Rebuilt {
  const e: Rebuilt = {
    journalId: s.entry,
    label: s.label,
    voxels: s.voxels.map((v) => ({ layer: v.layer, diff: decodeDiff(v.bytes) })),
  };
  if (s.segmentsBefore) e.segmentsBefore = s.segmentsBefore as LayeredSegment[];
  if (s.segmentsAfter) e.segmentsAfter = s.segmentsAfter as LayeredSegment[];
  if (s.layersBefore) e.layersBefore = s.layersBefore;
  if (s.layersAfter) e.layersAfter = s.layersAfter;
  return e;
}

/** One replayed change record: its diffs (decoded) and the segment lists around it. */
export interface ReplayedChange {
  entry?: number;
  label?: string;
  dir: 'before' | 'after';
  voxels: LayerDiff[];
  segmentsBefore: readonly Segment[];
  segmentsAfter: readonly Segment[];
}

/** Re-enacts the undo and redo stacks from a base's history and the change records after it. */
export class HistoryReplay {
  private undo: Rebuilt[];
  private redo: Rebuilt[];

  constructor(saved?: SavedHistory) {
    this.undo = (saved?.undo ?? []).map(decodeEntry);
    this.redo = (saved?.redo ?? []).map(decodeEntry);
  }

  change(c: ReplayedChange): void {
    const top = (list: Rebuilt[]) => {
      const e = list.at(-1);
      return !!e && c.entry !== undefined && e.journalId === c.entry;
    };
    if (c.dir === 'after') {
      if (top(this.redo)) {
        this.undo.push(this.redo.pop()!);
        return;
      }
      this.redo = [];
      const e: Rebuilt = { journalId: c.entry, label: c.label ?? 'Change', voxels: c.voxels };
      if (JSON.stringify(c.segmentsBefore) !== JSON.stringify(c.segmentsAfter)) {
        e.segmentsBefore = c.segmentsBefore as LayeredSegment[];
        e.segmentsAfter = c.segmentsAfter as LayeredSegment[];
      }
      this.undo.push(e);
    } else if (top(this.undo) || (c.entry === undefined && this.undo.length > 0)) {
      this.redo.push(this.undo.pop()!);
    } else {
      // an undo of an entry older than the kept history: what is left would not match the voxels
      this.undo = [];
      this.redo = [];
    }
  }

  /** Put the stacks (bounded) into the history of `seg`, whose voxels are the state after the last record. */
  install(seg: Segmentation): { undo: number; redo: number } {
    const undo = this.undo.slice(-HISTORY_KEEP);
    const redo = this.redo.slice(-HISTORY_KEEP);
    const h = seg.history;
    h.clear();
    const strip = ({ journalId: _, ...e }: Rebuilt): HistoryEntry => e;
    for (const e of undo) h.push(strip(e));
    // pushed in reverse, so that moving them back to the redo stack leaves the next redo on top
    for (let i = redo.length - 1; i >= 0; i--) h.push(strip(redo[i]));
    for (let i = 0; i < redo.length; i++) h.undo();
    return { undo: h.undoCount, redo: h.redoCount };
  }
}
