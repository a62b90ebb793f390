/**
 * A TotalSegmentator label map stored as NIfTI (LAS) on the grid of the DICOM series
 * ct-abdomen-j2k: after reorienting both to LPS the grids coincide and the CT under the liver /
 * aorta masks averages 89 / 177 HU (README facts) — NIfTI reader, DICOM loader and reorientation
 * must all put rows and slices in the right place for this to hold.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { listFiles } from '../../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { readNifti } from '../../../../src/io/nifti/index';
import { indexToWorldAffine } from '../../../../src/volume/geometry';
import { reorientToCode } from '../../../../src/volume/reorient';
import { describeShared, hasShared, sharedPath } from '../../helpers/shared';

const seg = 'labels/totalsegmentator/example_seg_dicom.nii.gz';
describeShared('dicom/ct-abdomen-j2k', 'NIfTI label map on the grid of a DICOM series', () => {
  it.skipIf(!hasShared(seg))('grids coincide and organ means match (liver 89 HU, aorta 177 HU)', async () => {
    const labels = reorientToCode(readNifti(readFileSync(sharedPath(seg)), seg), 'LPS');
    const scan = await scanFiles(await listFiles([sharedPath('dicom/ct-abdomen-j2k')]));
    expect(scan.series).toHaveLength(1);
    const ct = reorientToCode((await loadSeries(scan.series[0])).volume, 'LPS');
    expect(ct.header.dims).toEqual(labels.header.dims);
    const a = indexToWorldAffine(ct.header);
    const b = indexToWorldAffine(labels.header);
    for (let i = 0; i < 16; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-3);
    const mean = (id: number) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < labels.voxels.length; i++) if (labels.voxels[i] === id) ((s += ct.voxels[i]), n++);
      return s / n;
    };
    expect(Math.abs(mean(5) - 89)).toBeLessThan(1.5); // liver
    expect(Math.abs(mean(52) - 177)).toBeLessThan(1.5); // aorta
  });
});
