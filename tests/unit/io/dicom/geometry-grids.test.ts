/**
 * Regular-grid planning and loading beyond the main tilted case (geometry-resample.test.ts): tilt
 * with even gaps, uneven gaps without tilt, a capped spacing resampled into a second array, and
 * regular series / series with a truly missing slice, which load exactly as before (no resampling).
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../../src/core/types';
import { loadSeries } from '../../../../src/io/dicom/index';
import { inPlaceSafe, regularGrid } from '../../../../src/io/dicom/regular';
import { compareWithPhantom, scanDir } from './helpers/phantom-compare';
import { hasPydicom, writeTiltedSeries } from './helpers/tilted-series';

const root = mkdtempSync(join(tmpdir(), 'voxseg-grids-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pydicom = hasPydicom();
const describePy = pydicom ? describe : describe.skip;
const why = pydicom ? '' : ' [skipped: /usr/bin/python3 with numpy and pydicom not found]';

describePy(`series on other grids${why}`, () => {
  it('tilt with even gaps; uneven gaps without tilt keep the in-plane grid', async () => {
    const tilt = writeTiltedSeries(join(root, 'tilt-even'), { gaps: [5], slices: 12, tiltDeg: 15 });
    const a = await scanDir(tilt.dir);
    expect(a.acquired?.reason).toBe('gantry tilt 15°');
    expect(a.dims).toEqual([64, 64 + Math.ceil((55 * Math.tan((15 * Math.PI) / 180)) / 3), 12]);
    const flat = writeTiltedSeries(join(root, 'uneven'), { tiltDeg: 0 });
    const b = await scanDir(flat.dir);
    expect(b.acquired?.reason).toBe('uneven slice gaps 4.2–7.4 mm');
    expect(b.dims).toEqual([64, 64, 32]);
    const { volume } = await loadSeries(b);
    const r = compareWithPhantom(volume, flat, 7.41);
    expect(r.checked).toBeGreaterThan(20_000);
    expect(r.wrong).toBe(0);
  });

  it('a spacing capped at twice the slice count resamples into a second array, voxels still where DICOM says', async () => {
    // five slices 0.2 mm apart, then 7 mm gaps: the smallest gap would need 670 slices; capped to 48
    const gaps = [0.2, 0.2, 0.2, 0.2, ...Array<number>(19).fill(7)];
    const s = writeTiltedSeries(join(root, 'capped'), { slices: 24, gaps });
    const info = await scanDir(s.dir);
    expect(info.dims[2]).toBe(48);
    const plan = regularGrid({
      positions: s.positions,
      row: [1, 0, 0],
      col: [0, 1, 0],
      n: [0, 0, 1],
      pixelSpacing: s.pixelSpacing,
      rows: 64,
      cols: 64,
      uneven: true,
    });
    expect(plan?.inPlace).toBe(false);
    const { volume } = await loadSeries(info);
    const r = compareWithPhantom(volume, s, Math.hypot(7, 3, 3) + 0.01);
    expect(r.checked).toBeGreaterThan(10_000);
    expect(r.wrong).toBe(0);
  });

  it('a regular series and one with a truly missing slice load exactly as before', async () => {
    const reg = writeTiltedSeries(join(root, 'regular'), { tiltDeg: 0, gaps: [5], origin: [-94.5, -94.5, -60] });
    const info = await scanDir(reg.dir);
    expect(info.acquired).toBeUndefined();
    expect(info.dims).toEqual([64, 64, 24]);
    expect(info.spacing).toEqual([3, 3, 5]);
    expect(info.warnings).toEqual([]);
    const { volume, warnings } = await loadSeries(info);
    expect(warnings).toEqual([]);
    expect(volume.header.metadata.acquisition).toBeUndefined();
    expect(volume.header.metadata.sopInstanceUids).toEqual(reg.sopInstanceUids);
    const r = compareWithPhantom(volume, reg, 1e-3);
    expect(r.wrong).toBe(0);

    unlinkSync(reg.files[10]);
    const gap = await scanDir(reg.dir);
    expect(gap.acquired).toBeUndefined();
    expect(gap.dims).toEqual([64, 64, 24]);
    expect(gap.warnings.join()).toMatch(/missing slice: 1 between \S*IM010\.dcm and \S*IM012\.dcm \(gap 10 mm\)/);
    const g = await loadSeries(gap);
    expect(g.volume.header.metadata.acquisition).toBeUndefined();
    expect(g.volume.header.metadata.sopInstanceUids?.[10]).toBe('');
    const slice = 64 * 64;
    expect(g.volume.voxels.subarray(0, 10 * slice)).toEqual(volume.voxels.subarray(0, 10 * slice));
    expect(g.volume.voxels.subarray(11 * slice)).toEqual(volume.voxels.subarray(11 * slice));
  });
});

describe('regular grid planning', () => {
  const axial = {
    row: [1, 0, 0] as Vec3,
    col: [0, 1, 0] as Vec3,
    n: [0, 0, 1] as Vec3,
    pixelSpacing: [1, 1] as [number, number],
    rows: 8,
    cols: 8,
  };
  const stack = (z: number[], y = (_: number) => 0) => z.map((w) => [0, y(w), w] as Vec3);

  it('leaves regular stacks and DS rounding alone; resamples a shift of 2% of a pixel', () => {
    expect(regularGrid({ ...axial, positions: stack([0, 1, 2, 3]), uneven: false })).toBeUndefined();
    // positions rounded to 2 decimals on an oblique axis stay under the 0.01 mm tolerance
    expect(
      regularGrid({ ...axial, positions: stack([0, 1, 2, 3], (w) => (w % 2 ? 0.005 : 0)), uneven: false }),
    ).toBeUndefined();
    const g = regularGrid({ ...axial, positions: stack([0, 1, 2, 3], (w) => (w === 2 ? 0.02 : 0)), uneven: false });
    expect(g?.reason).toBe('slices shifted in-plane by up to 0.02 mm');
    expect(g?.dims).toEqual([8, 9, 4]);
  });

  it('a negative tilt grows the grid on the other side; the first slice stays on the lattice', () => {
    const t = Math.tan((20 * Math.PI) / 180);
    const g = regularGrid({ ...axial, positions: stack([0, 2, 4, 6], (w) => -w * t), uneven: false })!;
    expect(g.reason).toBe('gantry tilt 20°');
    expect(g.dims).toEqual([8, 8 + 3, 4]); // 6 tan 20° = 2.18 rows
    expect(g.origin).toEqual([0, -3, 0]);
    expect(g.at[0]).toEqual([0, 3, 0]);
    expect(g.inPlace).toBe(true);
  });

  it('in place whenever the spacing is the smallest gap; a capped spacing needs a second array', () => {
    const uneven = regularGrid({ ...axial, positions: stack([0, 1, 3, 4, 6, 7]), uneven: true })!;
    expect(uneven.spacing[2]).toBe(1);
    expect(uneven.inPlace).toBe(true);
    expect(uneven.allocation).toBe(8 * 8 * 8);
    const capped = regularGrid({ ...axial, positions: stack([0, 0.01, 10, 20]), uneven: true })!;
    expect(capped.dims[2]).toBe(8); // 2 x 4 acquired slices, not 2001
    expect(capped.spacing[2]).toBeCloseTo(20 / 7, 12);
    expect(capped.inPlace).toBe(true); // spacing > smallest gap, yet nothing needed is overwritten
    // slices bunched at the start: output slice 0 would overwrite acquired slice 1 before it is read
    const bunched = regularGrid({ ...axial, positions: stack([0, 0.01, 0.02, 0.03, 0.04, 20]), uneven: true })!;
    expect(bunched.dims[2]).toBe(12);
    expect(bunched.inPlace).toBe(false);
    expect(bunched.allocation).toBe(6 * 64);
    // the simulation itself: an acquired slice needed later must not be overwritten first
    expect(inPlaceSafe([0, 1, 2], 3, 64, 64)).toBe(true);
    expect(inPlaceSafe([0, 0.1, 0.2, 3], 4, 64, 64)).toBe(false);
  });
});
