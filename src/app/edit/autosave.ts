/**
 * Autosave: the segmentation of each study is kept in IndexedDB as a journal, so a reload or a
 * crashed tab loses at most the change in progress. A journal is a base record (every label
 * layer, run-length encoded, plus the segment list) followed by one record per finished change
 * (the run-length voxel diffs it applied and the segment list after it). Writing a stroke costs
 * its diff, not the label map; every `COMPACT_AFTER` records the journal is folded into a new base.
 * A base also keeps the recent undo history, and each change record names its history entry, so a
 * restore brings the history back (autosave-history.ts). The session record of a study holds what
 * a list of saved work shows without reading the journal (names, date, segments, last change,
 * where the study came from). Nothing leaves the browser.
 *
 * Work is never overwritten unseen: a new segmentation of a study whose saved work this tab has not
 * restored (or discarded) moves that work aside to the key `<study key>#earlier` (replacing an
 * older one there), listed and restorable like any saved work; restoring it moves the newer work
 * aside in turn.
 *
 * Storage: database `voxseg-autosave` version 1, stores `sessions` (key: the study key) and
 * `records` (auto-increment, index `key`). The newer fields are optional, so journals written
 * before them still load (without history).
 */
import type { Volume } from '../../core/types';
import { applyDiff, decodeDiff, diffArrays, encodeDiff, type LabelArray, type VoxelDiff } from '../../volume/diff';
import { Segmentation } from '../../volume/segmentation';
import type { Segment } from '../../volume/segments';
import type { HistoryEntry } from '../../volume/history';
import { done, openDatabase, request } from '../idb';
import { HistoryReplay, saveHistory, type SavedHistory } from './autosave-history';
import { aboutStudy, studyKey, type SavedSession, type SavedSource, type StudyFacts } from './saved-session';

export { studyKey, type SavedSession, type SavedSource };

const EARLIER = '#earlier';
/** Where the saved work of study `key` goes when a new segmentation of the study replaces it. */
export const earlierKey = (key: string): string => key + EARLIER;
/** The study key of a saved session's key (itself, or the study of earlier work). */
export const studyOfKey = (key: string): string => (key.endsWith(EARLIER) ? key.slice(0, -EARLIER.length) : key);

const DB_NAME = 'voxseg-autosave';
const COMPACT_AFTER = 200;

/** One diff applied in a record: `dir` 'after' replays it, 'before' replays an undo. */
export interface JournalStep {
  layer: number;
  diff: VoxelDiff;
  dir: 'before' | 'after';
}

interface LayerRecord {
  dtype: 'uint8' | 'uint16';
  bytes: Uint8Array;
}

interface JournalRecord {
  id?: number;
  key: string;
  /** A base holds every layer; a step record holds diffs. */
  base?: LayerRecord[];
  steps?: { layer: number; bytes: Uint8Array; dir: 'before' | 'after' }[];
  segments: Segment[];
  /** With a base: the recent undo history. */
  history?: SavedHistory;
  /** With a change: its history entry (journal id), label and direction. */
  entry?: number;
  label?: string;
  dir?: 'before' | 'after';
}

/** A finished change as the workspace announces it. */
export interface JournalCommit {
  entry: HistoryEntry;
  dir: 'before' | 'after';
}

function openDb(): Promise<IDBDatabase> {
  return openDatabase(DB_NAME, 1, (db) => {
    db.createObjectStore('sessions', { keyPath: 'key' });
    const records = db.createObjectStore('records', { keyPath: 'id', autoIncrement: true });
    records.createIndex('key', 'key');
  });
}

function encodeLayer(layer: Volume): LayerRecord {
  const v = layer.voxels as LabelArray;
  return {
    dtype: v instanceof Uint16Array ? 'uint16' : 'uint8',
    bytes: encodeDiff(diffArrays(null, v, layer.header.dims as [number, number, number])),
  };
}

function plainSegments(segments: readonly Segment[]): Segment[] {
  return JSON.parse(JSON.stringify(segments)) as Segment[];
}

