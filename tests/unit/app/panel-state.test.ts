/**
 * The left panel's state and the small "state that lies" bugs: sections remember whether they
 * are open; a failed open leaves the study, its rows and its title as they were and names the
 * file; re-selecting the open series does not load it again; a "Saved …" message and the notices
 * about a study go when another study opens; a NIfTI row shows its file name with the header's
 * description under it; person names are cut only at true component-group separators; exported
 * label files are named after the source without a doubled "labels".
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { ViewState } from '../../../src/app/view-state.svelte';
import { Editor } from '../../../src/app/edit/editor.svelte';
import { labelsFileBase, Transfer } from '../../../src/app/edit/transfer.svelte';
import { catalogFiles, formatPersonName } from '../../../src/app/catalog';
import { rememberSection, sectionOpen, type SectionStorage } from '../../../src/app/sections';
import type { SourceFile } from '../../../src/io/dicom/source';
import { writeNifti } from '../../../src/io/nifti/index';
import { fakeViewer, niftiFile, settle, study } from './helpers/fake-viewer';
import { writeTiltedSeries } from '../../e2e/helpers/hostile-files';

const downloads: string[] = [];
vi.mock('../../../src/app/surfaces/export', async (original) => ({
  ...(await original<object>()),
  downloadBlob: (_blob: Blob, name: string) => void downloads.push(name),
}));
afterEach(() => void (downloads.length = 0));

function bytesFile(name: string, bytes: Uint8Array): SourceFile {
  return { name, size: bytes.length, slice: (start, end) => Promise.resolve(bytes.slice(start, end)) };
}

function makeApp() {
  const notices = new Notices();
  const session = new Session(notices);
  const view = new ViewState();
  view.viewer = fakeViewer();
  const editor = new Editor(view, notices, session);
  const transfer = new Transfer(editor, notices, null, session);
  const showSelected = async () => {
    await view.show(session.volume!);
    session.shown(session.volume!);
    await settle();
  };
  return { notices, session, editor, transfer, showSelected };
}

class MemoryStorage implements SectionStorage {
  readonly map = new Map<string, string>();
  getItem = (k: string) => this.map.get(k) ?? null;
  setItem = (k: string, v: string) => void this.map.set(k, v);
}

describe('panel sections remember whether they are open', () => {
  it('the default until toggled, then what the user left, per section', () => {
    const s = new MemoryStorage();
    expect(sectionOpen('model', true, s)).toBe(true);
    expect(sectionOpen('surfaces', false, s)).toBe(false);
    rememberSection('model', false, s);
    rememberSection('surfaces', true, s);
    expect(sectionOpen('model', true, s)).toBe(false);
    expect(sectionOpen('surfaces', false, s)).toBe(true);
    expect(sectionOpen('edit', true, s)).toBe(true);
    expect([...s.map.keys()].sort()).toEqual(['voxseg.section.model', 'voxseg.section.surfaces']);
  });

  it('storage that throws or is absent: the default, no error', () => {
    const broken: SectionStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(() => rememberSection('model', false, broken)).not.toThrow();
    expect(sectionOpen('model', true, broken)).toBe(true);
    expect(sectionOpen('model', false, null)).toBe(false);
  });
});

describe('a failed open keeps the study on screen', () => {
  it('a text file: same rows, title, workspace and status; one error naming the file and why', async () => {
    const app = makeApp();
    await app.session.open([niftiFile(study(1), 'ct.nii')], 'ct.nii');
    await app.showSelected();
    const { rows, workspace, selectedId, sourceLabel } = app.session;
    const text = new TextEncoder().encode('Patient notes\nnothing to see here\n');
    await app.session.open([bytesFile('notes.txt', text)], 'notes.txt');
    await settle();
    expect(app.session.rows).toBe(rows);
    expect(app.session.workspace).toBe(workspace);
    expect(app.session.selectedId).toBe(selectedId);
    expect(app.session.sourceLabel).toBe(sourceLabel);
    expect(app.session.status).toBe('ready');
    expect(app.notices.items).toHaveLength(1);
    const [e] = app.notices.items;
    expect(e.level).toBe('error');
    expect(e.file).toBe('notes.txt');
    expect(e.message).toMatch(/not a DICOM file/);
  });
});

describe('re-selecting the open series', () => {
  it('does not load it again (same volume, same workspace, no progress)', async () => {
    const { files } = writeTiltedSeries([32, 32, 8], 20, 3);
    const dicom = files.map((p) => bytesFile(basename(p), new Uint8Array(readFileSync(p))));
    const app = makeApp();
    await app.session.open(dicom);
    await app.showSelected();
    const { volume, workspace, selectedId } = app.session;
    expect(app.session.status).toBe('ready');
    await app.session.select(selectedId!);
    // A load would decode a new volume and wait for the viewer ('loading').
    expect(app.session.volume).toBe(volume);
    expect(app.session.workspace).toBe(workspace);
    expect(app.session.status).toBe('ready');
    expect(app.session.progress).toBeNull();
    // Another series and back does load (the viewer is asked again).
    await app.session.open([...dicom, niftiFile(study(2), 'small.nii')]);
    await app.showSelected();
    const nifti = app.session.rows.find((r) => r.kind === 'nifti')!;
    await app.session.select(nifti.id);
    expect(app.session.status).toBe('loading');
  });
});

describe('messages about a study go when another study opens', () => {
  it('"Saved …" after an export is cleared; the notices about the old study dropped, the others kept', async () => {
    const app = makeApp();
    await app.session.open([niftiFile(study(1), 'ct.nii.gz')]);
    await app.showSelected();
    app.editor.list.addSegment({ name: 'Lesion' });
    await settle();
    await app.transfer.exportNifti();
    expect(downloads).toEqual(['ct-labels.nii.gz', 'ct-labels.json']);
    expect(app.transfer.message).toBe('Saved ct-labels.nii.gz, ct-labels.json');

    // Other files: a new study; the message about the old one goes.
    await app.session.open([niftiFile(study(2), 'mr.nii'), niftiFile(study(3), 'pd.nii')]);
    await app.showSelected();
    expect(app.transfer.message).toBe('');

    // Another study of the same files: its notices go, the others stay.
    app.transfer.message = 'Saved mr-labels.nii.gz, mr-labels.json';
    app.notices.push({ level: 'warning', title: 'About mr', message: 'export failed', study: true });
    app.notices.push({ level: 'warning', title: 'Stays', message: 'not about the study' });
    const before = app.notices.items.map((n) => n.title);
    const other = app.session.rows.find((r) => r.id !== app.session.selectedId)!;
    await app.session.select(other.id);
    await app.showSelected();
    expect(app.transfer.message).toBe('');
    expect(app.notices.items.map((n) => n.title)).toEqual(before.filter((t) => t !== 'About mr'));
  });

  it('files not loaded are listed in one notice (test id "rejected") that survives the first study opening', async () => {
    const app = makeApp();
    const junk = (n: string) => bytesFile(n, new TextEncoder().encode(`${n} is text`));
    await app.session.open([niftiFile(study(1), 'ct.nii'), junk('a.txt'), junk('b.txt')]);
    await app.showSelected();
    const rejected = app.notices.items.filter((n) => n.testid === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].title).toBe('2 files not loaded');
    expect(rejected[0].details!.map((d) => d.split(':')[0])).toEqual(['a.txt', 'b.txt']);
  });
});

describe('series rows and names', () => {
  it('a NIfTI row shows its file name; the header description is the second line', async () => {
    const v = study(1);
    const withDescr = bytesFile('t1_crop.nii.gz', writeNifti(v, { gzip: true, description: 'FSL5.0 brain' }));
    const plain = niftiFile(study(2), 'plain.nii');
    const { rows } = await catalogFiles([withDescr, plain]);
    expect(rows.map((r) => [r.description, r.detail])).toEqual([
      ['t1_crop.nii.gz', 'FSL5.0 brain'],
      ['plain.nii', undefined],
    ]);
  });

  it('person names: the alphabetic group, the others only when it is empty, never cut at an "=" of the name', () => {
    expect(formatPersonName('Doe^Jane^^Dr')).toBe('Doe, Dr Jane');
    expect(formatPersonName('Yamada^Tarou=山田^太郎=やまだ^たろう')).toBe('Yamada, Tarou');
    expect(formatPersonName('Hong^Gildong=洪^吉洞=홍^길동')).toBe('Hong, Gildong');
    expect(formatPersonName('=山田^太郎=やまだ^たろう')).toBe('山田, 太郎 = やまだ, たろう');
    expect(formatPersonName('Doe^John=')).toBe('Doe, John');
    // Not component groups: an "=" inside the name (ASCII after it, or too many groups).
    expect(formatPersonName('Smith=Jones^Anna')).toBe('Smith=Jones, Anna');
    expect(formatPersonName('ANON=1')).toBe('ANON=1');
    expect(formatPersonName('a=b=c=d')).toBe('a=b=c=d');
    expect(formatPersonName('')).toBe('');
  });

  it('exported label files are named after the source, without a doubled "labels"', () => {
    expect(labelsFileBase('t1_crop.nii.gz')).toBe('t1_crop');
    expect(labelsFileBase('labels.nii.gz')).toBe('segmentation');
    expect(labelsFileBase('case7_labels.nii')).toBe('case7');
    expect(labelsFileBase('Abdomen CT 1.0 B30f')).toBe('Abdomen_CT_1.0_B30f');
    expect(labelsFileBase(undefined)).toBe('segmentation');
    expect(labelsFileBase('')).toBe('segmentation');
  });

  it('a NIfTI export is <file>-labels.nii.gz, also when the file has no description', async () => {
    const app = makeApp();
    await app.session.open([niftiFile(study(1), 'labels.nii.gz')]);
    await app.showSelected();
    app.editor.list.addSegment({ name: 'Lesion' });
    await settle();
    await app.transfer.exportNifti();
    expect(downloads).toEqual(['segmentation-labels.nii.gz', 'segmentation-labels.json']);
  });
});
