/**
 * `importNnunet` on real result folders written by training/nnunet_reference.py (torch.save
 * checkpoints with optimizer state and numpy logging): the manifest it writes, fold handling, and
 * bad input — a folder without plans / dataset / checkpoint, a corrupt or truncated zip, an
 * unsupported architecture, a region-based model, unknown pickle content — each a VoxsegError
 * naming the file and the cause.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { nnunetSourceFiles } from '../../../src/cli/nnunet-source';
import { importNnunet, type NnunetImportOptions } from '../../../src/inference/nnunet/import';
import type { SourceFile } from '../../../src/inference/nnunet/types';
import { sourceFilesFromZip } from '../../../src/inference/nnunet/zip';
import { repoRoot } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const suite = hasTorch ? describe : (describe.skip.bind(describe) as typeof describe);
const title = hasTorch
  ? 'importNnunet'
  : 'importNnunet [skipped: /usr/bin/python3 with torch and numpy (Debian python3-torch) not found]';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-nnunet-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let folder = '';
let zipPath = '';

function make(args: string[]): { folder: string; zip?: string } {
  const r = spawnSync(python, ['training/nnunet_reference.py', 'make', ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function importError(files: SourceFile[], source: string, opts: NnunetImportOptions = {}): Promise<VoxsegError> {
  try {
    await importNnunet(files, source, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(VoxsegError);
    return err as VoxsegError;
  }
  throw new Error('import did not fail');
}

/** The files of the made folder with some replaced or left out. */
async function variant(change: (path: string, f: SourceFile) => SourceFile | null): Promise<SourceFile[]> {
  return (await nnunetSourceFiles(folder)).flatMap((f) => {
    const g = change(f.path, f);
    return g ? [g] : [];
  });
}

function bytesFile(path: string, bytes: Uint8Array): SourceFile {
  return { path, size: bytes.length, read: async () => bytes };
}

