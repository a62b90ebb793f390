/**
 * voxseg over DICOMweb, as the app opens a series from a server: the series metadata planned like
 * local files and a progressive load filled as the instances arrive (`retrieveProgressively`, the
 * app's own code; DicomwebClient.retrieveSeries underneath, instances as stored, the client's
 * default number of requests), then scanFiles of the instances and the progressive load's finish
 * (loadSeries when it answers null), the same `io/dicom` code as for local files. The server is
 * reached same-origin (the serving proxy adds credentials). Nothing is drawn (no viewer here).
 */
import { DicomwebClient } from '../../../src/io/dicomweb/index';
import { loadSeries, scanFiles, warmLoadWorkers } from '../../../src/io/dicom/index';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import { retrieveProgressively } from '../../../src/app/pacs/progressive';
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
    let progressive = false;
    const { files, loaded } = await retrieveProgressively(
      client,
      studyUid,
      seriesUid,
      { onProgress: (p) => (bytes = p.bytes) },
      { show: () => (progressive = true), changed: () => undefined },
    );
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
    const done = loaded?.(scan.series[0]) ?? null;
    if (progressive && !done) throw new Error('the progressive load did not give the series scanned from the files');
    const { volume, warnings } = done ?? (await loadSeries(scan.series[0]));
    const t3 = performance.now();
    const { dims, dtype } = volume.header;
    return {
      dims: [dims[0], dims[1], dims[2]],
      dtype,
      voxels: () => volume.voxels,
      warnings,
      netBytes: bytes || files.reduce((s, f) => s + f.size, 0),
      phases: { retrieveAndDecode: t1 - t0, scanFiles: t2 - t1, finish: t3 - t2 },
    };
  },
};

export default loader;
