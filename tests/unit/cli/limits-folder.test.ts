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
