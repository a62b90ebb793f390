/**
 * HTJ2K (1.2.840.10008.1.2.4.201/.202/.203) through @cornerstonejs/codec-openjph, on generated
 * series: 12-bit unsigned encoded by OpenJPH's own command-line encoder (ojph_compress), and
 * 16-bit signed (negative values) encoded with the codec's encoder and checked with OpenJPEG's
 * opj_decompress (an independent decoder) before it is used. Every series must load to exactly
 * the voxels of the native series it was made from.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCodec } from '../../../../src/io/dicom/decode/codecs';
import { firstDifference, generate, hasTools, loadFolder, readNpy, tempDir } from './decode-fixtures';

const missing = hasTools('ojph_compress', 'opj_decompress');
const suite = missing ? describe.skip : describe;

interface Encoder {
  getDecodedBuffer(info: object): Uint8Array;
  setQuality(lossless: boolean, step: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}

/** Encode the generator's raw s16 slices with the codec's own (lossless) encoder. */
async function encodeSigned(out: string): Promise<void> {
  const codec = (await loadCodec('openjph')) as unknown as { HTJ2KEncoder: new () => Encoder };
  for (let k = 0; k < 3; k++) {
    const raw = new Uint8Array(readFileSync(join(out, `s16-${k}.raw`)));
    const enc = new codec.HTJ2KEncoder();
    const info = { width: 64, height: 48, bitsPerSample: 16, componentCount: 1, isSigned: true };
    enc.getDecodedBuffer({ ...info, isUsingColorTransform: false }).set(raw);
    enc.setQuality(true, 0);
    enc.encode();
    writeFileSync(join(out, `s16-${k}.j2c`), enc.getEncodedBuffer().slice());
    enc.delete();
  }
}

suite(`HTJ2K series decode to the native pixels${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let out = '';
  beforeAll(async () => {
    out = tempDir('htj2k');
    generate('htj2k', out);
    await encodeSigned(out);
    generate('htj2k-wrap', out); // fails if opj_decompress disagrees with the source
  }, 60_000);

  const cases = [
    ['u12', '201'],
    ['u12', '202'],
    ['u12', '203'],
    ['s16', '201'],
    ['s16', '203'],
  ] as const;
  for (const [kind, syntax] of cases) {
    it(`${kind} 1.2.840.10008.1.2.4.${syntax}`, async () => {
      const ref = readNpy(join(out, `ref-${kind}.npy`));
      const native = await loadFolder(join(out, `${kind}-native`));
      const ht = await loadFolder(join(out, `${kind}-${syntax}`));
      expect(ht.warnings).toEqual([]);
      expect(ht.volume.header.dims).toEqual([64, 48, 3]);
      // The native series is the source: same voxels, and both equal the generator's arrays.
      expect(firstDifference(native.volume.voxels, ref.data)).toBe(-1);
      expect(firstDifference(ht.volume.voxels, native.volume.voxels)).toBe(-1);
      if (kind === 's16') expect(Math.min(...Array.from(ht.volume.voxels))).toBe(-2048);
    });
  }
});
