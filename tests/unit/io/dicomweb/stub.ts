/**
 * A tiny node:http DICOMweb stand-in for the tests of what a real server rarely does on demand:
 * `useStub()` starts it for the file, records every request (method, URL, Accept, Authorization,
 * Content-Type, body length) and answers with the handler the test sets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { DicomwebClient, type DicomwebAuth } from '../../../../src/io/dicomweb';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface Seen {
  method: string;
  url: string;
  accept: string;
  auth: string;
  type: string;
  length: number;
}

export interface Stub {
  base: string;
  handler: Handler;
  seen: Seen[];
  client(auth?: DicomwebAuth): DicomwebClient;
}

export function useStub(): Stub {
  let server: Server;
  const stub: Stub = {
    base: '',
    handler: (_req, res) => res.writeHead(500).end(),
    seen: [],
    client: (auth = { kind: 'none' }) => new DicomwebClient({ name: 'Stub PACS', url: stub.base, auth }),
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        stub.seen.push({
          method: req.method!,
          url: req.url!,
          accept: req.headers.accept ?? '',
          auth: req.headers.authorization ?? '',
          type: req.headers['content-type'] ?? '',
          length: body.length,
        });
        stub.handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stub.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    stub.seen = [];
  });
  return stub;
}

/** The VoxsegError('server') a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<VoxsegError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VoxsegError);
  expect((err as VoxsegError).code).toBe('server');
  return err as VoxsegError;
}

/** A fake Part-10 instance: 128-byte preamble, DICM, then `n` bytes of payload. */
export function instance(n: number, fill = 7): Uint8Array {
  const b = new Uint8Array(132 + n).fill(fill);
  b.set([0x44, 0x49, 0x43, 0x4d], 128);
  return b;
}

export function multipart(parts: Uint8Array[], boundary = 'b0undary', withLength = true): Buffer {
  const out: Buffer[] = [Buffer.from('preamble text\r\n')];
  for (const p of parts)
    out.push(
      Buffer.from(
        `--${boundary}\r\nContent-Type: application/dicom\r\n${withLength ? `Content-Length: ${p.length}\r\n` : ''}\r\n`,
      ),
      Buffer.from(p),
      Buffer.from('\r\n'),
    );
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

export const metadata = (sops: string[]) =>
  JSON.stringify(
    sops.map((s) => ({ '00080018': { vr: 'UI', Value: [s] }, '0020000E': { vr: 'UI', Value: ['1.2.3'] } })),
  );
