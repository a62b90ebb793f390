/**
 * `voxseg convert` against dcm2niix: same voxels (after dcm2niix's scl_slope/scl_inter) and
 * affines within 1e-3 mm once both are reoriented to LPS.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePhantom } from '../../../src/phantom/index';
import { hasShared, sharedPath } from '../helpers/shared';
import { expectSameImage, hasTool, readNiftiFile, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-d2n-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dcm2niix(dir: string, name: string): string {
  const out = join(tmp, `d2n-${name}`);
  mkdirSync(out, { recursive: true });
  const r = spawnSync('dcm2niix', ['-z', 'n', '-f', 'out', '-o', out, dir], { encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const nii = readdirSync(out).filter((f) => f.endsWith('.nii'));
  expect(nii, 'dcm2niix wrote exactly one NIfTI').toHaveLength(1);
  return join(out, nii[0]);
}

function convert(dir: string, name: string): string {
  const out = join(tmp, `${name}.nii.gz`);
  const r = voxseg(['convert', dir, '-o', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

const has = hasTool('dcm2niix');
const suite = has ? describe : describe.skip;
suite(
  `voxseg convert vs dcm2niix${has ? '' : ' [skipped: dcm2niix is not installed (apt-get install dcm2niix)]'}`,
  () => {
    it('(a) phantom series written by our DICOM writer', () => {
      const dir = join(tmp, 'phantom');
      const r = voxseg(['phantom', '-o', dir, '--seed', '4', '--dims', '128,96,20', '--spacing', '1.5,1.25,3']);
      expect(r.code, r.stderr).toBe(0);
      const ours = readNiftiFile(convert(join(dir, 'ct'), 'phantom'));
      expectSameImage(ours, readNiftiFile(dcm2niix(join(dir, 'ct'), 'phantom')));
      // and both equal the phantom itself
      expectSameImage(ours, generatePhantom({ seed: 4, dims: [128, 96, 20], spacing: [1.5, 1.25, 3] }).ct);
    });

    for (const [name, facts] of [
      ['ct-abdomen-j2k', [512, 512, 20]],
      ['ct-3slice-ge', [512, 512, 3]],
    ] as const) {
      const missing = hasShared('dicom', name)
        ? ''
        : ` [skipped: reference data ../shared/data/dicom/${name} not found]`;
      it.skipIf(!!missing)(`(${name === 'ct-abdomen-j2k' ? 'b' : 'c'}) shared ${name}${missing}`, () => {
        const dir = sharedPath('dicom', name);
        const ours = readNiftiFile(convert(dir, name));
        expect(ours.header.dims).toEqual(facts);
        expectSameImage(ours, readNiftiFile(dcm2niix(dir, name)));
      });
    }
  },
);
