/**
 * Opening a series from a DICOMweb server in the app's session (a stand-in client; the real one
 * against Orthanc is in tests/e2e/dicomweb.e2e.test.ts): progress with instances and bytes; a
 * failure is one error naming the server with a Retry, and leaves the study on screen, its rows
 * and its segmentation as they were; Retry passes the instances already received; Cancel stops
 * the retrieval and keeps the study; the origin is remembered while the series is open.
 */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { Notices } from '../../../src/app/notices.svelte';
import { Session } from '../../../src/app/session.svelte';
import { ViewState } from '../../../src/app/view-state.svelte';
import { Editor } from '../../../src/app/edit/editor.svelte';
import { Transfer } from '../../../src/app/edit/transfer.svelte';
import { Remote } from '../../../src/app/pacs/remote.svelte';
import type { DicomwebClient } from '../../../src/io/dicomweb/client';
import type { RetrieveOptions, SeriesSummary, StudySummary } from '../../../src/io/dicomweb/types';
import type { SourceFile } from '../../../src/io/dicom/source';
import { fakeViewer, niftiFile, settle, study } from './helpers/fake-viewer';

const STUDY: StudySummary = {
  studyInstanceUid: '1.2.840.1',
  patientName: 'Doe^Jane',
  patientId: 'P1',
  studyDate: '20240101',
  studyDescription: 'Abdomen',
  accessionNumber: 'A1',
  modalities: ['CT'],
};
const SERIES: SeriesSummary = {
  studyInstanceUid: '1.2.840.1',
  seriesInstanceUid: '1.2.840.1.2',
  modality: 'CT',
  description: 'CT Body',
  instanceCount: 2,
};

/** A client whose retrieveSeries runs `script` (one entry per call). */
function fakeClient(script: ((o: RetrieveOptions) => Promise<SourceFile[]>)[]) {
  const calls: RetrieveOptions[] = [];
  const client = {
    server: { name: 'Orthanc', url: '/dicomweb/orthanc', auth: { kind: 'none' } },
    retrieveSeries: (_s: string, _r: string, o: RetrieveOptions) => {
      calls.push(o);
      return script[calls.length - 1](o);
    },
  } as unknown as DicomwebClient;
  return { client, calls };
}

async function makeApp(client: DicomwebClient) {
  const notices = new Notices();
  const session = new Session(notices);
  const view = new ViewState();
  view.viewer = fakeViewer();
  const editor = new Editor(view, notices, session);
  const transfer = new Transfer(editor, notices, null, session);
  const remote = new Remote(session, notices, transfer, () => client);
  const show = async () => {
    await view.show(session.volume!);
    session.shown(session.volume!);
    await settle();
  };
  // A study on screen with an edit.
  await session.open([niftiFile(study(1), 'local.nii')], 'local');
  await show();
  editor.list.addSegment({ name: 'Lesion' });
  await settle();
  return { notices, session, editor, remote, show };
}

describe('retrieving a series from a DICOMweb server', () => {
  it('a failure keeps the study on screen; Retry resumes with the instances received; the series opens', async () => {
    const stages: (string | undefined)[] = [];
    let session: Session | null = null;
    const remoteVolume = study(2, '9.9.9');
    const { client, calls } = fakeClient([
      async (o) => {
        o.received!.set('sop-1', new Uint8Array(10));
        o.onProgress?.({ instances: 1, totalInstances: 2, bytes: 10 * 1024 });
        stages.push(session?.progress?.stage);
        throw new VoxsegError('server', 'the connection dropped after 1 of 2 instances', { file: 'Orthanc' });
      },
      async (o) => {
        expect([...o.received!.keys()]).toEqual(['sop-1']);
        o.onProgress?.({ instances: 2, totalInstances: 2, bytes: 20 });
        return [niftiFile(remoteVolume, 'remote.nii')];
      },
    ]);
    const app = await makeApp(client);
    const before = { rows: app.session.rows, ws: app.session.workspace, seg: app.session.workspace!.seg };
    session = app.session;
    expect(await app.remote.openSeries('s1', STUDY, SERIES)).toBe(false);
    expect(stages).toEqual(['Retrieving CT Body from Orthanc: 1 of 2 instances, 10 KB']);
    expect(app.session.rows).toBe(before.rows);
    expect(app.session.workspace).toBe(before.ws);
    expect(app.session.workspace!.seg).toBe(before.seg);
    expect(app.session.status).toBe('ready');
    expect(app.session.retrieving).toBeNull();
    const errors = app.notices.items.filter((n) => n.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      title: 'Could not retrieve CT Body from Orthanc',
      file: 'Orthanc',
      message: 'the connection dropped after 1 of 2 instances',
    });
    expect(errors[0].action?.label).toBe('Retry');
    expect(app.remote.current).toBeNull();

    expect(await app.remote.retry('s1', SERIES.seriesInstanceUid)).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[1].received).toBe(calls[0].received);
    expect(app.session.sourceLabel).toBe('Orthanc: CT Body');
    await app.show();
    expect(app.session.volume?.voxels).toEqual(remoteVolume.voxels);
    expect(app.remote.current).toMatchObject({
      serverId: 's1',
      studyUid: STUDY.studyInstanceUid,
      seriesUid: SERIES.seriesInstanceUid,
    });
  });

  it('Cancel stops the retrieval and keeps the study on screen', async () => {
    const { client } = fakeClient([
      (o) =>
        new Promise((_, reject) =>
          o.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
        ),
    ]);
    const app = await makeApp(client);
    const ws = app.session.workspace;
    const opening = app.remote.openSeries('s1', STUDY, SERIES);
    await settle();
    expect(app.session.retrieving).not.toBeNull();
    expect(app.session.status).toBe('loading');
    app.session.cancel();
    expect(await opening).toBe(false);
    expect(app.session.status).toBe('ready');
    expect(app.session.progress).toBeNull();
    expect(app.session.workspace).toBe(ws);
    expect(app.notices.items.filter((n) => n.level === 'error')).toHaveLength(0);
  });
});
