/**
 * voxseg over DICOMweb, as the app opens a series from a server: the series metadata planned like
 * local files and a progressive load filled as the instances arrive (`retrieveProgressively`, the
 * app's own code; DicomwebClient.retrieveSeries underneath, instances as stored, the client's
 * default number of requests), then scanFiles of the instances and the progressive load's finish
 * (loadSeries when it answers null), the same `io/dicom` code as for local files. The server is
 * reached same-origin (the serving proxy adds credentials). Nothing is drawn (no viewer here).
 */
import { DicomwebClient } from '../../../src/io/dicomweb/index';
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';
import { retrieveProgressively } from '../../../src/app/pacs/progressive';
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';
import { asLoaded, firstSeries, prepareVoxseg } from './voxseg';

const loader: BrowserLoader = {
  prepare: prepareVoxseg,
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
    const series = firstSeries(await scanFiles(files));
    const t2 = performance.now();
    const done = loaded?.(series) ?? null;
    if (progressive && !done) throw new Error('the progressive load did not give the series scanned from the files');
    const result = asLoaded(done ?? (await loadSeries(series)), {
      retrieveAndDecode: t1 - t0,
      scanFiles: t2 - t1,
      finish: performance.now() - t2,
    });
    return { ...result, netBytes: bytes || files.reduce((s, f) => s + f.size, 0) };
  },
};

export default loader;
