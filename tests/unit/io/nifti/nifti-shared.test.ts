/** Reading the reference NIfTI files in ../shared/data against the facts of its README. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseNifti, readNifti } from '../../../../src/io/nifti/index';
import { indexToWorldAffine, obliquityDegrees, orientationCode } from '../../../../src/volume/geometry';
import { reorientToCode } from '../../../../src/volume/reorient';
import { describeShared, sharedPath } from '../../helpers/shared';

const load = (...p: string[]) => parseNifti(readFileSync(sharedPath(...p)), p.join('/'));

function facts(rel: string, dims: number[], spacing: number | number[], code: string, dtype?: string) {
  const r = load(rel);
  const h = r.volume.header;
  expect(h.dims).toEqual(dims);
  h.spacing.forEach((s, i) => expect(s).toBeCloseTo(Array.isArray(spacing) ? spacing[i] : spacing, 4));
  expect(orientationCode(h.direction)).toBe(code);
  if (dtype) expect(h.dtype).toBe(dtype);
  return r;
}

describeShared('nifti', 'shared NIfTI files', () => {
  it('example_ct: 122x101x112, 3 mm, RAS, int32 HU', () => {
    const r = facts('nifti/ct/example_ct.nii.gz', [122, 101, 112], 3, 'RAS', 'int32');
    expect(r.warnings).toEqual([]);
  });
  it('example_ct_sm: 122x101x30 with the same (unshifted) affine as example_ct', () => {
    const sm = facts('nifti/ct/example_ct_sm.nii.gz', [122, 101, 30], 3, 'RAS');
    const full = load('nifti/ct/example_ct.nii.gz');
    expect(indexToWorldAffine(sm.volume.header)).toEqual(indexToWorldAffine(full.volume.header));
  });
  it('aorta crop: 120x126x164, 1.5 mm, LPS, int16; its label on the same grid', () => {
    const ct = facts('nifti/ct/aorta_report_ct_cropped.nii.gz', [120, 126, 164], 1.5, 'LPS', 'int16');
    const lab = facts('labels/totalsegmentator/aorta_report_aorta.nii.gz', [120, 126, 164], 1.5, 'LPS', 'uint8');
    expect(indexToWorldAffine(lab.volume.header)).toEqual(indexToWorldAffine(ct.volume.header));
    let sum = 0;
    let n = 0;
    lab.volume.voxels.forEach((v, i) => {
      if (v) ((sum += ct.volume.voxels[i]), n++);
    });
    expect(n).toBeGreaterThan(1000);
    expect(sum / n).toBeGreaterThan(150); // contrast-filled aorta
  });
  it('example_mr_sm: 117x91x20, 3 mm, LPS', () => {
    facts('nifti/mr/example_mr_sm.nii.gz', [117, 91, 20], 3, 'LPS');
    facts('labels/totalsegmentator/example_seg_mr.nii.gz', [117, 91, 20], 3, 'LPS', 'uint8');
  });
  it('t1_crop: conformed 256^3, 1 mm, LIA, uint8', () => {
    facts('nifti/mr/t1_crop.nii.gz', [256, 256, 256], 1, 'LIA', 'uint8');
    facts('models/meshnet-gwm/t1_crop_model.onnx_argmax.nii.gz', [256, 256, 256], 1, 'LIA', 'uint8');
  });
  it('bet: 142x178x142, 1 mm, slightly oblique; FAST maps scaled by 1/255 to float', () => {
    const r = facts('nifti/mr/bet.nii.gz', [142, 178, 142], 1, 'RAS');
    const ob = obliquityDegrees(r.volume.header.direction);
    expect(ob).toBeGreaterThan(1);
    expect(ob).toBeLessThan(10);
    const gm = load('labels/fsl-fast/pve_1_gm.nii.gz');
    expect(gm.volume.header.dtype).toBe('float32');
    expect(indexToWorldAffine(gm.volume.header)).toEqual(indexToWorldAffine(r.volume.header));
    let max = 0;
    for (const v of gm.volume.voxels) max = Math.max(max, v);
    expect(max).toBeGreaterThan(0.9);
    expect(max).toBeLessThanOrEqual(1 + 1e-6);
  });
  it('TotalSegmentator maps: grids of example_ct_sm and of the DICOM series (LAS)', () => {
    const ct = load('nifti/ct/example_ct_sm.nii.gz');
    for (const f of ['example_seg.nii.gz', 'example_seg_fast.nii.gz']) {
      const seg = facts(`labels/totalsegmentator/${f}`, [122, 101, 30], 3, 'RAS', 'uint8');
      expect(indexToWorldAffine(seg.volume.header)).toEqual(indexToWorldAffine(ct.volume.header));
    }
    facts('labels/totalsegmentator/example_seg_dicom.nii.gz', [512, 512, 20], [0.976562, 0.976562, 2], 'LAS', 'uint8');
  });
  it('reoriented shared CT keeps every voxel at the same world position', () => {
    const v = readNifti(readFileSync(sharedPath('nifti/ct/example_ct_sm.nii.gz')));
    const lps = reorientToCode(v, 'LPS');
    expect(orientationCode(lps.header.direction)).toBe('LPS');
    const [nx, ny, nz] = v.header.dims;
    // RAS -> LPS flips i and j: voxel (i, j, k) moves to (nx-1-i, ny-1-j, k)
    for (const [i, j, k] of [
      [0, 0, 0],
      [5, 7, 3],
      [nx - 1, ny - 1, nz - 1],
    ])
      expect(lps.voxels[nx - 1 - i + (ny - 1 - j) * nx + k * nx * ny]).toBe(v.voxels[i + j * nx + k * nx * ny]);
  });
});

describeShared('dicom/debian/nibabel_tests_data', 'nibabel test NIfTIs (INDEX.tsv facts)', () => {
  const dir = 'dicom/debian/nibabel_tests_data';
  it('NIfTI-1 files', () => {
    facts(`${dir}/anatomical.nii`, [33, 41, 25], 2, 'LAS', 'int16');
    facts(`${dir}/reoriented_anat_moved.nii`, [21, 26, 22], 4, 'RAS', 'float32');
    const std = load(`${dir}/standard.nii.gz`);
    expect(std.volume.header.dims).toEqual([4, 5, 7]);
    expect(std.volume.header.spacing).toEqual([1, 3, 2]);
  });
  it('4D and NIfTI-2 files load their first volume with a warning; same affine in both versions', () => {
    const v1 = load(`${dir}/example4d.nii.gz`);
    const v2 = load(`${dir}/example_nifti2.nii.gz`);
    expect(v1.volume.header.dims).toEqual([128, 96, 24]);
    expect(v2.header.version).toBe(2);
    expect(v2.volume.header.dims).toEqual([32, 20, 12]);
    for (const r of [v1, v2]) {
      expect(orientationCode(r.volume.header.direction)).toBe('LAS');
      expect(r.warnings.join()).toMatch(/2 volumes/);
    }
    const a = indexToWorldAffine(v1.volume.header);
    const b = indexToWorldAffine(v2.volume.header);
    for (let i = 0; i < 16; i++) expect(b[i]).toBeCloseTo(a[i], 4);
  });
});
