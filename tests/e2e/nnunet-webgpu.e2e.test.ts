/**
 * An imported nnU-Net v2 network — transposed convolutions written as 1x1x1 Conv + depth-to-space,
 * instance norm, leaky ReLU, skip concatenations — runs on Chromium's WebGPU (software adapter with
 * --enable-unsafe-webgpu: a correctness check, not a speed figure) without falling back to WASM,
 * and agrees with WASM on a block of a real CT.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { nnunetSourceFiles } from '../../src/cli/nnunet-source';
import { readNifti, writeNifti } from '../../src/io/nifti/index';
import { importNnunet } from '../../src/inference/nnunet/import';
import { sharedPath } from '../unit/helpers/shared';
import { describeBrowser, repoRoot } from './helpers/browser';
import { blockOf, labelsOnWebgpuAndWasm, modelFiles } from './helpers/models';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'voxseg-e2e-nnunet-gpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = hasTorch
  ? describeBrowser
  : (name: string, _shared: string[], fn: () => void) =>
      describe.skip(`${name} [skipped: /usr/bin/python3 with torch (Debian python3-torch) not found]`, fn);

run('nnU-Net network on WebGPU', ['nifti/ct/example_ct.nii.gz'], () => {
  it('an imported nnU-Net model runs on WebGPU (no WASM fallback) and agrees with WASM', async () => {
    const made = spawnSync(
      python,
      [
        'training/nnunet_reference.py',
        'make',
        '--case',
        'tiny',
        '--schema',
        'new',
        '--out',
        join(tmp, 'model'),
        '--seed',
        '11',
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const folder = JSON.parse(made.stdout.trim().split('\n').pop()!).folder as string;
    const conv = await importNnunet(await nnunetSourceFiles(folder), folder);
    const model = modelFiles(conv.manifest, conv.onnx);
    // A 48 x 48 x 24 block of the real CT (3 mm, the model's spacing): a few 32^3 tiles.
    const ct = readNifti(readFileSync(sharedPath('nifti/ct/example_ct.nii.gz')));
    const [bi, bj, bk] = [48, 48, 24];
    const block = blockOf(ct, [37, 30, 50], [bi, bj, bk]);
    const input = join(tmp, 'block.nii.gz');
    writeFileSync(input, writeNifti(block, { gzip: true }));

    const { onGpu, onCpu } = await labelsOnWebgpuAndWasm(inject('baseUrl'), model, input, 'nnunet-webgpu');
    expect(onGpu.length).toBe(bi * bj * bk);
    let same = 0;
    const seen = new Set<number>();
    for (let n = 0; n < onCpu.length; n++) {
      if (onGpu[n] === onCpu[n]) same++;
      seen.add(onCpu[n]);
    }
    expect(seen.size, 'more than one label in the block').toBeGreaterThan(1);
    expect(same / onCpu.length, 'WebGPU vs WASM agreement').toBeGreaterThanOrEqual(0.999);
  }, 900_000);
});
