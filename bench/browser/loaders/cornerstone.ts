/**
 * Baseline 3: Cornerstone3D's DICOM image loader, the path OHIF uses for local files (v5 API):
 *   init() (core + dicom-image-loader with its web-worker decoders) at start-up, then per File:
 *   wadouri.fileManager.add(file) → `dicomfile:N` imageId → read the file and register its metadata
 *   (prefetchPart10Instance, which Cornerstone 5 requires before a volume can be created), then
 *   volumeLoader.createAndCacheVolume (sorts by position, allocates) + volume.load() until every
 *   frame is decoded (in the loader's workers) and copied into the volume.
 */
import { wadouri, prefetchPart10Instance } from '@cornerstonejs/dicom-image-loader';
import { initCornerstone, loadCornerstoneVolume } from './cornerstone-volume';
import type { BrowserLoader, LoadedVolume } from './types';

const loader: BrowserLoader = {
  prepare: initCornerstone,
  async load(files: File[]): Promise<LoadedVolume> {
    const t0 = performance.now();
    const imageIds = files.map((f) => wadouri.fileManager.add(f));
    // Metadata prefetch: read + parse every file (Cornerstone keeps the Part 10 bytes for decoding).
    await Promise.all(
      imageIds.map(async (id) => {
        const buf = (await wadouri.loadFileRequest(id)) as ArrayBuffer;
        await prefetchPart10Instance(id, buf);
      }),
    );
    return loadCornerstoneVolume(imageIds, { 'read+metadata': performance.now() - t0 }, 'load (decode+copy)');
  },
};

export default loader;
