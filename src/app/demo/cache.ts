/**
 * The demo study, kept after its first generation: generating the phantom and writing it as DICOM
 * takes up to a minute on a slow machine, and the result only depends on the demo options.
 *
 * Decisions:
 * - Two levels: in memory for this tab (a second click on Demo), and in IndexedDB (database
 *   `voxseg-demo-cache`, store `demos`) for later visits: the DICOM files' bytes and the true
 *   labels, under a key made of `DEMO_CACHE_VERSION` and the options. Only the last demo is kept.
 * - `DEMO_CACHE_VERSION` must change whenever the phantom or the DICOM writer changes what the
 *   demo's files hold; an entry of another version is never read (and is replaced by the next one).
 * - The cache is an optimisation only: a read or write that fails (no IndexedDB, quota, a
 *   malformed entry) is ignored and the demo is generated as before.
 */
import { done, openDatabase, request } from '../idb';
import type { DemoFiles, DemoOptions } from './protocol';

export const DEMO_CACHE_VERSION = 1;
const DB_NAME = 'voxseg-demo-cache';
const STORE = 'demos';

/** Where a demo came from: made now, this tab's memory, or the browser's storage. */
export type DemoFrom = 'generated' | 'memory' | 'stored';

export function demoCacheKey(options: DemoOptions): string {
  return `v${DEMO_CACHE_VERSION}|seed ${options.seed}|${options.dims.join('x')}|${options.spacing.join(',')}`;
}

function valid(d: DemoFiles | undefined): d is DemoFiles {
  return (
    !!d &&
    Array.isArray(d.files) &&
    d.files.length > 0 &&
    d.files.every((f) => typeof f.name === 'string' && f.bytes instanceof Uint8Array) &&
    d.truth?.voxels instanceof Uint8Array
  );
}

export class DemoCache {
  private readonly memory = new Map<string, DemoFiles>();
  private db: Promise<IDBDatabase> | null = null;
  private writing: Promise<void> = Promise.resolve();

  /** The demo for `options`: from memory, from storage, or `generate`d (then kept in both). */
  async get(options: DemoOptions, generate: () => Promise<DemoFiles>): Promise<{ demo: DemoFiles; from: DemoFrom }> {
    const key = demoCacheKey(options);
    const held = this.memory.get(key);
    if (held) return { demo: held, from: 'memory' };
    const stored = await this.read(key);
    if (stored) {
      this.memory.set(key, stored);
      return { demo: stored, from: 'stored' };
    }
    const demo = await generate();
    this.memory.clear();
    this.memory.set(key, demo);
    // stored in the background: the study opens meanwhile
    this.writing = this.write(key, demo);
    return { demo, from: 'generated' };
  }

  /** Resolves once the last generated demo is stored (or failed to be). */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Forget the demo in this tab's memory (storage keeps it). */
  forgetMemory(): void {
    this.memory.clear();
  }

  private open(): Promise<IDBDatabase> {
    return (this.db ??= openDatabase(DB_NAME, 1, (db) => db.createObjectStore(STORE, { keyPath: 'key' })));
  }

  private async read(key: string): Promise<DemoFiles | null> {
    try {
      if (typeof indexedDB === 'undefined') return null;
      const db = await this.open();
      const got = (await request(db.transaction(STORE).objectStore(STORE).get(key))) as
        { key: string; demo: DemoFiles } | undefined;
      return valid(got?.demo) ? got.demo : null;
    } catch (err) {
      console.warn(`demo cache not read: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  private async write(key: string, demo: DemoFiles): Promise<void> {
    try {
      if (typeof indexedDB === 'undefined') return;
      const db = await this.open();
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      store.clear();
      store.put({ key, demo });
      await done(tx);
    } catch (err) {
      console.warn(`demo cache not written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
