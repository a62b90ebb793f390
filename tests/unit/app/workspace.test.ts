/**
 * The app's stores (Svelte 5 rune classes, compiled by the svelte plugin) wired as App.svelte
 * wires them, against a fake viewer and fake mesh clients: where the open study lives, and what
 * the overlay, the 3D surfaces and the segment list do when its segmentation changes.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../../src/core/types';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { ViewState } from '../../../src/app/view-state.svelte';
import { Overlay } from '../../../src/app/edit/overlay.svelte';
import { Surfaces } from '../../../src/app/surfaces/surfaces.svelte';
import { Editor } from '../../../src/app/edit/editor.svelte';
import type { Workspace } from '../../../src/app/workspace.svelte';
import { createVolume } from '../../../src/volume/volume';
import type { ViewPointer } from '../../../src/viewer';
import { fakeMeshers, fakeViewer, niftiFile, settle, study } from './helpers/fake-viewer';

function makeApp() {
  const notices = new Notices();
  const session = new Session(notices);
  const view = new ViewState();
  const viewer = fakeViewer();
  view.viewer = viewer;
  const meshers = fakeMeshers();
  const overlay = new Overlay(view, notices, session);
  const surfaces = new Surfaces(view, notices, session, meshers.create);
  const editor = new Editor(view, notices, session);
  editor.strokes.attach();
  const opened: (Workspace | null)[] = [];
  session.events.on('workspace', (ws) => opened.push(ws));
  /** The viewer draws the selected image and reports it. */
  const showSelected = async () => {
    await view.show(session.volume!);
    session.shown(session.volume!);
    await settle();
  };
  const open = async (volume: Volume, name: string) => {
    await session.open([niftiFile(volume, name)]);
    await showSelected();
  };
  return { notices, session, view, viewer, meshers, overlay, surfaces, editor, opened, open, showSelected };
}

/** Two overlapping label layers on `image`'s grid: 1 and 2 on layer 0, 3 on layer 1 over them. */
function layered(image: Volume): Volume[] {
  const [nx, ny, nz] = image.header.dims;
  const header = { ...image.header, dtype: 'uint8' as const, metadata: {} };
  const a = new Uint8Array(nx * ny * nz);
  const b = new Uint8Array(nx * ny * nz);
  for (let z = 2; z < 8; z++)
    for (let y = 4; y < 16; y++)
      for (let x = 4; x < 20; x++) {
        const i = x + nx * (y + ny * z);
        a[i] = x < 12 ? 1 : 2;
        if (y < 10) b[i] = 3;
      }
  return [
    { header, voxels: a },
    { header, voxels: b },
  ];
}

function showModelResult(app: ReturnType<typeof makeApp>, image = app.session.volume!, title = 'Model 1.0') {
  const layers = layered(image);
  const ok = app.editor.show({
    study: image,
    labels: layers[0],
    layers,
    segments: [
      { value: 1, name: 'Liver', color: [200, 80, 60], layer: 0 },
      { value: 2, name: 'Spleen', color: [60, 80, 200], layer: 0 },
      { value: 3, name: 'Tumour', color: [250, 250, 0], layer: 1 },
    ],
    voxelsPerLabel: {},
    title,
    note: '1 s on WASM',
  });
  expect(ok).toBe(true);
  return layers;
}

function pointer(phase: ViewPointer['phase'], world: Vec3): ViewPointer {
  return {
    phase,
    view: 'axial',
    world,
    normal: [0, 0, 1],
    x: world[0] * 10,
    y: world[1] * 10,
    mmPerPixel: 1,
    shift: false,
    ctrl: false,
    alt: false,
  };
}

function count(layers: readonly Volume[], value: number): number {
  let n = 0;
  for (const l of layers) for (let i = 0; i < l.voxels.length; i++) if (l.voxels[i] === value) n++;
  return n;
}

