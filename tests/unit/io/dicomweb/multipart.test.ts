/**
 * The incremental multipart/related reader: the same parts whatever the chunking of the stream
 * (down to one byte per chunk, so boundaries and CRLFs fall across chunks), with and without
 * per-part Content-Length, body bytes reported exactly once; the STOW body writer round-trips.
 */
import { describe, expect, it } from 'vitest';
import { boundaryOf, buildMultipart, MultipartError, readMultipart } from '../../../../src/io/dicomweb/multipart';

function streamOf(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

async function readAll(bytes: Uint8Array, boundary: string, chunk: number) {
  let counted = 0;
  const parts = [];
  for await (const p of readMultipart(streamOf(bytes, chunk), boundary, (n) => (counted += n))) parts.push(p);
  return { parts, counted };
}

/** Bodies that contain boundary-like text, CRLFs and dashes. */
const bodies = [
  new TextEncoder().encode('--bound\r\n--boun\r\n\r\n--'),
  new Uint8Array(0),
  Uint8Array.from({ length: 3001 }, (_, i) => (i * 37) & 255),
];

describe('multipart/related', () => {
  it('reads the boundary from a Content-Type, quoted or not', () => {
    expect(boundaryOf('multipart/related; type="application/dicom"; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('Multipart/Related;boundary=xyz;type=application/dicom')).toBe('xyz');
    expect(boundaryOf('application/dicom')).toBeNull();
    expect(boundaryOf(null)).toBeNull();
  });

  it('round-trips the STOW writer through the reader at any chunking', async () => {
    const blob = buildMultipart(bodies, 'bound', 'application/dicom');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    for (const chunk of [1, 2, 5, 13, 4096, bytes.length]) {
      const { parts, counted } = await readAll(bytes, 'bound', chunk);
      expect(parts.map((p) => p.body)).toEqual(bodies);
      expect(parts[2].headers).toEqual({ 'content-type': 'application/dicom', 'content-length': '3001' });
      expect(counted).toBe(3001 + bodies[0].length);
    }
  });

  it('reads parts without Content-Length, with a preamble, padding after the boundary and an epilogue', async () => {
    const enc = new TextEncoder();
    const text = (s: string) => enc.encode(s);
    const bytes = new Uint8Array([
      ...text('this is a preamble\r\n--bound  \r\nContent-Type: application/dicom\r\n\r\n'),
      ...bodies[0],
      ...text('\r\n--bound\r\n\r\n'),
      ...bodies[2],
      ...text('\r\n--bound--\r\nepilogue'),
    ]);
    for (const chunk of [1, 3, 7, 100, bytes.length]) {
      const { parts, counted } = await readAll(bytes, 'bound', chunk);
      expect(parts.map((p) => p.body)).toEqual([bodies[0], bodies[2]]);
      expect(parts[1].headers).toEqual({});
      expect(counted).toBe(bodies[0].length + bodies[2].length);
    }
  });

  it('throws MultipartError for a cut body', async () => {
    const bytes = new Uint8Array(await buildMultipart([bodies[2]], 'bound', 'application/dicom').arrayBuffer());
    await expect(readAll(bytes.subarray(0, 2000), 'bound', 100)).rejects.toThrow(MultipartError);
    const head = '--bound\r\nContent-Type: application/dicom\r\nContent-Length: 3001\r\n\r\n'.length;
    await expect(readAll(bytes.subarray(0, 2000), 'bound', 100)).rejects.toThrow(
      `part 1 ends after ${2000 - head} of its 3001 bytes`,
    );
    await expect(readAll(bytes.subarray(0, bytes.length - 3), 'bound', 100)).rejects.toThrow('closing boundary');
  });
});
