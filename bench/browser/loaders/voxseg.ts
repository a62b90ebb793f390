/**
 * voxseg's own loader, exactly as the app calls it: scanFiles over blobSource-wrapped Files, then
 * loadSeries of the first series → one voxel array (rescale applied).
 */
import { loadSeries, scanFiles, warmLoadWorkers } from '../../../src/io/dicom/index';
import { blobSource } from '../../../src/io/dicom/source';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import type { BrowserLoader, LoadedVolume } from './types';

const loader: BrowserLoader = {
  async prepare() {
    registerBrowserCodecUrls();
    // as the app does at start-up: load workers started and their codecs compiled
    await warmLoadWorkers();
  },
  async load(files: File[]): Promise<LoadedVolume> {
    const t0 = performance.now();
    const scan = await scanFiles(files.map((f) => blobSource(f)));
    const t1 = performance.now();
    if (scan.series.length === 0)
      throw new Error(
        `no series: ${scan.rejected
          .slice(0, 3)
          .map((r) => `${r.file}: ${r.reason}`)
          .join('; ')}`,
      );
    const { volume, warnings } = await loadSeries(scan.series[0]);
    const t2 = performance.now();
    const { dims, dtype } = volume.header;
    return {
      dims: [dims[0], dims[1], dims[2]],
      dtype,
      voxels: () => volume.voxels,
      warnings,
      phases: { scanFiles: t1 - t0, loadSeries: t2 - t1 },
    };
  },
};

export default loader;
