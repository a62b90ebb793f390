/**
 * What both Cornerstone baselines share (local files and `wadors`): the start-up OHIF does, and a
 * streaming volume made from image ids and loaded until every frame is decoded and in the volume.
 */
import { init as csInit, volumeLoader, cornerstoneStreamingImageVolumeLoader } from '@cornerstonejs/core';
import { init as dilInit } from '@cornerstonejs/dicom-image-loader';
import type { LoadedVolume } from './types';

let counter = 0;

/** core + dicom-image-loader with OHIF's default worker count: hardwareConcurrency − 1 (at least 1). */
export async function initCornerstone(): Promise<void> {
  await csInit();
  dilInit({ maxWebWorkers: Math.max(1, (navigator.hardwareConcurrency || 2) - 1) });
  volumeLoader.registerUnknownVolumeLoader(cornerstoneStreamingImageVolumeLoader as never);
}

/**
 * createAndCacheVolume (sorts by position, allocates) + volume.load() until every frame is in;
 * `before`: the phases timed before it (name → ms); `loadPhase` names the load's own phase.
 */
export async function loadCornerstoneVolume(
  imageIds: string[],
  before: Record<string, number>,
  loadPhase: string,
): Promise<LoadedVolume> {
  const t1 = performance.now();
  const volume = await volumeLoader.createAndCacheVolume(`cornerstoneStreamingImageVolume:bench-${++counter}`, {
    imageIds,
  });
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
  const phases = { ...before, createAndCacheVolume: t2 - t1, [loadPhase]: performance.now() - t2 };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const vm = (volume as any).voxelManager;
  return {
    dims: [...volume.dimensions] as [number, number, number],
    dtype: String(vm?.getConstructor?.()?.name ?? volume.dataType ?? '?')
      .replace(/Array$/, '')
      .toLowerCase(),
    phases,
    voxels: () => vm.getCompleteScalarDataArray(),
  };
}
