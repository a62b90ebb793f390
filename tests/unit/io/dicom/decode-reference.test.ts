/**
 * Every DICOM file of the shared public test sets (../shared/data/dicom/debian INDEX.tsv: pydicom
 * and nibabel test files; mosaic-9-transfer-syntaxes) through scan + load, and each frame's
 * decoded pixels (the loader's own frame extraction) against an independent reference decode (./decode_reference.py: pydicom's
 * pixel_array, or gdcmconv / dcmdjpeg to native then pydicom where pydicom has no handler).
 * Prints the table (file, syntax, result) and asserts: every file loads or is refused with a
 * reason; every file the reference decodes has identical stored values, except lossy 8-bit JPEG,
 * where decoders may differ by IDCT/upsampling rounding (asserted within the tolerance below).
 * Skipped without the shared data or without /usr/bin/python3 + pydicom.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { pathSource } from '../../../../src/cli/node-files';
import { decodeFrame, transferSyntaxName } from '../../../../src/io/dicom/decode';
import { openFrames } from '../../../../src/io/dicom/pixeldata';
import { scanFile } from '../../../../src/io/dicom/scanfile';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { describeShared, sharedPath } from '../../helpers/shared';
import { hasTools, python, readNpy, tempDir } from './decode-fixtures';

const DEBIAN = 'dicom/debian';
const MOSAIC = 'dicom/mosaic-9-transfer-syntaxes/In';
const script = join(import.meta.dirname, 'decode_reference.py');
/** Lossy 8-bit JPEG baseline: libjpeg-turbo (ours) vs Pillow's libjpeg may round differently. */
const LOSSY_TOLERANCE = 2;
/**
 * Files where the reference is knowingly not followed (the test checks they still differ, so an
 * entry cannot outlive its reason). The lossless original is ../SC_rgb_rle.dcm.
 */
const DIFFERENT: Record<string, string> = {
  'debian/pydicom_test_files/SC_rgb_jpeg_lossy_gdcm.dcm':
    'PhotometricInterpretation RGB, but the JPEG stream is YCbCr (component ids 1,2,3, no marker): pydicom, gdcmconv and dcmdjpeg return the YCbCr values; we convert to RGB, which matches the lossless original (decode-real.test.ts)',
};

function files(): string[] {
  const rows = readFileSync(sharedPath(DEBIAN, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1);
  const dicom = rows
    .map((l) => l.split('\t'))
    .filter((c) => !/NIfTI|MGH|Analyze/.test(c[2]))
    .map((c) => join(sharedPath(DEBIAN), c[0]));
  const mosaic = readdirSync(sharedPath(MOSAIC)).map((f) => join(sharedPath(MOSAIC), f));
  return [...dicom, ...mosaic.sort()];
}

/** Every frame decoded by the loader's own frame extraction (scanFile + openFrames) and decodeFrame. */
async function ourFrames(path: string, name: string): Promise<{ ts: string; frames: ArrayLike<number>[] }> {
  const file = pathSource(path, statSync(path).size, name);
  const scan = await scanFile(file);
  if (!scan.header) throw new Error(scan.reason);
  const src = await openFrames(file, scan.header);
  const out: ArrayLike<number>[] = [];
  for (let i = 0; i < scan.header.numberOfFrames; i++) out.push(await decodeFrame(await src.frame(i), src.info(i)));
  return { ts: scan.header.transferSyntaxUid, frames: out };
}

interface Row {
  file: string;
  syntax: string;
  result: string;
}

describeShared(DEBIAN, 'every public test file: load or refuse; pixels against the reference decode', () => {
  const missing = hasTools();
  it.skipIf(!!missing)(`table${missing ? ` [skipped: ${missing}]` : ''}`, { timeout: 240_000 }, async () => {
    const list = files();
    const out = tempDir('decode-ref');
    const r = spawnSync(python, [script, out, ...list], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const refs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; via: string | null; error: string | null });
    const rows: Row[] = [];
    const indexSyntax = new Map(
      readFileSync(sharedPath(DEBIAN, 'INDEX.tsv'), 'utf8')
        .split('\n')
        .map((l) => l.split('\t'))
        .map((c): [string, string] => [`debian/${c[0]}`, c[2]]),
    );
    const failures: string[] = [];
    for (const [i, path] of list.entries()) {
      const name = path.slice(path.indexOf('/dicom/') + 7);
      const scan = await scanFiles([pathSource(path, readFileSync(path).length, name)]);
      let syntax = '';
      let result: string;
      if (scan.rejected.length) {
        result = `refused: ${scan.rejected[0].reason}`;
        expect(scan.rejected[0].reason.length, name).toBeGreaterThan(5);
      } else {
        try {
          for (const s of scan.series) await loadSeries(s);
          result = 'loads';
        } catch (e) {
          // a named refusal at load (the decoder's checks): must name the file
          result = `refused at load: ${(e as Error).message.replace(`${name}: `, '')}`;
          if (!(e as Error).message.includes(name)) failures.push(`${name}: load error without the file name`);
        }
        const ref = refs[i];
        if (ref.error) result += `; reference cannot decode (${ref.error.slice(0, 60)})`;
        else {
          const ours = await ourFrames(path, name);
          syntax = transferSyntaxName(ours.ts);
          const want = readNpy(join(out, `${i}.npy`)).data;
          const got = ours.frames.flatMap((f) => Array.from(f));
          let max = 0;
          let count = 0;
          for (let j = 0; j < got.length; j++) {
            const d = Math.abs(got[j] - want[j]);
            if (d) count++;
            if (d > max) max = d;
          }
          if (got.length !== want.length) {
            result += `; ${got.length} samples vs reference ${want.length}`;
            failures.push(`${name}: sample count`);
          } else if (DIFFERENT[name]) {
            result += `; differs from ${ref.via} on purpose (max |d| ${max}): ${DIFFERENT[name]}`;
            if (max === 0) failures.push(`${name}: expected to differ from the reference`);
          } else if (max === 0) result += `; pixels identical to ${ref.via}`;
          else {
            result += `; differs from ${ref.via}: max |d| ${max} on ${count}/${got.length} samples`;
            const lossy = /JPEG Baseline|JPEG Extended/.test(syntax);
            if (!lossy || max > LOSSY_TOLERANCE) failures.push(`${name}: ${result}`);
          }
        }
      }
      syntax ||= indexSyntax.get(name) ?? '';
      rows.push({ file: name, syntax, result });
    }
    console.log(rows.map((x) => `| ${x.file} | ${x.syntax} | ${x.result} |`).join('\n'));
    expect(failures).toEqual([]);
  });
});
