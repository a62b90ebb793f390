/**
 * Child process of the nnU-Net conversion rows: one job, then one JSON line (ConversionRun) on stdout.
 *   node --expose-gc --import tsx bench/inference/nnunet-child.ts import|read RESULT_FOLDER|ZIP
 * - import: `nnunetSourceFiles` + `importNnunet`, as `voxseg import-model --nnunet` does (the ONNX
 *   and manifest are made in memory, not written);
 * - read: the baseline: every file of the result folder (or the zip) read into memory with
 *   `readFile`, i.e. the bytes the import starts from.
 * Modules are loaded before the clock. Peak = VmHWM during the job (reset via clear_refs just
 * before it) − VmRSS before; fallback maxRSS.
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nnunetSourceFiles } from '../../src/cli/nnunet-source';
import { importNnunet } from '../../src/inference/nnunet/import';
import { beginSelfMeasure } from '../lib/proc';

export interface ConversionRun {
  mode: 'import' | 'read';
  seconds: number;
  cpuSeconds: number;
  /** Bytes of the input files (folder files or the zip). */
  inputBytes: number;
  peakGrowthBytes: number;
  peakRssBytes: number;
  peakMethod: string;
  /** import only: the ONNX model's size and the parameters per fold the importer reports. */
  onnxBytes?: number;
  parameters?: number;
  notes?: string[];
}

const [mode, input] = process.argv.slice(2);
if ((mode !== 'import' && mode !== 'read') || !input)
  throw new Error('usage: nnunet-child.ts import|read RESULT_FOLDER|ZIP');

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((p) => join(path, p))
    .filter((p) => statSync(p).isFile());
}
const files = filesUnder(input);
const inputBytes = files.reduce((n, f) => n + statSync(f).size, 0);

const measure = await beginSelfMeasure();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let extra: Pick<ConversionRun, 'onnxBytes' | 'parameters' | 'notes'> = {};
if (mode === 'import') {
  const r = await importNnunet(await nnunetSourceFiles(input), input);
  const count = /([\d,]+) parameters/.exec([r.manifest.provenance.training ?? '', ...r.notes].join(' '));
  extra = {
    onnxBytes: r.onnx.byteLength,
    parameters: count ? Number(count[1].replace(/,/g, '')) : undefined,
    notes: r.notes,
  };
} else {
  let n = 0;
  for (const f of files) n += (await readFile(f)).byteLength;
  if (n !== inputBytes) throw new Error(`read ${n} bytes, expected ${inputBytes}`);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const peak = measure.peak();
const result: ConversionRun = {
  mode,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  inputBytes,
  peakGrowthBytes: peak - measure.base,
  peakRssBytes: peak,
  peakMethod: measure.exact ? 'hwm' : 'maxrss',
  ...extra,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
