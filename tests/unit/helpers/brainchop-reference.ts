/**
 * Node side of the independent Python reference of brainchop's whole pipeline
 * (training/brainchop_reference.py: PyTorch + numpy + scipy + nibabel, no TensorFlow, no voxseg
 * code). `brainchopReference({ id, input })` runs models-list entry `id` on a conformed NIfTI and
 * returns the labels (and, for Brain_Extraction, the skull-stripped image) in NIfTI voxel order.
 *
 * Runs are cached: in memory for the life of the test process (concurrent calls share one
 * promise), and on disk under the system temp folder (`voxseg-brainchop-reference/<script
 * version>/<sha256>`, keyed by the content of the script, models-list.json, every model file,
 * the input and the id; other script versions' folders go after a day unused), so other test
 * files and later runs reuse a run whose inputs have not changed; a lock folder makes a second
 * process wait for a run in progress instead of repeating it. With VOXSEG_BRAINCHOP_REF_CACHE=0
 * each test process computes its own runs in a temporary folder removed at exit.
 *
 * Seconds on t1_crop (2 cores, idle machine): entry 1 12, 13 10, 2 32, 6 32, 8 39, 14 35,
 * mindgrab 16 166; peak memory 1.1-2.3 GB. Give the calling hook a generous timeout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Box, Conformed, Dims } from './brainchop-tfjs';
import { repoRoot, sharedPath } from './shared';

export const referencePython = '/usr/bin/python3';
const script = join(repoRoot, 'training', 'brainchop_reference.py');

/** True when python3 with torch, numpy, scipy and nibabel is installed. */
export const hasReferencePython =
  existsSync(referencePython) &&
  spawnSync(referencePython, ['-c', 'import torch, numpy, scipy, nibabel'], { stdio: 'ignore' }).status === 0;
export const referencePythonMissing =
  '[skipped: /usr/bin/python3 with torch, numpy, scipy and nibabel (Debian python3-torch, python3-scipy, python3-nibabel) not installed]';

export interface BrainchopReference {
  /** NIfTI voxel order (i fastest): channel index, or 0/1 for Brain_Masking / Brain_Extraction. */
  labels: Uint8Array;
  /** Brain_Extraction entries: the input where the mask is set, 0 elsewhere. */
  masked?: Uint8Array;
  /** Entries with a pre-model: its crop mask (argmax > 0, before any cleanup) as 0/1. */
  preMask?: Uint8Array;
  dims: Dims;
  /** Whole pipeline, seconds (without start-up and file writing). */
  seconds: number;
  /** Inclusive crop box (voxel order i, j, k) of the crop mask, and the box brainchop's loop yields. */
  box: Box;
  boxQuirk: Box;
  /** The script's whole JSON report: counts, cropShape, nearTies, components, preModel, peakMB, ... */
  report: Record<string, any>;
  /** True when the run came from the disk cache (seconds is then the original run's). */
  cached: boolean;
}

export interface ReferenceOptions {
  id: number;
  /** Conformed NIfTI (uint8, 256^3, 1 mm, LIA), or uint8 voxels (i fastest) with their dims. */
  input: string | Conformed;
  /** Folder with models-list.json and the model folders; default ../shared/data/models/brainchop-tfjs. */
  zoo?: string;
  /** torch threads (default 2). */
  threads?: number;
}

const cache = new Map<string, Promise<BrainchopReference>>();
const cacheRoot = join(tmpdir(), 'voxseg-brainchop-reference');

