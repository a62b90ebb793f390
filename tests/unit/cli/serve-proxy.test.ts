/**
 * `voxseg serve`'s DICOMweb proxy (src/cli/serve-proxy.ts) against a real Orthanc: credentials
 * configured for a server are added server-side (and replace the browser's); without them the
 * browser's own Authorization header passes through; queries are kept; a STOW-RS body streams
 * through (Orthanc's /statistics counts the instance); retrieved bytes equal Orthanc's own file;
 * `..` cannot leave the DICOMweb base; a server that is down gives a 502 naming it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../src/cli/serve-server';
import { freePort, orthancMissing, startOrthanc, type Orthanc } from '../../orthanc/orthanc';
import { phantomSeries, tempDir } from './dicomweb-helpers';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;

interface RestInstance {
  ID: string;
  MainDicomTags: { SOPInstanceUID: string };
  ParentSeries: string;
}

suite(`voxseg serve: DICOMweb proxy against Orthanc${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let files: string[];
  let server: { url: string; close(): Promise<void> };
  let downPort: number;
  const at = (path: string) => server.url.replace(/\/$/, '') + path;

  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    files = phantomSeries(`${dir}/a`, 1, '32,32,4');
    await o.upload(files.slice(0, 3)); // the 4th is sent through the proxy
    downPort = await freePort();
    server = await startServer({
      root: dir,
      port: 0,
      servers: [
        { name: 'orthanc', url: o.dicomweb, auth: { kind: 'basic', user: o.user, password: o.password } },
        { name: 'open', url: o.dicomweb + '/', auth: { kind: 'none' } },
        { name: 'down', url: `http://127.0.0.1:${downPort}/dicom-web`, auth: { kind: 'none' } },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds the configured credentials; they replace the browser header and never come back', async () => {
    const studies = await o.rest<string[]>('/studies');
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' }]) {
      const r = await fetch(at('/dicomweb/orthanc/studies'), { headers });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/dicom+json');
      expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(r.headers.get('content-security-policy')).toContain(
        `connect-src 'self' ${o.url} http://127.0.0.1:${downPort};`,
      );
      const text = await r.text();
      expect(JSON.parse(text)).toHaveLength(studies.length);
      expect(text + JSON.stringify([...r.headers])).not.toContain(o.password);
    }
  });

  it("passes the browser's Authorization through when none is configured", async () => {
    const without = await fetch(at('/dicomweb/open/studies'));
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate'), 'no browser login dialog').toBeNull();
    await without.arrayBuffer();
    const wrong = await fetch(at('/dicomweb/open/studies'), { headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' } });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    const withIt = await fetch(at('/dicomweb/open/studies'), { headers: { authorization: o.authorization } });
    expect(withIt.status).toBe(200);
    expect(await withIt.json()).toHaveLength(1);
  });

  it('keeps the query string', async () => {
    const hit = await (await fetch(at('/dicomweb/orthanc/studies?PatientID=*'))).json();
    expect(hit).toHaveLength(1);
    const miss = await (await fetch(at('/dicomweb/orthanc/studies?PatientID=nobody-has-this'))).json();
    expect(miss).toEqual([]);
  });

  it('streams a STOW-RS body through and retrieved bytes equal Orthanc’s own file', async () => {
    const before = (await o.rest<{ CountInstances: number }>('/statistics')).CountInstances;
    const boundary = 'voxsegtestboundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      readFileSync(files[3]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const r = await fetch(at('/dicomweb/orthanc/studies'), {
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
      },
      body,
    });
    expect(r.status, await r.clone().text()).toBe(200);
    await r.arrayBuffer();
    expect((await o.rest<{ CountInstances: number }>('/statistics')).CountInstances).toBe(before + 1);

    const inst = (await o.rest<RestInstance[]>('/instances?expand'))[0];
    const series = await o.rest<{ MainDicomTags: { SeriesInstanceUID: string }; ParentStudy: string }>(
      `/series/${inst.ParentSeries}`,
    );
    const study = await o.rest<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${series.ParentStudy}`);
    const path = `/studies/${study.MainDicomTags.StudyInstanceUID}/series/${series.MainDicomTags.SeriesInstanceUID}/instances/${inst.MainDicomTags.SOPInstanceUID}`;
    const wado = await fetch(at(`/dicomweb/orthanc${path}`), {
      headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    expect(wado.status).toBe(200);
    const got = Buffer.from(await wado.arrayBuffer());
    const own = Buffer.from(
      await (
        await fetch(`${o.url}/instances/${inst.ID}/file`, { headers: { authorization: o.authorization } })
      ).arrayBuffer(),
    );
    expect(got.indexOf(own), 'the Part-10 file inside the multipart answer').toBeGreaterThan(0);
  });

  it('refuses paths that leave the DICOMweb base, unknown servers and other methods', async () => {
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((res, rej) => {
        const u = new URL(server.url);
        request({ host: u.hostname, port: u.port, path }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => res({ status: r.statusCode ?? 0, body }));
        })
          .on('error', rej)
          .end();
      });
    for (const p of [
      '/dicomweb/orthanc/../system',
      '/dicomweb/orthanc/%2e%2e/system',
      '/dicomweb/orthanc/studies/..%2F..%2Fsystem',
    ]) {
      const r = await raw(p);
      expect(r.status, p).toBe(400);
      expect(r.body, p).not.toContain('ApiVersion');
    }
    const unknown = await fetch(at('/dicomweb/nope/studies'));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("no DICOMweb server named 'nope'");
    expect((await fetch(at('/dicomweb/orthanc/studies'), { method: 'DELETE' })).status).toBe(405);
  });

  it('answers 502 naming the server when it is down', async () => {
    const r = await fetch(at('/dicomweb/down/studies'));
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    const text = await r.text();
    expect(text).toContain("DICOMweb server 'down'");
    expect(text).toContain(`127.0.0.1:${downPort}`);
    expect(text).toContain('ECONNREFUSED');
  });
});
