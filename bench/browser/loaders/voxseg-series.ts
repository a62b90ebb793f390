/**
 * Diagnostic row of the DICOMweb section (opt-in: `--web-loaders=…,voxseg-series`), not the app's
 * path: voxseg's loading code fed by ONE WADO-RS request for the whole series (`/studies/…/series/…`,
 * instances as stored), its multipart body read as it streams in with the client's own parser
 * (src/io/dicomweb/multipart.ts), each part a memory SourceFile → scanFiles → loadSeries. It shows
 * what the per-request cost of a per-instance retrieval amounts to on the same server and proxy.
 */
import { boundaryOf, readMultipart } from '../../../src/io/dicomweb/multipart';
import { loadSeries, scanFiles, warmLoadWorkers } from '../../../src/io/dicom/index';
import { memorySource, type SourceFile } from '../../../src/io/dicom/source';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';

const loader: BrowserLoader = {
  async prepare() {
    registerBrowserCodecUrls();
    await warmLoadWorkers();
  },
  async loadWeb({ base, studyUid, seriesUid }: WebSeries): Promise<LoadedVolume> {
    const t0 = performance.now();
    const res = await fetch(`${base}/studies/${studyUid}/series/${seriesUid}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    const boundary = boundaryOf(res.headers.get('content-type'));
    if (!res.ok || !res.body || !boundary)
      throw new Error(`series: HTTP ${res.status} ${res.headers.get('content-type')}`);
    const files: SourceFile[] = [];
    for await (const part of readMultipart(res.body, boundary))
      files.push(memorySource(`${files.length}.dcm`, part.body));
    const t1 = performance.now();
    const scan = await scanFiles(files);
    const t2 = performance.now();
    if (scan.series.length === 0) throw new Error('no series in the answer');
    const { volume, warnings } = await loadSeries(scan.series[0]);
    const { dims, dtype } = volume.header;
    return {
      dims: [dims[0], dims[1], dims[2]],
      dtype,
      voxels: () => volume.voxels,
      warnings,
      phases: { 'series request': t1 - t0, scanFiles: t2 - t1, loadSeries: performance.now() - t2 },
    };
  },
};

export default loader;
