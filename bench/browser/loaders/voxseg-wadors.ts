/**
 * voxseg over DICOMweb, as the app opens a series from a server: DicomwebClient.retrieveSeries
 * (series metadata, then the instances as stored, with the client's default number of requests in
 * flight) → memory SourceFiles → scanFiles → loadSeries of the first series, the same `io/dicom`
 * code as for local files. The server is reached same-origin (the serving proxy adds credentials).
 */
import { DicomwebClient } from '../../../src/io/dicomweb/index';
import { loadSeries, scanFiles, warmLoadWorkers } from '../../../src/io/dicom/index';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';

const loader: BrowserLoader = {
  async prepare() {
    registerBrowserCodecUrls();
    // as the app does at start-up: load workers started and their codecs compiled
    await warmLoadWorkers();
  },
  async loadWeb({ base, studyUid, seriesUid }: WebSeries): Promise<LoadedVolume> {
    const client = new DicomwebClient({ name: 'bench server', url: base, auth: { kind: 'none' } });
    const t0 = performance.now();
    let bytes = 0;
    const files = await client.retrieveSeries(studyUid, seriesUid, { onProgress: (p) => (bytes = p.bytes) });
    const t1 = performance.now();
    const scan = await scanFiles(files);
    const t2 = performance.now();
    if (scan.series.length === 0)
      throw new Error(
        `no series: ${scan.rejected
          .slice(0, 3)
          .map((r) => `${r.file}: ${r.reason}`)
          .join('; ')}`,
      );
    const { volume, warnings } = await loadSeries(scan.series[0]);
    const t3 = performance.now();
    const { dims, dtype } = volume.header;
    return {
      dims: [dims[0], dims[1], dims[2]],
      dtype,
      voxels: () => volume.voxels,
      warnings,
      netBytes: bytes || files.reduce((s, f) => s + f.size, 0),
      phases: { retrieveSeries: t1 - t0, scanFiles: t2 - t1, loadSeries: t3 - t2 },
    };
  },
};

export default loader;
