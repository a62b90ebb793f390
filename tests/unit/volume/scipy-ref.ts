/**
 * Reference values from Python (numpy + scipy) for the resampling tests: arrays go to a temporary
 * folder as raw little-endian files, one Python run computes every reference, the results come
 * back as typed arrays. Tests use `hasScipy` to skip (with the reason in the title) when
 * /usr/bin/python3 or its numpy/scipy is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const python = '/usr/bin/python3';
export const hasScipy =
  existsSync(python) && spawnSync(python, ['-c', 'import numpy, scipy.ndimage'], { stdio: 'ignore' }).status === 0;
export const scipySkipReason = '[skipped: /usr/bin/python3 with numpy and scipy (Debian python3-scipy) not installed]';

export type RefArray = Float32Array | Float64Array | Uint8Array | Int32Array | Uint16Array;
export interface RefInput {
  data: RefArray;
  shape: number[];
}

const DTYPES: Record<string, [string, (b: ArrayBuffer) => RefArray]> = {
  Float32Array: ['<f4', (b) => new Float32Array(b)],
  Float64Array: ['<f8', (b) => new Float64Array(b)],
  Uint8Array: ['|u1', (b) => new Uint8Array(b)],
  Int32Array: ['<i4', (b) => new Int32Array(b)],
  Uint16Array: ['<u2', (b) => new Uint16Array(b)],
};

const PRELUDE = `
import json, os, sys, warnings
import numpy as np
warnings.simplefilter('ignore')
D = sys.argv[1]
meta = json.load(open(os.path.join(D, 'meta.json')))
params = meta['params']
def load(name):
    info = meta['inputs'][name]
    return np.fromfile(os.path.join(D, 'in_' + name + '.bin'), dtype=info['dtype']).reshape(info['shape'])
_outs = {}
def save(name, arr):
    arr = np.ascontiguousarray(arr)
    kind = {'float32': '<f4', 'float64': '<f8', 'uint8': '|u1', 'bool': '|u1', 'int32': '<i4', 'int64': '<i4', 'uint16': '<u2'}[str(arr.dtype)]
    arr.astype(kind).tofile(os.path.join(D, 'out_' + name + '.bin'))
    _outs[name] = kind
`;
const EPILOGUE = `
json.dump(_outs, open(os.path.join(D, 'outs.json'), 'w'))
`;

/** Run `script` (with load(name), save(name, arr) and `params` defined) and return what it saved. */
export function runPython(
  script: string,
  inputs: Record<string, RefInput>,
  params: unknown = {},
): Record<string, RefArray> {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-scipy-'));
  try {
    const meta: { inputs: Record<string, { dtype: string; shape: number[] }>; params: unknown } = {
      inputs: {},
      params,
    };
    for (const [name, { data, shape }] of Object.entries(inputs)) {
      const [dtype] = DTYPES[data.constructor.name];
      meta.inputs[name] = { dtype, shape };
      writeFileSync(join(dir, `in_${name}.bin`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'ref.py'), PRELUDE + script + EPILOGUE);
    const r = spawnSync(python, [join(dir, 'ref.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`reference script failed:\n${r.stderr}`);
    const outs = JSON.parse(readFileSync(join(dir, 'outs.json'), 'utf8')) as Record<string, string>;
    const result: Record<string, RefArray> = {};
    for (const [name, kind] of Object.entries(outs)) {
      const bytes = readFileSync(join(dir, `out_${name}.bin`));
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const entry = Object.values(DTYPES).find(([k]) => k === kind)!;
      result[name] = entry[1](buf);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deterministic pseudo-random numbers (mulberry32), standard normal via Box-Muller. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** One float32 unit in the last place of x (for |x| in the normal range; tiny x: the smallest normal's). */
export function ulp32(x: number): number {
  const a = Math.max(Math.abs(x), 1.1754943508222875e-38);
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}
