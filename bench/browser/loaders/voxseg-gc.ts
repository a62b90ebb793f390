/**
 * Diagnostic variant (not a baseline, not in the default list): the voxseg loader with a forced
 * full GC every 25 decoded slices (Chromium runs with --expose-gc). Its peak memory vs plain
 * voxseg's shows how much of the peak is garbage the engine had not collected yet.
 */
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';
import { blobSource } from '../../../src/io/dicom/source';
import { registerBrowserCodecUrls } from '../../../src/io/dicom/decode/wasm-urls.browser';
import type { BrowserLoader, LoadedVolume } from './types';

const gc = (globalThis as unknown as { gc?: () => void }).gc;

const loader: BrowserLoader = {
  async prepare() {
    registerBrowserCodecUrls();
    if (!gc) throw new Error('voxseg-gc needs --js-flags=--expose-gc');
  },
  async load(files: File[]): Promise<LoadedVolume> {
    const scan = await scanFiles(files.map((f) => blobSource(f)));
    gc?.();
    const { volume, warnings } = await loadSeries(scan.series[0], {
      onProgress: (p) => {
        if (p.done % 25 === 0) gc?.();
      },
    });
    const { dims, dtype } = volume.header;
    return { dims: [dims[0], dims[1], dims[2]], dtype, voxels: () => volume.voxels, warnings };
  },
};

export default loader;
