/**
 * WADO-RS answers against a node:http stub: a refused `transfer-syntax=*` (406 → the server's
 * default, remembered), a series it cannot transcode, series-level retrieval refused, malformed
 * multipart, a body cut mid-instance and a 503 in a series ('connection dropped after N of M',
 * resumable).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { failure, instance, metadata, multipart, useStub } from './stub';

const stub = useStub();

describe('WADO-RS answers', () => {
  it('falls back from transfer-syntax=* after a 406 and remembers it; a 406 then is the transcode message', async () => {
    let refuseAll = false;
    stub.handler = (req, res) => {
      if (req.headers.accept!.includes('transfer-syntax=*') || refuseAll) return res.writeHead(406).end();
      res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=b0undary' });
      res.end(multipart([instance(10)]));
    };
    const c = stub.client();
    expect(await c.retrieveInstance('1', '2', '3')).toEqual(instance(10));
    expect(await c.retrieveInstance('1', '2', '4')).toEqual(instance(10));
    expect(stub.seen.map((s) => s.accept)).toEqual([
      'multipart/related; type="application/dicom"; transfer-syntax=*',
      'multipart/related; type="application/dicom"',
      'multipart/related; type="application/dicom"',
    ]);
    refuseAll = true;
    expect((await failure(c.retrieveInstance('1', '2', '5'))).message).toBe(
      'Stub PACS: the server cannot send this series in a transfer syntax voxseg decodes (HTTP 406)',
    );
  });

  it('seriesRequest on a server without series-level retrieval (400): one request per instance', async () => {
    stub.handler = (req, res) => {
      if (req.url!.endsWith('/metadata'))
        return res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(metadata(['1.1', '1.2']));
      if (req.url!.endsWith('/series/8')) return res.writeHead(400).end('not supported');
      res.writeHead(200, { 'content-type': 'multipart/related; boundary=b0undary' }).end(multipart([instance(9)]));
    };
    const files = await stub.client().retrieveSeries('9', '8', { seriesRequest: true, concurrency: 1 });
    expect(files).toHaveLength(2);
    expect(stub.seen.map((s) => `${s.url} ${s.accept.includes('transfer-syntax=*') ? '*' : '-'}`)).toEqual([
      '/dicom-web/studies/9/series/8/metadata -',
      '/dicom-web/studies/9/series/8 *',
      '/dicom-web/studies/9/series/8 -',
      '/dicom-web/studies/9/series/8/instances/1.1 *',
      '/dicom-web/studies/9/series/8/instances/1.2 *',
    ]);
  });

  it('the series in one request, cut after 2 of 4 instances: "dropped after 2 of 4"; the retry asks for the other 2', async () => {
    const sops = ['1.1', '1.2', '1.3', '1.4'];
    const bodies = new Map(sops.map((sop) => [sop, withMetaSop(sop, 20000)]));
    stub.handler = (req, res) => {
      if (req.url!.endsWith('/metadata'))
        return res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(metadata(sops));
      res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=b0undary' });
      if (!req.url!.endsWith('/series/8')) return res.end(multipart([bodies.get(req.url!.split('/').at(-1)!)!]));
      const all = multipart(sops.map((sop) => bodies.get(sop)!));
      res.write(all.subarray(0, Math.floor(all.length * 0.6))); // two whole parts and some of the third
      setTimeout(() => res.destroy(), 20);
    };
    const received = new Map<string, Uint8Array>();
    const c = stub.client();
    const err = await failure(c.retrieveSeries('9', '8', { received }));
    expect(err.message).toBe(
      'Stub PACS: the connection dropped after 2 of 4 instances (connection closed by the server); retry to fetch the rest',
    );
    expect([...received.keys()]).toEqual(['1.1', '1.2']);
    stub.seen = [];
    const files = await c.retrieveSeries('9', '8', { received, concurrency: 1 });
    expect(stub.seen.map((x) => x.url)).toEqual([
      '/dicom-web/studies/9/series/8/metadata',
      '/dicom-web/studies/9/series/8/instances/1.3',
      '/dicom-web/studies/9/series/8/instances/1.4',
    ]);
    for (const [i, f] of files.entries()) expect(await f.slice(0)).toEqual(bodies.get(sops[i]));
  });

  it('an instance stored in a syntax voxseg does not decode is asked for again as Explicit VR Little Endian', async () => {
    const EXPLICIT = '1.2.840.10008.1.2.1';
    const MPEG2 = '1.2.840.10008.1.2.4.100';
    let canTranscode = true;
    stub.handler = (req, res) => {
      if (req.url!.endsWith('/metadata'))
        return res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(metadata(['1.1', '1.2']));
      const explicit = req.headers.accept!.includes(`transfer-syntax=${EXPLICIT}`);
      if (explicit && !canTranscode) return res.writeHead(406).end();
      res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=b0undary' });
      if (req.url!.endsWith('/series/8'))
        return res.end(multipart([withMetaSop('1.1', 50, EXPLICIT), withMetaSop('1.2', 50, MPEG2)]));
      res.end(multipart([withMetaSop(req.url!.split('/').at(-1)!, 50, explicit ? EXPLICIT : MPEG2)]));
    };
    const files = await stub.client().retrieveSeries('9', '8');
    expect(stub.seen.map((x) => `${x.url} ${/transfer-syntax=([^;]*)/.exec(x.accept)?.[1] ?? '-'}`)).toEqual([
      '/dicom-web/studies/9/series/8/metadata -',
      '/dicom-web/studies/9/series/8 *',
      `/dicom-web/studies/9/series/8/instances/1.2 ${EXPLICIT}`,
    ]);
    expect(await files[0].slice(0)).toEqual(withMetaSop('1.1', 50, EXPLICIT));
    expect(await files[1].slice(0)).toEqual(withMetaSop('1.2', 50, EXPLICIT));
    canTranscode = false;
    expect((await failure(stub.client().retrieveSeries('9', '8'))).message).toBe(
      'Stub PACS: the server cannot send this series in a transfer syntax voxseg decodes (HTTP 406)',
    );
  });

  it('malformed multipart answers are named', async () => {
    let body: Buffer = Buffer.alloc(0);
    let type = 'multipart/related; type="application/dicom"; boundary=b0undary';
    stub.handler = (_req, res) => res.writeHead(200, { 'content-type': type }).end(body);
    const msg = async () => (await failure(stub.client().retrieveInstance('1', '2', '3'))).message;
    body = multipart([instance(10)]).subarray(0, -8); // no closing boundary
    expect(await msg()).toBe(
      'Stub PACS: malformed multipart answer: it ends before the closing boundary (/studies/1/series/2/instances/3)',
    );
    body = Buffer.from('just text');
    expect(await msg()).toMatch(/^Stub PACS: malformed multipart answer: no boundary at its start/);
    body = multipart([instance(10)], 'other');
    expect(await msg()).toMatch(/malformed multipart answer: no boundary at its start/);
    body = Buffer.from(
      multipart([instance(10)])
        .toString('latin1')
        .replace('Content-Length: 142', 'Content-Length: 100'),
      'latin1',
    );
    expect(await msg()).toMatch(/malformed multipart answer: part 1 is longer than its Content-Length/);
    body = Buffer.from('--b0undary--\r\n');
    expect(await msg()).toMatch(/malformed multipart answer: it holds no part/);
    type = 'application/json';
    body = Buffer.from('{}');
    expect(await msg()).toMatch(/malformed multipart answer: Content-Type is 'application\/json', not multipart/);
    type = 'application/dicom'; // a single-part answer some servers send: accepted as is
    body = Buffer.from(instance(5));
    expect(await stub.client().retrieveInstance('1', '2', '3')).toEqual(instance(5));
  });

  it('a body cut mid-instance or a 503 in a series: "connection dropped after N of M", resumable', async () => {
    const sops = ['1.1', '1.2', '1.3', '1.4'];
    let cut = '1.3';
    stub.handler = (req, res) => {
      if (req.url!.endsWith('/metadata'))
        return res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(metadata(sops));
      const sop = req.url!.split('/').at(-1)!;
      const body = multipart([instance(20000, Number(sop.slice(-1)))]);
      res.writeHead(200, {
        'content-type': 'multipart/related; type="application/dicom"; boundary=b0undary',
        'content-length': body.length,
      });
      if (sop === cut) {
        res.write(body.subarray(0, 5000));
        setTimeout(() => res.destroy(), 20);
      } else res.end(body);
    };
    const received = new Map<string, Uint8Array>();
    const c = stub.client();
    const err = await failure(c.retrieveSeries('9', '8', { concurrency: 1, received }));
    expect(err.message).toBe(
      'Stub PACS: the connection dropped after 2 of 4 instances (connection closed by the server); retry to fetch the rest',
    );
    expect([...received.keys()]).toEqual(['1.1', '1.2']);
    cut = '';
    stub.handler = ((h) => (req: IncomingMessage, res: ServerResponse, b: Buffer) =>
      req.url!.endsWith('/1.4') ? res.writeHead(503).end('busy') : h(req, res, b))(stub.handler);
    const err2 = await failure(c.retrieveSeries('9', '8', { concurrency: 1, received }));
    expect(err2.message).toBe(
      'Stub PACS: the connection dropped after 3 of 4 instances (server error (HTTP 503): busy); retry to fetch the rest',
    );
    stub.seen = [];
    cut = 'none';
    stub.handler = ((h) => (req: IncomingMessage, res: ServerResponse, b: Buffer) =>
      req.url!.endsWith('/1.4')
        ? res
            .writeHead(200, { 'content-type': 'multipart/related; boundary=b0undary' })
            .end(multipart([instance(20000, 4)], 'b0undary', false))
        : h(req, res, b))(stub.handler);
    const files = await c.retrieveSeries('9', '8', { received });
    expect(stub.seen.map((s) => s.url)).toEqual([
      '/dicom-web/studies/9/series/8/metadata',
      '/dicom-web/studies/9/series/8/instances/1.4',
    ]);
    expect(files.map((f) => f.name)).toEqual(sops.map((s) => `Stub PACS/8/${s}.dcm`));
    for (const [i, f] of files.entries()) expect(await f.slice(0)).toEqual(instance(20000, i + 1));
  });
});

/**
 * A Part-10 preamble and file meta holding (0002,0003) Media Storage SOP Instance UID and, when
 * given, (0002,0010) Transfer Syntax UID, then `n` bytes.
 */
function withMetaSop(sop: string, n: number, syntax?: string): Uint8Array {
  const even = (v: string) => (v.length % 2 ? `${v}\0` : v);
  const elements: [number, string][] = [[3, even(sop)], ...(syntax ? [[0x10, even(syntax)] as [number, string]] : [])];
  const metaLength = elements.reduce((a, [, v]) => a + 8 + v.length, 0);
  const b = new Uint8Array(132 + metaLength + 8 + n).fill(3);
  b.set([0x44, 0x49, 0x43, 0x4d], 128);
  const dv = new DataView(b.buffer);
  let o = 132;
  for (const [el, v] of elements) {
    dv.setUint16(o, 2, true);
    dv.setUint16(o + 2, el, true);
    b.set([0x55, 0x49], o + 4); // 'UI'
    dv.setUint16(o + 6, v.length, true);
    for (let i = 0; i < v.length; i++) b[o + 8 + i] = v.charCodeAt(i);
    o += 8 + v.length;
  }
  b.fill(0, o, o + 8); // group 0x0000 next: the meta ends
  return b;
}
