/**
 * Whole-pipeline parity of an imported nnU-Net v2 model: `voxseg import-model --nnunet` then
 * `voxseg segment` on TotalSegmentator's real example CT, against training/nnunet_reference.py's
 * predictor (numpy/scipy/PyTorch, written from nnU-Net's algorithm). Small networks with random
 * weights; the configurations exercise the paths that matter: no resampling (labels stream), full
 * order-3 resampling with a transpose (logits resampled back), anisotropic "separate z" resampling,
 * the published-zip input, and the browser's WASM worker.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../src/core/types';
import { parseManifestText } from '../../../src/inference/manifest';
import { hasShared, repoRoot, sharedPath } from '../helpers/shared';
import { readNiftiFile, voxseg } from '../cli/run';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) &&
  spawnSync(python, ['-c', 'import torch, numpy, scipy, nibabel'], { stdio: 'ignore' }).status === 0;
const ct = sharedPath('nifti/ct/example_ct.nii.gz');
const ready = hasTorch && hasShared('nifti/ct/example_ct.nii.gz');
const suite = ready ? describe : (describe.skip.bind(describe) as typeof describe);
const title = ready
  ? 'nnU-Net import + prediction vs the Python reference predictor'
  : 'nnU-Net import + prediction [skipped: needs /usr/bin/python3 with torch, scipy, nibabel (Debian python3-torch, python3-scipy, python3-nibabel) and ../shared/data/nifti/ct/example_ct.nii.gz]';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-nnunet-predict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function py(args: string[]): string {
  const r = spawnSync(python, ['training/nnunet_reference.py', '--threads', '2', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`nnunet_reference.py ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

function make(name: string, extra: string[]): { folder: string; zip?: string } {
  // 64^3 patches: 27 tiles on the example CT, so the test stays quick on two cores.
  const out = py([
    'make',
    '--case',
    'tiny',
    '--schema',
    'new',
    '--out',
    join(tmp, name),
    '--seed',
    '7',
    '--patch',
    '64,64,64',
    ...extra,
  ]);
  return JSON.parse(out.trim().split('\n').pop()!);
}

function agreement(a: Volume, b: Volume): { same: number; total: number; labels: Set<number> } {
  expect(a.header.dims).toEqual(b.header.dims);
  let same = 0;
  const labels = new Set<number>();
  for (let n = 0; n < a.voxels.length; n++) {
    if (a.voxels[n] === b.voxels[n]) same++;
    labels.add(a.voxels[n]);
  }
  return { same, total: a.voxels.length, labels };
}

/** Import `input` (folder or zip), segment the example CT, compare with the reference prediction. */
function parity(
  name: string,
  input: string,
  folder: string,
  device: 'native' | 'wasm' = 'native',
  importArgs: string[] = [],
): { manifest: ReturnType<typeof parseManifestText>; fraction: number } {
  const modelDir = join(tmp, `${name}-model`);
  const imp = voxseg(['import-model', '--nnunet', input, '-o', modelDir, ...importArgs]);
  expect(imp.code, imp.stderr).toBe(0);
  const manifest = parseManifestText(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
  const seg = join(tmp, `${name}-voxseg.nii.gz`);
  const run = voxseg(['segment', ct, '-m', modelDir, '-o', seg, '--device', device]);
  expect(run.code, run.stderr).toBe(0);
  const ref = join(tmp, `${name}-ref.nii.gz`);
  py(['predict', '--model', folder, '--folds', '0', '--image', ct, '--out', ref]);
  const a = readNiftiFile(seg);
  const b = readNiftiFile(ref);
  const { same, total, labels } = agreement(a, b);
  const fraction = same / total;
  console.log(
    `${name} (${device}): ${same} of ${total} voxels agree (${(100 * fraction).toFixed(4)} %), labels ${[...labels].sort().join(',')}`,
  );
  // Random weights must still give a non-trivial map, or agreement would prove nothing.
  expect(labels.size).toBeGreaterThan(1);
  return { manifest, fraction };
}

suite(title, () => {
  it('3 mm isotropic (no resampling: labels stream slab by slab), from the result folder and from its zip', () => {
    const m = make('iso', ['--zip']);
    const r = parity('iso', m.folder, m.folder);
    expect(r.fraction).toBeGreaterThanOrEqual(0.9999);
    const pre = r.manifest.preprocessing;
    expect(pre.mode).toBe('nnunet');
    if (pre.mode !== 'nnunet') return;
    expect(pre.spacing).toEqual([3, 3, 3]);
    expect(r.manifest.labels.map((l) => l.name)).toEqual(['liver', 'spleen']);
    // The published-zip form of the same folder gives the same model, byte for byte.
    const zipDir = join(tmp, 'iso-zip-model');
    const imp = voxseg(['import-model', '--nnunet', m.zip!, '-o', zipDir]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(parseManifestText(readFileSync(join(zipDir, 'manifest.json'), 'utf8')).model.sha256).toBe(
      r.manifest.model.sha256,
    );
  }, 600_000);

  it('3.5 x 2.8 x 3.2 mm with transpose [0, 2, 1] (order-3 resampling there, logits resampled back)', () => {
    const m = make('resampled', ['--spacing', '3.5,2.8,3.2', '--transpose', '0,2,1']);
    const r = parity('resampled', m.folder, m.folder);
    expect(r.fraction).toBeGreaterThanOrEqual(0.9999);
    const pre = r.manifest.preprocessing;
    if (pre.mode !== 'nnunet') throw new Error('not an nnunet manifest');
    expect(pre.transpose).toEqual([0, 2, 1]);
  }, 600_000);

  it('anisotropic 8 x 2.5 x 2.5 mm ("separate z": order 3 in plane, nearest out of plane)', () => {
    const m = make('aniso', ['--spacing', '8.0,2.5,2.5']);
    const r = parity('aniso', m.folder, m.folder);
    expect(r.fraction).toBeGreaterThanOrEqual(0.9999);
  }, 600_000);

  it("TotalSegmentator's steps: an LPS 1.5 mm CT made RAS, resampled to 3 mm and back (tiny-totalseg, old plans schema)", () => {
    const chest = sharedPath('nifti/ct/aorta_report_ct_cropped.nii.gz');
    if (!hasShared('nifti/ct/aorta_report_ct_cropped.nii.gz')) return;
    const out = py([
      'make',
      '--case',
      'tiny-totalseg',
      '--schema',
      'old',
      '--out',
      join(tmp, 'ts'),
      '--seed',
      '5',
      '--patch',
      '64,64,64',
    ]);
    const folder = JSON.parse(out.trim().split('\n').pop()!).folder as string;
    const modelDir = join(tmp, 'ts-model');
    const imp = voxseg(['import-model', '--nnunet', folder, '-o', modelDir]);
    expect(imp.code, imp.stderr).toBe(0);
    const manifest = parseManifestText(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
    const pre = manifest.preprocessing;
    if (pre.mode !== 'nnunet') throw new Error('not an nnunet manifest');
    expect(pre.orientation).toBe('RAS');
    expect(pre.presample?.spacing).toEqual([3, 3, 3]);
    // TotalSegmentator names come with SNOMED-CT codes and laterality.
    const kidney = manifest.labels.find((l) => l.name === 'kidney_right');
    expect(kidney?.type?.code).toBe('64033007');
    expect(kidney?.typeModifier?.meaning).toBe('Right');
    const seg = join(tmp, 'ts-voxseg.nii.gz');
    const run = voxseg(['segment', chest, '-m', modelDir, '-o', seg]);
    expect(run.code, run.stderr).toBe(0);
    const ref = join(tmp, 'ts-ref.nii.gz');
    py(['totalseg', '--model', folder, '--image', chest, '--out', ref, '--spacing', '3']);
    const { same, total, labels } = agreement(readNiftiFile(seg), readNiftiFile(ref));
    console.log(
      `totalseg steps: ${same} of ${total} voxels agree (${((100 * same) / total).toFixed(4)} %), labels ${[...labels].sort().join(',')}`,
    );
    expect(labels.size).toBeGreaterThan(1);
    expect(same / total).toBeGreaterThanOrEqual(0.9999);
  }, 600_000);

  it('the WASM worker (as in the browser) gives the same labels', () => {
    const m = make('wasm', []);
    const r = parity('wasm', m.folder, m.folder, 'wasm');
    expect(r.fraction).toBeGreaterThanOrEqual(0.9999);
  }, 600_000);
});
