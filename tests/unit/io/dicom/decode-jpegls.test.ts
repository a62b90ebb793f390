/**
 * JPEG-LS colour layouts and signed samples, on streams made here with CharLS's encoder (the full
 * build of @cornerstonejs/codec-charls; voxseg itself loads only the decode-only build).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, type FrameInfo } from '../../../../src/io/dicom/decode';

interface Encoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number }): Uint8Array;
  setInterleaveMode(mode: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}
let charls: { JpegLSEncoder: new () => Encoder };

beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const factory = (await import('@cornerstonejs/codec-charls/wasmjs' as string)).default;
  const wasmBinary = readFileSync(require.resolve('@cornerstonejs/codec-charls/wasm'));
  charls = await factory({ wasmBinary, print() {}, printErr() {} });
});

function encode(
  samples: Uint8Array,
  width: number,
  height: number,
  bitsPerSample: number,
  componentCount: number,
  interleaveMode: number,
): Uint8Array {
  const enc = new charls.JpegLSEncoder();
  try {
    enc.getDecodedBuffer({ width, height, bitsPerSample, componentCount }).set(samples);
    enc.setInterleaveMode(interleaveMode);
    enc.encode();
    return enc.getEncodedBuffer().slice();
  } finally {
    enc.delete();
  }
}

const info = (over: Partial<FrameInfo>): FrameInfo => ({
  transferSyntaxUid: '1.2.840.10008.1.2.4.80',
  rows: 2,
  columns: 3,
  bitsAllocated: 8,
  bitsStored: 8,
  pixelRepresentation: 0,
  samplesPerPixel: 1,
  planarConfiguration: 0,
  photometricInterpretation: 'MONOCHROME2',
  ...over,
});

describe('JPEG-LS', () => {
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
  // the same 6 pixels as colour planes R..., G..., B...
  const planes = [0, 1, 2].flatMap((s) => [0, 1, 2, 3, 4, 5].map((p) => rgb[p * 3 + s]));

  it('returns interleaved RGB whatever the stream interleave mode (none, line, sample)', async () => {
    const colour = info({ samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    const none = await decodeFrame(encode(new Uint8Array(planes), 3, 2, 8, 3, 0), colour);
    expect(Array.from(none)).toEqual(rgb);
    for (const mode of [1, 2]) {
      const out = await decodeFrame(encode(new Uint8Array(rgb), 3, 2, 8, 3, mode), colour);
      expect(Array.from(out), `interleave mode ${mode}`).toEqual(rgb);
    }
  });

  it('sign-extends signed 12-bit samples and widens 8-bit samples to 16-bit containers', async () => {
    const stored = new Uint16Array([0xfff, 0x800, 0x7ff, 0, 1, 0xc00]);
    const stream = encode(new Uint8Array(stored.buffer), 3, 2, 12, 1, 0);
    const out = await decodeFrame(stream, info({ bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1 }));
    expect(out).toBeInstanceOf(Int16Array);
    expect(Array.from(out)).toEqual([-1, -2048, 2047, 0, 1, -1024]);
    const small = encode(new Uint8Array([0, 1, 2, 200, 254, 255]), 3, 2, 8, 1, 0);
    const wide = await decodeFrame(small, info({ bitsAllocated: 16, bitsStored: 8 }));
    expect(wide).toBeInstanceOf(Uint16Array);
    expect(Array.from(wide)).toEqual([0, 1, 2, 200, 254, 255]);
  });

  it('rejects a frame whose size disagrees with the dataset', async () => {
    const stream = encode(new Uint8Array(6), 3, 2, 8, 1, 0);
    await expect(decodeFrame(stream, info({ rows: 3 }))).rejects.toMatchObject({
      code: 'decode-failed',
      message: expect.stringMatching(/3x2.*3x3/),
    });
  });
});
