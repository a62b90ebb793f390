/**
 * Real CT (JPEG 2000, blank SeriesInstanceUID/SOPClassUID): geometry, HU range, and a label map
 * made by TotalSegmentator on the same grid, mapped through WORLD coordinates (NIfTI RAS affine ->
 * LPS -> our index), so that slice order, row direction and origin are all checked at once.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'fflate';
import { expect, it } from 'vitest';
import type { Vec3 } from '../../../../src/core/types';
import { listFiles } from '../../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { valueRange } from '../../../../src/volume/volume';
import { worldToIndex } from '../../../../src/volume/geometry';
import { memorySource } from '../../../../src/io/dicom/source';
import { describeShared, hasShared, sharedPath } from '../../helpers/shared';

const LABELS = 'labels/totalsegmentator/example_seg_dicom.nii.gz';

/** Minimal NIfTI-1 reader: dims, sform (RAS, row-major 3x4) and uint8 voxels. */
function readLabelNifti(path: string) {
  const b = gunzipSync(readFileSync(path));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getInt32(0, true)).toBe(348);
  const dims = [1, 2, 3].map((i) => dv.getInt16(40 + 2 * i, true)) as Vec3;
  expect(dv.getInt16(70, true)).toBe(2); // uint8
  expect(dv.getInt16(254, true)).toBeGreaterThan(0); // sform present
  const srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => dv.getFloat32(280 + 16 * r + 4 * c, true)));
  const offset = dv.getFloat32(108, true);
  const voxels = b.subarray(offset, offset + dims[0] * dims[1] * dims[2]);
  return { dims, srow, voxels };
}

describeShared('dicom/ct-abdomen-j2k', 'real CT series with blank SeriesInstanceUID (JPEG 2000)', () => {
  it('scans and loads as 512x512x20, 0.977/0.977/2.0 mm, HU -1024..1839, labels land on the right organs', async () => {
    const files = await listFiles([sharedPath('dicom/ct-abdomen-j2k')]);
    const scan = await scanFiles(files);
    expect(scan.rejected.map((r) => r.file.replace(/.*\//, ''))).toEqual(['LICENSE']);
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0];
    expect(s.uid).toMatch(/^synthetic-[0-9a-f]{8}$/);
    expect(s.modality).toBe('CT');
    expect(s.files).toHaveLength(20);
    expect(s.dims).toEqual([512, 512, 20]);
    expect(s.spacing[0]).toBeCloseTo(0.977, 3);
    expect(s.spacing[1]).toBeCloseTo(0.977, 3);
    expect(s.spacing[2]).toBeCloseTo(2.0, 3); // SliceThickness says 3
    expect(s.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.origin).toEqual([-249.51171875, -437.51171875, -804.5]);
    expect(s.dtype).toBe('int16');
    expect(s.warnings).toEqual([]);

    const { volume } = await loadSeries(s);
    expect(volume.header.dtype).toBe('int16');
    expect(valueRange(volume.voxels)).toEqual([-1024, 1839]);
    expect(volume.header.metadata.valueRange).toEqual([-1024, 1839]); // measured while loading
    expect(volume.header.metadata).toMatchObject({ modality: 'CT', unit: 'HU', windowCenter: 40, windowWidth: 300 });

    if (!hasShared(LABELS)) return;
    const lab = readLabelNifti(sharedPath(LABELS));
    const sum = new Map<number, { n: number; hu: number }>([
      [5, { n: 0, hu: 0 }],
      [52, { n: 0, hu: 0 }],
    ]);
    const [lx, ly, lz] = lab.dims;
    let worstOffGrid = 0;
    for (let k = 0; k < lz; k++)
      for (let j = 0; j < ly; j++)
        for (let i = 0; i < lx; i++) {
          const label = lab.voxels[i + j * lx + k * lx * ly];
          const acc = sum.get(label);
          if (!acc) continue;
          const ras = lab.srow.map((r) => r[0] * i + r[1] * j + r[2] * k + r[3]);
          const ijk = worldToIndex(volume.header, [-ras[0], -ras[1], ras[2]]);
          const idx = ijk.map(Math.round) as Vec3;
          worstOffGrid = Math.max(worstOffGrid, ...ijk.map((v, a) => Math.abs(v - idx[a])));
          expect(idx.every((v, a) => v >= 0 && v < s.dims[a])).toBe(true);
          acc.n++;
          acc.hu += volume.voxels[idx[0] + idx[1] * 512 + idx[2] * 512 * 512];
        }
    expect(worstOffGrid).toBeLessThan(1e-3);
    const liver = sum.get(5)!;
    const aorta = sum.get(52)!;
    expect(liver.n).toBeGreaterThan(1000);
    expect(aorta.n).toBeGreaterThan(100);
    console.log(
      `liver ${liver.n} voxels, mean ${(liver.hu / liver.n).toFixed(1)} HU; aorta ${aorta.n} voxels, mean ${(aorta.hu / aorta.n).toFixed(1)} HU`,
    );
    expect(Math.abs(liver.hu / liver.n - 89)).toBeLessThanOrEqual(2);
    expect(Math.abs(aorta.hu / aorta.n - 177)).toBeLessThanOrEqual(3);
  });

  it('a truncated file is rejected by name; a corrupt one is left empty with a warning; the rest loads', async () => {
    const files = await listFiles([sharedPath('dicom/ct-abdomen-j2k')]);
    const dicoms = files.filter((f) => !f.name.endsWith('LICENSE'));
    const mem = async (i: number) => memorySource(dicoms[i].name, new Uint8Array(readFileSync(dicoms[i].name)));
    const cut = await mem(7);
    const cutBytes = await cut.slice(0);
    const truncated = memorySource(cut.name, cutBytes.subarray(0, Math.floor(cutBytes.length * 0.6)));
    const bad = await mem(12);
    const badBytes = (await bad.slice(0)).slice();
    const soc = badBytes.findIndex(
      (b, i) => b === 0xff && badBytes[i + 1] === 0x4f && badBytes[i + 2] === 0xff && badBytes[i + 3] === 0x51,
    );
    expect(soc).toBeGreaterThan(0);
    badBytes.fill(0x55, soc, soc + 64); // garble the JPEG 2000 main header, keep the file's structure intact
    const corrupt = memorySource(bad.name, badBytes);
    const scan = await scanFiles(dicoms.map((f, i) => (i === 7 ? truncated : i === 12 ? corrupt : f)));
    expect(scan.rejected).toEqual([{ file: cut.name, reason: expect.stringMatching(/truncated/) }]);
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0];
    expect(s.dims).toEqual([512, 512, 20]); // an empty slice keeps the geometry
    expect(s.warnings.join()).toMatch(/missing slice: 1 between/);
    const { volume, warnings } = await loadSeries(s);
    const w = warnings.join('\n');
    expect(w).toContain(bad.name);
    expect(w).toMatch(/left empty/);
    // exactly two slices are empty (the truncated file's gap and the corrupt file), filled with -1024
    const blank: number[] = [];
    for (let k = 0; k < 20; k++) {
      const sl = volume.voxels.subarray(k * 512 * 512, (k + 1) * 512 * 512);
      if (sl.every((v) => v === -1024)) blank.push(k);
    }
    expect(blank).toHaveLength(2);
  });
});
