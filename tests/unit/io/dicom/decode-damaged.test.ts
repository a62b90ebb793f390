/**
 * Trust nothing silently: a JPEG 2000 frame whose codestream's second half is zeroed (OpenJPEG
 * decodes it to plausible garbage without an error) must fail for that slice with a warning that
 * names the file and the cause, the other slices intact. On a generated series (opj_compress) and
 * on a slice of the shared real CT (skipped without it); the same for generated 12-bit JPEG and
 * JPEG Lossless series (dcmcjpeg). Also the J2K structural checker directly.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { decodeFrame, type FrameInfo } from '../../../../src/io/dicom/decode';
import { checkJ2kStructure } from '../../../../src/io/dicom/decode/j2k-structure';
import { describeShared, sharedPath } from '../../helpers/shared';
import { firstDifference, generate, hasTools, loadFolder, readNpy, tempDir } from './decode-fixtures';

const missing = hasTools('opj_compress');
const suite = missing ? describe.skip : describe;

suite(`generated J2K series with a damaged slice${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  it('decodes the whole series exactly and refuses the zeroed slice with a named warning', async () => {
    const out = tempDir('j2k-damaged');
    generate('j2k', out);
    const ref = readNpy(join(out, 'ref-j2k.npy'));
    const whole = await loadFolder(join(out, 'j2k-whole'));
    expect(whole.warnings).toEqual([]);
    expect(firstDifference(whole.volume.voxels, ref.data)).toBe(-1);

    const damaged = await loadFolder(join(out, 'j2k-damaged'));
    const slice = 80 * 64;
    const w = damaged.warnings.join('\n');
    expect(w).toMatch(
      /slice1\.dcm: .*JPEG 2000 codestream is damaged or truncated: .*(EOC marker is missing|zero bytes in a row)/,
    );
    expect(w).toMatch(/left empty/);
    const v = damaged.volume.voxels;
    // slices 0 and 2 are intact; slice 1 is filled with the volume minimum, not garbage
    expect(firstDifference(v.subarray(0, slice), Array.from(ref.data).slice(0, slice))).toBe(-1);
    expect(firstDifference(v.subarray(2 * slice), Array.from(ref.data).slice(2 * slice))).toBe(-1);
    expect(new Set(v.subarray(slice, 2 * slice)).size).toBe(1);
  });

  it('refuses a codestream whose size or bit depth disagrees with the dataset', async () => {
    const out = tempDir('j2k-header');
    generate('j2k', out);
    const bytes = new Uint8Array(readFileSync(join(out, 'j2k-whole', 'slice0.dcm')));
    const ds = dicomParser.parseDicom(bytes);
    const el = ds.elements.x7fe00010;
    const stream = dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length);
    const info: FrameInfo = {
      transferSyntaxUid: '1.2.840.10008.1.2.4.90',
      rows: 64,
      columns: 80,
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 0,
      samplesPerPixel: 1,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
    };
    expect((await decodeFrame(stream, info)).length).toBe(80 * 64);
    await expect(decodeFrame(stream, { ...info, rows: 32 })).rejects.toThrow(
      /codestream is 80x64 .* dataset says 80x32/,
    );
    await expect(decodeFrame(stream, { ...info, bitsAllocated: 8, bitsStored: 8 })).rejects.toThrow(
      /12-bit samples, but the dataset says BitsAllocated 8/,
    );
  });
});

const missingJpeg = hasTools('dcmcjpeg', 'dcmdjpeg');
(missingJpeg ? describe.skip : describe)(
  `JPEG frames with a zeroed second half${missingJpeg ? ` [skipped: ${missingJpeg}]` : ''}`,
  () => {
    it('12-bit JPEG Extended and JPEG Lossless: refused for that slice, never decoded', async () => {
      const out = tempDir('jpeg-damaged');
      generate('jpeg12', out);
      for (const [folder, cause] of [
        ['jpeg12', /entropy-coded data are left after the last block/],
        ['jpegll', /JPEG Lossless frame is truncated or damaged: .*EOI/],
      ] as const) {
        const whole = await loadFolder(join(out, folder));
        expect(whole.warnings, folder).toEqual([]);
        zeroSecondHalf(join(out, folder, 'slice1.dcm'));
        const { warnings } = await loadFolder(join(out, folder));
        expect(warnings.join('\n'), folder).toMatch(new RegExp(`slice1\\.dcm: .*${cause.source}.*left empty`));
      }
    });
  },
);

/** Zero the second half of a DICOM file's (single) pixel data fragment, in place. */
function zeroSecondHalf(path: string, keepEoc = false): void {
  const bytes = new Uint8Array(readFileSync(path));
  const frag = dicomParser.parseDicom(bytes).elements.x7fe00010.fragments![0];
  let end = frag.position + frag.length;
  if (keepEoc) while (bytes[end - 2] !== 0xff || bytes[end - 1] !== 0xd9) end--;
  bytes.fill(0, frag.position + Math.ceil(frag.length / 2), keepEoc ? end - 2 : end);
  writeFileSync(path, bytes);
}

