/**
 * The Measure store wired as App.svelte wires it, against the fake viewer and an in-memory
 * storage: values computed from the image's voxels (not taken from the views), labels, the left
 * button shared with the editing tools, the list kept per study and drawn again when the study
 * comes back, delete, and the SR export refusing a NIfTI study with a message.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { Editor } from '../../../src/app/edit/editor.svelte';
import { Measure } from '../../../src/app/measure/measure.svelte';
import type { Measurement } from '../../../src/app/measure/measurements';
import type { MeasureStorage } from '../../../src/app/measure/storage';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { ViewState } from '../../../src/app/view-state.svelte';
import type { MeasureChange } from '../../../src/viewer';
import { roiStats } from '../../../src/volume/roi-stats';
import { fakeViewer, niftiFile, settle, study } from './helpers/fake-viewer';

class MemoryStorage implements MeasureStorage {
  saved = new Map<string, Measurement[]>();
  async load(key: string) {
    return structuredClone(this.saved.get(key) ?? []);
  }
  async save(key: string, list: readonly Measurement[]) {
    this.saved.set(key, structuredClone([...list]));
  }
}

function makeApp(storage = new MemoryStorage()) {
  const notices = new Notices();
  const session = new Session(notices);
  const view = new ViewState();
  const viewer = fakeViewer();
  view.viewer = viewer;
  const editor = new Editor(view, notices, session);
  const measure = new Measure(view, session, editor.tools, storage, notices);
  measure.attach();
  const open = async (seed: number) => {
    const v = study(seed);
    await session.open([niftiFile(v, `s${seed}.nii`)]);
    await view.show(session.volume!);
    session.shown(session.volume!);
    await settle();
  };
  const draw = (c: MeasureChange) => viewer.events.emit('measure', c);
  return { session, viewer, editor, measure, open, draw, storage };
}

const line = (uid: string, a: Vec3, b: Vec3): MeasureChange => ({
  type: 'completed',
  measurement: { uid, kind: 'length', view: 'axial', points: [a, b] },
});

describe('Measure store', () => {
  it('computes values from the voxels and labels each kind in turn', async () => {
    const app = makeApp();
    await app.open(1);
    app.draw(line('a', [0, 0, 4], [3, 4, 4]));
    app.draw(line('b', [0, 0, 4], [0, 0, 10]));
    const roi: MeasureChange = {
      type: 'completed',
      measurement: {
        uid: 'r',
        kind: 'ellipse',
        view: 'axial',
        points: [
          [1, 2, 4],
          [6, 2, 4],
          [1, 5, 4],
        ],
      },
    };
    app.draw(roi);
    const [a, b, r] = app.measure.list;
    expect([a.label, b.label, r.label]).toEqual(['Length 1', 'Length 2', 'Ellipse 1']);
    expect(a.values.length).toBeCloseTo(5, 12);
    expect(b.values.length).toBeCloseTo(6, 12);
    const want = roiStats(app.session.workspace!.image, {
      shape: 'ellipse',
      centre: [1, 2, 4],
      u: [5, 0, 0],
      v: [0, 3, 0],
    });
    expect(r.values.count).toBe(want.count);
    expect(r.values.mean).toBe(want.mean);
    // Moving a handle recomputes; an unknown annotation's modification is ignored.
    app.draw({ type: 'modified', measurement: { ...line('a', [0, 0, 4], [0, 8, 4]).measurement } });
    app.draw({ type: 'modified', measurement: { ...line('zzz', [0, 0, 4], [0, 8, 4]).measurement } });
    expect(app.measure.list.map((m) => m.values.length ?? null)).toEqual([8, 6, null]);
    // Deleted in the views or from the list.
    app.draw({ type: 'removed', measurement: b });
    app.measure.remove('r');
    expect(app.measure.list.map((m) => m.uid)).toEqual(['a']);
    expect(app.viewer.named('removeMeasurement')).toEqual([['r']]);
  });

  it('shares the left button with the editing tools', async () => {
    const app = makeApp();
    await app.open(1);
    app.editor.tools.setTool('brush');
    app.measure.setTool('length');
    expect(app.editor.tools.tool).toBe('navigate');
    expect(app.viewer.named('setMeasureTool').at(-1)).toEqual(['length']);
    app.editor.tools.setTool('fill');
    app.measure.editingTool(app.editor.tools.tool);
    expect(app.measure.tool).toBe(null);
    expect(app.viewer.named('setMeasureTool').at(-1)).toEqual([null]);
    // The same tool again turns measuring off.
    app.measure.setTool('ellipse');
    app.measure.setTool('ellipse');
    expect(app.measure.tool).toBe(null);
  });

  it('keeps the list per study and draws it again when the study opens again', async () => {
    const app = makeApp();
    await app.open(1);
    app.draw(line('a', [0, 0, 4], [3, 4, 4]));
    await settle();
    await app.open(2);
    expect(app.measure.list).toEqual([]);
    app.draw(line('x', [0, 0, 2], [1, 0, 2]));
    await settle();
    await app.open(1);
    expect(app.measure.list.map((m) => [m.uid, m.label, m.values.length])).toEqual([['a', 'Length 1', 5]]);
    const drawn = app.viewer.named('showMeasurements').at(-1)![0] as Measurement[];
    expect(drawn.map((m) => m.uid)).toEqual(['a']);
    // A new page (new stores) finds it too.
    const again = makeApp(app.storage);
    await again.open(1);
    expect(again.measure.list.map((m) => m.uid)).toEqual(['a']);
  });

  it('refuses the SR of a NIfTI study with a message', async () => {
    const app = makeApp();
    await app.open(1);
    app.draw(line('a', [0, 0, 4], [3, 4, 4]));
    app.measure.exportSr();
    expect(app.measure.message?.level).toBe('error');
    expect(app.measure.message?.text).toMatch(/not a DICOM series/);
  });
});
