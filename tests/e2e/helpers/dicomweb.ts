/**
 * For the DICOMweb e2e tests: a series given UIDs before it goes into Orthanc (Orthanc refuses
 * blank ones), a deliberately slow HTTP relay (retrievals crawl, so a test can stop Orthanc in
 * the middle of one), and a checksum of the image on screen computed in the page.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { VoxsegError } from '../../../src/core/errors';
import { fillBlankUids, sourceUids } from '../../../src/io/seg/index';
import { loadSeriesInNode } from './series';

/**
 * The series' files with their blank Study/Series/SOP Instance UIDs filled exactly as voxseg
 * derives them for a SEG (files that are not part of it, e.g. a LICENSE, are left out).
 */
export async function withUids(paths: string[]): Promise<{ bytes: Uint8Array[]; studyUid: string; seriesUid: string }> {
  const dicom: string[] = [];
  for (const p of paths) if (readFileSync(p).subarray(128, 132).toString('latin1') === 'DICM') dicom.push(p);
  const volume = await loadSeriesInNode(dicom);
  const uids = sourceUids(volume.header.metadata);
  const bytes: Uint8Array[] = [];
  for (const p of dicom) {
    try {
      bytes.push(fillBlankUids(new Uint8Array(readFileSync(p)), uids, p).bytes);
    } catch (e) {
      if (!(e instanceof VoxsegError)) throw e;
    }
  }
  return { bytes, studyUid: uids.studyInstanceUid, seriesUid: uids.seriesInstanceUid };
}

export interface SlowRelay {
  /** http://127.0.0.1:PORT — stands for the upstream origin. */
  url: string;
  /** Instance requests answered with a body by the upstream, so far. */
  served: number;
  /** Milliseconds between two chunks of a slow transfer (default 40). */
  pace: number;
  /** Cut every transfer in progress, as a server going down drops its connections. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * Relays to `upstream` (an origin, e.g. Orthanc's) at a crawl: every WADO-RS retrieval (an
 * instance, or a whole series) waits `delayMs` before it starts and then passes on one chunk per
 * `pace` ms (40 unless changed), so that a test can stop the server in the middle of a retrieval. `cut()` drops the
 * transfers in progress; when the upstream is gone a new request's connection is cut too.
 */
export async function slowRelay(upstream: string, delayMs: number): Promise<SlowRelay> {
  const target = new URL(upstream);
  const open = new Set<ServerResponse>();
  const relay: SlowRelay = {
    url: '',
    served: 0,
    pace: 40,
    cut: () => {
      for (const res of open) res.destroy();
      open.clear();
    },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const instance = /\/instances\/[^/]+$/.test(path);
    const slow = instance || /\/series\/[^/]+$/.test(path);
    open.add(res);
    res.on('close', () => open.delete(res));
    setTimeout(
      () => {
        const up = request(
          { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            if (instance && answer.statusCode === 200) relay.served++;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            if (!slow) return void answer.pipe(res);
            answer.on('data', (chunk: Buffer) => {
              if (res.destroyed) return void answer.destroy();
              res.write(chunk);
              answer.pause();
              setTimeout(() => answer.resume(), relay.pace);
            });
            answer.on('end', () => res.end());
            answer.on('error', () => res.destroy());
          },
        );
        up.on('error', () => res.destroy());
        req.pipe(up);
      },
      slow ? delayMs : 0,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  relay.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return relay;
}

/** SHA-256 (hex) of the voxel bytes of the image on screen, with its dims; computed in the page. */
export async function screenVolume(page: Page): Promise<{ dims: number[]; dtype: string; sha256: string } | null> {
  return page.evaluate(async () => {
    const v = window.__voxsegTest?.volume();
    if (!v) return null;
    const bin = atob(v.base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return {
      dims: v.dims,
      dtype: v.dtype,
      sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
    };
  });
}