export class Autosave {
  private db: Promise<IDBDatabase> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private key: string | null = null;
  private records = 0;
  private about: StudyFacts = { study: '' };
  /** Journal ids of history entries (kept while the entry object lives). */
  private ids = new WeakMap<HistoryEntry, number>();
  private nextId = 1;
  /** Study keys whose saved work this tab restored or discarded: a new journal may replace it. */
  private continued = new Set<string>();
  /** Where the study of a journal being started came from (set by the app). */
  describe: ((study: Volume) => SavedSource | null) | null = null;
  /** Called when a write fails (`linkAutosave` tells the user, once per run of failures). */
  onError: ((err: unknown) => void) | null = null;
  /** Called when a write succeeds. */
  onSaved: (() => void) | null = null;

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  /** Begin a journal for `seg` (replacing what was saved for its study). */
  start(seg: Segmentation): void {
    this.key = studyKey(seg.study);
    this.about = aboutStudy(seg.study, this.describe?.(seg.study) ?? null);
    const aside = !this.continued.has(this.key);
    this.continued.add(this.key);
    this.writeBase(seg, aside);
  }

  /**
   * Append one finished change (its diffs, as applied) and the segment list after it; `commit`
   * names its history entry and direction (without it the change restores without history).
   */
  append(seg: Segmentation, steps: readonly JournalStep[], structure: boolean, commit?: JournalCommit): void {
    if (!this.key) return;
    if (structure || this.records >= COMPACT_AFTER) {
      this.writeBase(seg);
      return;
    }
    const key = this.key;
    const record: JournalRecord = {
      key,
      steps: steps.map((s) => ({ layer: s.layer, bytes: encodeDiff(s.diff), dir: s.dir })),
      segments: plainSegments(seg.segments),
    };
    if (commit) Object.assign(record, { entry: this.idOf(commit.entry), label: commit.entry.label, dir: commit.dir });
    this.records++;
    const session = this.session(key, seg, this.records);
    this.enqueue(async (db) => {
      const tx = db.transaction(['records', 'sessions'], 'readwrite');
      tx.objectStore('records').add(record);
      tx.objectStore('sessions').put(session);
      await done(tx);
    });
  }

  /** Resolves once every write so far is on disk. */
  flush(): Promise<void> {
    return this.chain;
  }

  /** The saved session of `study`, if any. */
  async find(study: Volume): Promise<SavedSession | null> {
    if (!Autosave.available()) return null;
    const db = await this.open();
    return (
      ((await request(db.transaction('sessions').objectStore('sessions').get(studyKey(study)))) as
        SavedSession | undefined) ?? null
    );
  }

