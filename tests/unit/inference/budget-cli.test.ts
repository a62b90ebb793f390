/**
 * `voxseg segment` fails early, naming the files: a manifest over the memory budget and a manifest
 * whose output channels disagree with the ONNX graph are refused before the image is read (the
 * input given does not even exist); an ONNX file the runtime cannot load is "not a valid ONNX
 * model", never an "unexpected error"; NaN voxels are reported before inference.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../../src/io/nifti/index';
import { OnnxGraph } from '../../../src/inference/onnx/writer';
import { createVolume } from '../../../src/volume/volume';
import { repoRoot } from '../helpers/shared';
import { BIN } from '../cli/run';

const BANDS = join(repoRoot, 'static', 'models', 'ct-tissue-bands');
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'voxseg-budget-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, seconds: (performance.now() - t) / 1000 };
}

/** A copy of ct-tissue-bands in its own folder with the manifest edited. */
function model(name: string, edit: (m: Record<string, any>) => void, onnx?: Uint8Array): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const m = JSON.parse(readFileSync(join(BANDS, 'manifest.json'), 'utf8'));
  edit(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  if (onnx) writeFileSync(join(dir, 'model.onnx'), onnx);
  else copyFileSync(join(BANDS, 'model.onnx'), join(dir, 'model.onnx'));
  return dir;
}

describe('segment fails early', () => {
  it('refuses a 1024^3 patch before reading the image, with the estimate and the budget', () => {
    const dir = model('huge', (m) => (m.preprocessing.patch = [1024, 1024, 1024]));
    const r = run(['segment', join(tmp, 'missing.nii.gz'), '-m', dir, '-o', join(tmp, 'out.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /manifest\.json: a 1024×1024×1024 patch in batches of 2 with 6 output channels needs about \d+ GB .*more than the [\d.]+ GB memory budget \(half this machine's memory; change it with --memory-budget or VOXSEG_MEMORY_BUDGET\)/,
    );
    expect(r.stderr).not.toMatch(/missing\.nii\.gz/);
    expect(r.seconds).toBeLessThan(10); // node start included; the check itself takes milliseconds
  });

  it('the budget comes from the flag or VOXSEG_MEMORY_BUDGET; a malformed value is a usage error', () => {
    const args = ['segment', join(tmp, 'missing.nii.gz'), '-m', BANDS, '-o', join(tmp, 'out.nii.gz')];
    const env = run(args, { VOXSEG_MEMORY_BUDGET: '10MB' });
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/more than the 10\.0 MB memory budget/);
    const flag = run([...args, '--memory-budget', '20M'], { VOXSEG_MEMORY_BUDGET: '10MB' });
    expect(flag.stderr).toMatch(/more than the 20\.0 MB memory budget/);
    const bad = run([...args, '--memory-budget', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--memory-budget must be a size/);
    // within budget, the run goes on to the image (which is missing here)
    expect(run([...args, '--memory-budget', '8G']).stderr).toMatch(/missing\.nii\.gz/);
  });

  it('refuses output channels that disagree with the graph, naming both files', () => {
    const dir = model('channels', (m) => (m.model.channels = 5));
    const r = run(['segment', join(tmp, 'missing.nii.gz'), '-m', dir, '-o', join(tmp, 'out.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, 'model.onnx')}: the graph's output "output" has 6 channels, but ${join(dir, 'manifest.json')} (model.channels) says 5`,
    );
  });

  it('an ONNX file the runtime refuses is "not a valid ONNX model", naming it', () => {
    // a valid graph, then the initializer renamed in the bytes: the node reads a tensor nothing makes
    const g = new OnnxGraph('broken');
    g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
    g.initializer('weights', new Float32Array([1, 2, 3, 4, 5, 6]), [1, 6, 1, 1, 1]);
    g.node('Add', ['input', 'weights'], ['output']);
    g.output('output', 'float32', null);
    const bytes = g.toBytes();
    const at = Buffer.from(bytes).lastIndexOf('weights');
    expect(at).toBeGreaterThan(0);
    bytes[at + 6] = 'z'.charCodeAt(0);
    const dir = model(
      'broken',
      (m) => {
        delete m.model.sha256;
      },
      bytes,
    );
    const img = join(tmp, 'ct.nii.gz');
    const v = new Int16Array(16 * 16 * 8).fill(40);
    writeFileSync(img, writeNifti(createVolume({ dims: [16, 16, 8], spacing: [2, 2, 2], voxels: v }), { gzip: true }));
    const r = run(['segment', img, '-m', dir, '-o', join(tmp, 'out.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`${join(dir, 'model.onnx').replace(/[.]/g, '\\.')}: not a valid ONNX model \\(.*weights`),
    );
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it('reports NaN voxels in info and before inference, and segments the rest', () => {
    const v = new Float32Array(32 * 32 * 8).fill(40);
    for (let i = 0; i < 100; i++) v[i] = NaN;
    v[200] = Infinity;
    const img = join(tmp, 'nan.nii.gz');
    writeFileSync(img, writeNifti(createVolume({ dims: [32, 32, 8], spacing: [2, 2, 2], voxels: v }), { gzip: true }));
    const info = run(['info', img]);
    expect(info.code).toBe(0);
    expect(info.stdout + info.stderr).toMatch(/101 of 8,192 voxels are not finite \(100 NaN, 1 \+Inf\)/);
    const out = join(tmp, 'nan-labels.nii.gz');
    const r = run(['segment', img, '-m', BANDS, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /101 of 8,192 voxels are NaN or infinite; replaced with the image minimum \(40\) before inference/,
    );
  });
});
