/**
 * WADO-RS retrieval against a real Orthanc: a phantom series (and the real JPEG 2000 CT with its
 * blank UIDs filled) retrieved through the client gives the same bytes per instance and the same
 * volume (voxel hash, geometry) as loading the local files; bounded concurrency; progress; a
 * server stopped mid-series gives the 'connection dropped after N of M' error, and a retry after
 * it restarts fetches only the rest; an abort cancels.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { memorySource } from '../../../../src/io/dicom/source';
import type { RetrieveProgress } from '../../../../src/io/dicomweb';
import { fillBlankUids } from '../../../../src/io/seg/write-back';
import { orthancMissing, startOrthanc, type Orthanc } from '../../../orthanc/orthanc';
import { hasShared, sharedPath } from '../../helpers/shared';
import { clientFor, countingFetch, fileSources, loadOne, phantomSeries, tempDir } from './fixtures';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;
const J2K = 'dicom/ct-abdomen-j2k';

/** A fetch that holds every instance answer back `ms` (so a test can act in the middle of a series). */
function slowFetch(ms: number, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    if (/\/instances\/[^/]+$/.test(new URL(String(input)).pathname)) await new Promise((r) => setTimeout(r, ms));
    return inner(input, init);
  };
}

suite(`DICOMweb retrieval against Orthanc${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let paths: string[];
  let study: string;
  let series: string;
  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    paths = phantomSeries(join(dir, 'p'), 7, '64,48,30');
    await o.upload(paths);
    const [s] = await clientFor(o).searchStudies({ patientId: 'VOXSEG-PHANTOM-7' });
    study = s.studyInstanceUid;
    series = (await clientFor(o).searchSeries(study))[0].seriesInstanceUid;
  });
  afterAll(async () => {
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('retrieves the series as the same bytes and the same volume as the local files, 3 requests at most', async () => {
    const counter = countingFetch();
    const c = clientFor(o, { fetch: counter.fetch });
    const progress: RetrieveProgress[] = [];
    const arrived: number[] = [];
    const files = await c.retrieveSeries(study, series, {
      seriesRequest: false,
      concurrency: 3,
      onProgress: (p) => progress.push({ ...p }),
      onInstance: (_f, n) => arrived.push(n),
    });
    const local = fileSources(paths);
    expect(files).toHaveLength(30);
    expect(files[0].name).toMatch(new RegExp(`^Orthanc/${series.replace(/\./g, '\\.')}/[0-9.]+\\.dcm$`));
    // each local file came back byte for byte (transfer syntax as stored)
    let total = 0;
    const localBytes = new Set<string>();
    for (const l of local) {
      const bytes = await l.slice(0);
      total += bytes.length;
      localBytes.add(Buffer.from(bytes).toString('base64'));
    }
    for (const f of files) expect(localBytes.has(Buffer.from(await f.slice(0)).toString('base64'))).toBe(true);
    expect(await loadOne(files)).toEqual(await loadOne(local));
    expect(counter.instanceRequests()).toBe(30);
    expect(counter.maxInFlight).toBeLessThanOrEqual(3);
    expect(counter.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toEqual({ instances: 0, totalInstances: 30, bytes: 0 });
    expect(progress.at(-1)).toEqual({ instances: 30, totalInstances: 30, bytes: total });
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].instances).toBeGreaterThanOrEqual(progress[i - 1].instances);
      expect(progress[i].bytes).toBeGreaterThanOrEqual(progress[i - 1].bytes);
    }
    expect(arrived).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('by default the whole series in one request: the same files and volume', async () => {
    const counter = countingFetch();
    const c = clientFor(o, { fetch: counter.fetch });
    let last: RetrieveProgress | null = null;
    const received = new Map<string, Uint8Array>();
    const files = await c.retrieveSeries(study, series, {
      received,
      onProgress: (p) => (last = p),
    });
    const base = new URL(o.dicomweb).pathname + `/studies/${study}/series/${series}`;
    expect(counter.paths).toEqual([`${base}/metadata`, base]);
    const local = fileSources(paths);
    const sizes = await Promise.all(local.map(async (l) => (await l.slice(0)).length));
    expect(last).toEqual({ instances: 30, totalInstances: 30, bytes: sizes.reduce((a, b) => a + b, 0) });
    expect(received.size).toBe(30);
    expect(await loadOne(files)).toEqual(await loadOne(local));
  });

  it('server stopped mid-series: "connection dropped after N of M"; after a restart the retry fetches only the rest', async () => {
    const received = new Map<string, Uint8Array>();
    let stopping: Promise<void> | null = null;
    // requests made once the stop has begun wait for it: they meet a server that is gone
    const c = clientFor(o, {
      fetch: slowFetch(5, async (input, init) => {
        if (stopping) await stopping;
        return fetch(input, init);
      }),
    });
    const err = await c
      .retrieveSeries(study, series, {
        seriesRequest: false,
        concurrency: 2,
        received,
        onProgress: (p) => {
          if (p.instances >= 4 && !stopping) stopping = o.stop();
        },
      })
      .catch((e: unknown) => e);
    await stopping;
    expect(err).toBeInstanceOf(VoxsegError);
    const m = /^Orthanc: the connection dropped after (\d+) of 30 instances \((.+)\); retry to fetch the rest$/.exec(
      (err as Error).message,
    );
    expect(m, (err as Error).message).not.toBeNull();
    const n = Number(m![1]);
    expect(n).toBe(received.size);
    expect(n).toBeGreaterThanOrEqual(4);
    expect(n).toBeLessThan(30);

    await o.start();
    const counter = countingFetch();
    const again = clientFor(o, { fetch: counter.fetch });
    let first: RetrieveProgress | null = null;
    const files = await again.retrieveSeries(study, series, { received, onProgress: (p) => (first ??= { ...p }) });
    expect(first).toMatchObject({ instances: n, totalInstances: 30 });
    expect(counter.instanceRequests()).toBe(30 - n);
    expect(received.size).toBe(30);
    expect(await loadOne(files)).toEqual(await loadOne(fileSources(paths)));
  });

  it('an abort cancels the retrieval with an AbortError and starts no more requests', async () => {
    const ac = new AbortController();
    const counter = countingFetch();
    const c = clientFor(o, { fetch: slowFetch(10, counter.fetch) });
    const received = new Map<string, Uint8Array>();
    const err = await c
      .retrieveSeries(study, series, {
        signal: ac.signal,
        seriesRequest: false,
        concurrency: 2,
        received,
        onProgress: (p) => p.instances >= 3 && ac.abort(),
      })
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    const requests = counter.instanceRequests();
    await new Promise((r) => setTimeout(r, 100));
    expect(counter.instanceRequests()).toBe(requests);
    expect(requests).toBeLessThanOrEqual(received.size + 2);
    expect(received.size).toBeLessThan(30);
  });

  it.skipIf(!hasShared(J2K))(
    `the real JPEG 2000 CT (UIDs filled) comes back voxel-identical to the local files${hasShared(J2K) ? '' : ` [skipped: reference data ../shared/data/${J2K} not found]`}`,
    async () => {
      const uids = { studyInstanceUid: '2.25.310001', seriesInstanceUid: '2.25.310002' };
      const names = readdirSync(sharedPath(J2K)).filter((f) => f.startsWith('CT.'));
      const filled = names.map((f) => fillBlankUids(new Uint8Array(readFileSync(sharedPath(J2K, f))), uids, f));
      expect(filled[0].filled).toEqual(
        expect.arrayContaining(['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID']),
      );
      await o.upload(filled.map((f) => f.bytes));
      const files = await clientFor(o).retrieveSeries(uids.studyInstanceUid, uids.seriesInstanceUid);
      expect(files).toHaveLength(names.length);
      const bySop = new Map(filled.map((f) => [f.sopInstanceUid, f.bytes]));
      for (const f of files) {
        const sop = f.name.replace(/.*\/|\.dcm$/g, '');
        expect(Buffer.compare(Buffer.from(await f.slice(0)), Buffer.from(bySop.get(sop)!))).toBe(0);
      }
      const local = await loadOne(filled.map((f, i) => memorySource(names[i], f.bytes)));
      expect(local.dims).toEqual([512, 512, 20]);
      expect(await loadOne(files)).toEqual(local);
    },
  );
});
