/**
 * What the app's session does when files cannot be opened or load with warnings: the study on
 * screen (its rows, its workspace, its segmentation) stays open and editable, one error names the
 * file and the reader's cause, and a series' load warnings are shown once per opening of the
 * files, not again each time the series is selected.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorReason } from '../../../src/core/errors';
import type { Volume } from '../../../src/core/types';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { ViewState } from '../../../src/app/view-state.svelte';
import { Editor } from '../../../src/app/edit/editor.svelte';
import type { SourceFile } from '../../../src/io/dicom/source';
import { readNifti } from '../../../src/io/nifti/index';
import { fakeViewer, niftiFile, settle, study } from './helpers/fake-viewer';
import { writeTiltedSeries } from '../../e2e/helpers/hostile-files';

function bytesFile(name: string, bytes: Uint8Array): SourceFile {
  return { name, size: bytes.length, slice: (start, end) => Promise.resolve(bytes.slice(start, end)) };
}

/** Not a NIfTI: 400 pseudo-random bytes under a NIfTI name. */
function garbage(name: string): SourceFile {
  const b = new Uint8Array(400);
  for (let i = 0, x = 7; i < b.length; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return bytesFile(name, b);
}

function makeApp() {
  const notices = new Notices();
  const session = new Session(notices);
  const view = new ViewState();
  view.viewer = fakeViewer();
  const editor = new Editor(view, notices, session);
  const showSelected = async () => {
    await view.show(session.volume!);
    session.shown(session.volume!);
    await settle();
  };
  return { notices, session, editor, showSelected };
}

const errors = (n: Notices) => n.items.filter((i) => i.level === 'error');

describe('a failed open leaves the study on screen', () => {
  it('an unreadable file: one error naming it with the reader cause; study, rows and segmentation kept, still editable', async () => {
    const app = makeApp();
    await app.session.open([niftiFile(study(1), 'ct.nii')]);
    await app.showSelected();
    const lesion = app.editor.list.addSegment({ name: 'Lesion' });
    await settle();
    const ws = app.session.workspace!;
    const seg = ws.seg;
    const rows = app.session.rows;
    const selected = app.session.selectedId;

    const bad = garbage('broken.nii');
    await app.session.open([bad]);
    await settle();
    expect(app.session.workspace).toBe(ws);
    expect(ws.seg).toBe(seg);
    expect(app.session.rows).toBe(rows);
    expect(app.session.selectedId).toBe(selected);
    expect(app.session.status).toBe('ready');
    expect(app.session.volume).toBe(ws.image);
    const [e, ...more] = errors(app.notices);
    expect(more).toEqual([]);
    expect(e.file).toBe('broken.nii');
    // The reader's own cause, without the file name repeated.
    let why = '';
    try {
      readNifti(await bad.slice(0), 'broken.nii');
    } catch (err) {
      why = errorReason(err);
    }
    expect(why).not.toBe('');
    expect(e.message).toBe(why);
    expect(e.message).not.toContain('broken.nii');
    // Still editable: another segment joins the same segmentation.
    expect(app.editor.list.addSegment({ name: 'Second' })).toBeTruthy();
    await settle();
    expect(ws.seg!.segments.map((s) => s.name)).toEqual([lesion!.name, 'Second']);
    // The banner can be dismissed.
    app.notices.dismiss(e.id);
    expect(errors(app.notices)).toEqual([]);
  });

  it('several unreadable files: one error with a line per file', async () => {
    const app = makeApp();
    await app.session.open([garbage('a.nii'), garbage('b.nii.gz')]);
    const [e, ...more] = errors(app.notices);
    expect(more).toEqual([]);
    expect(e.message).toBe('none of the 2 files holds a readable image series');
    expect(e.details).toHaveLength(2);
    expect(e.details![0]).toMatch(/^a\.nii: ./);
    expect(e.details![1]).toMatch(/^b\.nii\.gz: ./);
    // Nothing was open: the session failed.
    expect(app.session.status).toBe('failed');
    expect(app.session.workspace).toBeNull();
  });
});

describe('load warnings', () => {
  it('are shown once, naming the series, not again when the series is selected again or after a dismiss', async () => {
    const { files } = writeTiltedSeries([32, 32, 8], 20, 3);
    const dicom = files.map((p) => bytesFile(basename(p), new Uint8Array(readFileSync(p))));
    const app = makeApp();
    // The tilted series has more voxels than the small NIfTI: it opens first.
    const small: Volume = study(3);
    await app.session.open([...dicom, niftiFile(small, 'small.nii')]);
    await app.showSelected();
    const tilted = app.session.rows.find((r) => r.kind === 'dicom')!;
    expect(app.session.selectedId).toBe(tilted.id);
    const warnings = app.notices.items.filter((n) => n.level === 'warning');
    // The generated series leans: the loader says so (how depends on the loader: a tilt warning or a resampling note).
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(w.title).toContain('Tilted head CT');
    const texts = warnings.map((w) => w.message);

    const other = app.session.rows.find((r) => r.kind === 'nifti')!;
    await app.session.select(other.id);
    await app.showSelected();
    await app.session.select(tilted.id);
    await app.showSelected();
    expect(app.notices.items.filter((n) => n.level === 'warning').map((w) => w.message)).toEqual(texts);

    for (const w of warnings) app.notices.dismiss(w.id);
    await app.session.select(other.id);
    await app.showSelected();
    await app.session.select(tilted.id);
    await app.showSelected();
    expect(app.notices.items).toEqual([]);

    // Opening the files again is a new look at them: the warnings are shown again, once.
    await app.session.open([...dicom, niftiFile(small, 'small.nii')]);
    await app.showSelected();
    expect(app.notices.items.filter((n) => n.level === 'warning').map((w) => w.message)).toEqual(texts);
  });
});
