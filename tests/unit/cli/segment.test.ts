/**
 * `voxseg segment` end to end with the real MeshNet brain model: parity with its golden output
 * (native and WASM), labels on a non-conformed input's own grid, and clear errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../src/core/types';
import { OnnxGraph } from '../../../src/inference/onnx/writer';
import { indexToWorldAffine } from '../../../src/volume/geometry';
import { describeShared, repoRoot, sharedPath } from '../helpers/shared';
import { readNiftiFile, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-segment-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const manifest = join(repoRoot, 'tests/fixtures/models/meshnet-gwm.manifest.json');
const onnx = sharedPath('models/meshnet-gwm/model.onnx');
const t1 = sharedPath('nifti/mr/t1_crop.nii.gz');

function agreement(a: Volume, b: Volume): number {
  expect(a.voxels.length).toBe(b.voxels.length);
  let same = 0;
  for (let n = 0; n < a.voxels.length; n++) if (a.voxels[n] === b.voxels[n]) same++;
  return same / a.voxels.length;
}

function expectSameGrid(a: Volume, b: Volume): void {
  expect(a.header.dims).toEqual(b.header.dims);
  const fa = indexToWorldAffine(a.header);
  const fb = indexToWorldAffine(b.header);
  for (let n = 0; n < 16; n++) expect(Math.abs(fa[n] - fb[n]), `affine[${n}]`).toBeLessThan(1e-3);
}

function dice(labels: Volume, value: number, pve: Volume): number {
  let inter = 0;
  let a = 0;
  let b = 0;
  for (let n = 0; n < pve.voxels.length; n++) {
    const x = labels.voxels[n] === value;
    const y = pve.voxels[n] > 0.5;
    if (x) a++;
    if (y) b++;
    if (x && y) inter++;
  }
  return (2 * inter) / (a + b);
}

describeShared('models/meshnet-gwm/model.onnx', 'voxseg segment with meshnet-gwm', () => {
  const golden = () => readNiftiFile(sharedPath('models/meshnet-gwm/t1_crop_model.onnx_argmax.nii.gz'));

  for (const device of ['native', 'wasm']) {
    it(`reproduces the golden argmax on t1_crop (${device})`, () => {
      const out = join(tmp, `t1-${device}.nii.gz`);
      const r = voxseg(['segment', t1, '-m', manifest, '--onnx', onnx, '-o', out, '--device', device]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ model: 'meshnet-gwm', device, dims: [256, 256, 256], patches: 1 });
      const labels = readNiftiFile(out);
      const ref = golden();
      expectSameGrid(labels, readNiftiFile(t1));
      const agree = agreement(labels, ref);
      expect(agree, `agreement with the golden output (${device})`).toBeGreaterThanOrEqual(0.9999);
      expect(summary.voxelsPerLabel['1']).toBeGreaterThan(500_000);
    }, 240_000);
  }

  it('labels a non-conformed, oblique input (bet.nii.gz) on its own grid, agreeing with FSL FAST', () => {
    const input = sharedPath('nifti/mr/bet.nii.gz');
    const out = join(tmp, 'bet.nii.gz');
    const r = voxseg(['segment', input, '-m', manifest, '--onnx', onnx, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const labels = readNiftiFile(out);
    expectSameGrid(labels, readNiftiFile(input));
    // A flipped or shifted mapping back would wreck these (measured: WM 0.86, GM 0.73).
    expect(dice(labels, 1, readNiftiFile(sharedPath('labels/fsl-fast/pve_2_wm.nii.gz')))).toBeGreaterThan(0.8);
    expect(dice(labels, 2, readNiftiFile(sharedPath('labels/fsl-fast/pve_1_gm.nii.gz')))).toBeGreaterThan(0.65);
  }, 240_000);

  it('checks the ONNX against the manifest: sha256, input name, missing file', () => {
    const out = join(tmp, 'x.nii.gz');
    const wrong = join(repoRoot, 'static/models/ct-tissue-bands/model.onnx');
    let r = voxseg(['segment', t1, '-m', manifest, '--onnx', wrong, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /ct-tissue-bands\/model\.onnx: sha256 [0-9a-f]{64} does not match the manifest's 02850fb0/,
    );

    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    delete m.model.sha256;
    m.model.input = 'image';
    const edited = join(tmp, 'renamed.json');
    writeFileSync(edited, JSON.stringify(m));
    r = voxseg(['segment', t1, '-m', edited, '--onnx', onnx, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.onnx: the manifest names input "image", but the model's inputs are "input"/);

    r = voxseg(['segment', t1, '-m', manifest, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fixtures\/models\/model\.onnx: ONNX model file not found \(use --onnx FILE/);
  });
});

describeShared(
  'models/brainchop-tfjs/model5_gw_ae/model.json',
  'brainchop models converted by voxseg import-model, end to end',
  () => {
    const zoo = sharedPath('models/brainchop-tfjs');
    const settings = join(zoo, 'models-list.json');

    it('model5_gw_ae (same weights as meshnet-gwm) with the head crop reproduces the golden argmax on t1_crop', () => {
      const dir = join(tmp, 'm5');
      expect(
        voxseg(['import-model', join(zoo, 'model5_gw_ae'), '-o', dir, '--settings', settings, '--id', '1']).code,
      ).toBe(0);
      const out = join(tmp, 'm5.nii.gz');
      const r = voxseg(['segment', t1, '-m', dir, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const labels = readNiftiFile(out);
      expectSameGrid(labels, readNiftiFile(t1));
      // An independent reference: the golden output of the ONNX export made by the niivue project.
      expect(
        agreement(labels, readNiftiFile(sharedPath('models/meshnet-gwm/t1_crop_model.onnx_argmax.nii.gz'))),
      ).toBeGreaterThanOrEqual(0.9999);
    }, 240_000);

    it('model18cls runs on t1_crop: 17 structures, cerebral white matter where meshnet-gwm finds white matter', () => {
      const dir = join(tmp, 'm18');
      expect(voxseg(['import-model', join(zoo, 'model18cls'), '-o', dir, '--settings', settings]).code).toBe(0);
      const out = join(tmp, 'm18.nii.gz');
      const r = voxseg(['segment', t1, '-m', dir, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(Object.keys(s.voxelsPerLabel).length).toBe(18);
      expect(s.labels['1']).toBe('Cerebral-White-Matter');
      const labels = readNiftiFile(out);
      const gwm = readNiftiFile(sharedPath('models/meshnet-gwm/t1_crop_model.onnx_argmax.nii.gz'));
      let inter = 0;
      let a = 0;
      let b = 0;
      for (let n = 0; n < gwm.voxels.length; n++) {
        const x = labels.voxels[n] === 1;
        const y = gwm.voxels[n] === 1;
        if (x) a++;
        if (y) b++;
        if (x && y) inter++;
      }
      expect((2 * inter) / (a + b), 'cerebral WM (model18cls) vs WM (meshnet-gwm) Dice').toBeGreaterThan(0.8);
    }, 240_000);
  },
);

describe('voxseg segment input checks (no reference data needed)', () => {
  const phantom = join(tmp, 'phantom');
  const bands = join(repoRoot, 'static/models/ct-tissue-bands');

  it('segments a DICOM phantom with the bundled model, labels on the series grid', () => {
    expect(voxseg(['phantom', '-o', phantom, '--dims', '96,96,24', '--labels']).code).toBe(0);
    const out = join(tmp, 'bands.nii.gz');
    const r = voxseg(['segment', join(phantom, 'ct'), '-m', bands, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.dims).toEqual([96, 96, 24]);
    expect(Object.keys(s.voxelsPerLabel).length).toBeGreaterThan(3);
    expectSameGrid(readNiftiFile(out), readNiftiFile(join(phantom, 'labels.nii.gz')));
  });

  it('rejects a bad manifest naming the field, and a model of the wrong rank', () => {
    const m = JSON.parse(readFileSync(join(bands, 'manifest.json'), 'utf8'));
    m.preprocessing.patch = [64, 64];
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify(m));
    let r = voxseg(['segment', join(phantom, 'ct'), '-m', join(tmp, 'bad.json'), '-o', join(tmp, 'y.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.json: manifest field preprocessing\.patch: must be an array of 3 numbers/);

    // A 2-D model (rank-4 input) cannot be a 3-D segmentation model.
    const g = new OnnxGraph('flat');
    g.input('input', 'float32', ['batch', 1, 'h', 'w']);
    g.node('Identity', ['input'], ['output']);
    g.output('output', 'float32', ['batch', 1, 'h', 'w']);
    const flat = join(tmp, 'flat.onnx');
    writeFileSync(flat, g.toBytes());
    const good = JSON.parse(readFileSync(join(bands, 'manifest.json'), 'utf8'));
    delete good.model.sha256;
    writeFileSync(join(tmp, 'good.json'), JSON.stringify(good));
    r = voxseg([
      'segment',
      join(phantom, 'ct'),
      '-m',
      join(tmp, 'good.json'),
      '--onnx',
      flat,
      '-o',
      join(tmp, 'y.nii.gz'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /flat\.onnx: input "input" has rank 4; a 3-D segmentation model takes \[batch, 1, d, h, w\]/,
    );
  });
});
