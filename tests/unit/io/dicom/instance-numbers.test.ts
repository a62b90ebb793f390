/**
 * `instanceNumbers`: the DICOM InstanceNumber of the image behind each k-slice, checked against
 * pydicom reading the same files: a real MR written from the reference T1 (InstanceNumber 1 at the
 * top of the head, so it runs opposite to k), the real J2K CT (matched by ImagePositionPatient),
 * a series from voxseg's own writer, and none for a resampled (tilted) series.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../../src/core/types';
import { loadSeries } from '../../../../src/io/dicom/index';
import { writeDicomSeries } from '../../../../src/io/dicom/write/series';
import { createVolume } from '../../../../src/volume/volume';
import { canWriteMrSeries, writeMrSeries } from '../../../e2e/helpers/mr-series';
import { hasShared, sharedPath } from '../../helpers/shared';
import { scanDir } from './helpers/phantom-compare';
import { hasPydicom, writeTiltedSeries } from './helpers/tilted-series';
import { scanFiles } from '../../../../src/io/dicom/index';
import { memorySource } from '../../../../src/io/dicom/source';

const root = mkdtempSync(join(tmpdir(), 'voxseg-instnum-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pydicom = hasPydicom();
const MR = 'nifti/mr/bet.nii.gz';
const CT = 'dicom/ct-abdomen-j2k';

/** pydicom's reading of every file in `dir`: InstanceNumber, ImagePositionPatient, SOP Instance UID. */
function pydicomHeaders(dir: string): { n: number; ipp: number[]; uid: string }[] {
  const script = `
import sys, os, json, pydicom
out = []
for f in sorted(os.listdir(sys.argv[1])):
    ds = pydicom.dcmread(os.path.join(sys.argv[1], f), stop_before_pixels=True, force=True)
    if "InstanceNumber" not in ds: continue  # LICENSE
    out.append({"n": int(ds.InstanceNumber), "ipp": [float(x) for x in ds.ImagePositionPatient], "uid": str(ds.SOPInstanceUID)})
print(json.dumps(out))`;
  const res = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout);
}

/** LPS position of the first voxel of slice k. */
function slicePosition(v: Volume, k: number): number[] {
  const { origin, direction: d, spacing } = v.header;
  return [0, 1, 2].map((r) => origin[r] + d[r * 3 + 2] * spacing[2] * k);
}

describe('instanceNumbers', () => {
  const mrWhy = !hasShared(MR)
    ? ' [skipped: reference data ../shared/data/nifti/mr/bet.nii.gz not found]'
    : !canWriteMrSeries()
      ? ' [skipped: /usr/bin/python3 with pydicom, numpy and nibabel not found]'
      : '';
  it.skipIf(!!mrWhy)(`a real MR: the number of each slice's own file, running opposite to k${mrWhy}`, async () => {
    const mr = writeMrSeries(sharedPath(MR), 10);
    const { volume } = await loadSeries(await scanDir(mr.dir));
    const md = volume.header.metadata;
    expect(volume.header.dims[2]).toBe(15);
    const byUid = new Map(pydicomHeaders(mr.dir).map((h) => [h.uid, h]));
    expect(md.instanceNumbers).toHaveLength(15);
    md.sopInstanceUids!.forEach((uid, k) => {
      const h = byUid.get(uid)!;
      expect(md.instanceNumbers![k]).toBe(h.n);
      expect(Math.hypot(...slicePosition(volume, k).map((x, r) => x - h.ipp[r]))).toBeLessThan(1e-3);
    });
    // k goes up the head (LPS +z), InstanceNumber 1 is the top slice.
    expect(md.instanceNumbers![0]).toBe(15);
    expect(md.instanceNumbers![14]).toBe(1);
  });

  it.skipIf(!hasShared(CT) || !pydicom)(
    `the real J2K CT: each slice's number is that of the file at its position${hasShared(CT) ? '' : ' [skipped: reference data ../shared/data/dicom/ct-abdomen-j2k not found]'}`,
    async () => {
      const { volume } = await loadSeries(await scanDir(sharedPath(CT)));
      const headers = pydicomHeaders(sharedPath(CT));
      const numbers = volume.header.metadata.instanceNumbers!;
      expect(numbers).toHaveLength(headers.length);
      for (let k = 0; k < numbers.length; k++) {
        const p = slicePosition(volume, k);
        const h = headers.find((x) => Math.hypot(...p.map((v, r) => v - x.ipp[r])) < 0.01);
        expect(h, `a file at slice ${k}`).toBeDefined();
        expect(numbers[k]).toBe(h!.n);
      }
    },
  );

  it("voxseg's own writer numbers k + 1; a resampled series has none", async () => {
    const v = createVolume({
      dims: [4, 3, 5],
      spacing: [1, 1, 2],
      voxels: new Int16Array(60).map((_, i) => i),
      metadata: { modality: 'CT' },
    });
    const files = writeDicomSeries(v).map((f) => memorySource(f.name, f.bytes));
    const { series } = await scanFiles(files.reverse());
    const { volume } = await loadSeries(series[0]);
    expect(volume.header.metadata.instanceNumbers).toEqual([1, 2, 3, 4, 5]);
    if (!pydicom) return;
    const tilt = writeTiltedSeries(join(root, 'tilt'), { slices: 8, gaps: [5], tiltDeg: 15 });
    const loaded = await loadSeries(await scanDir(tilt.dir));
    expect(loaded.volume.header.metadata.acquisition).toBeDefined();
    expect(loaded.volume.header.metadata.instanceNumbers).toBeUndefined();
  });
});
