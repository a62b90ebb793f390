/**
 * HTTP errors and QIDO requests against a node:http stub: 401/403/404/5xx and a server not
 * listening named by server and cause, credentials sent as the standard says and never echoed,
 * 413 on STOW with what was sent, query strings (wildcards, unsafe characters), DICOM JSON reading.
 */
import { describe, expect, it } from 'vitest';
import { DicomwebClient } from '../../../../src/io/dicomweb';
import { freePort } from '../../../orthanc/orthanc';
import { failure, instance, useStub } from './stub';

const stub = useStub();

describe('HTTP errors, named by server and cause', () => {
  it('401, 403, 404, 500 (with its text), and a server not listening', async () => {
    stub.handler = (req, res) => {
      if (req.url!.startsWith('/dicom-web/studies?')) return res.writeHead(403).end();
      if (req.url!.includes('/metadata')) return res.writeHead(404).end('no such series');
      if (req.url!.includes('/series?'))
        return res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal\nerror</h1>: database is locked');
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    };
    expect((await failure(stub.client().searchStudies({}))).message).toBe('Stub PACS: access denied (HTTP 403)');
    expect((await failure(stub.client().seriesMetadata('1.2', '3.4'))).message).toBe(
      'Stub PACS: not found on the server (/studies/1.2/series/3.4/metadata)',
    );
    expect((await failure(stub.client().searchSeries('1.2'))).message).toBe(
      'Stub PACS: server error (HTTP 500): Internal error : database is locked',
    );
    expect((await failure(stub.client().retrieveInstance('1', '2', '3'))).message).toBe(
      'Stub PACS: wrong user name or password (HTTP 401)',
    );
    const port = await freePort();
    const down = new DicomwebClient({ name: 'Gone', url: `http://127.0.0.1:${port}/dw`, auth: { kind: 'none' } });
    expect((await failure(down.searchStudies({}))).message).toBe(
      `Gone: server not reachable at http://127.0.0.1:${port}/dw (connection refused)`,
    );
  });

  it('sends basic credentials as UTF-8 base64 and bearer tokens as is; never shows either', async () => {
    stub.handler = (req, res) => res.writeHead(502).end(`upstream rejected ${req.headers.authorization}`);
    const basic = await failure(
      stub.client({ kind: 'basic', user: 'jürgen', password: 'pässwörd-9' }).searchStudies({}),
    );
    expect(stub.seen[0].auth).toBe(`Basic ${Buffer.from('jürgen:pässwörd-9', 'utf8').toString('base64')}`);
    expect(basic.message).not.toContain(Buffer.from('jürgen:pässwörd-9', 'utf8').toString('base64'));
    expect(basic.message).toBe('Stub PACS: server error (HTTP 502): upstream rejected Basic ***');
    const bearer = await failure(stub.client({ kind: 'bearer', token: 'tok-SECRET-1' }).searchStudies({}));
    expect(stub.seen[1].auth).toBe('Bearer tok-SECRET-1');
    expect(bearer.message).toBe('Stub PACS: server error (HTTP 502): upstream rejected Bearer ***');
  });

  it('413 on STOW says what was sent', async () => {
    stub.handler = (_req, res) => res.writeHead(413).end('Entity too large');
    const err = await failure(stub.client().store([instance(3000), instance(2000)]));
    expect(err.message).toMatch(/^Stub PACS: request too large \(HTTP 413\): .*\(5\.\d KB in 2 instances\)/);
    expect(stub.seen[0].type).toMatch(/^multipart\/related; type="application\/dicom"; boundary=\S+$/);
    expect(stub.seen[0].length).toBeGreaterThan(5264);
  });
});

describe('QIDO query strings', () => {
  it('adds a trailing * to names, keeps wildcards, sends unsafe characters as ?', async () => {
    stub.handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/dicom+json' }).end('[]');
    await stub
      .client()
      .searchStudies({ patientName: 'Doe^J', dateFrom: '20200101', modality: 'ct', limit: 10, offset: 20 });
    await stub.client().searchStudies({
      patientName: 'Müller Anna',
      description: 'a&b=c',
      dateFrom: '20200101',
      dateTo: '20200101',
    });
    await stub
      .client()
      .searchStudies({ patientName: 'D?e*', patientId: 'ID 7', accessionNumber: 'A1', dateTo: '20201231' });
    const q = stub.seen.map((s) => new URL(s.url, 'http://x').search.slice(1).split('&'));
    expect(q[0]).toEqual(
      expect.arrayContaining([
        'PatientName=Doe^J*',
        'fuzzymatching=false',
        'StudyDate=20200101-',
        'ModalitiesInStudy=CT',
        'limit=10',
        'offset=20',
      ]),
    );
    expect(q[0].find((p) => p.startsWith('includefield='))).toMatch(/NumberOfStudyRelatedSeries.*ModalitiesInStudy/);
    expect(q[1]).toEqual(
      expect.arrayContaining(['PatientName=M*ller?Anna*', 'StudyDescription=a?b?c*', 'StudyDate=20200101']),
    );
    expect(q[2]).toEqual(
      expect.arrayContaining(['PatientName=D?e*', 'PatientID=ID?7', 'AccessionNumber=A1', 'StudyDate=-20201231']),
    );
    expect(stub.seen.every((s) => s.accept === 'application/dicom+json')).toBe(true);
  });

  it('reads DICOM JSON: PN Alphabetic, counts as numbers or strings, several modalities', async () => {
    stub.handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(
        JSON.stringify([
          {
            '0020000D': { vr: 'UI', Value: ['1.2.3'] },
            '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane', Ideographic: 'x' }] },
            '00080061': { vr: 'CS', Value: ['CT', 'SEG'] },
            '00201206': { vr: 'IS', Value: ['2'] },
            '00201208': { vr: 'IS', Value: [41] },
            '00080020': { vr: 'DA', Value: ['20240102'] },
          },
          { '00100010': { vr: 'PN' } }, // no StudyInstanceUID: left out
        ]),
      );
    expect(await stub.client().searchStudies({})).toEqual([
      {
        studyInstanceUid: '1.2.3',
        patientName: 'Doe^Jane',
        patientId: '',
        studyDate: '20240102',
        studyDescription: '',
        accessionNumber: '',
        modalities: ['CT', 'SEG'],
        seriesCount: 2,
        instanceCount: 41,
      },
    ]);
  });
});
