/** The real CLI (`node bin/voxseg.js`): exit codes 0/1/2, JSON shape, messages naming the file. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../../src/io/nifti/index';
import { createVolume } from '../../../src/volume/volume';
import { describeShared, sharedPath } from '../helpers/shared';
import { readNiftiFile, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('voxseg CLI basics', () => {
  it('usage: no command -> 2, --help -> 0, unknown command -> 2, --version -> 0', () => {
    const none = voxseg([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/Usage: voxseg <command>/);
    expect(voxseg(['--help']).code).toBe(0);
    const unknown = voxseg(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(voxseg(['--version']).stdout).toMatch(/^voxseg \d+\.\d+\.\d+/);
  });

  it('each command has --help; bad options are usage errors (exit 2)', () => {
    for (const cmd of ['info', 'convert', 'phantom']) {
      const r = voxseg([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: voxseg ${cmd}`));
    }
    const bad = voxseg(['info', '--bogus', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bogus/);
    expect(voxseg(['info']).code).toBe(2);
    expect(voxseg(['convert', 'x.nii']).code).toBe(2); // no -o
    expect(voxseg(['convert', 'x.nii', '-o', 'out.txt']).stderr).toMatch(/must end in \.nii or \.nii\.gz/);
    expect(voxseg(['phantom', '-o', join(tmp, 'p0'), '--dims', '10,10']).code).toBe(2);
    expect(voxseg(['phantom', '-o', join(tmp, 'p0'), '--format', 'png']).code).toBe(2);
  });

  it('bad input -> exit 1 with the file and the cause, no stack trace', () => {
    const missing = voxseg(['info', join(tmp, 'nope.nii')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.nii: no such file or folder/);
    noStack(missing.stderr);

    const vol = createVolume({ dims: [4, 4, 4], voxels: new Int16Array(64) });
    const cut = join(tmp, 'cut.nii');
    writeFileSync(cut, writeNifti(vol).subarray(0, 352 + 100));
    const conv = voxseg(['convert', cut, '-o', join(tmp, 'o.nii.gz')]);
    expect(conv.code).toBe(1);
    expect(conv.stderr).toMatch(/cut\.nii: truncated data: expected 128 bytes .* got 100/);
    noStack(conv.stderr);

    const info = voxseg(['info', '--json', cut]);
    expect(info.code).toBe(1);
    expect(JSON.parse(info.stdout)).toEqual({
      series: [],
      rejected: [{ file: cut, reason: expect.stringMatching(/truncated data/) }],
    });

    const junk = join(tmp, 'junk.nii.gz');
    writeFileSync(junk, new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    const j = voxseg(['convert', junk, '-o', join(tmp, 'o.nii')]);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/junk\.nii\.gz: .*gzip/);
  });
});

describe('voxseg phantom / info / convert', () => {
  const dir = join(tmp, 'ph');
  it('phantom writes a DICOM series, labels.nii.gz and labels.json; info lists them (works from any cwd)', () => {
    const r = voxseg(['phantom', '-o', dir, '--seed', '2', '--dims', '64,64,12', '--labels'], { cwd: tmpdir() });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'ct'))).toHaveLength(12);
    const table = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8'));
    expect(table.map((l: { name: string }) => l.name)).toContain('liver');

    const info = voxseg(['info', dir, '--json'], { cwd: tmpdir() });
    expect(info.code, info.stderr).toBe(0);
    const json = JSON.parse(info.stdout);
    expect(Object.keys(json)).toEqual(['series', 'rejected']);
    expect(json.series).toHaveLength(2);
    const [ct, lab] = json.series;
    expect(Object.keys(ct)).toEqual([
      'uid',
      'modality',
      'description',
      'files',
      'dims',
      'spacing',
      'origin',
      'direction',
      'dtype',
      'warnings',
      'errors',
    ]);
    expect(ct).toMatchObject({
      modality: 'CT',
      files: 12,
      dims: [64, 64, 12],
      dtype: 'int16',
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      errors: [],
    });
    expect(ct.spacing.map((s: number) => +s.toFixed(4))).toEqual([0.9, 0.9, 2.5]);
    expect(lab).toMatchObject({ files: 1, dims: [64, 64, 12], dtype: 'uint8' });
    expect(json.rejected).toEqual([{ file: join(dir, 'labels.json'), reason: expect.any(String) }]);

    const human = voxseg(['info', dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/DICOM\s+CT\s+12\s+64x64x12/);
  });

  it('convert: several series need --series (exit 2 listing them); by index or UID works', () => {
    const several = voxseg(['convert', dir, '-o', join(tmp, 'x.nii.gz')]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/found 2 series .*--series/);
    expect(several.stderr).toMatch(/64x64x12/);
    expect(voxseg(['convert', dir, '-o', join(tmp, 'x.nii.gz'), '--series', '7']).code).toBe(2);

    const out = join(tmp, 'ct.nii.gz');
    const ok = voxseg(['convert', dir, '-o', out, '--series', '0']);
    expect(ok.code, ok.stderr).toBe(0);
    const ct = readNiftiFile(out);
    expect(ct.header.dims).toEqual([64, 64, 12]);
    expect(ct.header.dtype).toBe('int16');

    const uid = JSON.parse(voxseg(['info', dir, '--json']).stdout).series[1].uid;
    const lab = voxseg(['convert', dir, '-o', join(tmp, 'lab.nii'), '--series', uid]);
    expect(lab.code, lab.stderr).toBe(0);
    expect(readNiftiFile(join(tmp, 'lab.nii')).header.dtype).toBe('uint8');
  });

  it('phantom refuses a non-empty DICOM folder unless --force; nifti format writes ct.nii.gz', () => {
    const again = voxseg(['phantom', '-o', dir, '--dims', '32,32,4']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/not empty/);
    const forced = voxseg(['phantom', '-o', dir, '--dims', '32,32,4', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(join(dir, 'ct'))).toHaveLength(4);
    const nd = join(tmp, 'nifti');
    mkdirSync(nd);
    expect(voxseg(['phantom', '-o', nd, '--format', 'nifti', '--dims', '32,32,4', '--labels']).code).toBe(0);
    expect(existsSync(join(nd, 'ct.nii.gz')) && existsSync(join(nd, 'labels.nii.gz'))).toBe(true);
    expect(readNiftiFile(join(nd, 'ct.nii.gz')).header.dims).toEqual([32, 32, 4]);
  });
});

describeShared('nifti/mr/t1_crop.nii.gz', 'voxseg info/convert on a shared NIfTI', () => {
  it('info --json reports dims, spacing and the LPS direction; convert re-writes it losslessly', () => {
    const f = sharedPath('nifti/mr/t1_crop.nii.gz');
    const r = voxseg(['info', '--json', f]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).series[0];
    expect(s).toMatchObject({ uid: f, files: 1, dims: [256, 256, 256], spacing: [1, 1, 1], dtype: 'uint8' });
    expect(s.direction).toHaveLength(9);
    const out = join(tmp, 't1.nii');
    expect(voxseg(['convert', f, '-o', out]).code).toBe(0);
    const a = readNiftiFile(f);
    const b = readNiftiFile(out);
    expect(b.header.direction).toEqual(a.header.direction);
    expect(Buffer.from(b.voxels.buffer).equals(Buffer.from(a.voxels.buffer))).toBe(true);
  });
});
