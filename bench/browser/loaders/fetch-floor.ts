/**
 * Diagnostic rows of the DICOMweb section (not loaders): the browser's network floor for a series.
 * The WADO-RS series metadata, then the series' instances as stored (`multipart/related;
 * type="application/dicom"; transfer-syntax=*`, what voxseg's client asks for), each body read
 * whole and dropped: no multipart parsing, no DICOM parsing, no volume. Two ways:
 * - default export: one request per instance, 6 in flight (a browser's connections per origin over
 *   HTTP/1.1), as a per-instance retrieval does;
 * - `seriesFloor`: the whole series in one request (WADO-RS /studies/…/series/…).
 * Whatever a loader adds on top of the way it retrieves is its own cost.
 */
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';

const IN_FLIGHT = 6;
const SOP_INSTANCE_UID = '00080018';
const ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

async function body(url: string): Promise<number> {
  const r = await fetch(url, { headers: { Accept: ACCEPT } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.arrayBuffer()).byteLength;
}

function noVolume(bytes: number, phases: Record<string, number>): LoadedVolume {
  return { dims: [0, 0, 0], dtype: '—', voxels: () => new Int16Array(0), netBytes: bytes, phases };
}

const loader: BrowserLoader = {
  async prepare() {},
  async loadWeb({ base, studyUid, seriesUid }: WebSeries): Promise<LoadedVolume> {
    const series = `${base}/studies/${studyUid}/series/${seriesUid}`;
    const t0 = performance.now();
    const res = await fetch(`${series}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    if (!res.ok) throw new Error(`series metadata: HTTP ${res.status}`);
    const sops = ((await res.json()) as Record<string, { Value?: unknown[] }>[]).map((i) =>
      String(i[SOP_INSTANCE_UID]?.Value?.[0] ?? ''),
    );
    const t1 = performance.now();
    let next = 0;
    let bytes = 0;
    const worker = async () => {
      while (next < sops.length) {
        const n = await body(`${series}/instances/${sops[next++]}`);
        bytes += n;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return noVolume(bytes, { metadata: t1 - t0, instances: performance.now() - t1 });
  },
};

export const seriesFloor: BrowserLoader = {
  async prepare() {},
  async loadWeb({ base, studyUid, seriesUid }: WebSeries): Promise<LoadedVolume> {
    const t0 = performance.now();
    const bytes = await body(`${base}/studies/${studyUid}/series/${seriesUid}`);
    return noVolume(bytes, { series: performance.now() - t0 });
  },
};

export default loader;
