/**
 * The autosave journal (IndexedDB, here the in-memory fake-indexeddb): base + one record per
 * change, replayed on load to exactly the segmentation that was saved, undos included.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../../src/core/types';
import { Autosave, studyKey, type JournalStep } from '../../../src/app/edit/autosave';
import type { HistoryEntry } from '../../../src/volume/history';
import { Segmentation } from '../../../src/volume/segmentation';
import { createVolume } from '../../../src/volume/volume';

function study(seed = 1, uid?: string): Volume {
  const dims: Vec3 = [40, 32, 12];
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < voxels.length; i++) voxels[i] = ((i * 7919 + seed * 104729) % 400) - 100;
  return createVolume({
    dims,
    spacing: [1, 1, 2],
    origin: [-20, -16, 5],
    voxels,
    metadata: uid ? { seriesInstanceUid: uid } : {},
  });
}

/** What the editor journals after each finished change. */
function steps(e: HistoryEntry, dir: 'before' | 'after'): JournalStep[] {
  return e.voxels.map((v) => ({ layer: v.layer, diff: v.diff, dir }));
}

function doOp(seg: Segmentation, save: Autosave, op: () => unknown): void {
  const before = seg.history.applied().at(-1)?.id ?? -1;
  op();
  const e = seg.history.applied().at(-1);
  if (e && e.id !== before) save.append(seg, steps(e, 'after'), !!(e.layersAfter || e.layersBefore));
}

function undo(seg: Segmentation, save: Autosave): void {
  const e = seg.history.applied().at(-1)!;
  seg.undo();
  save.append(seg, steps(e, 'before'), !!(e.layersAfter || e.layersBefore));
}

function same(a: Segmentation, b: Segmentation): void {
  expect(b.layers.length).toBe(a.layers.length);
  a.layers.forEach((l, i) =>
    expect(Buffer.compare(Buffer.from(l.voxels.buffer), Buffer.from(b.layers[i].voxels.buffer))).toBe(0),
  );
  expect(JSON.parse(JSON.stringify(b.segments))).toEqual(JSON.parse(JSON.stringify(a.segments)));
}

describe('autosave journal', () => {
  it('replays strokes, metadata changes and undos to the exact state', async () => {
    const s = study(1, '1.2.3.4');
    const seg = Segmentation.empty(s);
    const save = new Autosave();
    save.start(seg);
    let liver = 0;
    doOp(seg, save, () => (liver = seg.addSegment({ name: 'Liver', algorithm: 'MANUAL' }).value));
    seg.beginStroke('Brush');
    for (let x = 5; x < 30; x += 2) seg.paint({ kind: 'circle', center: [x, 15, 6], radiusMm: 4, axis: 2 }, liver);
    const before = seg.history.applied().at(-1)?.id;
    seg.endStroke();
    const stroke = seg.history.applied().at(-1)!;
    expect(stroke.id).not.toBe(before);
    save.append(seg, steps(stroke, 'after'), false);
    doOp(seg, save, () => seg.updateSegment(liver, { name: 'Liver (edited)', color: [10, 20, 30] }));
    doOp(seg, save, () => seg.paint({ kind: 'sphere', center: [20, 10, 6], radiusMm: 5 }, liver));
    undo(seg, save);
    doOp(seg, save, () => seg.erase({ kind: 'circle', center: [12, 15, 6], radiusMm: 3, axis: 2 }));
    await save.flush();

    const found = await new Autosave().find(s);
    expect(found?.segments).toBe(1);
    expect(found?.changes).toBe(6);
    const back = await new Autosave().load(s);
    expect(back).not.toBeNull();
    same(seg, back!);
  });

  it('writes a new base when labels are promoted to uint16, and keeps studies apart', async () => {
    const a = study(2, '9.8.7');
    const b = study(3);
    const seg = Segmentation.empty(a);
    const save = new Autosave();
    save.start(seg);
    doOp(seg, save, () => seg.addSegment({ name: 'A', algorithm: 'MANUAL' }));
    doOp(seg, save, () => seg.paint({ kind: 'sphere', center: [10, 10, 6], radiusMm: 4 }, 1));
    doOp(seg, save, () => seg.addSegment({ value: 300, name: 'Big value', algorithm: 'MANUAL' }));
    doOp(seg, save, () => seg.paint({ kind: 'sphere', center: [25, 20, 6], radiusMm: 4 }, 300));
    expect(seg.layers[0].header.dtype).toBe('uint16');
    await save.flush();
    same(seg, (await new Autosave().load(a))!);
    expect(await new Autosave().find(b)).toBeNull();
    expect(studyKey(a)).not.toBe(studyKey(b));
    // Same grid without a UID: told apart by the voxels.
    expect(studyKey(study(4))).not.toBe(studyKey(study(5)));
    await new Autosave().discard(a);
    expect(await new Autosave().find(a)).toBeNull();
  });

  it('folds a long journal into a new base and still restores exactly', async () => {
    const s = study(6, '5.5.5');
    const seg = Segmentation.empty(s);
    const save = new Autosave();
    save.start(seg);
    doOp(seg, save, () => seg.addSegment({ name: 'S', algorithm: 'MANUAL' }));
    for (let n = 0; n < 230; n++)
      doOp(seg, save, () =>
        seg.paint({ kind: 'circle', center: [(n * 3) % 38, (n * 5) % 30, n % 12], radiusMm: 1.5, axis: 2 }, 1),
      );
    await save.flush();
    const found = await new Autosave().find(s);
    expect(found!.changes).toBeLessThan(200);
    same(seg, (await new Autosave().load(s))!);
  });
});
