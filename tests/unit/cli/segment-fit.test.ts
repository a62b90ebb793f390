/**
 * `voxseg segment` checks the study against the model before it runs (src/inference/fit.ts):
 * a 2-D image and a 4-D series are refused with the file named and nothing written; a model meant
 * for another modality or body part gives `warning:` lines and still runs.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti, writeNifti } from '../../../src/io/nifti/index';
import { createVolume } from '../../../src/volume/volume';
import { describeShared, repoRoot, sharedPath } from '../helpers/shared';
import { voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-segment-fit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bands = join(repoRoot, 'static/models/ct-tissue-bands');
const brainModel = join(repoRoot, 'static/models/brainchop-tissue-light');

/** A NIfTI of `t` volumes of 24x20x16 int16 (written 3-D, then dim[0] = 4, dim[4] = t and the extra volumes appended). */
function fourD(t: number, gzip: boolean): Uint8Array {
  const n = 24 * 20 * 16;
  const vol = createVolume({
    dims: [24, 20, 16],
    spacing: [2, 2, 3],
    voxels: new Int16Array(n).map((_, i) => i % 300),
  });
  const three = writeNifti(vol);
  const out = new Uint8Array(three.length + (t - 1) * n * 2);
  out.set(three);
  const dv = new DataView(out.buffer);
  dv.setInt16(40, 4, true); // dim[0]
  dv.setInt16(48, t, true); // dim[4]
  return gzip ? gzipSync(out) : out;
}

describe('voxseg segment refuses what no model can segment', () => {
  it('the NIfTI reader records the volume count of a plain and a gzipped 4-D file (sourceVolumes)', () => {
    expect(readNifti(fourD(5, false), 'four.nii').header.metadata.sourceVolumes).toBe(5);
    expect(readNifti(fourD(7, true), 'four.nii.gz').header.metadata.sourceVolumes).toBe(7);
    const three = writeNifti(createVolume({ dims: [8, 8, 8], voxels: new Uint8Array(512) }), { gzip: true });
    expect(readNifti(three, 'three.nii.gz').header.metadata.sourceVolumes).toBeUndefined();
  });

  it('a 4-D NIfTI: exit 1, the file and "4-D series" named, nothing written', () => {
    const input = join(tmp, 'series.nii.gz');
    writeFileSync(input, fourD(3, true));
    const out = join(tmp, 'never.nii.gz');
    const r = voxseg(['segment', input, '-m', bands, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${input}: it is a 4-D series (3 volumes; only the first was loaded); the models segment one 3-D volume`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a one-slice NIfTI: exit 1 naming the file as a 2-D image', () => {
    const input = join(tmp, 'slice.nii.gz');
    writeFileSync(
      input,
      writeNifti(
        createVolume({ dims: [64, 48, 1], spacing: [0.8, 0.8, 5], voxels: new Int16Array(64 * 48).fill(-1000) }),
        { gzip: true },
      ),
    );
    const out = join(tmp, 'never2.nii.gz');
    const r = voxseg(['segment', input, '-m', bands, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${input}: it is a 2-D image (64 x 48 x 1: one slice)`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('voxseg segment warns when the model does not suit the study, and runs', () => {
  const phantom = join(tmp, 'phantom');

  it('a CT model on a head-sized MR: warnings, and it runs; on the CT phantom: no warning', () => {
    expect(voxseg(['phantom', '-o', phantom, '--dims', '96,96,24']).code).toBe(0);
    // The CT model suits the phantom CT: no warning about the model.
    const ok = voxseg(['segment', join(phantom, 'ct'), '-m', bands, '-o', join(tmp, 'bands.nii.gz')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/warning: ct-tissue-bands|This model is for/);

    // A generated head-sized "MR" (non-negative integers, 150 x 190 mm) with the CT model.
    const dims = [80, 100, 60] as const;
    const voxels = new Int16Array(dims[0] * dims[1] * dims[2]);
    for (let k = 0, o = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++, o++)
          voxels[o] = ((i - 39.5) / 37.5) ** 2 + ((j - 49.5) / 47.5) ** 2 + ((k - 29.5) / 28) ** 2 <= 1 ? 300 : 0;
    const head = join(tmp, 'head.nii.gz');
    writeFileSync(head, writeNifti(createVolume({ dims: [...dims], spacing: [2, 2, 3], voxels }), { gzip: true }));
    const r = voxseg(['segment', head, '-m', bands, '-o', join(tmp, 'head-bands.nii.gz')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: ct-tissue-bands: Expects a CT of any body part; this looks like a brain MRI.\n',
    );
    expect(r.stderr).toMatch(
      /warning: This model is for CT; the study looks like an MRI \(inferred from intensities: non-negative integer values/,
    );
    expect(JSON.parse(r.stdout).model).toBe('ct-tissue-bands');
  }, 180_000);
});

describeShared('dicom/debian/nibabel_tests_data/example4d.nii.gz', 'voxseg segment on real 2-D and 4-D files', () => {
  it('a real 4-D fMRI NIfTI (128x96x24x2) is refused before the brain model runs', () => {
    const input = sharedPath('dicom/debian/nibabel_tests_data/example4d.nii.gz');
    const out = join(tmp, 'never3.nii.gz');
    const r = voxseg(['segment', input, '-m', brainModel, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('warning: file holds 2 volumes (dim 128x96x24x2); only the first is loaded');
    expect(r.stderr).toContain(`${input}: it is a 4-D series (2 volumes; only the first was loaded)`);
    expect(existsSync(out)).toBe(false);
  });

  it('a real single CT slice (DICOM, 128x128) is refused as a 2-D image', () => {
    const input = sharedPath('dicom/debian/pydicom_test_files/CT_small.dcm');
    const r = voxseg(['segment', input, '-m', bands, '-o', join(tmp, 'never4.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${input}: it is a 2-D image (128 x 128 x 1: one slice)`);
  });
});
