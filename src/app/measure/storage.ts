/**
 * The measurements of each study, kept in the browser's IndexedDB (a database of their own, keyed
 * by the autosave's study key, so that they come back whenever the same study is opened again).
 * One record per study: the whole list, rewritten on each change (lists are small).
 */
import type { Measurement } from './measurements';

const DB_NAME = 'voxseg-measurements';
const STORE = 'studies';

export interface MeasureStorage {
  load(key: string): Promise<Measurement[]>;
  save(key: string, list: readonly Measurement[]): Promise<void>;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class IdbMeasureStorage implements MeasureStorage {
  private db: Promise<IDBDatabase> | null = null;

  static available(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  async load(key: string): Promise<Measurement[]> {
    const db = await this.open();
    const rec = (await request(db.transaction(STORE).objectStore(STORE).get(key))) as
      { key: string; list: Measurement[] } | undefined;
    return rec?.list ?? [];
  }

  async save(key: string, list: readonly Measurement[]): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    if (list.length) store.put({ key, savedAt: new Date().toISOString(), list: JSON.parse(JSON.stringify(list)) });
    else store.delete(key);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('measurement save aborted'));
    });
  }

  private open(): Promise<IDBDatabase> {
    return (this.db ??= new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'key' });
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }));
  }
}
