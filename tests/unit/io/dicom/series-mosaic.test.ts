/**
 * Siemens MOSAIC in 9 transfer syntaxes against dcm2niix's reference NIfTI (Ref/<n>.nii).
 * dcm2niix writes its own orientation (rows flipped), so voxels are compared in WORLD space:
 * every reference voxel's centre is mapped through its affine to LPS and then to our index.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Vec3 } from '../../../../src/core/types';
import { listFiles } from '../../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { worldToIndex } from '../../../../src/volume/geometry';
import { describeShared, sharedPath } from '../../helpers/shared';

const DIR = 'dicom/mosaic-9-transfer-syntaxes';

/** Minimal NIfTI-1 (uncompressed, int16/uint16) reader. */
function readRef(path: string) {
  const b = readFileSync(path);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getInt32(0, true)).toBe(348);
  const dims = [1, 2, 3].map((i) => dv.getInt16(40 + 2 * i, true)) as Vec3;
  const datatype = dv.getInt16(70, true);
  expect([4, 512]).toContain(datatype);
  const slope = dv.getFloat32(112, true) || 1;
  const inter = dv.getFloat32(116, true);
  const srow = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => dv.getFloat32(280 + 16 * r + 4 * c, true)));
  const offset = dv.getFloat32(108, true);
  const n = dims[0] * dims[1] * dims[2];
  const at = (p: number) =>
    (datatype === 4 ? dv.getInt16(offset + 2 * p, true) : dv.getUint16(offset + 2 * p, true)) * slope + inter;
  return { dims, srow, at, n };
}

describeShared(DIR, 'Siemens MOSAIC vs dcm2niix', () => {
  const names = readdirSync(sharedPath(DIR, 'In'))
    .filter((f) => f.endsWith('.dcm'))
    .sort();

  it.each(names)('%s: 64x64x35 with the reference voxels and affine', async (name) => {
    const files = await listFiles([sharedPath(DIR, 'In', name)]);
    const scan = await scanFiles(files);
    expect(scan.rejected).toEqual([]);
    expect(scan.series).toHaveLength(1);
    const s = scan.series[0];
    expect(s.dims).toEqual([64, 64, 35]);
    let loaded;
    try {
      loaded = await loadSeries(s);
    } catch (e) {
      // a transfer syntax the decoder cannot handle must fail loudly, naming the file
      expect(String(e)).toContain(name);
      console.log(`${name}: not decodable here: ${(e as Error).message}`);
      return;
    }
    const { volume } = loaded;
    const ref = readRef(sharedPath(DIR, 'Ref', name.replace('.dcm', '.nii')));
    expect(ref.dims).toEqual([64, 64, 35]);
    let worst = 0;
    let mismatches = 0;
    const [rx, ry, rz] = ref.dims;
    for (let k = 0; k < rz; k++)
      for (let j = 0; j < ry; j++)
        for (let i = 0; i < rx; i++) {
          const ras = ref.srow.map((r) => r[0] * i + r[1] * j + r[2] * k + r[3]);
          const ijk = worldToIndex(volume.header, [-ras[0], -ras[1], ras[2]]);
          const idx = ijk.map(Math.round) as Vec3;
          // distance in mm between the reference voxel centre and ours
          const mm = Math.hypot(...ijk.map((v, a) => (v - idx[a]) * s.spacing[a]));
          worst = Math.max(worst, mm);
          if (!idx.every((v, a) => v >= 0 && v < s.dims[a])) {
            mismatches++;
            continue;
          }
          const ours = volume.voxels[idx[0] + idx[1] * 64 + idx[2] * 64 * 64];
          if (ours !== ref.at(i + j * rx + k * rx * ry)) mismatches++;
        }
    expect(worst).toBeLessThan(1e-3);
    expect(mismatches).toBe(0);
  });

  it('all decodable transfer syntaxes give identical voxels', async () => {
    const sums: number[] = [];
    for (const name of names) {
      const scan = await scanFiles(await listFiles([sharedPath(DIR, 'In', name)]));
      try {
        const { volume } = await loadSeries(scan.series[0]);
        let sum = 0;
        for (let i = 0; i < volume.voxels.length; i++) sum += volume.voxels[i];
        sums.push(sum);
      } catch {
        /* reported by the per-file test */
      }
    }
    expect(sums.length).toBeGreaterThan(0);
    expect(new Set(sums).size).toBe(1);
  });

  it('all 9 files dropped together stay 9 volumes (one per file), with unique keys', async () => {
    const scan = await scanFiles(await listFiles([sharedPath(DIR, 'In')]));
    expect(scan.series).toHaveLength(9);
    expect(new Set(scan.series.map((s) => s.uid)).size).toBe(9);
    for (const s of scan.series) expect(s.dims).toEqual([64, 64, 35]);
  });
});
