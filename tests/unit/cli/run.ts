/** Test helpers: spawn the real CLI (`node bin/voxseg.js`) and compare NIfTI outputs. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Volume } from '../../../src/core/types';
import { readNifti } from '../../../src/io/nifti/index';
import { indexToWorldAffine } from '../../../src/volume/geometry';
import { reorientToCode } from '../../../src/volume/reorient';
import { repoRoot } from '../helpers/shared';

export const BIN = join(repoRoot, 'bin', 'voxseg.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function voxseg(args: string[], opts: { cwd?: string } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `voxseg` with a file-size limit of `kib` KiB (bash's `ulimit -f` counts 1 KiB blocks) and
 * SIGXFSZ ignored, so a write past it fails with EFBIG, as on a full disk.
 */
export function voxsegWithFileLimit(kib: number, args: string[]): RunResult {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f ${kib}; exec '${process.execPath}' '${BIN}' ${quoted}`], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function hasTool(name: string): boolean {
  return spawnSync('which', [name]).status === 0;
}

/** Same voxels (real-world values) and affine within `tol` mm after reorienting both to LPS. */
export function expectSameImage(a: Volume, b: Volume, tol = 1e-3): void {
  const ra = reorientToCode(a, 'LPS');
  const rb = reorientToCode(b, 'LPS');
  expect(rb.header.dims).toEqual(ra.header.dims);
  const fa = indexToWorldAffine(ra.header);
  const fb = indexToWorldAffine(rb.header);
  for (let i = 0; i < 16; i++) expect(Math.abs(fa[i] - fb[i]), `affine[${i}]`).toBeLessThan(tol);
  let diff = 0;
  let first = -1;
  for (let i = 0; i < ra.voxels.length; i++)
    if (ra.voxels[i] !== rb.voxels[i]) {
      if (first < 0) first = i;
      diff++;
    }
  expect(diff, `voxels differing (first at ${first})`).toBe(0);
}

export const readNiftiFile = (path: string): Volume => readNifti(readFileSync(path), path);
