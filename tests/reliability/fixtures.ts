/**
 * The good inputs every family of cases starts from, generated once per run by the project's
 * own writers through the CLI (so they are real-format files, never copies of reference data):
 * a small DICOM phantom series with its label map and label table, the same phantom as NIfTI
 * (.nii.gz and .nii), a DICOM SEG of the labels (`export-seg`), a phantom whose 45×45 frames are
 * not byte-aligned when bit-packed (and its SEG), and a model folder holding the bundled
 * 423-byte `ct-tissue-bands` model. Small on purpose: each case spawns the CLI on them.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Base {
  root: string;
  /** DICOM series folder (48×48×12 CT phantom). */
  series: string;
  seriesFiles: string[];
  labels: string; // labels.nii.gz on the series grid
  labelTable: string; // labels.json
  niiGz: string;
  nii: string;
  seg: string;
  oddSeries: string;
  oddLabels: string;
  oddSeg: string;
  /** Model folder: manifest.json + model.onnx. */
  model: string;
}

function cli(repo: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'voxseg.js'), ...args], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`reliability fixtures: voxseg ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
}

export function makeBase(repo: string, root: string): Base {
  mkdirSync(root, { recursive: true });
  const p = join(root, 'phantom');
  cli(repo, ['phantom', '-o', p, '--dims', '48,48,12', '--labels', '--seed', '7']);
  const n = join(root, 'nifti');
  cli(repo, ['phantom', '-o', n, '--format', 'nifti', '--dims', '48,48,12', '--seed', '7']);
  cli(repo, ['convert', join(n, 'ct.nii.gz'), '-o', join(n, 'ct.nii')]);
  const seg = join(root, 'seg.dcm');
  const series = join(p, 'ct');
  const labels = join(p, 'labels.nii.gz');
  const labelTable = join(p, 'labels.json');
  cli(repo, ['export-seg', labels, '--ref', series, '-o', seg, '--labels', labelTable]);
  const odd = join(root, 'odd');
  cli(repo, ['phantom', '-o', odd, '--dims', '45,45,10', '--labels', '--seed', '3']);
  const oddSeg = join(root, 'odd-seg.dcm');
  cli(repo, ['export-seg', join(odd, 'labels.nii.gz'), '--ref', join(odd, 'ct'), '-o', oddSeg]);
  const model = join(root, 'model');
  mkdirSync(model, { recursive: true });
  for (const f of ['manifest.json', 'model.onnx'])
    copyFileSync(join(repo, 'static', 'models', 'ct-tissue-bands', f), join(model, f));
  return {
    root,
    series,
    seriesFiles: readdirSync(series).sort(),
    labels,
    labelTable,
    niiGz: join(n, 'ct.nii.gz'),
    nii: join(n, 'ct.nii'),
    seg,
    oddSeries: join(odd, 'ct'),
    oddLabels: join(odd, 'labels.nii.gz'),
    oddSeg,
    model,
  };
}

/** Copy a folder's files (one level) into `to`. */
export function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(to, f));
}
