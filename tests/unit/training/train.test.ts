/**
 * The training pipeline (training/, Python + PyTorch) in its one-minute `--smoke` mode: it must
 * still run end to end, export an ONNX model and manifest that voxseg's own pipeline accepts and
 * runs, train the same model byte for byte when run again, and prepare its data on exactly the
 * grid voxseg's inference prepares (a model trained on differently resampled images would be
 * silently off at run time).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main';
import { readNifti } from '../../../src/io/nifti/index';
import { parseManifestText } from '../../../src/inference/manifest';
import { sha256Hex } from '../../../src/inference/models';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { parseReport } from '../../../src/inference/report';
import { PHANTOM_LABELS } from '../../../src/phantom/index';
import { reorientedGrid } from '../../../src/volume/reorient';
import { gridWithSpacing, resampleToGrid } from '../../../src/volume/resample';
import { repoRoot } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, onnx, nibabel'], { stdio: 'ignore' }).status === 0;
const describeTorch = hasTorch ? describe : describe.skip;
const title = hasTorch
  ? 'training pipeline (--smoke)'
  : 'training pipeline [skipped: Debian python3-torch, python3-onnx, python3-nibabel not installed]';

/** A .npy array inside an .npz (numpy's savez: a zip of .npy files). */
function npy(zip: Record<string, Uint8Array>, name: string): { shape: number[]; data: Int16Array | Uint8Array } {
  const b = zip[`${name}.npy`];
  const headerLen = b[8] | (b[9] << 8);
  const header = new TextDecoder().decode(b.subarray(10, 10 + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  const shape = /'shape':\s*\(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  expect(header).toContain("'fortran_order': False");
  const raw = b.slice(10 + headerLen);
  if (descr === '<i2') return { shape, data: new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2) };
  if (descr === '|u1') return { shape, data: raw };
  throw new Error(`unexpected dtype ${descr}`);
}

describeTorch(title, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'voxseg-train-'));
  const out = join(tmp, 'run');
  const data = join(tmp, 'data');
  let log = '';
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    const r = spawnSync(
      python,
      ['training/train.py', 'abdomen-phantom.json', '--smoke', '--out', out, '--data', data],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    log = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`train.py --smoke failed (${r.status}):\n${log.slice(-3000)}`);
  }, 900_000);

  it('exports an ONNX model and a manifest voxseg accepts', async () => {
    expect(log).toMatch(/epoch {1,2}1: loss \d/);
    const manifest = parseManifestText(readFileSync(join(out, 'manifest.json'), 'utf8'), 'manifest.json');
    const bytes = readFileSync(join(out, 'model.onnx'));
    expect(manifest.model.sha256).toBe(await sha256Hex(bytes));
    expect(manifest.labels.map((l) => [l.value, l.name])).toEqual(PHANTOM_LABELS.map((l) => [l.value, l.name]));
    expect(manifest.labels.every((l) => l.type?.scheme === 'SCT')).toBe(true);
    expect(manifest.model.channels).toBe(PHANTOM_LABELS.length + 1);
    const pre = manifest.preprocessing;
    expect(pre.mode).toBe('sliding-window');
    if (pre.mode !== 'sliding-window' || pre.normalization.kind !== 'ct')
      throw new Error('expected a CT sliding-window manifest');
    expect(manifest.postprocessing.labelResampling).toBe('linear');
    // The largest-component cleanup is chosen on validation: a list (maybe empty) of label values.
    expect(log).toMatch(/largest component kept for: /);
    expect(Array.isArray(manifest.postprocessing.largestComponent)).toBe(true);
    expect(pre.normalization.clip[0]).toBeLessThan(pre.normalization.clip[1]);
    expect(pre.normalization.std).toBeGreaterThan(0);
    expect(Object.keys(manifest.validation?.dice ?? {})).toEqual(PHANTOM_LABELS.map((l) => l.name));
    // The decoder is resize + conv: nothing the WebGPU backend lacks.
    const info = inspectOnnx(bytes);
    expect(info.ops).not.toContain('ConvTranspose');
    expect(info.ops).toEqual(expect.arrayContaining(['Conv', 'Resize', 'MaxPool', 'Concat']));
    expect(info.inputs[0].dims.map((d) => typeof d)).toEqual(['string', 'number', 'string', 'string', 'string']); // dynamic batch and size
  });

  it('trains the same model again: a second run gives a byte-identical model.onnx', () => {
    // Seeds for data, sampling and weights, and a fixed thread count: what lets a clean clone
    // retrain the shipped model (the data cache is reused here; a clean clone rebuilds it).
    const again = join(tmp, 'again');
    const r = spawnSync(
      python,
      ['training/train.py', 'abdomen-phantom.json', '--smoke', '--out', again, '--data', data],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-3000)).toBe(0);
    expect(readFileSync(join(again, 'model.onnx')).equals(readFileSync(join(out, 'model.onnx')))).toBe(true);
    const history = (dir: string) => JSON.parse(readFileSync(join(dir, 'training-log.json'), 'utf8')).history;
    expect(history(again)).toEqual(history(out));
  }, 900_000);

  it("runs in voxseg's pipeline and is evaluated by voxseg evaluate", async () => {
    let stdout = '';
    let stderr = '';
    const report = join(tmp, 'report.json');
    const code = await runCli(['evaluate', out, '--phantom', '1001', '--dims', '96,96,40', '-o', report], {
      out: (t) => void (stdout += t),
      err: (t) => void (stderr += t),
    });
    expect(code, stderr).toBe(0);
    const r = parseReport(JSON.parse(readFileSync(report, 'utf8')));
    expect(r.cases).toHaveLength(1);
    expect(r.cases[0].dims).toEqual([96, 96, 40]);
    expect(r.model.id).toBe('abdomen-phantom');
  }, 300_000);

  it("prepares images and labels on the grid voxseg's inference uses (RAS, model spacing, same field of view)", () => {
    const manifest = parseManifestText(readFileSync(join(out, 'manifest.json'), 'utf8'), 'manifest.json');
    if (manifest.preprocessing.mode !== 'sliding-window') throw new Error('expected a sliding-window manifest');
    const spacing = manifest.preprocessing.spacing;
    const ds = JSON.parse(readFileSync(join(data, 'dataset.json'), 'utf8')) as {
      cases: { image: string; label: string }[];
    };
    const cache = readdirSync(join(data, 'cache'));
    expect(cache.length).toBeGreaterThanOrEqual(ds.cases.length);
    for (const c of ds.cases) {
      const stem = c.label.split('/').pop()!.split('.')[0];
      const file = cache.find((f) => f.startsWith(`${stem}-`))!;
      const zip = unzipSync(readFileSync(join(data, 'cache', file)));
      const image = npy(zip, 'image');
      const labels = npy(zip, 'labels');
      // voxseg: reorient to RAS and resample onto the 2 mm grid with the same field of view.
      const ct = readNifti(readFileSync(join(data, c.image)), c.image);
      const lab = readNifti(readFileSync(join(data, c.label)), c.label);
      const grid = gridWithSpacing(reorientedGrid(ct.header, manifest.preprocessing.orientation), spacing);
      expect(image.shape, c.image).toEqual([grid.dims[2], grid.dims[1], grid.dims[0]]);
      const ours = resampleToGrid(ct, grid, { interpolation: 'linear', dtype: 'float32' }).voxels;
      const ourLabels = resampleToGrid(lab, grid, { interpolation: 'nearest', fill: 0 }).voxels;
      let off = 0;
      let worst = 0;
      let labelDiff = 0;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(Math.round(ours[i]) - image.data[i]);
        if (d > 1) off++;
        worst = Math.max(worst, d);
        if (ourLabels[i] !== labels.data[i]) labelDiff++;
      }
      // Same grid and interpolation: equal up to rounding (a shift of half a voxel or a flip would
      // move every edge of the body and the organs).
      expect(off / ours.length, `${c.image}: voxels off by > 1 HU (worst ${worst})`).toBeLessThan(1e-4);
      expect(labelDiff / ours.length, `${c.label}: labels differing`).toBeLessThan(1e-3);
    }
  });

  it('exports instance norm as InstanceNormalization and strided-conv downsampling without MaxPool; refuses unknown options', () => {
    const file = (name: string) => join(tmp, `${name}.onnx`);
    const code = [
      'import sys, torch',
      'sys.path.insert(0, "training")',
      'from voxseg_train.model import UNet3D',
      'from voxseg_train.export import export_onnx',
      `print(",".join(export_onnx(UNet3D((4, 8), 3, "instance"), ${JSON.stringify(file('instance'))}, [8, 16, 16])))`,
      // Strided downsampling: same output grid as with max pooling.
      'm = UNet3D((4, 8, 16), 3, "instance", "conv").eval()',
      'print(tuple(m(torch.zeros(1, 1, 8, 16, 12)).shape))',
      `export_onnx(m, ${JSON.stringify(file('strided'))}, [8, 16, 16])`,
      'for args in (("group",), ("batch", "avgpool")):',
      '    try:\n        UNet3D((4, 8), 3, *args)\n    except ValueError as e:\n        print(e)',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [ops, shape, badNorm, badDown] = r.stdout.trim().split('\n');
    expect(ops.split(',')).toContain('InstanceNormalization');
    expect(shape).toBe('(1, 3, 8, 16, 12)');
    expect(badNorm).toMatch(/train\.norm must be one of batch, instance/);
    expect(badDown).toMatch(/train\.downsample must be one of maxpool, conv/);
    const info = inspectOnnx(readFileSync(file('instance')));
    expect(info.ops).toContain('InstanceNormalization');
    expect(info.ops).not.toContain('BatchNormalization');
    const strided = inspectOnnx(readFileSync(file('strided')));
    expect(strided.ops).not.toContain('MaxPool');
    expect(strided.ops).toEqual(expect.arrayContaining(['Conv', 'Resize', 'InstanceNormalization']));
  });

  it('picks patch centres per organ in proportion to train.foregroundWeights, and refuses bad weights', () => {
    // Three 4-voxel-thick slabs labelled 1, 2, 3; 1-voxel patches, so a centre stays in its slab.
    const code = [
      'import sys, numpy as np',
      'sys.path.insert(0, "training")',
      'from voxseg_train.data import PatchSampler',
      'lab = np.zeros((12, 6, 6), np.uint8); lab[0:4] = 1; lab[4:8] = 2; lab[8:12] = 3',
      'img = np.zeros(lab.shape, np.float32)',
      'def counts(weights):',
      '    s = PatchSampler([(img, lab)], 4, [1, 1, 1], np.random.default_rng(5), 1.0, weights)',
      '    k = [int(np.clip(np.rint(s.centre(lab.shape, s.cases[0][2])[0]), 0, 11)) // 4 + 1 for _ in range(4000)]',
      '    return [k.count(c) for c in (1, 2, 3)]',
      'print(counts([0, 1, 3]))',
      'print(counts(None))',
      'try:\n    counts([1, 1])\nexcept ValueError as e:\n    print(e)',
    ].join('\n');
    const r = spawnSync(python, ['-c', code], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [weighted, uniform, bad] = r.stdout.trim().split('\n');
    const [a, b, c] = JSON.parse(weighted) as number[];
    expect(a).toBe(0);
    expect(c / b).toBeGreaterThan(2.6);
    expect(c / b).toBeLessThan(3.4);
    for (const n of JSON.parse(uniform) as number[]) expect(Math.abs(n - 4000 / 3)).toBeLessThan(150);
    expect(bad).toMatch(/foreground weights: need 3 values/);
  });
});
