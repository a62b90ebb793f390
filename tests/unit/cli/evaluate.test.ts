/**
 * `voxseg evaluate` with the bundled hand-built model ct-tissue-bands (HU bands → classes): an
 * image/label pair where Dice is known exactly, a small phantom case, the report files, and the
 * errors (missing model, labels on another grid, no cases).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../src/core/types';
import { writeNifti } from '../../../src/io/nifti/index';
import { runCli } from '../../../src/cli/main';
import { createVolume } from '../../../src/volume/volume';
import { repoRoot } from '../helpers/shared';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-evaluate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bands = join(repoRoot, 'static/models/ct-tissue-bands');
const onnx = join(bands, 'model.onnx');
/** ct-tissue-bands with 'lung' → 'lungs' and 'bone' → 'spine', so names meet the phantom's. */
const renamed = join(tmp, 'renamed.json');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

const DIMS: Vec3 = [40, 36, 32];
const N = DIMS[0] * DIMS[1] * DIMS[2];
/** Axis-aligned box lo..hi (inclusive) of `value` into `out`. */
function box(out: Int16Array | Uint8Array, lo: Vec3, hi: Vec3, value: number): void {
  for (let z = lo[2]; z <= hi[2]; z++)
    for (let y = lo[1]; y <= hi[1]; y++)
      for (let x = lo[0]; x <= hi[0]; x++) out[x + DIMS[0] * (y + DIMS[1] * z)] = value;
}
function writeVolume(file: string, voxels: Int16Array | Uint8Array, dims: Vec3 = DIMS): void {
  writeFileSync(
    file,
    writeNifti(
      createVolume({ dims, spacing: [2, 2, 2], origin: [-40, -36, -32], voxels, metadata: { modality: 'CT' } }),
      { gzip: true },
    ),
  );
}

beforeAll(() => {
  const m = JSON.parse(readFileSync(join(bands, 'manifest.json'), 'utf8'));
  m.labels.find((l: { value: number }) => l.value === 1).name = 'lungs';
  m.labels.find((l: { value: number }) => l.value === 5).name = 'spine';
  writeFileSync(renamed, JSON.stringify(m));

  // Image: air, a bone cube (→ model label 5) and a fat cube (→ model label 2), 10^3 voxels each.
  const ct = new Int16Array(N).fill(-1000);
  box(ct, [4, 4, 4], [13, 13, 13], 1000);
  box(ct, [20, 18, 16], [29, 27, 25], -100);
  // Pair a (with labels.json): truth 7 = the bone cube exactly, truth 9 = the fat cube moved
  // 2 voxels along x (overlap 8x10x10: Dice 2*800/2000 = 0.8), 11 = a liver the model lacks.
  const a = join(tmp, 'a');
  mkdirSync(a);
  writeVolume(join(a, 'ct.nii.gz'), ct);
  const la = new Uint8Array(N);
  box(la, [4, 4, 4], [13, 13, 13], 7);
  box(la, [22, 18, 16], [31, 27, 25], 9);
  box(la, [30, 2, 2], [36, 8, 8], 11);
  writeVolume(join(a, 'labels.nii.gz'), la);
  writeFileSync(
    join(a, 'labels.json'),
    JSON.stringify([
      { value: 7, name: 'Spine' },
      { value: 9, name: 'fat' },
      { value: 11, name: 'liver' },
    ]),
  );
  // Pair b (no label table): truth values are model values; fat (2) half of the cube in z.
  const b = join(tmp, 'b');
  mkdirSync(b);
  writeVolume(join(b, 'ct.nii.gz'), ct);
  const lb = new Uint8Array(N);
  box(lb, [4, 4, 4], [13, 13, 13], 5);
  box(lb, [20, 18, 16], [29, 27, 20], 2);
  writeVolume(join(b, 'labels.nii.gz'), lb);
  // Labels on another grid than the image.
  writeVolume(join(b, 'small.nii.gz'), new Uint8Array(40 * 36 * 16), [40, 36, 16]);
});

