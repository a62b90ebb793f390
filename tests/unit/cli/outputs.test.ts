/**
 * What the CLI leaves behind and prints on hostile ground: a write that fails part-way (here the
 * file-size limit of the process, as on a full disk) leaves the earlier output byte-identical and
 * no temporary file; control characters from files (a file name with an escape sequence and a
 * bell) reach the terminal escaped; a manifest naming a file outside its model folder is refused
 * before anything is read; named pipes and devices are refused up front instead of blocking.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../../../src/cli/util';
import { voxseg, voxsegWithFileLimit } from './run';
import { repoRoot } from '../helpers/shared';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'voxseg-outputs-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CLI outputs', () => {
  it('a write that fails part-way leaves the earlier output byte-identical and no temporary file', () => {
    const small = join(tmp, 'small');
    const big = join(tmp, 'big');
    expect(voxseg(['phantom', '-o', small, '--format', 'nifti', '--dims', '24,24,12']).code).toBe(0);
    expect(voxseg(['phantom', '-o', big, '--format', 'nifti', '--dims', '96,96,48']).code).toBe(0);
    const out = join(tmp, 'out', 'ct.nii');
    expect(voxseg(['convert', join(small, 'ct.nii.gz'), '-o', out]).code).toBe(0);
    const before = readFileSync(out);
    expect(before.length).toBeLessThan(64 * 1024);

    // 96×96×48 int16 is 864 KiB uncompressed: more than the 256 KiB the process may write.
    const failed = voxsegWithFileLimit(256, ['convert', join(big, 'ct.nii.gz'), '-o', out]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(out);
    expect(failed.stderr).toMatch(/cannot write file \(EFBIG\)/);
    expect(failed.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(join(tmp, 'out'))).toEqual(['ct.nii']);

    // Without the limit the same command replaces the file.
    expect(voxseg(['convert', join(big, 'ct.nii.gz'), '-o', out]).code).toBe(0);
    expect(readFileSync(out).length).toBeGreaterThan(864 * 1024);
    expect(readdirSync(join(tmp, 'out'))).toEqual(['ct.nii']);
  });

  it('control characters from files reach the terminal escaped', () => {
    expect(terminalSafe('a\x1b[2Jb\x07c\x9bd\x7f')).toBe('a\\u001b[2Jb\\u0007c\\u009bd\\u007f');
    expect(terminalSafe('line\n\tcol\rprogress é 日本')).toBe('line\n\tcol\rprogress é 日本');

    const dir = join(tmp, 'evil');
    expect(voxseg(['phantom', '-o', dir, '--format', 'nifti', '--dims', '16,16,8']).code).toBe(0);
    copyFileSync(join(dir, 'ct.nii.gz'), join(dir, 'x\x1b[2J\x07.nii.gz'));
    const text = voxseg(['info', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('x\\u001b[2J\\u0007.nii.gz');
    expect(text.stdout).not.toMatch(/[\x1b\x07]/);
    const json = voxseg(['info', '--json', dir]);
    const uids = JSON.parse(json.stdout).series.map((s: { uid: string }) => s.uid);
    expect(uids).toContain(join(dir, 'x\x1b[2J\x07.nii.gz')); // JSON keeps the real name
  });

  it('a manifest naming a model file outside its folder is refused before it is read', () => {
    const model = join(tmp, 'models', 'hostile');
    mkdirSync(model, { recursive: true });
    const secret = join(tmp, 'models', 'secret.onnx');
    writeFileSync(secret, 'not for the model');
    const manifest = JSON.parse(
      readFileSync(join(repoRoot, 'tests/fixtures/models/meshnet-gwm.manifest.json'), 'utf8'),
    );
    manifest.model.file = '../secret.onnx';
    writeFileSync(join(model, 'manifest.json'), JSON.stringify(manifest));
    const dir = join(tmp, 'in');
    expect(voxseg(['phantom', '-o', dir, '--format', 'nifti', '--dims', '16,16,8']).code).toBe(0);
    const r = voxseg(['segment', join(dir, 'ct.nii.gz'), '-m', model, '-o', join(tmp, 'seg.nii.gz')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(model, 'manifest.json'));
    expect(r.stderr).toMatch(/model\.file: must be a file inside the model folder/);
    expect(r.stderr).not.toMatch(/sha256|\n\s+at /);
  });

  it('named pipes and devices are refused up front, naming the file, instead of blocking', () => {
    const fifo = join(tmp, 'pipe.nii.gz');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const info = voxseg(['info', fifo]);
    expect(info.code).toBe(1);
    expect(info.stderr).toContain(`${fifo}: is a named pipe, not a regular file or folder`);

    const mesh = voxseg(['mesh', fifo, '-o', join(tmp, 'm.stl')]);
    expect(mesh.code).toBe(1);
    expect(mesh.stderr).toContain(`${fifo}: is a named pipe, not a regular file`);

    const model = join(tmp, 'models', 'piped');
    mkdirSync(model, { recursive: true });
    expect(spawnSync('mkfifo', [join(model, 'manifest.json')]).status).toBe(0);
    const dir = join(tmp, 'in2');
    expect(voxseg(['phantom', '-o', dir, '--format', 'nifti', '--dims', '16,16,8']).code).toBe(0);
    const seg = voxseg(['segment', join(dir, 'ct.nii.gz'), '-m', model, '-o', join(tmp, 's.nii.gz')]);
    expect(seg.code).toBe(1);
    expect(seg.stderr).toContain(`${join(model, 'manifest.json')}: is a named pipe`);

    const fixtureModel = join(repoRoot, 'tests/fixtures/models/meshnet-gwm.manifest.json');
    const zero = voxseg([
      'segment',
      join(dir, 'ct.nii.gz'),
      '-m',
      fixtureModel,
      '--onnx',
      '/dev/zero',
      '-o',
      join(tmp, 'z.nii.gz'),
    ]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('/dev/zero: is a device, not a regular file');
    for (const r of [info, mesh, seg, zero]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