  /** Every saved session, the last changed first (session records only: the journals are not read). */
  async list(): Promise<SavedSession[]> {
    if (!Autosave.available()) return [];
    const db = await this.open();
    const all = (await request(db.transaction('sessions').objectStore('sessions').getAll())) as SavedSession[];
    return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  /** Rebuild the saved segmentation of `study` (base + journal; of `key`, e.g. its earlier work) with its undo history. */
  async load(study: Volume, key = studyKey(study)): Promise<Segmentation | null> {
    const db = await this.open();
    // Restoring the study's own work continues its journal; restoring its earlier work sets the
    // current work aside in turn.
    if (key === studyKey(study)) this.continued.add(key);
    else this.continued.delete(studyOfKey(key));
    const records = (await request(
      db.transaction('records').objectStore('records').index('key').getAll(key),
    )) as JournalRecord[];
    records.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    let baseAt = -1;
    records.forEach((r, i) => r.base && (baseAt = i));
    if (baseAt < 0) return null;
    const n = study.header.dims[0] * study.header.dims[1] * study.header.dims[2];
    const layers: LabelArray[] = records[baseAt].base!.map((l) => {
      const v = l.dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
      applyDiff(v, decodeDiff(l.bytes), 'after');
      return v;
    });
    let segments = records[baseAt].segments;
    const replay = new HistoryReplay(records[baseAt].history);
    for (const r of records.slice(baseAt + 1)) {
      const voxels = (r.steps ?? []).map((s) => ({ layer: s.layer, diff: decodeDiff(s.bytes) }));
      const dir = r.dir ?? r.steps?.[0]?.dir ?? 'after';
      for (const v of voxels) if (layers[v.layer]) applyDiff(layers[v.layer], v.diff, dir);
      replay.change({
        entry: r.entry,
        label: r.label,
        dir,
        voxels,
        segmentsBefore: segments,
        segmentsAfter: r.segments,
      });
      segments = r.segments;
    }
    const volumes = layers.map(
      (voxels) =>
        ({
          header: { ...study.header, dtype: voxels instanceof Uint16Array ? 'uint16' : 'uint8', metadata: {} },
          voxels,
        }) as Volume,
    );
    const seg = Segmentation.fromLabels(study, volumes, segments);
    replay.install(seg);
    return seg;
  }

  /** Forget what is saved for `study` (or the study of that key). */
  async discard(study: Volume | string): Promise<void> {
    const key = typeof study === 'string' ? study : studyKey(study);
    if (this.key === key) this.key = null;
    this.continued.add(key);
    await this.chain;
    const db = await this.open();
    await this.deleteKey(db, key);
  }

  private writeBase(seg: Segmentation, aside = false): void {
    const key = this.key!;
    const record: JournalRecord = {
      key,
      base: seg.layers.map(encodeLayer),
      segments: plainSegments(seg.segments),
      history: saveHistory(seg.history, (e) => this.idOf(e)),
    };
    this.records = 0;
    const session = this.session(key, seg, 0);
    this.enqueue(async (db) => {
      if (aside) await this.moveAside(db, key);
      await this.deleteKey(db, key);
      const tx = db.transaction(['records', 'sessions'], 'readwrite');
      tx.objectStore('records').add(record);
      tx.objectStore('sessions').put(session);
      await done(tx);
    });
  }

  private session(key: string, seg: Segmentation, changes: number): SavedSession {
    const segments = seg.segments.length;
    return { ...this.about, key, savedAt: new Date().toISOString(), segments, changes, undo: seg.history.undoCount };
  }

  private idOf(e: HistoryEntry): number {
    let id = this.ids.get(e);
    if (id === undefined) this.ids.set(e, (id = this.nextId++));
    return id;
  }

  /** Keep the saved work of `key` (if any) as `key#earlier`, replacing what was there. */
  private async moveAside(db: IDBDatabase, key: string): Promise<void> {
    const session = (await request(db.transaction('sessions').objectStore('sessions').get(key))) as
      SavedSession | undefined;
    if (!session) return;
    const earlier = earlierKey(key);
    await this.deleteKey(db, earlier);
    const tx = db.transaction(['records', 'sessions'], 'readwrite');
    const records = tx.objectStore('records');
    for (const r of (await request(records.index('key').getAll(key))) as JournalRecord[])
      records.put({ ...r, key: earlier });
    tx.objectStore('sessions').put({ ...session, key: earlier });
    await done(tx);
  }

  private async deleteKey(db: IDBDatabase, key: string): Promise<void> {
    const tx = db.transaction(['records', 'sessions'], 'readwrite');
    const index = tx.objectStore('records').index('key');
    const ids = (await request(index.getAllKeys(key))) as IDBValidKey[];
    for (const id of ids) tx.objectStore('records').delete(id);
    tx.objectStore('sessions').delete(key);
    await done(tx);
  }

  private open(): Promise<IDBDatabase> {
    return (this.db ??= openDb());
  }

  private enqueue(task: (db: IDBDatabase) => Promise<void>): void {
    if (!Autosave.available()) return;
    this.chain = this.chain
      .then(async () => task(await this.open()))
      .then(
        () => this.onSaved?.(),
        (err) => this.onError?.(err),
      );
  }
}
