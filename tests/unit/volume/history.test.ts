import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { diffArrays, diffBytes } from '../../../src/volume/diff';
import { History, entryBytes, type HistoryEntry } from '../../../src/volume/history';

const dims: Vec3 = [100, 10, 10];

/** An entry whose single diff has `runs` separate runs. */
function entry(label: string, runs: number): HistoryEntry {
  const after = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let r = 0; r < runs; r++) after[r * 2] = 1;
  return { label, voxels: [{ layer: 0, diff: diffArrays(null, after, dims) }] };
}

describe('History', () => {
  it('undoes and redoes in order; a new entry clears redo', () => {
    const h = new History();
    expect(h.undo()).toBeNull();
    expect(h.redo()).toBeNull();
    h.push(entry('a', 1));
    h.push(entry('b', 2));
    h.push(entry('c', 3));
    expect([h.undoCount, h.redoCount, h.peekUndo(), h.peekRedo()]).toEqual([3, 0, 'c', null]);
    expect(h.undo()!.label).toBe('c');
    expect(h.undo()!.label).toBe('b');
    expect([h.undoCount, h.redoCount, h.peekUndo(), h.peekRedo()]).toEqual([1, 2, 'a', 'b']);
    expect(h.redo()!.label).toBe('b');
    h.push(entry('d', 1));
    expect([h.undoCount, h.redoCount, h.peekRedo()]).toEqual([3, 0, null]);
    expect(h.applied().map((e) => e.label)).toEqual(['a', 'b', 'd']);
    const ids = h.applied().map((e) => e.id!);
    expect(ids[0]).toBeLessThan(ids[1]);
    expect(ids[1]).toBeLessThan(ids[2]);
  });

  it('counts diff bytes on both stacks', () => {
    const h = new History();
    const a = entry('a', 10),
      b = entry('b', 20);
    h.push(a);
    h.push(b);
    expect(h.bytes).toBe(diffBytes(a.voxels[0].diff) + diffBytes(b.voxels[0].diff));
    h.undo();
    expect(h.bytes).toBe(entryBytes(a) + entryBytes(b));
    h.push(entry('c', 0));
    expect(h.bytes).toBe(entryBytes(a) + entryBytes({ label: 'c', voxels: [] }) + 96);
    h.clear();
    expect([h.bytes, h.undoCount, h.redoCount]).toEqual([0, 0, 0]);
  });

  it('drops the oldest entries beyond the budget, always keeping the newest', () => {
    const one = entryBytes(entry('x', 100));
    const h = new History({ budgetBytes: 3.5 * one });
    for (let k = 0; k < 10; k++) h.push(entry(`e${k}`, 100));
    expect(h.undoCount).toBe(3);
    expect(h.applied().map((e) => e.label)).toEqual(['e7', 'e8', 'e9']);
    expect(h.bytes).toBeLessThanOrEqual(h.budgetBytes);
    h.push(entry('huge', 1000));
    expect(h.undoCount).toBe(1);
    expect(h.peekUndo()).toBe('huge');
  });

  it('caps the number of entries', () => {
    const h = new History({ maxEntries: 4 });
    for (let k = 0; k < 9; k++) h.push({ label: `m${k}`, voxels: [] });
    expect(h.applied().map((e) => e.label)).toEqual(['m5', 'm6', 'm7', 'm8']);
  });
});
