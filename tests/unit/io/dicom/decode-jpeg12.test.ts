/**
 * 12-bit lossy JPEG (JPEG Extended, process 4; 1.2.840.10008.1.2.4.51) through our sequential DCT
 * decoder. Reference: DCMTK's dcmdjpeg (IJG library) decoding the same files, read by pydicom.
 * Generated series (dcmcjpeg +ee) and the two real 12-bit files of the pydicom test set (skipped
 * without ../shared). Pixels must be identical (our IDCT is the IJG integer one).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, sharedPath } from '../../helpers/shared';
import { firstDifference, generate, hasTools, loadFolder, python, readNpy, tempDir } from './decode-fixtures';

const missing = hasTools('dcmcjpeg', 'dcmdjpeg');
const suite = missing ? describe.skip : describe;

suite(`generated 12-bit JPEG Extended series${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  const out = tempDir('jpeg12');
  it("decodes to exactly dcmdjpeg's pixels; a truncated frame is a named warning for its slice", async () => {
    generate('jpeg12', out);
    const ref = readNpy(join(out, 'ref-jpeg12.npy'));
    const { volume, warnings } = await loadFolder(join(out, 'jpeg12'));
    expect(warnings).toEqual([]);
    expect(volume.header.dims).toEqual([56, 40, 3]);
    expect(firstDifference(volume.voxels, ref.data)).toBe(-1);
    // lossy: not the native source (the test could not pass by decoding the wrong file)
    const native = await loadFolder(join(out, 'jpeg12-native'));
    expect(firstDifference(volume.voxels, native.volume.voxels)).toBeGreaterThanOrEqual(0);

    const cut = await loadFolder(join(out, 'jpeg12-truncated'));
    expect(cut.warnings.join('\n')).toMatch(/slice1\.dcm: .*entropy-coded data ends before the last block.*left empty/);
  });
});

const PD = 'dicom/debian/pydicom_test_files';
describeShared(PD, 'real 12-bit JPEG Extended files (pydicom test set)', () => {
  for (const name of ['JPGExtended.dcm', 'JPEG-lossy.dcm']) {
    it.skipIf(!!missing)(`${name} equals dcmdjpeg's decode`, async () => {
      const dir = tempDir('jpeg12-real');
      copyFileSync(sharedPath(PD, name), join(dir, name));
      const back = join(dir, 'back.raw');
      spawnSync('dcmdjpeg', [sharedPath(PD, name), join(dir, 'native.dcm.tmp')], { stdio: 'ignore' });
      const py = `import pydicom,sys; pydicom.dcmread(sys.argv[1]).pixel_array.astype('<u2').tofile(sys.argv[2])`;
      expect(spawnSync(python, ['-c', py, join(dir, 'native.dcm.tmp'), back]).status).toBe(0);
      const { volume, warnings } = await loadFolder(join(dir, name));
      expect(warnings.join('\n')).not.toMatch(/decode|empty/); // only the missing-position notice
      const ref = new Uint16Array(new Uint8Array(readFileSync(back)).buffer);
      expect(volume.voxels.length).toBe(1024 * 256);
      expect(firstDifference(volume.voxels, ref)).toBe(-1);
      expect(ref.reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThan(0);
    });
  }
});
