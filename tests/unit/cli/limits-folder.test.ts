/**
 * Multi-file outputs are atomic as a folder: `phantom --format dicom` writes the series into a
 * temporary sibling folder and renames it into place when complete. Under a file-size limit (as
 * on a full disk) the write fails, the earlier series stays byte-identical and no temporary
 * folder is left; without the limit the same command replaces it whole.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voxseg, voxsegWithFileLimit } from './run';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'voxseg-folder-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => [n, readFileSync(join(dir, n)).toString('base64')]),
  );

describe('phantom DICOM folder', () => {
  it('a failed write leaves the earlier series intact; a complete one replaces it whole', () => {
    const out = join(tmp, 'study');
    expect(voxseg(['phantom', '-o', out, '--dims', '32,32,6', '--seed', '1']).code).toBe(0);
    const ct = join(out, 'ct');
    const before = snapshot(ct);
    expect(Object.keys(before)).toHaveLength(6);

    // 128x128 int16 slices are 32 KiB each: more than the 16 KiB a file may have
    const failed = voxsegWithFileLimit(16, ['phantom', '-o', out, '--dims', '128,128,10', '--seed', '2', '--force']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`${ct}: cannot write folder (EFBIG); the earlier output is kept`);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(ct)).toEqual(before);
    expect(readdirSync(out)).toEqual(['ct']); // no temporary folder left

    const ok = voxseg(['phantom', '-o', out, '--dims', '48,48,10', '--seed', '2', '--force']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(Object.keys(snapshot(ct))).toHaveLength(10);
    expect(readdirSync(out)).toEqual(['ct']);
  });
});

describe('mesh files of one run', () => {
  it('are replaced all together or not at all: a failure part-way leaves every earlier mesh as it was', () => {
    const src = join(tmp, 'phantom');
    expect(voxseg(['phantom', '-o', src, '--format', 'nifti', '--labels', '--dims', '48,48,24']).code).toBe(0);
    const out = join(tmp, 'meshes');
    const first = voxseg(['mesh', join(src, 'labels.nii.gz'), '-o', out, '--smooth', '0']);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshot(out);
    // Written in label order; smoothing moves vertices but keeps the triangle count (the size).
    const names = first.stdout.match(/\S+\.stl/g)!.map((p) => p.split('/').pop()!);
    const sizes = names.map((n) => Buffer.from(before[n], 'base64').length);
    const j = sizes.findIndex((s, k) => k > 0 && Math.min(...sizes.slice(0, k)) < Math.floor(s / 1024) * 1024);
    expect(j, `sizes ${sizes.join(', ')}`).toBeGreaterThan(0);
    const limitKib = Math.floor(sizes[j] / 1024); // an earlier mesh fits, mesh j does not

    const failed = voxsegWithFileLimit(limitKib, ['mesh', join(src, 'labels.nii.gz'), '-o', out]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/cannot write file \(EFBIG\); the earlier output is kept/);
    expect(snapshot(out)).toEqual(before);

    const ok = voxseg(['mesh', join(src, 'labels.nii.gz'), '-o', out]);
    expect(ok.code, ok.stderr).toBe(0);
    const after = snapshot(out);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(names.filter((n) => after[n] !== before[n]).length).toBe(names.length);
  });
});
