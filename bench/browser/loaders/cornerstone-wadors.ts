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
import { wadors } from '@cornerstonejs/dicom-image-loader';
import { initCornerstone, loadCornerstoneVolume } from './cornerstone-volume';
import type { BrowserLoader, LoadedVolume, WebSeries } from './types';

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;
const SOP_INSTANCE_UID = '00080018';

const loader: BrowserLoader = {
  prepare: initCornerstone,
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
    return loadCornerstoneVolume(imageIds, { metadata: performance.now() - t0 }, 'load (retrieve+decode+copy)');
  },
};

export default loader;