/** sha256 of everything a run depends on. */
function contentKey(id: number, zoo: string, input: string | Conformed): string {
  const h = createHash('sha256').update(`brainchop-reference/1 id=${id}\n`);
  h.update(readFileSync(script));
  if (typeof input === 'string') h.update(readFileSync(input));
  else h.update(`raw ${input.dims.join(',')}\n`).update(input.data);
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${p.slice(zoo.length)}\n`).update(readFileSync(p));
    }
  };
  walk(zoo);
  return h.digest('hex');
}

function run(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(referencePython, [script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? ok(out)
        : fail(new Error(`brainchop_reference.py ${args.join(' ')} failed (${code}):\n${err.slice(-3000)}`)),
    );
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock folder of a run, or learn that a live process holds it (stale locks are removed). */
function tryLock(lock: string): boolean {
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = 0;
    try {
      pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // being created, or its owner died before writing its pid
    }
    const st = statSync(lock, { throwIfNoEntry: false });
    const stale = pid ? !alive(pid) : !!st && Date.now() - st.mtimeMs > 60_000;
    if (!stale) return false;
    rmSync(lock, { recursive: true, force: true });
  }
}

let processDir: string | null = null;
let versionDir: string | null = null;
/** The disk cache of this version of the script; other versions' folders unused for a day are removed. */
function cacheFolder(): string {
  if (process.env.VOXSEG_BRAINCHOP_REF_CACHE !== '0') {
    if (!versionDir) {
      const version = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 16);
      mkdirSync(cacheRoot, { recursive: true });
      for (const e of readdirSync(cacheRoot)) {
        const st = statSync(join(cacheRoot, e), { throwIfNoEntry: false });
        if (e !== version && st && Date.now() - st.mtimeMs > 86_400_000)
          rmSync(join(cacheRoot, e), { recursive: true, force: true });
      }
      versionDir = join(cacheRoot, version);
      mkdirSync(versionDir, { recursive: true });
      const now = new Date();
      utimesSync(versionDir, now, now);
    }
    return versionDir;
  }
  if (!processDir) {
    const dir = mkdtempSync(join(tmpdir(), 'voxseg-brainchop-ref-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    processDir = dir;
  }
  return processDir;
}

/** brainchop's pipeline for models-list entry `id` on `input`, by the Python reference (cached). */
export function brainchopReference(opts: ReferenceOptions): Promise<BrainchopReference> {
  const zoo = resolve(opts.zoo ?? sharedPath('models/brainchop-tfjs'));
  const input = typeof opts.input === 'string' ? resolve(opts.input) : opts.input;
  const root = cacheFolder();
  mkdirSync(root, { recursive: true });
  const out = join(root, contentKey(opts.id, zoo, input));
  const known = cache.get(out);
  if (known) return known;

  /** Run the script into a temporary folder and move it to `out`. */
  const fresh = async (): Promise<Record<string, any>> => {
    const tmp = `${out}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      let source = ['--input', input as string];
      if (typeof input !== 'string') {
        writeFileSync(join(tmp, 'input.u8'), input.data);
        source = ['--input', join(tmp, 'input.u8'), '--dims', input.dims.join(',')];
      }
      const stdout = await run([
        '--zoo',
        zoo,
        '--id',
        String(opts.id),
        ...source,
        '--raw',
        tmp,
        '--threads',
        String(opts.threads ?? 2),
      ]);
      const report = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      writeFileSync(join(tmp, 'report.json'), JSON.stringify(report));
      rmSync(join(tmp, 'input.u8'), { force: true });
      rmSync(out, { recursive: true, force: true });
      renameSync(tmp, out);
      return report;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  };

  /** The run from the disk cache, else computed here (waiting while another process computes it). */
  const obtain = async (): Promise<{ report: Record<string, any>; cached: boolean }> => {
    const done = () => existsSync(join(out, 'report.json'));
    const read = () => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (;;) {
      if (done()) return { report: read(), cached: true };
      if (tryLock(`${out}.lock`)) {
        try {
          return done() ? { report: read(), cached: true } : { report: await fresh(), cached: false };
        } finally {
          rmSync(`${out}.lock`, { recursive: true, force: true });
        }
      }
      await sleep(2000);
    }
  };

  const job = obtain().then(({ report, cached }) => {
    const read = (name: string) =>
      existsSync(join(out, name)) ? new Uint8Array(readFileSync(join(out, name))) : undefined;
    const labels = read('labels.u8')!;
    const dims = report.dims as Dims;
    if (labels.length !== dims[0] * dims[1] * dims[2])
      throw new Error(`reference labels hold ${labels.length} voxels, expected ${dims.join('x')}`);
    return {
      labels,
      masked: read('masked.u8'),
      preMask: read('premask.u8'),
      dims,
      seconds: report.seconds,
      box: report.box,
      boxQuirk: report.boxQuirk,
      report,
      cached,
    };
  });
  cache.set(out, job);
  return job;
}
