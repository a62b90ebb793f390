/**
 * Runs decode_fixtures.py (beside this file) with the system Python that has pydicom and numpy,
 * and loads the series it writes. Tests use `fixtureSkip()` to skip with the reason when the
 * Python packages or the encoder tools are missing (a fresh clone without them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles } from '../../../../src/cli/node-files';
import type { Volume } from '../../../../src/core/types';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';

export const python = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), 'decode_fixtures.py');

export function hasTools(...tools: string[]): string | undefined {
  if (!existsSync(python) || spawnSync(python, ['-c', 'import pydicom, numpy'], { stdio: 'ignore' }).status !== 0)
    return '/usr/bin/python3 with pydicom and numpy not found';
  for (const t of tools) if (spawnSync('which', [t], { stdio: 'ignore' }).status !== 0) return `${t} not found`;
  return undefined;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `voxseg-${prefix}-`));
}

/** Run one generator of decode_fixtures.py into `out`; throws with its stderr on failure. */
export function generate(kind: string, out: string): void {
  const r = spawnSync(python, [script, kind, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`decode_fixtures.py ${kind} failed: ${r.stderr}`);
}

/** A .npy file (little-endian int16/uint16/uint8/float32/float64, C order) as numbers + shape. */
export function readNpy(path: string): { data: ArrayLike<number>; shape: number[] } {
  const b = readFileSync(path);
  const headerLen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  const shape = /'shape':\s*\(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const body = b.subarray(10 + headerLen);
  const buf = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const types: Record<string, new (b: ArrayBuffer) => ArrayLike<number>> = {
    '<i2': Int16Array,
    '<u2': Uint16Array,
    '|u1': Uint8Array,
    '<f4': Float32Array,
    '<f8': Float64Array,
    '<i4': Int32Array,
    '<u4': Uint32Array,
    '|i1': Int8Array,
  };
  if (!types[descr]) throw new Error(`npy dtype ${descr} not handled`);
  return { data: new types[descr](buf), shape };
}

export async function loadFolder(dir: string): Promise<{ volume: Volume; warnings: string[] }> {
  const { series, rejected } = await scanFiles(await listFiles([dir]));
  if (rejected.length) throw new Error(`rejected: ${rejected.map((r) => r.reason).join('; ')}`);
  if (series.length !== 1) throw new Error(`${series.length} series in ${dir}`);
  return loadSeries(series[0]);
}

/** Index of the first element where a and b differ, or -1. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
