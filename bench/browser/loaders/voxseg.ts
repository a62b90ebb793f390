/**
 * voxseg's own loader, exactly as the app calls it: scanFiles over blobSource-wrapped Files, then
 * loadSeries of the first series → one voxel array (rescale applied). Its start-up, series pick and
 * result are shared with the DICOMweb row (./voxseg-wadors.ts).
 */
import { loadSeries, scanFiles, warmLoadWorkers, type ScanResult, type SeriesInfo } from '../../../src/io/dicom/index';
import { blobSource } from '../../../src/io/dicom/source';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import type { Volume } from '../../../src/core/types';
import type { BrowserLoader, LoadedVolume } from './types';

/** As the app does at start-up: load workers started and their codecs compiled. */
export async function prepareVoxseg(): Promise<void> {
  registerBrowserCodecUrls();
  await warmLoadWorkers();
}

/** The first series of a scan (an error naming the first rejected files when there is none). */
export function firstSeries(scan: ScanResult): SeriesInfo {
  if (scan.series.length === 0)
    throw new Error(
      `no series: ${scan.rejected
        .slice(0, 3)
        .map((r) => `${r.file}: ${r.reason}`)
        .join('; ')}`,
    );
  return scan.series[0];
}

/** A loaded volume as the bench reports it. */
export function asLoaded(
  { volume, warnings }: { volume: Volume; warnings: string[] },
  phases: Record<string, number>,
): LoadedVolume {
  const { dims, dtype } = volume.header;
  return { dims: [dims[0], dims[1], dims[2]], dtype, voxels: () => volume.voxels, warnings, phases };
}

const loader: BrowserLoader = {
  prepare: prepareVoxseg,
  async load(files: File[]): Promise<LoadedVolume> {
    const t0 = performance.now();
    const series = firstSeries(await scanFiles(files.map((f) => blobSource(f))));
    const t1 = performance.now();
    const loaded = await loadSeries(series);
    return asLoaded(loaded, { scanFiles: t1 - t0, loadSeries: performance.now() - t1 });
  },
};

export default loader;
