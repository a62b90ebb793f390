import { describe, expect, it } from 'vitest';
import { decodeFrame, type FrameInfo } from '../../../../src/io/dicom/decode';

const RLE = '1.2.840.10008.1.2.5';

function info(over: Partial<FrameInfo>): FrameInfo {
  return {
    transferSyntaxUid: RLE,
    rows: 1,
    columns: 4,
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    samplesPerPixel: 1,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    ...over,
  };
}

/**
 * An RLE frame: 64-byte header (uint32 LE segment count, then up to 15 uint32 LE offsets from the
 * frame start), then the PackBits segments, each padded to an even length.
 */
function rleFrame(...segments: number[][]): Uint8Array {
  const padded = segments.map((s) => (s.length % 2 ? [...s, 0] : s));
  const out = new Uint8Array(64 + padded.reduce((n, s) => n + s.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  padded.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    out.set(s, offset);
    offset += s.length;
  });
  return out;
}

describe('RLE lossless', () => {
  it('decodes an 8-bit grey frame (replicate + literal runs)', async () => {
    // 2x3 pixels 5 5 5 5 1 2:
    //   0xFD = -3 as int8 -> repeat the next byte (5) 1-(-3) = 4 times
    //   0x01 -> copy the next 1+1 = 2 bytes literally (1, 2)
    const frame = rleFrame([0xfd, 5, 0x01, 1, 2]);
    const out = await decodeFrame(frame, info({ rows: 2, columns: 3 }));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Array.from(out)).toEqual([5, 5, 5, 5, 1, 2]);
  });

  it('decodes 16-bit data from 2 segments, most significant byte first', async () => {
    // pixels 0x0102 0x0103 0xFFFF 0x0000
    // segment 1 = high bytes 01 01 FF 00: 0xFF (-1) repeats 01 twice, 0x01 copies FF 00
    // segment 2 = low bytes  02 03 FF 00: 0x03 copies 4 literal bytes
    const frame = rleFrame([0xff, 0x01, 0x01, 0xff, 0x00], [0x03, 0x02, 0x03, 0xff, 0x00]);
    const u = await decodeFrame(frame, info({ bitsAllocated: 16, bitsStored: 16 }));
    expect(u).toBeInstanceOf(Uint16Array);
    expect(Array.from(u)).toEqual([0x0102, 0x0103, 0xffff, 0]);
    const s = await decodeFrame(frame, info({ bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 }));
    expect(s).toBeInstanceOf(Int16Array);
    expect(Array.from(s)).toEqual([258, 259, -1, 0]);
  });

  it('sign-extends 16-bit data with 12 bits stored', async () => {
    // 0x0FFF (-1 in 12 bits) and 0x0800 (-2048): high bytes 0F 08, low bytes FF 00
    const frame = rleFrame([0x01, 0x0f, 0x08], [0x01, 0xff, 0x00]);
    const out = await decodeFrame(
      frame,
      info({ columns: 2, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1 }),
    );
    expect(Array.from(out)).toEqual([-1, -2048]);
  });

  it('interleaves an RGB frame from 3 segments (R, G, B planes)', async () => {
    // pixels (255,0,0) (10,20,30); the G segment starts with 0x80 (-128), a no-op header
    const frame = rleFrame([0x01, 255, 10], [0x80, 0x01, 0, 20], [0x01, 0, 30]);
    const out = await decodeFrame(
      frame,
      info({ columns: 2, samplesPerPixel: 3, photometricInterpretation: 'RGB', planarConfiguration: 1 }),
    );
    expect(Array.from(out)).toEqual([255, 0, 0, 10, 20, 30]);
  });

  it('decodes 16-bit RGB from 6 segments (R hi, R lo, G hi, G lo, B hi, B lo)', async () => {
    // one pixel (0x0102, 0x0304, 0x0506)
    const frame = rleFrame([0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [0, 6]);
    const out = await decodeFrame(
      frame,
      info({ columns: 1, bitsAllocated: 16, bitsStored: 16, samplesPerPixel: 3, photometricInterpretation: 'RGB' }),
    );
    expect(Array.from(out)).toEqual([0x0102, 0x0304, 0x0506]);
  });

  it('reports a wrong segment count and a short segment', async () => {
    await expect(
      decodeFrame(rleFrame([0x03, 1, 2, 3, 4]), info({ bitsAllocated: 16, bitsStored: 16 })),
    ).rejects.toMatchObject({
      code: 'decode-failed',
      message: expect.stringMatching(/1 segments, expected 2/),
    });
    await expect(decodeFrame(rleFrame([0x01, 1, 2]), info({}))).rejects.toMatchObject({
      code: 'decode-failed',
      message: expect.stringMatching(/decodes to 2 bytes, expected 4/),
    });
    await expect(decodeFrame(new Uint8Array(10), info({}))).rejects.toMatchObject({ code: 'truncated' });
  });
});