suite(title, () => {
  beforeAll(() => {
    const m = make([
      '--case',
      'tiny-totalseg',
      '--schema',
      'new',
      '--out',
      join(tmp, 'ok'),
      '--folds',
      '0,1',
      '--seed',
      '2',
      '--zip',
    ]);
    folder = m.folder;
    zipPath = m.zip!;
  }, 120_000);

  it('writes a manifest from plans, dataset.json and the checkpoints, with both folds and TotalSegmentator names', async () => {
    const stages: string[] = [];
    const r = await importNnunet(await nnunetSourceFiles(folder), folder, { onProgress: (s) => stages.push(s) });
    const m = r.manifest;
    expect(m.id).toBe('dataset297_totalsegmentator_total_3mm_1559subj-3d_fullres');
    expect(m.model.channels).toBe(8);
    expect(m.labels.map((l) => l.name)).toEqual([
      'spleen',
      'kidney_right',
      'kidney_left',
      'gallbladder',
      'liver',
      'stomach',
      'pancreas',
    ]);
    expect(m.labels[0].type?.meaning).toBe('Spleen');
    expect(m.provenance.source).toContain('fold 0, fold 1');
    expect(r.notes.join(' ')).toContain('2 folds');
    expect(stages).toContain('Building the ONNX graph');
    const pre = m.preprocessing;
    if (pre.mode !== 'nnunet') throw new Error('mode');
    expect(pre.normalization.kind).toBe('ct');
    expect(pre.allowedMirrorAxes).toEqual([0, 1, 2]);
    expect(pre.mirrorAxes).toEqual([]);
    expect(pre.overlap).toBe(0.5); // the 3 mm TotalSegmentator model uses tile step 0.5
    // One fold only gives a different (smaller) model.
    const one = await importNnunet(await nnunetSourceFiles(folder), folder, { folds: [1] });
    expect(one.onnx.length).toBeLessThan(r.onnx.length);
    expect(one.manifest.provenance.source).toContain('fold 1');
  }, 120_000);

  it('refuses a folder without plans.json, dataset.json or a checkpoint, naming what is missing', async () => {
    const noPlans = await importError(await variant((p, f) => (p.endsWith('/plans.json') ? null : f)), 'picked-folder');
    expect(noPlans.message).toMatch(/^picked-folder: no plans\.json found/);
    const noDataset = await importError(
      await variant((p, f) => (p.endsWith('/dataset.json') ? null : f)),
      'picked-folder',
    );
    expect(noDataset.message).toMatch(/plans\.json has no dataset\.json beside it/);
    // A fold folder without the checkpoint (an unfinished fold): skipped with a note, or an error when asked for.
    const unfinished = await variant((p, f) =>
      p.endsWith('fold_1/checkpoint_final.pth')
        ? bytesFile(p.replace('checkpoint_final.pth', 'debug.json'), new TextEncoder().encode('{}'))
        : f,
    );
    const partial = await importNnunet(unfinished, 'picked-folder');
    expect(partial.notes.join(' ')).toContain('skipped fold_1: no checkpoint_final.pth');
    expect(partial.manifest.provenance.source).toContain('(fold 0,');
    const asked = await importError(unfinished, 'picked-folder', { folds: [0, 1] });
    expect(asked.message).toMatch(/^picked-folder: fold_1 has no checkpoint_final\.pth/);
    const none = await importError(await variant((p, f) => (p.endsWith('.pth') ? null : f)), 'picked-folder');
    expect(none.message).toMatch(/no fold_K folder with a checkpoint/);
    const wrongFold = await importError(await nnunetSourceFiles(folder), folder, { folds: [4] });
    expect(wrongFold.message).toMatch(/fold 4 not found .*present: 0, 1/);
    const best = await importError(await nnunetSourceFiles(folder), folder, { checkpoint: 'best' });
    expect(best.message).toMatch(/no checkpoint_best\.pth \(it has checkpoint_final\.pth/);
  }, 120_000);

  it('refuses a corrupt or truncated zip naming the zip', async () => {
    const bytes = new Uint8Array(readFileSync(zipPath));
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    expect(() => sourceFilesFromZip(cut, 'weights.zip')).toThrow(/weights\.zip/);
    // Flip bytes inside the first checkpoint's data: the CRC check names the entry.
    const files = sourceFilesFromZip(bytes, 'weights.zip');
    const ck = files.find((f) => f.path.endsWith('checkpoint_final.pth'))!;
    const good = await ck.read();
    const damaged = files.map((f) =>
      f === ck
        ? bytesFile(
            f.path,
            (() => {
              const b = good.slice();
              for (let i = b.length - 4000; i < b.length - 3000; i++) b[i] ^= 0xff;
              return b;
            })(),
          )
        : f,
    );
    const err = await importError(damaged, 'weights.zip');
    expect(err.message).toMatch(/weights\.zip/);
    expect(err.message).toMatch(/checkpoint_final\.pth/);
  }, 120_000);

  it('refuses an unsupported architecture and a region-based model with the reason', async () => {
    const plans = JSON.parse(readFileSync(join(folder, 'plans.json'), 'utf8'));
    const arch = plans.configurations['3d_fullres'].architecture;
    arch.network_class_name = 'dynamic_network_architectures.architectures.unet.ResidualUNet';
    const e1 = await importError(
      await variant((p, f) =>
        p.endsWith('/plans.json') ? bytesFile(p, new TextEncoder().encode(JSON.stringify(plans))) : f,
      ),
      'picked-folder',
    );
    expect(e1.message).toMatch(/plans\.json/);
    expect(e1.message).toMatch(/ResidualUNet/);
    const dataset = JSON.parse(readFileSync(join(folder, 'dataset.json'), 'utf8'));
    dataset.labels = { background: 0, whole: [1, 2], core: 2 };
    dataset.regions_class_order = [1, 2];
    const e2 = await importError(
      await variant((p, f) =>
        p.endsWith('/dataset.json') ? bytesFile(p, new TextEncoder().encode(JSON.stringify(dataset))) : f,
      ),
      'picked-folder',
    );
    expect(e2.message).toMatch(/dataset\.json: this is a region-based model/);
  }, 120_000);

  it('refuses a checkpoint with unknown pickle content, naming the global and the file', async () => {
    // A real torch checkpoint whose pickle references a global outside the allow-list.
    const evil = join(tmp, 'evil.pth');
    const script = [
      'import torch, sys, collections',
      'class Payload:',
      '    def __reduce__(self):',
      '        import os',
      "        return (os.system, ('true',))",
      "torch.save({'network_weights': collections.OrderedDict(), 'x': Payload()}, sys.argv[1])",
    ].join('\n');
    const r = spawnSync(python, ['-c', script, evil], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bad = new Uint8Array(readFileSync(evil));
    const files = await variant((p, f) => (p.endsWith('fold_0/checkpoint_final.pth') ? bytesFile(p, bad) : f));
    const err = await importError(files, 'picked-folder');
    expect(err.message).toMatch(/fold_0\/checkpoint_final\.pth/);
    expect(err.message).toMatch(/unsupported pickle content: global (os|posix)\.system/);
  }, 120_000);

  it('reads the same model from the folder and from its zip', async () => {
    const a = await importNnunet(await nnunetSourceFiles(folder), folder);
    const b = await importNnunet(
      sourceFilesFromZip(new Uint8Array(readFileSync(zipPath)), 'weights.zip'),
      'weights.zip',
    );
    expect(b.manifest.model.sha256).toBe(a.manifest.model.sha256);
    // A zip of the trainer folder alone (no Dataset folder around it) still imports.
    const entries: Record<string, Uint8Array> = {};
    for (const f of await nnunetSourceFiles(folder)) entries[f.path.split('/').slice(1).join('/')] = await f.read();
    const alone = zipSync(entries, { level: 1 });
    writeFileSync(join(tmp, 'alone.zip'), alone);
    const c = await importNnunet(sourceFilesFromZip(alone, 'alone.zip'), 'alone.zip');
    expect(c.manifest.labels.length).toBe(7);
  }, 120_000);
});
