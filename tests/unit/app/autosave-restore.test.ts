/**
 * Restoring saved work with its undo history: the journal's changes become the restored
 * segmentation's undo (and redo) entries, so that undo after a restore gives exactly the label
 * maps the user had before each change; and the list of saved sessions (session records only)
 * with the facts a restore list shows.
 */
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/events';
import type { Volume } from '../../../src/core/types';
import { Autosave } from '../../../src/app/edit/autosave';
import { HISTORY_KEEP } from '../../../src/app/edit/autosave-history';
import { linkAutosave } from '../../../src/app/edit/autosave-link';
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

/** A workspace journaled by `autosave` (as the app links them). */
function linked(volume: Volume, autosave = new Autosave()) {
  const ws = new Workspace(volume);
  const source = { workspace: ws, events: new Emitter<{ workspace: Workspace | null }>() };
  const unlink = linkAutosave(autosave, source, new Notices());
  return { ws, autosave, unlink };
}

const bytes = (ws: Workspace) => Array.from(ws.seg!.layers[0].voxels);

function stroke(ws: Workspace, x: number, value = ws.seg!.segments[0].value): void {
  ws.beginStroke('Brush');
  ws.seg!.paint({ kind: 'circle', center: [x, 10, 5], radiusMm: 2, axis: 2 }, value);
  ws.seg!.paint({ kind: 'circle', center: [x + 2, 11, 5], radiusMm: 2, axis: 2 }, value);
  ws.endStroke();
}

describe('restore with the undo history', () => {
  it('undo after a restore gives the label map before each saved change, redo the later ones', async () => {
    const vol = study(1);
    const a = linked(vol);
    a.ws.startEmpty();
    a.ws.edit((seg) => seg.addSegment({ name: 'Liver' }));
    const empty = bytes(a.ws);
    stroke(a.ws, 4);
    const one = bytes(a.ws);
    stroke(a.ws, 10);
    const two = bytes(a.ws);
    a.ws.edit((seg) => seg.updateSegment(1, { name: 'Liver (checked)' }));
    stroke(a.ws, 16);
    const four = bytes(a.ws);
    a.ws.undo(); // the third stroke is undone: redo must bring it back
    await a.autosave.flush();
    a.unlink();

    // A new tab: the restored segmentation holds the saved voxels and the history.
    const b = linked(study(1));
    const seg = await b.autosave.load(b.ws.study);
    expect(seg).not.toBeNull();
    b.ws.restore(seg!, new Date().toISOString());
    expect(bytes(b.ws)).toEqual(two);
    expect(seg!.segments[0].name).toBe('Liver (checked)');
    expect(seg!.history.undoCount).toBe(4);
    expect(seg!.history.redoCount).toBe(1);
    expect(seg!.history.peekUndo()).toMatch(/Liver/); // the rename
    b.ws.redo();
    expect(bytes(b.ws)).toEqual(four);
    b.ws.undo();
    b.ws.undo(); // the rename
    expect(seg!.segments[0].name).toBe('Liver');
    expect(bytes(b.ws)).toEqual(two);
    b.ws.undo();
    expect(bytes(b.ws)).toEqual(one);
    b.ws.undo();
    expect(bytes(b.ws)).toEqual(empty);

    // The restored tab journals on: its history survives another reload.
    await b.autosave.flush();
    b.unlink();
    const c = await new Autosave().load(vol);
    expect(Array.from(c!.layers[0].voxels)).toEqual(empty);
    expect(c!.history.undoCount).toBe(1); // adding the segment
    expect(c!.history.redoCount).toBe(4);
    c!.redo();
    expect(Array.from(c!.layers[0].voxels)).toEqual(one);
    c!.redo();
    expect(Array.from(c!.layers[0].voxels)).toEqual(two);
  });

  it('keeps the newest steps across a structure change, bounded', async () => {
    const a = linked(study(2));
    a.ws.startEmpty();
    a.ws.edit((seg) => seg.addSegment({ name: 'A' }));
    a.ws.edit((seg) => seg.addSegment({ name: 'B' }));
    // each stroke paints over the last with the other segment: every one is a change
    for (let n = 0; n < HISTORY_KEEP + 5; n++) stroke(a.ws, 8, 1 + (n % 2));
    expect(a.ws.seg!.history.undoCount).toBe(HISTORY_KEEP + 7);
    const beforeBig = bytes(a.ws);
    // A value above 255 promotes the layer to uint16: a structure change writes a new base.
    a.ws.edit((seg) => seg.addSegment({ value: 300, name: 'Big' }));
    stroke(a.ws, 5, 300);
    await a.autosave.flush();
    const seg = (await new Autosave().load(a.ws.study))!;
    expect(seg.history.undoCount).toBe(HISTORY_KEEP);
    expect(Array.from(seg.layers[0].voxels)).toEqual(Array.from(a.ws.seg!.layers[0].voxels));
    seg.undo();
    seg.undo();
    expect(seg.layers[0].header.dtype).toBe('uint8');
    expect(Array.from(seg.layers[0].voxels)).toEqual(beforeBig);
  });
});

describe('saved sessions list', () => {
  it('lists each saved study with its names, date, segments, undo steps and source, newest first', async () => {
    const base = study(3);
    const s1 = {
      ...base,
      header: { ...base.header, metadata: { ...base.header.metadata, patientName: 'Doe^Jane', studyDate: '20240131' } },
    };
    const a = linked(s1);
    a.autosave.describe = () => ({ kind: 'files', label: 'folder CT', files: 10 });
    a.ws.startEmpty();
    a.ws.edit((seg) => seg.addSegment({ name: 'Liver' }));
    a.ws.edit((seg) => seg.addSegment({ name: 'Spleen' }));
    stroke(a.ws, 6);
    await a.autosave.flush();
    a.unlink();
    await new Promise((r) => setTimeout(r, 5));
    const b = linked(study(4));
    b.autosave.describe = () => ({ kind: 'demo' });
    b.ws.startEmpty();
    await b.autosave.flush();

    const list = await new Autosave().list();
    expect(list.map((s) => s.series)).toEqual(['Study 4', 'Study 3']);
    const [demo, files] = list;
    expect(demo.source).toEqual({ kind: 'demo' });
    expect(demo.segments).toBe(0);
    expect(files).toMatchObject({
      patient: 'Doe, Jane',
      date: '2024-01-31',
      segments: 2,
      undo: 3,
      changes: 3,
      source: { kind: 'files', label: 'folder CT', files: 10 },
    });
    expect(Date.parse(files.savedAt)).toBeLessThanOrEqual(Date.parse(demo.savedAt));
    await new Autosave().discard(files.key);
    expect((await new Autosave().list()).map((s) => s.series)).toEqual(['Study 4']);
  });
});
