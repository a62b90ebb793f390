/**
 * nnU-Net rows of the inference section (`--cases=nnunet`). Result folders with random weights are
 * written once by the project's reference tool (`training/nnunet_reference.py make`, PyTorch) into
 * out/inference/nnunet/ and kept while the arguments they were made with match:
 * - conversion: `plain-iso` (PlainConvUNet 32..320, 6 stages, ~31 M parameters; the checkpoint
 *   holds the optimizer's momentum too, as nnU-Net's do) and its zip, each imported by
 *   `importNnunet` in a fresh Node child (`nnunet-child.ts`). Baseline, same run, same kind of
 *   child: reading the same files into memory, so the table says conversion = X × file read.
 * - speed: `total-3mm` (the same network with TotalSegmentator's 117 classes + background and its
 *   fast model's dataset name, so the import adds its RAS / 3 mm steps), imported here once per run
 *   with the current importer (a few seconds) into model.onnx + manifest.json beside it, then run as
 *   an ordinary case on the bench's 512x512x300 phantom CT. `--nnunet-patch=Z,Y,X` writes the
 *   fixture with another patch (its own cache folder).
 * Without /usr/bin/python3 + torch the rows are skipped with a note (nothing is downloaded).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nnunetSourceFiles } from '../../src/cli/nnunet-source';
import { importNnunet } from '../../src/inference/nnunet/import';
import { fmt, markdownTable, ratio } from '../lib/table';
import { median } from '../lib/stats';
import { REPO } from '../loading/datasets';
import { DIR } from './cases';
import type { ConversionRun } from './nnunet-child';
import type { InferenceCase, VolumeRef } from './shared';

const PYTHON = '/usr/bin/python3';
const NN_DIR = join(DIR, 'nnunet');
/** TotalSegmentator's trainer (no mirroring at inference). */
const TRAINER = 'nnUNetTrainer_4000epochs_NoMirroring';

interface Fixture {
  folder: string;
  zip: string | null;
}

/** `nnunet_reference.py make ARGS` into out/inference/nnunet/NAME, unless made with the same ARGS. */
function makeFixture(name: string, args: string[], regen: boolean): Fixture {
  const out = join(NN_DIR, name);
  const stamp = join(out, 'made.json');
  const key = args.join(' ');
  if (!regen && existsSync(stamp)) {
    const s = JSON.parse(readFileSync(stamp, 'utf8')) as Fixture & { key: string };
    if (s.key === key && existsSync(s.folder) && (!s.zip || existsSync(s.zip))) return s;
  }
  if (spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status !== 0)
    throw new Error(`${PYTHON} with torch and numpy not found (needed once to write the nnU-Net fixtures)`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const r = spawnSync(PYTHON, ['training/nnunet_reference.py', 'make', ...args, '--out', out], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0)
    throw new Error(
      `nnunet_reference.py make ${key} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`,
    );
  const made = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Fixture;
  writeFileSync(stamp, JSON.stringify({ key, folder: made.folder, zip: made.zip }));
  console.log(
    `bench: wrote the nnU-Net fixture ${name} (${key}) into ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return made;
}

export interface NnunetPrep {
  /** The result folder and zip of the conversion rows. */
  conversion?: Fixture;
  /** The TotalSegmentator-like model on the phantom CT. */
  case?: InferenceCase;
  notes: string[];
}

export async function prepareNnunet(opts: {
  regen: boolean;
  patch?: string;
  ct: { volume: VolumeRef; label: string };
}): Promise<NnunetPrep> {
  const notes: string[] = [];
  const base = ['--schema', 'new', '--seed', '1'];
  let conversion: Fixture | undefined;
  try {
    conversion = makeFixture('plain-iso', ['--case', 'plain-iso', ...base, '--zip'], opts.regen);
  } catch (e) {
    notes.push(`nnU-Net conversion rows skipped: ${(e as Error).message}`);
  }
  const patch = opts.patch ? ['--patch', opts.patch] : [];
  let total: Fixture;
  try {
    total = makeFixture(
      `total-3mm${opts.patch ? `-patch${opts.patch.replace(/,/g, 'x')}` : ''}`,
      ['--case', 'total-3mm', ...base, '--trainer', TRAINER, ...patch],
      opts.regen,
    );
  } catch (e) {
    notes.push(`nnU-Net speed rows skipped: ${(e as Error).message}`);
    return { conversion, notes };
  }
  const t0 = performance.now();
  let r: Awaited<ReturnType<typeof importNnunet>>;
  try {
    r = await importNnunet(await nnunetSourceFiles(total.folder), total.folder);
  } catch (e) {
    notes.push(
      `nnU-Net speed rows skipped: importing ${relative(REPO, total.folder)} failed: ${(e as Error).message.split('\n')[0]}`,
    );
    return { conversion, notes };
  }
  const dir = join(total.folder, '..', '..');
  const model = join(dir, 'total-3mm.onnx'); // a name of its own: the browser page finds its files by name
  writeFileSync(model, r.onnx);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(r.manifest, null, 2));
  console.log(
    `bench: imported ${relative(REPO, total.folder)} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(r.onnx.byteLength / 1e6).toFixed(0)} MB ONNX)`,
  );
  const p = r.manifest.preprocessing;
  if (p.mode !== 'nnunet') throw new Error(`${total.folder}: the importer made a ${p.mode} manifest`);
  const count = /([\d,]+) parameters/.exec(r.manifest.provenance.training ?? '')?.[1] ?? '?';
  const c: InferenceCase = {
    id: 'nnunet',
    label: `nnU-Net, TotalSegmentator 3 mm architecture (random weights), ${opts.ct.label} → ${p.orientation ?? 'as stored'} ${p.spacing.join('x')} mm, ${p.patch.join('x')} patches, overlap ${p.overlap}`,
    model,
    modelInfo:
      `PlainConvUNet 6 stages 32..320, ${count} parameters, ${r.manifest.model.channels} output channels (117 TotalSegmentator classes + background), ` +
      `imported by importNnunet from ${relative(REPO, total.folder)} (dataset name Dataset297_TotalSegmentator_total_3mm_1559subj: TotalSegmentator's RAS + 3 mm steps in the manifest)`,
    manifest: r.manifest,
    volume: opts.ct.volume,
    source: total.folder,
  };
  return { conversion, case: c, notes };
}

