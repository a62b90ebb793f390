import { describe, expect, it } from 'vitest';
import { maskedFileName, maskedNifti, type MaskedImage } from '../../../src/app/segment/masked';
import { readNifti } from '../../../src/io/nifti';
import { createVolume } from '../../../src/volume/volume';

describe('the skull-stripped image of a brain extraction', () => {
  it('is named after its series', () => {
    expect(maskedFileName('t1_crop.nii.gz')).toBe('t1_crop_brain.nii.gz');
    expect(maskedFileName('sub-01_T1w.NII')).toBe('sub-01_T1w_brain.nii.gz');
    expect(maskedFileName('T1 MPRAGE / sag')).toBe('T1_MPRAGE_sag_brain.nii.gz');
    expect(maskedFileName('..')).toBe('image_brain.nii.gz');
    expect(maskedFileName('')).toBe('image_brain.nii.gz');
  });

  it('is saved as .nii.gz on the study grid with its voxel type and values', () => {
    // an oblique, anisotropic grid with a non-zero origin, int16 values below zero
    const c = Math.cos(0.3),
      s = Math.sin(0.3);
    const dims: [number, number, number] = [5, 4, 3];
    const voxels = new Int16Array(60).map((_, i) => (i % 7 === 0 ? -5 : 100 + i));
    const study = createVolume({
      dims,
      spacing: [0.9, 1.1, 2.5],
      origin: [-12.5, 30, 7.25],
      direction: [c, -s, 0, s, c, 0, 0, 0, 1],
      voxels: voxels.slice(),
    });
    const image = createVolume({
      dims,
      spacing: [0.9, 1.1, 2.5],
      origin: [-12.5, 30, 7.25],
      direction: [c, -s, 0, s, c, 0, 0, 0, 1],
      voxels,
    });
    const m: MaskedImage = { image, study, model: 'Brain extraction (skull strip)' };
    const bytes = maskedNifti(m);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const back = readNifti(bytes, 'x_brain.nii.gz');
    expect(back.header.dims).toEqual(dims);
    expect(back.header.dtype).toBe('int16');
    expect(Array.from(back.voxels)).toEqual(Array.from(voxels));
    back.header.spacing.forEach((v, i) => expect(v).toBeCloseTo(study.header.spacing[i], 5));
    back.header.origin.forEach((v, i) => expect(v).toBeCloseTo(study.header.origin[i], 4));
    back.header.direction.forEach((v, i) => expect(v).toBeCloseTo(study.header.direction[i], 5));
    expect(back.header.metadata.seriesDescription).toBe('Brain extraction (skull strip): brain extracted');
  });
});
