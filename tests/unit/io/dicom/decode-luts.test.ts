/**
 * Lookup tables, on generated series with pydicom as the reference: PALETTE COLOR (8- and 16-bit
 * entries; pydicom's apply_color_lut, then the same luminance as RGB images), the Modality LUT
 * Sequence (pydicom's apply_modality_lut; it replaces RescaleSlope/Intercept), and the window
 * presets a file offers (several WindowCenter/Width values with explanations, a VOI LUT table).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPalette } from '../../../../src/io/dicom/luts';
import { firstDifference, generate, hasTools, loadFolder, readNpy, tempDir } from './decode-fixtures';

const missing = hasTools();
const suite = missing ? describe.skip : describe;

suite(`palette and LUTs against pydicom${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let out = '';
  beforeAll(() => {
    out = tempDir('luts');
    generate('palette', out);
    generate('lut', out);
  }, 60_000);

  for (const name of ['palette8', 'palette16']) {
    it(`${name}: palette applied like apply_color_lut, shown as luminance like RGB`, async () => {
      const { volume, warnings } = await loadFolder(join(out, name));
      expect(warnings.join('\n')).toMatch(/PALETTE COLOR image: palette applied, then converted to luminance/);
      expect(volume.voxels).toBeInstanceOf(Float32Array);
      const ref = readNpy(join(out, `ref-${name}.npy`));
      expect(firstDifference(volume.voxels, ref.data)).toBe(-1);
      // and not trivially: the three channels differ (gamma 0.5 / 1 / 2 tables)
      const rgb = readNpy(join(out, `ref-${name}-rgb.npy`)).data;
      let differ = 0;
      for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 2]) differ++;
      expect(differ).toBeGreaterThan(100);
    });
  }

  it('applyPalette clamps below the first mapped value and past the table', () => {
    const t = (d: number[]) => ({ first: 10, data: Uint16Array.from(d) });
    const p = { red: t([1, 2, 3]), green: t([4, 5, 6]), blue: t([7, 8, 9]) };
    expect(Array.from(applyPalette([0, 10, 11, 12, 99], p))).toEqual([1, 4, 7, 1, 4, 7, 2, 5, 8, 3, 6, 9, 3, 6, 9]);
  });

  it('Modality LUT Sequence: voxels equal apply_modality_lut (rescale ignored, > int16 kept)', async () => {
    const { volume, warnings } = await loadFolder(join(out, 'mlut'));
    expect(warnings.join('\n')).toMatch(/Modality LUT Sequence applied/);
    const ref = readNpy(join(out, 'ref-mlut.npy'));
    expect(firstDifference(volume.voxels, ref.data)).toBe(-1);
    expect(Math.max(...Array.from(ref.data))).toBeGreaterThan(32767);
  });

  it('window presets from the file: both windows with names, the VOI LUT table as its ramp window', async () => {
    const { volume } = await loadFolder(join(out, 'voi'));
    const m = volume.header.metadata;
    expect(m.windowPresets).toEqual([
      { center: 40, width: 400, name: 'SOFT' },
      { center: 400, width: 1800, name: 'BONE' },
      { center: 1000, width: 1000, name: 'RAMP (table, approximated)' },
    ]);
    expect([m.windowCenter, m.windowWidth]).toEqual([40, 400]);
  });
});