function runChild(mode: 'import' | 'read', input: string, timeoutMs: number): ConversionRun {
  const child = join(REPO, 'bench/inference/nnunet-child.ts');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, mode, input], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: timeoutMs,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw new Error(`no result within ${Math.round(timeoutMs / 1000)} s`);
  if (r.status !== 0)
    throw new Error(
      `child exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' / ')}`,
    );
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ConversionRun;
}

export interface ConversionResult {
  markdown: string;
  runs: Record<string, ConversionRun[]>;
  errors: Record<string, string>;
}

/** Import from the folder and from the zip, each against reading its bytes; reps interleaved. */
export function runConversion(f: Fixture, reps: number, timeoutMs: number): ConversionResult {
  const inputs = [
    { id: 'folder', what: 'result folder (plans.json, dataset.json, fold_0/checkpoint_final.pth)', path: f.folder },
    ...(f.zip ? [{ id: 'zip', what: 'its zip (deflated, as TotalSegmentator publishes weights)', path: f.zip }] : []),
  ];
  const runs: Record<string, ConversionRun[]> = {};
  const errors: Record<string, string> = {};
  for (let rep = 1; rep <= reps; rep++)
    for (const x of inputs)
      for (const mode of ['read', 'import'] as const) {
        const key = `${x.id}-${mode}`;
        if (errors[key]) continue;
        try {
          const r = runChild(mode, x.path, timeoutMs);
          (runs[key] ??= []).push(r);
          console.log(
            `  nnunet conversion rep ${rep} ${key.padEnd(13)} ${fmt(r.seconds, 2).padStart(6)} s  cpu ${fmt(r.cpuSeconds, 2)} s  peak +${fmt(r.peakGrowthBytes / 1e6)} MB (rss ${fmt(r.peakRssBytes / 1e6)} MB)`,
          );
        } catch (e) {
          errors[key] = (e as Error).message.split('\n')[0];
          console.log(`  nnunet conversion rep ${rep} ${key} FAILED: ${errors[key]}`);
        }
      }
  const med = (key: string, g: (r: ConversionRun) => number) => (runs[key]?.length ? median(runs[key].map(g)) : NaN);
  const mb = (b: number) => fmt(b / 1e6);
  const first = Object.values(runs)
    .flat()
    .find((r) => r.mode === 'import');
  const rows = inputs.map((x) => {
    const imp = runs[`${x.id}-import`];
    const read = runs[`${x.id}-read`];
    if (!imp?.length) return [x.what, `FAILED: ${errors[`${x.id}-import`] ?? 'not run'}`];
    const s = med(`${x.id}-import`, (r) => r.seconds);
    const rs = med(`${x.id}-read`, (r) => r.seconds);
    return [
      x.what,
      mb(imp[0].inputBytes),
      fmt(s, 2),
      fmt(
        med(`${x.id}-import`, (r) => r.cpuSeconds),
        2,
      ),
      mb(med(`${x.id}-import`, (r) => r.peakGrowthBytes)),
      mb(med(`${x.id}-import`, (r) => r.peakRssBytes)),
      read?.length ? fmt(rs, 2) : `FAILED: ${errors[`${x.id}-read`] ?? 'not run'}`,
      ratio(s, rs),
    ];
  });
  const markdown = [
    '### nnU-Net import: conversion of a ~30 M-parameter checkpoint',
    '',
    `Model: \`plain-iso\` fixture, PlainConvUNet 6 stages 32..320, ${first?.parameters?.toLocaleString('en-US') ?? '?'} parameters, 1 fold, random weights. ` +
      `Checkpoint ${mb(fileBytes(join(f.folder, 'fold_0/checkpoint_final.pth')))} MB (it also holds the SGD momentum, as nnU-Net's do: about twice the weights); ` +
      `ONNX ${first?.onnxBytes ? mb(first.onnxBytes) : '?'} MB (float32 weights).`,
    '',
    markdownTable(
      ['input', 'input MB', 'import s', 'CPU s', 'peak growth MB', 'peak RSS MB', 'baseline: read s', 'import / read'],
      rows,
    ),
    '',
    `${reps === 1 ? 'One run' : `Median of ${reps} runs`} each, a fresh Node child per run (modules loaded before the clock). import = \`nnunetSourceFiles\` + \`importNnunet\` ` +
      '(read, unzip, unpickle, ONNX graph, SHA-256, manifest; nothing written), as `voxseg import-model --nnunet`. Baseline: the same files read into memory with `readFile` ' +
      'in the same kind of child (page cache warm: the baseline runs first). Peak growth = VmHWM during the job (reset just before it) − VmRSS before it; peak RSS = the absolute high-water mark of the child.',
  ].join('\n');
  return { markdown, runs, errors };
}

/** Size of a file, bytes (NaN when missing). */
function fileBytes(path: string): number {
  return existsSync(path) ? statSync(path).size : NaN;
}
