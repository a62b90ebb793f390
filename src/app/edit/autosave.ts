/**
 * Autosave: the segmentation of each study is kept in IndexedDB as a journal, so a reload or a
 * crashed tab loses at most the change in progress. A journal is a base record (every label
 * layer, run-length encoded, plus the segment list) followed by one record per finished change
 * (the run-length voxel diffs it applied and the segment list after it). Writing a stroke costs
 * its diff, not the label map; every `COMPACT_AFTER` records the journal is folded into a new base.
 * Nothing leaves the browser.
 */
import type { Volume } from '../../core/types';
import { hashSeed } from '../../core/hash';
import { applyDiff, decodeDiff, diffArrays, encodeDiff, type LabelArray, type VoxelDiff } from '../../volume/diff';
import { Segmentation } from '../../volume/segmentation';
import type { Segment } from '../../volume/segments';

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
}

/** What is saved for a study, as offered for restoring. */
export interface SavedSession {
  key: string;
  savedAt: string;
  /** e.g. "CT Abdomen — 512×512×20". */
  study: string;
  segments: number;
  changes: number;
}

/** Key of a study: its series UID and grid, or a fingerprint of grid and voxels when it has no UID. */
export function studyKey(study: Volume): string {
  const { dims, spacing, origin, metadata } = study.header;
  const grid = `${dims.join('x')}@${origin.map((o) => o.toFixed(2)).join(',')}/${spacing.map((s) => s.toFixed(3)).join(',')}`;
  if (metadata.seriesInstanceUid) return `${metadata.seriesInstanceUid}|${grid}`;
  const v = study.voxels;
  const samples: number[] = [];
  const step = Math.max(1, Math.floor(v.length / 4096));
  for (let i = 0; i < v.length; i += step) samples.push(Math.round(v[i] * 16));
  return `grid:${grid}|${hashSeed(...samples).toString(16)}`;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('autosave transaction aborted'));
  });
}

function openDb(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => {
    const db = r.result;
    db.createObjectStore('sessions', { keyPath: 'key' });
    const records = db.createObjectStore('records', { keyPath: 'id', autoIncrement: true });
    records.createIndex('key', 'key');
  };
  return request(r);
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
  private studyLabel = '';
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
    const h = seg.study.header;
    this.studyLabel = `${h.metadata.seriesDescription || h.metadata.modality || 'Study'} — ${h.dims.join('×')}`;
    this.writeBase(seg);
  }

  /** Append one finished change (its diffs, as applied) and the segment list after it. */
  append(seg: Segmentation, steps: readonly JournalStep[], structure: boolean): void {
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
    this.records++;
    const count = this.records;
    this.enqueue(async (db) => {
      const tx = db.transaction(['records', 'sessions'], 'readwrite');
      tx.objectStore('records').add(record);
      tx.objectStore('sessions').put(this.session(key, seg.segments.length, count));
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

  /** Rebuild the saved segmentation of `study` (base + journal). */
  async load(study: Volume): Promise<Segmentation | null> {
    const db = await this.open();
    const key = studyKey(study);
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
    for (const r of records.slice(baseAt + 1)) {
      for (const s of r.steps ?? []) if (layers[s.layer]) applyDiff(layers[s.layer], decodeDiff(s.bytes), s.dir);
      segments = r.segments;
    }
    const volumes = layers.map(
      (voxels) =>
        ({
          header: { ...study.header, dtype: voxels instanceof Uint16Array ? 'uint16' : 'uint8', metadata: {} },
          voxels,
        }) as Volume,
    );
    return Segmentation.fromLabels(study, volumes, segments);
  }

  /** Forget what is saved for `study`. */
  async discard(study: Volume): Promise<void> {
    const key = studyKey(study);
    if (this.key === key) this.key = null;
    await this.chain;
    const db = await this.open();
    await this.deleteKey(db, key);
  }

  private writeBase(seg: Segmentation): void {
    const key = this.key!;
    const record: JournalRecord = { key, base: seg.layers.map(encodeLayer), segments: plainSegments(seg.segments) };
    this.records = 0;
    this.enqueue(async (db) => {
      await this.deleteKey(db, key);
      const tx = db.transaction(['records', 'sessions'], 'readwrite');
      tx.objectStore('records').add(record);
      tx.objectStore('sessions').put(this.session(key, seg.segments.length, 0));
      await done(tx);
    });
  }

  private session(key: string, segments: number, changes: number): SavedSession {
    return { key, savedAt: new Date().toISOString(), study: this.studyLabel, segments, changes };
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
