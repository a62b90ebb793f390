/**
 * Baseline 3: Cornerstone3D's DICOM image loader, the path OHIF uses for local files (v5 API):
 *   init() (core + dicom-image-loader with its web-worker decoders) at start-up, then per File:
 *   wadouri.fileManager.add(file) → `dicomfile:N` imageId → read the file and register its metadata
 *   (prefetchPart10Instance, which Cornerstone 5 requires before a volume can be created), then
 *   volumeLoader.createAndCacheVolume (sorts by position, allocates) + volume.load() until every
 *   frame is decoded (in the loader's workers) and copied into the volume.
 */
import { init as csInit, volumeLoader, cornerstoneStreamingImageVolumeLoader } from '@cornerstonejs/core';
import { init as dilInit, wadouri, prefetchPart10Instance } from '@cornerstonejs/dicom-image-loader';
import type { BrowserLoader, LoadedVolume } from './types';

let counter = 0;

const loader: BrowserLoader = {
  async prepare() {
    await csInit();
    // OHIF's default worker count: hardwareConcurrency - 1 (at least 1).
    dilInit({ maxWebWorkers: Math.max(1, (navigator.hardwareConcurrency || 2) - 1) });
    volumeLoader.registerUnknownVolumeLoader(cornerstoneStreamingImageVolumeLoader as never);
  },
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
    const t1 = performance.now();
    const volumeId = `cornerstoneStreamingImageVolume:bench-${++counter}`;
    const volume = await volumeLoader.createAndCacheVolume(volumeId, { imageIds });
    const t2 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let failed = 0;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (volume as any).load((evt: any) => {
        if (evt && evt.success === false) failed++;
        if (evt.framesProcessed === evt.totalNumFrames) {
          if (failed) reject(new Error(`${failed} frames failed: ${String(evt.error?.message ?? evt.error)}`));
          else resolve();
        }
      });
    });
    const phases = {
      'read+metadata': t1 - t0,
      createAndCacheVolume: t2 - t1,
      'load (decode+copy)': performance.now() - t2,
    };
    const dims = [...volume.dimensions] as [number, number, number];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const vm = (volume as any).voxelManager;
    return {
      dims,
      dtype: String(vm?.getConstructor?.()?.name ?? volume.dataType ?? '?')
        .replace(/Array$/, '')
        .toLowerCase(),
      phases,
      voxels: () => vm.getCompleteScalarDataArray(),
    };
  },
};

export default loader;