describe('workspace per open study', () => {
  it('opening a study creates one workspace holding the image on screen', async () => {
    const app = makeApp();
    expect(app.session.workspace).toBeNull();
    await app.open(study(1), 'ct.nii');
    const ws = app.session.workspace!;
    expect(app.opened).toEqual([ws]);
    expect(app.session.volume).toBe(ws.image);
    expect(ws.study).toBe(ws.image);
    expect(ws.onScreen).toBe(true);
    expect(ws.seg).toBeNull();
    expect(app.session.status).toBe('ready');
  });

  it('a model result becomes the segmentation; every layer is shown and meshed', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app);
    await settle();
    const seg = app.session.workspace!.seg!;
    expect(seg.layers).toHaveLength(2);
    // The overlay shows both layers, with every segment.
    const [shownLayers, shownSegments] = app.viewer.named('showLabels').at(-1)! as [Volume[], { value: number }[]];
    expect(shownLayers).toEqual(seg.layers);
    expect(shownSegments.map((s) => s.value)).toEqual([1, 2, 3]);
    expect(app.overlay.status).toBe('shown');
    expect(app.overlay.title).toBe('Model 1.0');
    // One mesh client per layer, each meshing its own layer's segments.
    const meshes = app.meshers.calls.filter((c) => c.kind === 'mesh');
    expect(meshes.map((c) => [c.client, c.values])).toEqual([
      [0, [1, 2]],
      [1, [3]],
    ]);
    expect(meshes[0].labels).toBe(seg.layers[0]);
    expect(meshes[1].labels).toBe(seg.layers[1]);
    expect(app.surfaces.status).toBe('shown');
    expect(app.surfaces.rows.map((r) => r.value)).toEqual([1, 2, 3]);
    // The segment list has the segments and their counts.
    expect(app.editor.list.segments.map((s) => s.name)).toEqual(['Liver', 'Spleen', 'Tumour']);
    expect(app.editor.list.counts.get(3)).toBe(count(seg.layers, 3));
    expect(app.editor.list.counts.get(1)).toBe(count(seg.layers, 1));
  });

  it('a model result over a segmentation replaces it as one undoable change, shown under its title', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app, app.session.volume!, 'Model 1.0');
    await settle();
    const list = app.editor.list;
    list.update(1, { name: 'Liver (checked)' });
    const seg = app.session.workspace!.seg;
    const shows = app.viewer.named('showLabels').length;
    const meshes = app.meshers.calls.filter((c) => c.kind === 'mesh').length;
    // Same layers (no structure change): the title changes, the layers are shown and meshed again.
    showModelResult(app, app.session.volume!, 'Model 2.0');
    await settle();
    expect(app.session.workspace!.seg).toBe(seg);
    expect(app.overlay.title).toBe('Model 2.0');
    expect(app.viewer.named('showLabels').length).toBe(shows + 1);
    expect(app.meshers.calls.filter((c) => c.kind === 'mesh').length).toBe(meshes + 2);
    expect(list.undoLabel).toBe('Load Model 2.0');
    expect(list.segments[0].name).toBe('Liver');
    list.undo();
    await settle();
    expect(list.segments[0].name).toBe('Liver (checked)');
  });

  it("a model's first result is one undoable change: undo leaves no labels, redo brings them back", async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app, app.session.volume!, 'Model 1.0');
    await settle();
    const list = app.editor.list;
    const seg = app.session.workspace!.seg!;
    const nonZero = () => Array.from(seg.layers[0].voxels as ArrayLike<number>).filter((v) => v !== 0).length;
    const labelled = nonZero();
    expect(labelled).toBeGreaterThan(0);
    expect(list.undoLabel).toBe('Load Model 1.0');
    list.undo();
    await settle();
    expect(nonZero()).toBe(0);
    expect(list.undoLabel).toBeNull();
    list.redo();
    await settle();
    expect(nonZero()).toBe(labelled);
  });

  it('a brush stroke re-meshes only its box, in its layer, and updates the counts', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app);
    await settle();
    const ws = app.session.workspace!;
    const list = app.editor.list;
    app.editor.tools.setTool('brush');
    app.editor.tools.radiusMm = 2;
    list.select(2);
    const revision = list.revision;
    const before = app.meshers.calls.length;
    const labelsModified = app.viewer.named('labelsModified').length;
    // Voxel (6, 12, 5) lies at (-6, 2, 10) mm: paint value 2 there and drag 3 mm along x.
    app.viewer.events.emit('pointer', pointer('down', [-6, 2, 10]));
    app.viewer.events.emit('pointer', pointer('move', [-4.5, 2, 10]));
    // While the stroke lasts only its view redraws and nothing is meshed or counted.
    const during = app.viewer.named('labelsModified').slice(labelsModified);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((args) => args[3] === 'axial')).toBe(true);
    expect(app.meshers.calls.length).toBe(before);
    expect(list.revision).toBe(revision);
    app.viewer.events.emit('pointer', pointer('up', [-3, 2, 10]));
    await settle();
    expect(list.revision).toBe(revision + 1);
    expect(list.undoLabel).toBe('Brush');
    const updates = app.meshers.calls.slice(before);
    expect(updates).toHaveLength(1);
    const u = updates[0];
    expect(u.kind).toBe('update');
    expect(u.client).toBe(0); // layer 0 only
    // The box of a 2 mm brush dragged from x=6 to x=9 on slice z=5 (spacing 1, 1, 2).
    expect(u.lo![2]).toBe(5);
    expect(u.hi![2]).toBe(6);
    expect(u.lo![0]).toBeGreaterThanOrEqual(3);
    expect(u.hi![0]).toBeLessThanOrEqual(12);
    expect(u.hi![1] - u.lo![1]).toBeLessThanOrEqual(5);
    // Every view redraws the stroke once it is committed.
    expect(
      app.viewer
        .named('labelsModified')
        .slice(labelsModified)
        .some((args) => args[3] === undefined),
    ).toBe(true);
    // Counts follow the diffs, and match a fresh count.
    const seg = ws.seg!;
    for (const v of [1, 2, 3]) expect(list.counts.get(v)).toBe(count(seg.layers, v));
    // Undo goes back, and re-meshes the same box.
    list.undo();
    await settle();
    for (const v of [1, 2, 3]) expect(list.counts.get(v)).toBe(count(seg.layers, v));
    const undo = app.meshers.calls.at(-1)!;
    expect([undo.kind, undo.client, undo.lo, undo.hi]).toEqual(['update', 0, u.lo, u.hi]);
  });

  it('a derived image of the study keeps the segmentation and shows it again', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app);
    await settle();
    const ws = app.session.workspace!;
    const seg = ws.seg;
    const base = app.session.volume!;
    const stripped = createVolume({ ...base.header, voxels: new Int16Array(base.voxels.length) });
    const shownBefore = app.viewer.named('showLabels').length;
    expect(await app.session.showDerived(base, stripped, 'brain extracted')).toBe(true);
    expect(app.session.workspace).toBe(ws);
    expect(ws.image).toBe(stripped);
    expect(ws.seg).toBe(seg);
    expect(app.opened).toHaveLength(1);
    await app.showSelected();
    expect(app.viewer.named('showLabels').length).toBe(shownBefore + 1);
    expect(app.overlay.status).toBe('shown');
  });

  it('another study drops the segmentation, its overlay and its surfaces', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    showModelResult(app);
    await settle();
    const first = app.session.workspace!;
    await app.open(study(2), 'other.nii');
    const second = app.session.workspace!;
    expect(second).not.toBe(first);
    expect(first.seg).toBeNull();
    expect(second.seg).toBeNull();
    expect(app.opened).toEqual([first, second]);
    expect(app.overlay.status).toBe('none');
    expect(app.surfaces.status).toBe('none');
    expect(app.surfaces.rows).toEqual([]);
    expect(app.meshers.disposed.sort()).toEqual([0, 1]);
    expect(app.editor.list.segments).toEqual([]);
    expect(app.viewer.named('clearLabels').length).toBeGreaterThan(0);
  });

  it('a segment added by hand on an empty study starts a segmentation', async () => {
    const app = makeApp();
    await app.open(study(1), 'ct.nii');
    const s = app.editor.list.addSegment({ name: 'Lesion' });
    await settle();
    expect(s?.name).toBe('Lesion');
    expect(app.session.workspace!.seg!.segments.map((x) => x.name)).toEqual(['Lesion']);
    expect(app.editor.list.active).toBe(s!.value);
    expect(app.overlay.status).toBe('shown');
  });
});
