/**
 * The saved-work list: it lists what the journal holds except the study on screen with its
 * segmentation; Open brings the study back from its source (the demo opened again, a server
 * series retrieved again, local files asked for) and restores its work without a second offer;
 * files of another study are named as such.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/events';
import type { Volume } from '../../../src/core/types';
import type { SourceFile } from '../../../src/io/dicom/source';
import { Autosave, type SavedSource } from '../../../src/app/edit/autosave';
import { linkAutosave } from '../../../src/app/edit/autosave-link';
import { RestoreList, savedName, type RestoreSession } from '../../../src/app/edit/restore-list.svelte';
import { Notices } from '../../../src/app/notices.svelte';
import { Workspace } from '../../../src/app/workspace.svelte';
import { study } from './helpers/fake-viewer';

const g = globalThis as { indexedDB?: unknown };
const original = g.indexedDB;
beforeEach(() => {
  g.indexedDB = new IDBFactory();
});
afterEach(() => {
  g.indexedDB = original;
});

/** Save two strokes of work on `volume`, journaled as coming from `source`; returns the labels. */
async function saveWork(volume: Volume, source: SavedSource): Promise<number[]> {
  const ws = new Workspace(volume);
  const autosave = new Autosave();
  autosave.describe = () => source;
  const unlink = linkAutosave(autosave, { workspace: ws, events: new Emitter() }, new Notices());
  ws.startEmpty();
  ws.edit((seg) => seg.addSegment({ name: 'Lesion' }));
  for (const x of [5, 12]) ws.edit((seg) => seg.paint({ kind: 'circle', center: [x, 10, 5], radiusMm: 2, axis: 2 }, 1));
  await autosave.flush();
  unlink();
  return Array.from(ws.seg!.layers[0].voxels);
}

/** A session that opens the volumes it is told to (the demo: `demo`; files: by their name). */
function fakeSession(demo: Volume, byName: Record<string, Volume>) {
  const events = new Emitter<{ workspace: Workspace | null }>();
  const opened: string[] = [];
  const session: RestoreSession & { workspace: Workspace | null } = {
    workspace: null,
    events,
    status: 'ready',
    rows: [],
    selectedId: null,
    async openDemo() {
      opened.push('demo');
      this.workspace = new Workspace(demo);
      events.emit('workspace', this.workspace);
    },
    async open(files: SourceFile[], label: string) {
      opened.push(label);
      this.workspace = new Workspace(byName[files[0].name]);
      events.emit('workspace', this.workspace);
    },
    async select() {},
  };
  return { session, opened };
}

const file = (name: string): SourceFile => ({ name, size: 0, slice: async () => new Uint8Array() });
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('saved work list', () => {
  it('opens the demo again and restores its work with the undo history', async () => {
    const demo = study(1);
    const saved = await saveWork(demo, { kind: 'demo' });
    const { session, opened } = fakeSession(study(1), {});
    const list = new RestoreList({ autosave: new Autosave(), session, retrieve: () => null });
    await settle(); // listed at start, before any study opens
    expect(list.rows.map((s) => [s.series, s.segments, s.source?.kind])).toEqual([['Study 1', 1, 'demo']]);
    await list.open(list.rows[0].key);
    expect(opened).toEqual(['demo']);
    const ws = session.workspace!;
    expect(Array.from(ws.seg!.layers[0].voxels)).toEqual(saved);
    expect(ws.seg!.history.undoCount).toBe(3);
    await settle();
    expect(list.rows).toEqual([]); // the study on screen holds it now
    ws.undo();
    expect(Array.from(ws.seg!.layers[0].voxels)).not.toEqual(saved);
  });

  it('painting before opening saved work sets that work aside, restorable; restoring it sets the newer work aside', async () => {
    const volume = study(5);
    const saved = await saveWork(volume, { kind: 'demo' });
    // Another visit: the demo opens and is painted on before its saved work is opened.
    const { session } = fakeSession(volume, {});
    const autosave = new Autosave();
    const unlink = linkAutosave(autosave, session, new Notices());
    const list = new RestoreList({ autosave, session, retrieve: () => null });
    await session.openDemo();
    const ws = session.workspace!;
    ws.startEmpty();
    ws.edit((seg) => seg.addSegment({ name: 'New' }));
    ws.edit((seg) => seg.paint({ kind: 'circle', center: [20, 20, 5], radiusMm: 2, axis: 2 }, 1));
    const newer = Array.from(ws.seg!.layers[0].voxels);
    expect(newer).not.toEqual(saved);
    await autosave.flush();
    await list.refresh();
    // The study on screen holds the newer work; the saved work is listed as earlier work.
    expect(list.rows.map(savedName)).toEqual(['Study 5 (earlier work)']);
    await list.open(list.rows[0].key);
    expect(Array.from(ws.seg!.layers[0].voxels)).toEqual(saved);
    await autosave.flush();
    await settle();
    expect(list.rows.map(savedName)).toEqual(['Study 5 (earlier work)']);
    const back = await autosave.load(volume, list.rows[0].key);
    expect(Array.from(back!.layers[0].voxels)).toEqual(newer);
    unlink();
  });

  it('asks for local files, names another study picked, and restores from the right files', async () => {
    const saved = await saveWork(study(2), { kind: 'files', label: 'folder CT', files: 10 });
    const { session, opened } = fakeSession(study(9), { 'a.dcm': study(3), 'b.dcm': study(2) });
    const list = new RestoreList({ autosave: new Autosave(), session, retrieve: () => null });
    await list.refresh();
    const key = list.rows[0].key;
    await list.open(key);
    expect(list.asking).toBe(key);
    expect(opened).toEqual([]);
    await list.picked(key, [file('a.dcm')], 'folder other');
    expect(list.notes[key]).toMatch(/folder other holds another study/);
    expect(session.workspace!.seg).toBeNull();
    await list.picked(key, [file('b.dcm')], 'folder CT');
    expect(Array.from(session.workspace!.seg!.layers[0].voxels)).toEqual(saved);
    expect(list.asking).toBeNull();
  });

  it('says when the server of a retrieved series is no longer listed, and discards', async () => {
    const source: SavedSource = {
      kind: 'dicomweb',
      serverId: 's1',
      serverName: 'Orthanc',
      studyUid: '1.2',
      seriesUid: '1.2.3.4',
      what: 'CT',
    };
    await saveWork(study(4), source);
    const { session } = fakeSession(study(9), {});
    const list = new RestoreList({ autosave: new Autosave(), session, retrieve: () => null });
    await list.refresh();
    const key = list.rows[0].key;
    await list.open(key);
    expect(list.notes[key]).toMatch(/Orthanc is no longer listed/);
    await list.discard(key);
    expect(list.rows).toEqual([]);
    expect(await new Autosave().list()).toEqual([]);
  });
});
