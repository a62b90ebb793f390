/** Load a DICOM series in Node with voxseg's own loader (reference voxels for browser tests). */
import type { Volume } from '../../../src/core/types';
import { listFiles } from '../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';

export async function loadSeriesInNode(paths: string[]): Promise<Volume> {
  const scan = await scanFiles(await listFiles(paths));
  if (scan.series.length !== 1)
    throw new Error(`expected one series in ${paths.length} files, found ${scan.series.length}`);
  return (await loadSeries(scan.series[0])).volume;
}
