/**
 * Autosave follows the open workspace (a journal per segmentation, one record per committed
 * change), and a failing IndexedDB reaches the user as one notice per run of failures, not one
 * per stroke.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/events';
import { Autosave } from '../../../src/app/edit/autosave';
import { linkAutosave } from '../../../src/app/edit/autosave-link';
import { Notices } from '../../../src/app/notices.svelte';
import { Workspace } from '../../../src/app/workspace.svelte';
import { settle, study } from './helpers/fake-viewer';

const g = globalThis as { indexedDB?: unknown };
const original = g.indexedDB;
afterEach(() => {
  g.indexedDB = original;
});

/** A database that refuses to open, as when storage is full or blocked. */
function brokenDb() {
  g.indexedDB = {
    open() {
      throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
    },
  };
}

function setup() {
  const notices = new Notices();
  const ws = new Workspace(study(1));
  const source = { workspace: ws, events: new Emitter<{ workspace: Workspace | null }>() };
  const autosave = new Autosave();
  const unlink = linkAutosave(autosave, source, notices);
  const paint = (x: number) =>
    ws.edit((seg) => seg.paint({ kind: 'circle', center: [x, 10, 5], radiusMm: 2, axis: 2 }, seg.segments[0].value));
  return { notices, ws, autosave, unlink, paint };
}

describe('autosave link', () => {
  it('journals each committed change of the workspace and restores it', async () => {
    g.indexedDB = new IDBFactory();
    const { ws, autosave, paint, notices } = setup();
    ws.startEmpty();
    ws.edit((seg) => seg.addSegment({ name: 'Lesion' }));
    paint(6);
    paint(12);
    ws.undo();
    await autosave.flush();
    const saved = await autosave.find(ws.study);
    expect(saved?.changes).toBe(4);
    const back = await autosave.load(ws.study);
    expect(back!.segments.map((s) => s.name)).toEqual(['Lesion']);
    expect(Array.from(back!.layers[0].voxels)).toEqual(Array.from(ws.seg!.layers[0].voxels));
    expect(notices.items).toEqual([]);
  });

  it('tells the user once per run of failures', async () => {
    brokenDb();
    const { ws, autosave, paint, notices } = setup();
    ws.startEmpty();
    ws.edit((seg) => seg.addSegment({ name: 'Lesion' }));
    for (let x = 4; x < 20; x += 3) paint(x);
    await autosave.flush();
    await settle();
    expect(notices.items).toHaveLength(1);
    expect(notices.items[0]).toMatchObject({ level: 'warning', title: 'Autosave failed' });
    expect(notices.items[0].message).toContain('quota has been exceeded');
    // Storage works again: the next change is saved and ends the run; a new failure is told again.
    g.indexedDB = new IDBFactory();
    paint(8);
    await autosave.flush();
    expect(notices.items).toHaveLength(1);
    brokenDb();
    (autosave as unknown as { db: unknown }).db = null;
    paint(10);
    paint(14);
    await autosave.flush();
    expect(notices.items).toHaveLength(2);
  });
});
