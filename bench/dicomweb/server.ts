/**
 * The DICOMweb section's server side: a real Orthanc (Debian's, with its DICOMweb plugin, started
 * by tests/orthanc/orthanc.ts into a temporary folder) loaded with the bench series through its REST
 * API, and the bench page served by voxseg's own serving proxy (`startServer` of `voxseg serve`),
 * which proxies `/dicomweb/orthanc/…` to Orthanc and adds the credentials server-side. Orthanc sends
 * no CORS headers, so the browser reaches it same-origin through that proxy, as a deployment would.
 */
import { startOrthanc, type Orthanc } from '../../tests/orthanc/orthanc';
import type { Dataset } from '../loading/datasets';
import type { WebSeries } from '../browser/loaders/types';

/** The proxy's name for the server: the page's DICOMweb base is `/dicomweb/orthanc`. */
export const SERVER_NAME = 'orthanc';

export interface WebSetup {
  orthanc: Orthanc;
  /** The bench page's URL (index.html) on the serving proxy. */
  pageUrl: string;
  /** Absolute DICOMweb base through the proxy (http://127.0.0.1:PORT/dicomweb/orthanc). */
  proxyBase: string;
  series: WebSeries;
  uploadS: number;
  close(): Promise<void>;
}

interface OrthancSeries {
  ID: string;
  ParentStudy: string;
  Instances: string[];
  MainDicomTags: { SeriesInstanceUID?: string };
}

/** Upload with a few requests in flight (Orthanc's REST API takes one instance per POST). */
async function uploadAll(orthanc: Orthanc, paths: string[], inFlight = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) await orthanc.upload([paths[next++]]);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

export async function startWebSetup(ds: Dataset, pageRoot: string): Promise<WebSetup> {
  const orthanc = await startOrthanc();
  let closeServer: (() => Promise<void>) | undefined;
  try {
    const t0 = performance.now();
    await uploadAll(orthanc, ds.paths);
    const uploadS = (performance.now() - t0) / 1000;
    const all = await orthanc.rest<OrthancSeries[]>('/series?expand');
    if (all.length !== 1 || all[0].Instances.length !== ds.paths.length)
      throw new Error(
        `Orthanc holds ${all.length} series / ${all[0]?.Instances.length ?? 0} instances after the upload, expected 1 / ${ds.paths.length}`,
      );
    const study = await orthanc.rest<{ MainDicomTags: { StudyInstanceUID?: string } }>(
      `/studies/${all[0].ParentStudy}`,
    );
    const studyUid = study.MainDicomTags.StudyInstanceUID;
    const seriesUid = all[0].MainDicomTags.SeriesInstanceUID;
    if (!studyUid || !seriesUid) throw new Error('Orthanc reports no Study/Series Instance UID for the bench series');

    // The serving proxy of `voxseg serve` (imported late: the bench's other sections do not need it).
    const { startServer } = await import('../../src/cli/serve-server');
    const server = await startServer({
      root: pageRoot,
      port: 0,
      servers: [
        {
          name: SERVER_NAME,
          url: orthanc.dicomweb,
          auth: { kind: 'basic', user: orthanc.user, password: orthanc.password },
        },
      ],
    });
    closeServer = () => server.close();
    const series: WebSeries = { base: `/dicomweb/${SERVER_NAME}`, studyUid, seriesUid };
    // Through the proxy once before any timing: a broken proxy fails here with its own message.
    const probe = new URL(`dicomweb/${SERVER_NAME}/studies/${studyUid}/series/${seriesUid}/metadata`, server.url);
    const r = await fetch(probe, { headers: { accept: 'application/dicom+json' } });
    if (!r.ok) throw new Error(`the serving proxy answered HTTP ${r.status} for ${probe.pathname}: ${await r.text()}`);
    const meta = (await r.json()) as unknown[];
    if (meta.length !== ds.paths.length)
      throw new Error(`series metadata through the proxy lists ${meta.length} instances, expected ${ds.paths.length}`);
    return {
      orthanc,
      pageUrl: new URL('index.html', server.url).href,
      proxyBase: new URL(`dicomweb/${SERVER_NAME}`, server.url).href,
      series,
      uploadS,
      async close() {
        await closeServer?.().catch(() => {});
        await orthanc.dispose();
      },
    };
  } catch (e) {
    await closeServer?.().catch(() => {});
    await orthanc.dispose();
    throw e;
  }
}

/**
 * Network floor from Node (undici fetch, in the bench process): the series metadata, then every
 * instance as stored, `inFlight` requests at a time (or, with `whole`, the series in one request),
 * bodies read and dropped. Against Orthanc directly it is what Orthanc alone can serve; through
 * the proxy, what the proxy leaves of it.
 */
export async function nodeFloor(
  base: string,
  series: WebSeries,
  opts: { headers?: Record<string, string>; inFlight?: number; whole?: boolean } = {},
): Promise<{ ms: number; bytes: number }> {
  const url = `${base}/studies/${series.studyUid}/series/${series.seriesUid}`;
  const headers = opts.headers ?? {};
  const accept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
  const body = async (u: string) => {
    const r = await fetch(u, { headers: { ...headers, accept } });
    if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
    return (await r.arrayBuffer()).byteLength;
  };
  const t0 = performance.now();
  if (opts.whole) {
    const bytes = await body(url);
    return { ms: performance.now() - t0, bytes };
  }
  const res = await fetch(`${url}/metadata`, { headers: { ...headers, accept: 'application/dicom+json' } });
  if (!res.ok) throw new Error(`series metadata: HTTP ${res.status}`);
  const sops = ((await res.json()) as Record<string, { Value?: unknown[] }>[]).map((i) =>
    String(i['00080018']?.Value?.[0] ?? ''),
  );
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < sops.length) {
      const n = await body(`${url}/instances/${sops[next++]}`); // read before adding (no `bytes += await`)
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: opts.inFlight ?? 6 }, worker));
  return { ms: performance.now() - t0, bytes };
}
