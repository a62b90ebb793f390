/**
 * Table test over ../shared/data/dicom/debian/INDEX.tsv (pydicom + nibabel test files): every file,
 * scanned on its own, either loads into a volume of the expected size or is rejected with a
 * reason naming the cause; a load failure (decoder limits) must name the file and the cause.
 * Then the whole folder is dropped at once (many studies mixed) and every file is accounted for.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { listFiles } from '../../../../src/cli/node-files';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { describeShared, sharedPath } from '../../helpers/shared';

const DIR = 'dicom/debian';

interface Row {
  file: string;
  ts: string;
  sop: string;
  dims: string;
  note: string;
}

function readIndex(): Row[] {
  const lines = readFileSync(sharedPath(DIR, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const c = l.split('\t');
    return { file: c[0], ts: c[2], sop: c[4], dims: c[5], note: c[7] ?? '' };
  });
}

/** Files whose pixel data the decoder refuses: they must fail at load with file + cause. */
const DECODER_LIMITS: Record<string, RegExp> = {
  'pydicom_test_files/JPEG2000-embedded-sequence-delimiter.dcm': /JPEG 2000/, // codestream corrupted by the embedded delimiter
};

function expectRejected(row: Row): boolean {
  return (
    /no pixel data/.test(row.note) ||
    /Segmentation/.test(row.sop) ||
    /NIfTI|Analyze|MGH/.test(row.ts) ||
    /\?x\?/.test(row.dims) ||
    /truncated/.test(row.file) ||
    // NumberOfFrames "1A" (not a number) over 6000 bytes of 10x10 32-bit pixel data (15 frames):
    // the header contradicts the data, and pydicom cannot decode it either
    row.file === 'pydicom_test_files/badVR.dcm'
  );
}

describeShared(DIR, 'debian pydicom/nibabel test files', () => {
  it('each file loads with the indexed size or is rejected with a cause', async () => {
    const table: string[] = [];
    for (const row of readIndex()) {
      const path = sharedPath(DIR, row.file);
      const scan = await scanFiles(await listFiles([path]));
      let outcome: string;
      if (scan.rejected.length) {
        expect(scan.series).toEqual([]);
        const reason = scan.rejected[0].reason;
        expect(reason.length).toBeGreaterThan(8);
        expect(reason).not.toMatch(/undefined|\[object/);
        expect(expectRejected(row), `${row.file} was rejected: ${reason}`).toBe(true);
        outcome = `rejected  ${reason}`;
      } else {
        expect(scan.series, row.file).toHaveLength(1);
        expect(expectRejected(row), `${row.file} should have been rejected`).toBe(false);
        const s = scan.series[0];
        try {
          const { volume } = await loadSeries(s);
          expect(DECODER_LIMITS[row.file], `${row.file} loaded`).toBeUndefined();
          const [nx, ny, nz] = volume.header.dims;
          expect(volume.voxels.length).toBe(nx * ny * nz);
          const m = /^(\d+)x(\d+)x(\d+)/.exec(row.dims);
          if (m) {
            const [rows, cols, frames] = m.slice(1).map(Number);
            if (/MOSAIC/.test(row.note)) expect(nx * ny * nz).toBeLessThanOrEqual(rows * cols);
            else expect([ny, nx, nz], row.file).toEqual([rows, cols, frames]);
          }
          expect(volume.header.spacing.every((v) => v > 0)).toBe(true);
          outcome = `loaded    ${nx}x${ny}x${nz} ${volume.header.dtype}${s.warnings.length ? ` (${s.warnings.length} warning${s.warnings.length > 1 ? 's' : ''})` : ''}`;
        } catch (e) {
          const limit = DECODER_LIMITS[row.file];
          if (!limit) throw e;
          expect(e).toBeInstanceOf(VoxsegError);
          expect((e as VoxsegError).file).toBe(path);
          expect((e as Error).message).toMatch(limit);
          outcome = `load-fail ${(e as Error).message.slice(path.length + 2)}`;
        }
      }
      table.push(`${row.file.padEnd(62)} ${outcome}`);
    }
    console.log(table.join('\n'));
  });

  it('the whole folder in one drop: every file is loaded, rejected, or named as a duplicate', async () => {
    const files = await listFiles([sharedPath(DIR)]);
    const scan = await scanFiles(files);
    const inSeries = new Set(scan.series.flatMap((s) => s.files.map((f) => f.name)));
    const rejected = new Set(scan.rejected.map((r) => r.file));
    const warned = scan.series.flatMap((s) => s.warnings).join('\n');
    for (const f of files) {
      const ok = inSeries.has(f.name) || rejected.has(f.name) || warned.includes(f.name);
      expect(ok, f.name).toBe(true);
    }
    expect(new Set(scan.series.map((s) => s.uid)).size).toBe(scan.series.length);
    let loaded = 0;
    for (const s of scan.series) {
      try {
        await loadSeries(s);
        loaded++;
      } catch (e) {
        expect(e).toBeInstanceOf(VoxsegError);
        expect(Object.keys(DECODER_LIMITS).some((k) => (e as VoxsegError).file?.endsWith(k))).toBe(true);
      }
    }
    expect(loaded).toBeGreaterThan(15);
  });
});
