/**
 * Child process of the Node row: the CLI loading path (listFiles → scanFiles → loadSeries) on one
 * folder. Prints one JSON line: { ms, peakBytes, peakMethod, dims, dtype, summary, warnings }.
 * Run with --expose-gc. Peak = VmHWM after the load − VmRSS before it (HWM reset via clear_refs),
 * or process.resourceUsage().maxRSS − baseline when the reset is not permitted.
 */
import { listFiles } from '../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../src/io/dicom/index';
import { summarize } from '../browser/checksum';
import { beginSelfMeasure } from '../lib/proc';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node-child.ts DIR');

const measure = await beginSelfMeasure();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const files = await listFiles([dir]);
const tScan = performance.now();
const scan = await scanFiles(files);
const tLoad = performance.now();
if (scan.series.length === 0)
  throw new Error(`no series found in ${dir}: ${JSON.stringify(scan.rejected.slice(0, 3))}`);
const { volume, warnings } = await loadSeries(scan.series[0]);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);

const peak = measure.peak();
const summary = summarize(volume.header.dims, volume.header.dtype, volume.voxels);
process.stdout.write(
  JSON.stringify({
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakBytes: peak - measure.base,
    peakMethod: measure.exact ? 'hwm' : 'maxrss',
    dims: [...volume.header.dims],
    dtype: volume.header.dtype,
    summary,
    warnings: warnings.slice(0, 5),
    phases: { listFiles: tScan - t0, scanFiles: tLoad - tScan, loadSeries: t0 + ms - tLoad },
  }) + '\n',
);
