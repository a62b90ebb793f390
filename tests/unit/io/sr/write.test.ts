/**
 * The measurement report SR, read back by pydicom (sr_read.py) and validated by dciodvfy: a small
 * phantom series written as DICOM and loaded as the app loads it, three measurements on it
 * (a length on an axial slice, an angle, an ellipse on a coronal plane that crosses slices).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../../src/core/types';
import { VoxsegError } from '../../../../src/core/errors';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import { COMPREHENSIVE_3D_SR, writeMeasurementReport, type SrMeasurement } from '../../../../src/io/sr/write';
import { generatePhantom } from '../../../../src/phantom/index';
import { dciodvfyErrors, hasDciodvfy, hasPydicom, loadFiles, python } from '../seg/write-helpers';

const here = dirname(fileURLToPath(import.meta.url));

const MEASUREMENTS: SrMeasurement[] = [
  {
    kind: 'length',
    label: 'Length 1',
    points: [
      [-10, -5, 0],
      [12.5, 7, 0],
    ],
    values: { length: 25.8118 },
  },
  {
    kind: 'angle',
    label: 'Angle 1',
    points: [
      [0, -10, 3],
      [0, 0, 3],
      [10, 0, 3],
    ],
    values: { angle: 90 },
  },
  {
    kind: 'ellipse',
    label: 'Ellipse 1',
    // coronal plane y = 2: U along z (10 mm), V along x (6 mm); spans slices z -10..10
    points: [
      [4, 2, 0],
      [4, 2, 10],
      [10, 2, 0],
    ],
    values: { area: Math.PI * 60, mean: 41.25, std: 12.5, min: -3, max: 88 },
  },
];

describe.runIf(hasPydicom)('measurement report SR', () => {
  let tmp = '';
  let ct: Volume;
  let file = '';
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'voxseg-sr-'));
    const p = generatePhantom({ dims: [24, 24, 9], spacing: [2, 2, 3], seed: 4 });
    ct = await loadFiles(writeDicomSeries(p.ct, { seed: 4 }));
    file = join(tmp, 'sr.dcm');
    writeFileSync(file, writeMeasurementReport(ct, MEASUREMENTS, { date: new Date(2026, 0, 2, 3, 4, 5) }));
  });
  afterAll(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('pydicom reads TID 1500 with each measurement, its region and values', () => {
    const r = spawnSync(python, [join(here, 'sr_read.py'), file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const sr = JSON.parse(r.stdout);
    const md = ct.header.metadata;
    expect(sr.sopClass).toBe(COMPREHENSIVE_3D_SR);
    expect(sr.modality).toBe('SR');
    expect(sr.root).toEqual(['DCM', '126000', 'Imaging Measurement Report']);
    expect(sr.template).toBe('1500');
    expect(sr.study).toBe(md.studyInstanceUid);
    expect(sr.rootItems.map((i: string[]) => i[0])).toEqual([
      'HAS CONCEPT MOD',
      'HAS OBS CONTEXT',
      'HAS OBS CONTEXT',
      'HAS OBS CONTEXT',
      'HAS CONCEPT MOD',
      'CONTAINS',
      'CONTAINS',
    ]);
    // Slices: the axial length and the angle lie on z = 0 and z = 3 (k = 4, 5 of z = -12..12);
    // the coronal ellipse spans z -10..10 (k = 1..7 after rounding).
    const uids = md.sopInstanceUids!;
    const want = uids.slice(1, 8);
    expect(sr.library).toEqual(want);
    expect(sr.evidence).toEqual(want);

    expect(sr.groups).toHaveLength(3);
    const [len, ang, ell] = sr.groups;
    expect(len.template).toBe('1410');
    expect(len.id).toBe('Length 1');
    expect(len.uid).toMatch(/^2\.25\.\d+$/);
    expect(len.region).toEqual({ type: 'POLYLINE', points: [-10, -5, 0, 12.5, 7, 0], for: md.frameOfReferenceUid });
    expect(len.values).toEqual({ Length: { value: 25.8118, unit: 'mm', code: '410668003' } });
    expect(ang.region.type).toBe('POLYLINE');
    expect(ang.region.points).toEqual([0, -10, 3, 0, 0, 3, 10, 0, 3]);
    expect(ang.values.Angle).toEqual({ value: 90, unit: 'deg', code: '1483009' });
    // Ellipse: major axis (along z) end points, then the minor axis (along x).
    expect(ell.region.type).toBe('ELLIPSE');
    expect(ell.region.points).toEqual([4, 2, -10, 4, 2, 10, -2, 2, 0, 10, 2, 0]);
    expect(ell.values.Area.value).toBeCloseTo(Math.PI * 60, 10);
    expect(ell.values.Area.unit).toBe('mm2');
    expect(ell.values.Mean).toEqual({ value: 41.25, unit: "[hnsf'U]", code: '373098007' });
    expect(ell.values['Standard Deviation'].value).toBe(12.5);
    expect(ell.values.Minimum.value).toBe(-3);
    expect(ell.values.Maximum.value).toBe(88);
  });

  it.runIf(hasDciodvfy)('dciodvfy reports no error', () => {
    expect(dciodvfyErrors(file)).toEqual([]);
  });

  it('a rectangle is a closed polygon', () => {
    const rect: SrMeasurement = {
      kind: 'rectangle',
      label: 'Rectangle 1',
      points: [
        [0, 0, 0],
        [5, 0, 0],
        [0, 3, 0],
      ],
      values: { area: 60, mean: 1, std: 0, min: 1, max: 1 },
    };
    const f = join(tmp, 'rect.dcm');
    writeFileSync(f, writeMeasurementReport(ct, [rect]));
    const r = spawnSync(python, [join(here, 'sr_read.py'), f], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const g = JSON.parse(r.stdout).groups[0];
    expect(g.region.type).toBe('POLYGON');
    expect(g.region.points).toEqual([-5, -3, 0, 5, -3, 0, 5, 3, 0, -5, 3, 0, -5, -3, 0]);
    if (hasDciodvfy) expect(dciodvfyErrors(f)).toEqual([]);
  });

  it('refuses a source that is not DICOM, saying why', () => {
    const nifti = { ...ct, header: { ...ct.header, metadata: { ...ct.header.metadata, sopInstanceUids: undefined } } };
    expect(() => writeMeasurementReport(nifti, MEASUREMENTS)).toThrow(VoxsegError);
    expect(() => writeMeasurementReport(nifti, MEASUREMENTS)).toThrow(/not a DICOM series/);
  });
});

if (!hasPydicom) it.skip(`measurement report SR [skipped: ${python} cannot import pydicom and numpy]`, () => {});
