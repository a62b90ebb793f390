/**
 * The demo study cache: the first demo is generated (a real phantom written as DICOM, on a small
 * grid), a second one in the same tab comes from memory, a later visit (a new cache over the same
 * storage) from IndexedDB with the very same bytes; other options or another cache version miss,
 * and a storage that fails only means generating again.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDemoFiles } from '../../../src/app/demo/build';
import { DEMO_CACHE_VERSION, DemoCache, demoCacheKey } from '../../../src/app/demo/cache';
import type { DemoFiles, DemoOptions } from '../../../src/app/demo/protocol';

const g = globalThis as { indexedDB?: unknown };
const original = g.indexedDB;
beforeEach(() => {
  g.indexedDB = new IDBFactory();
});
afterEach(() => {
  g.indexedDB = original;
});

const SMALL: DemoOptions = { seed: 3, dims: [24, 20, 8], spacing: [12, 12, 30] };

/** A generator that counts its calls. */
function generator() {
  const calls: DemoOptions[] = [];
  const make = (o: DemoOptions) => async (): Promise<DemoFiles> => {
    calls.push(o);
    return buildDemoFiles(o, () => undefined);
  };
  return { calls, make };
}

const bytesOf = (d: DemoFiles) => d.files.map((f) => Buffer.from(f.bytes).toString('base64'));

describe('demo cache', () => {
  it('generates once, then serves from memory and, on a later visit, from storage', async () => {
    const gen = generator();
    const tab = new DemoCache();
    const first = await tab.get(SMALL, gen.make(SMALL));
    expect(first.from).toBe('generated');
    expect(first.demo.files.length).toBe(SMALL.dims[2]);
    const again = await tab.get(SMALL, gen.make(SMALL));
    expect(again.from).toBe('memory');
    expect(gen.calls.length).toBe(1);
    await tab.flush();

    const later = await new DemoCache().get(SMALL, gen.make(SMALL));
    expect(later.from).toBe('stored');
    expect(gen.calls.length).toBe(1);
    expect(bytesOf(later.demo)).toEqual(bytesOf(first.demo));
    expect(later.demo.files.map((f) => f.name)).toEqual(first.demo.files.map((f) => f.name));
    expect(Buffer.compare(Buffer.from(later.demo.truth.voxels), Buffer.from(first.demo.truth.voxels))).toBe(0);
    expect(later.demo.truth.table).toEqual(first.demo.truth.table);
  });

  it('misses for other options and keeps only the last demo', async () => {
    const gen = generator();
    const other: DemoOptions = { ...SMALL, seed: 4 };
    const tab = new DemoCache();
    await tab.get(SMALL, gen.make(SMALL));
    await tab.flush();
    const b = await tab.get(other, gen.make(other));
    expect(b.from).toBe('generated');
    await tab.flush();
    expect(gen.calls).toEqual([SMALL, other]);
    // a later visit: the last one is stored, the first was replaced
    expect((await new DemoCache().get(other, gen.make(other))).from).toBe('stored');
    expect((await new DemoCache().get(SMALL, gen.make(SMALL))).from).toBe('generated');
    expect(demoCacheKey(SMALL)).toContain(`v${DEMO_CACHE_VERSION}|`);
    expect(demoCacheKey(SMALL)).not.toBe(demoCacheKey(other));
  });

  it('generates when the browser storage fails', async () => {
    g.indexedDB = {
      open() {
        throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
      },
    };
    const gen = generator();
    const tab = new DemoCache();
    expect((await tab.get(SMALL, gen.make(SMALL))).from).toBe('generated');
    await tab.flush();
    expect((await new DemoCache().get(SMALL, gen.make(SMALL))).from).toBe('generated');
    expect(gen.calls.length).toBe(2);
  });
});
