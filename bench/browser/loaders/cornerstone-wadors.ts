/**
 * Baseline: Cornerstone3D's `wadors` loader (@cornerstonejs/dicom-image-loader 5), the way OHIF and
 * Cornerstone's own examples open a series from a DICOMweb server:
 *   init() (core + dicom-image-loader with its web-worker decoders, OHIF's worker count) at start-up;
 *   then WADO-RS series metadata (DICOM JSON) → one `wadors:<base>/studies/…/series/…/instances/…/frames/1`
 *   imageId per instance, its metadata registered with `wadors.metaDataManager.add` →
 *   volumeLoader.createAndCacheVolume (sorts by position, allocates) → volume.load() until every frame
 *   is retrieved (`multipart/related; type=application/octet-stream; transfer-syntax=*`, through
 *   Cornerstone's retrieval pool), decoded in the loader's workers and copied into the volume.
 * The server is reached same-origin through the same proxy as voxseg's client.
 */
import { init as csInit, volumeLoader, cornerstoneStreamingImageVolumeLoader } from '@cornerstonejs/core';
import { init as dilInit, wadors } from '@cornerstonejs/dicom-image-loader';
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;
const SOP_INSTANCE_UID = '00080018';
let counter = 0;

const loader: BrowserLoader = {
  async prepare() {
    await csInit();
    // OHIF's default worker count: hardwareConcurrency - 1 (at least 1), as in the file baseline.
    dilInit({ maxWebWorkers: Math.max(1, (navigator.hardwareConcurrency || 2) - 1) });
    volumeLoader.registerUnknownVolumeLoader(cornerstoneStreamingImageVolumeLoader as never);
  },
  async loadWeb({ base, studyUid, seriesUid }: WebSeries): Promise<LoadedVolume> {
    const root = new URL(base, location.href).href.replace(/\/$/, '');
    const series = `${root}/studies/${studyUid}/series/${seriesUid}`;
    const t0 = performance.now();
    const res = await fetch(`${series}/metadata`, { headers: { Accept: 'application/dicom+json' } });
    if (!res.ok) throw new Error(`series metadata: HTTP ${res.status}`);
    const instances = (await res.json()) as DicomJson[];
    const imageIds = instances.map((inst) => {
      const sop = String(inst[SOP_INSTANCE_UID]?.Value?.[0] ?? '');
      const imageId = `wadors:${series}/instances/${sop}/frames/1`;
      wadors.metaDataManager.add(imageId, inst as never);
      return imageId;
    });
    const t1 = performance.now();
    const volumeId = `cornerstoneStreamingImageVolume:bench-wadors-${++counter}`;
    const volume = await volumeLoader.createAndCacheVolume(volumeId, { imageIds });
    const t2 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let failed = 0;
      let firstError: unknown;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (volume as any).load((evt: any) => {
        if (evt && evt.success === false) {
          failed++;
          firstError ??= evt.error;
        }
        if (evt.framesProcessed === evt.totalNumFrames) {
          if (failed)
            reject(new Error(`${failed} frames failed: ${String((firstError as Error)?.message ?? firstError)}`));
          else resolve();
        }
      });
    });
    const phases = {
      metadata: t1 - t0,
      createAndCacheVolume: t2 - t1,
      'load (retrieve+decode+copy)': performance.now() - t2,
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