describe('checkJ2kStructure', () => {
  // SOC, SIZ (1 component 8x4, 12-bit unsigned), one tile-part of 20 bytes (SOT + SOD + 6 data), EOC
  const siz = [0xff, 0x51, 0, 41, 0, 0, 0, 0, 0, 8, 0, 0, 0, 4, ...Array(8).fill(0), 0, 0, 0, 8, 0, 0, 0, 4];
  const stream = new Uint8Array([
    0xff,
    0x4f,
    ...siz,
    ...Array(8).fill(0),
    0,
    1,
    11,
    1,
    1,
    0xff,
    0x90,
    0,
    10,
    0,
    0,
    0,
    0,
    0,
    20,
    0,
    1,
    0xff,
    0x93,
    1,
    2,
    3,
    4,
    5,
    6,
    0xff,
    0xd9,
  ]);
  it('accepts a whole codestream (and zero padding after EOC) and reads SIZ', () => {
    expect(checkJ2kStructure(stream, 'J2K')).toEqual({
      width: 8,
      height: 4,
      components: 1,
      precision: 12,
      signed: false,
    });
    expect(checkJ2kStructure(new Uint8Array([...stream, 0]), 'J2K')).toBeDefined();
  });
  it('refuses a missing EOC, a short tile-part, a lost SOT and bytes after EOC', () => {
    const cut = stream.slice(0, stream.length - 2);
    expect(() => checkJ2kStructure(new Uint8Array([...cut, 0, 0]), 'J2K')).toThrow(/EOC marker is missing/);
    expect(() => checkJ2kStructure(stream.slice(0, stream.length - 6), 'J2K')).toThrow(/declares 20 bytes/);
    const noSot = stream.slice();
    noSot.fill(0, 59);
    expect(() => checkJ2kStructure(noSot, 'J2K')).toThrow(/damaged or truncated/);
    expect(() => checkJ2kStructure(new Uint8Array([...stream, 7]), 'J2K')).toThrow(/follow the EOC/);
  });
  it('refuses a tile-part whose coded data holds a long run of zero bytes (EOC and lengths intact)', () => {
    const sot = stream.findIndex((b, i) => b === 0xff && stream[i + 1] === 0x90);
    const withData = (data: number[]) => {
      const psot = 14 + data.length;
      const len = [psot >>> 24, (psot >>> 16) & 0xff, (psot >>> 8) & 0xff, psot & 0xff];
      const tile = [0xff, 0x90, 0, 10, 0, 0, ...len, 0, 1, 0xff, 0x93, ...data];
      return new Uint8Array([...stream.slice(0, sot), ...tile, 0xff, 0xd9]);
    };
    const coded = Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 251);
    expect(checkJ2kStructure(withData(coded), 'J2K')).toBeDefined();
    // empty packets are single zero bytes: hundreds in a row are still valid
    expect(checkJ2kStructure(withData([...coded.slice(0, 100), ...Array(600).fill(0), 5]), 'J2K')).toBeDefined();
    const zeroed = coded.map((v, i) => (i >= 1500 ? 0 : v));
    expect(() => checkJ2kStructure(withData(zeroed), 'J2K')).toThrow(/tile-part 1 holds 1500 zero bytes in a row/);
  });
});

const CT = 'dicom/ct-abdomen-j2k';
describeShared(CT, 'real CT slice (JPEG 2000) with the second half of its codestream zeroed', () => {
  it('is refused for that slice, naming the file', async () => {
    const dir = tempDir('ct-j2k');
    const files = readdirSync(sharedPath(CT))
      .filter((f) => f.startsWith('CT.'))
      .sort()
      .slice(0, 3);
    for (const f of files) copyFileSync(sharedPath(CT, f), join(dir, f));
    zeroSecondHalf(join(dir, files[1]));
    zeroSecondHalf(join(dir, files[2]), true);
    const { warnings } = await loadFolder(dir);
    const w = warnings.join('\n');
    expect(w).toContain(files[1]);
    expect(w).toMatch(/damaged or truncated/);
    // the EOC marker kept: the lengths still chain, the zero run gives it away
    expect(w).toMatch(new RegExp(`${files[2].replace(/\./g, '\\.')}: .*zero bytes in a row`));
  });
});