describe('voxseg evaluate', () => {
  it('reports exact Dice on pairs, and a phantom case, as JSON, Markdown and a table', async () => {
    const report = join(tmp, 'out', 'report.json');
    const md = join(tmp, 'out', 'report.md');
    const r = await cli([
      'evaluate',
      renamed,
      '--onnx',
      onnx,
      '--phantom',
      '1001',
      '--dims',
      '64,64,32',
      '--pair',
      join(tmp, 'a', 'ct.nii.gz'),
      join(tmp, 'a', 'labels.nii.gz'),
      '--pair',
      join(tmp, 'b', 'ct.nii.gz'),
      join(tmp, 'b', 'labels.nii.gz'),
      '-o',
      report,
      '--markdown',
      md,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8'));
    expect(rep).toMatchObject({
      schema: 'voxseg-report/1',
      model: {
        id: 'ct-tissue-bands',
        version: '1.0.0',
        sha256: 'ad8f65fbc7210cbdf14e10c77a129673ecf4977b0cc9f0336dab96049ffc73af',
      },
      runtime: { device: 'cpu', engine: 'onnxruntime-node' },
    });
    expect(Date.parse(rep.created)).toBeGreaterThan(0);
    expect(rep.cases.map((c: { name: string; source: string }) => [c.name, c.source])).toEqual([
      ['phantom-demo-1001', 'phantom'],
      ['a/ct', 'pair'],
      ['b/ct', 'pair'],
    ]);

    // The phantom case on a 64x64x32 grid with the demo study's field of view.
    const ph = rep.cases[0];
    expect(ph).toMatchObject({ seed: 1001, kind: 'demo', dims: [64, 64, 32], spacing: [5.4, 5.4, 9.375] });
    expect(Object.keys(ph.labels)).toEqual(['lungs', 'spine']);
    expect(ph.labels.spine.truthVoxels).toBeGreaterThan(100);
    expect(ph.labels.spine.dice).toBeGreaterThan(0.7); // bone band ≈ the vertebrae (ribs too)
    expect(ph.labels.spine.hd95).toBeLessThan(30);
    expect(ph.labels.lungs.dice).toBeGreaterThan(0.2);
    expect(ph.seconds).toBeGreaterThan(0);

    // Pair a, names from labels.json (case-insensitive): bone cube exact, fat moved by 2 voxels.
    const a = rep.cases[1];
    expect(a).toMatchObject({ dims: DIMS, spacing: [2, 2, 2] });
    expect(Object.keys(a.labels).sort()).toEqual(['fat', 'spine']);
    expect(a.labels.spine).toEqual({ dice: 1, hd95: 0, truthVoxels: 1000, predVoxels: 1000 });
    // HD95: the far x face (100 of 488 surface voxels, > 5%) is 2 voxels of 2 mm from the other.
    expect(a.labels.fat).toEqual({ dice: 0.8, hd95: 4, truthVoxels: 1000, predVoxels: 1000 });
    expect(r.stderr).toMatch(
      /labels\.nii\.gz \(names from .*labels\.json\): label\(s\) liver not in model ct-tissue-bands \(left out\)/,
    );

    // Pair b, no table: by value. Truth fat = half the cube: Dice 2*500/1500; the predicted
    // top face (100 of 488 surface voxels) is 5 voxels of 2 mm from the truth's: HD95 10 mm.
    const b = rep.cases[2];
    expect(b.labels.spine).toEqual({ dice: 1, hd95: 0, truthVoxels: 1000, predVoxels: 1000 });
    expect(b.labels.fat).toEqual({ dice: 0.6667, hd95: 10, truthVoxels: 500, predVoxels: 1000 });
    expect(b.labels.lungs).toEqual({ dice: 1, hd95: 0, truthVoxels: 0, predVoxels: 0 });
    expect(b.labels['enhanced tissue and vessels']).toEqual({ dice: 1, hd95: 0, truthVoxels: 0, predVoxels: 0 });
    expect(r.stderr).toMatch(/no label table beside it/);

    // Summary: over the cases where truth or prediction has the label.
    expect(rep.summary.spine).toMatchObject({ cases: 3, maxHd95: ph.labels.spine.hd95, hd95Missing: 0 });
    expect(rep.summary.spine.minDice).toBe(ph.labels.spine.dice);
    expect(rep.summary.fat.cases).toBe(2);
    expect(rep.summary.fat.meanDice).toBeCloseTo((0.8 + 2 / 3) / 2, 4);
    expect(rep.summary.fat.minDice).toBe(0.6667);
    expect(rep.summary.lungs.cases).toBe(1);
    expect(Object.keys(rep.summary)).toEqual(['lungs', 'fat', 'spine']); // labels in no case left out
    expect(rep.meanSeconds).toBeCloseTo(
      rep.cases.reduce((s: number, c: { seconds: number }) => s + c.seconds, 0) / 3,
      2,
    );

    // The table on stdout and the Markdown file.
    expect(r.stdout).toMatch(/^label\s+cases\s+mean Dice\s+min Dice\s+mean HD95 \(mm\)\s+max HD95 \(mm\)$/m);
    expect(r.stdout).toMatch(/^fat\s+2\s+0\.7333\s+0\.6667\s+7\.00\s+10\.00$/m);
    expect(r.stdout).toMatch(/^phantom-demo-1001\s+64x64x32\s/m);
    expect(r.stdout).toMatch(/^a\/ct\s+40x36x32\s+2x2x2\s+[\d.]+\s+0\.9000$/m);
    const mdText = readFileSync(md, 'utf8');
    expect(mdText).toMatch(/^\| fat \| 2 \| 0\.7333 \| 0\.6667 \| 7\.00 \| 10\.00 \|$/m);
    expect(mdText).toMatch(/^\| phantom-demo-1001 \| phantom \| 64×64×32 \|/m);
  });

  it('--json prints the report; pair labels by --truth-labels', async () => {
    const table = join(tmp, 'names.json');
    writeFileSync(table, JSON.stringify({ segments: [{ value: 5, name: 'spine' }] }));
    const r = await cli([
      'evaluate',
      renamed,
      '--onnx',
      onnx,
      '--pair',
      join(tmp, 'b', 'ct.nii.gz'),
      join(tmp, 'b', 'labels.nii.gz'),
      '--truth-labels',
      table,
      '-o',
      join(tmp, 'r2.json'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep.cases[0].labels)).toEqual(['spine']);
    expect(rep.summary).toEqual({
      spine: { meanDice: 1, minDice: 1, meanHd95: 0, maxHd95: 0, cases: 1, hd95Missing: 0 },
    });
    expect(r.stderr).toMatch(/wrote .*r2\.json/);
  });

  it('fails clearly: missing model, labels on another grid, no label in common, usage', async () => {
    let r = await cli(['evaluate', join(tmp, 'nowhere'), '--phantom', '1', '-o', join(tmp, 'x.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere\/manifest\.json: model manifest not found/);

    r = await cli([
      'evaluate',
      renamed,
      '--onnx',
      onnx,
      '--pair',
      join(tmp, 'b', 'ct.nii.gz'),
      join(tmp, 'b', 'small.nii.gz'),
      '-o',
      join(tmp, 'x.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /small\.nii\.gz: label map is not on the grid of the image .*ct\.nii\.gz \(dims 40×36×16 vs 40×36×32\)/,
    );

    r = await cli(['evaluate', join(bands, 'manifest.json'), '--phantom', '1', '-o', join(tmp, 'x.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no label of model ct-tissue-bands \(lung, fat, .*\) matches by name a label of the phantom: liver, .*lungs$/m,
    );

    r = await cli([
      'evaluate',
      renamed,
      '--pair',
      join(tmp, 'b', 'ct.nii.gz'),
      join(tmp, 'missing.nii.gz'),
      '-o',
      join(tmp, 'x.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.nii\.gz: no such file or folder/);

    for (const args of [
      [renamed, '-o', join(tmp, 'x.json')],
      [renamed, '--phantom', '1'],
      [renamed, '--phantom', '1', '--kind', 'weird', '-o', 'x.json'],
      [renamed, '--pair', 'only-one.nii.gz', '-o', 'x.json'],
    ]) {
      r = await cli(['evaluate', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect(readFileSync(join(tmp, 'x.json'), { flag: 'a+' }).length).toBe(0); // nothing written
  });
});
