import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { decodeFrame, decodeFrameUnmasked, type FrameInfo } from '../../../../src/io/dicom/decode';

const LE = '1.2.840.10008.1.2.1';
const BE = '1.2.840.10008.1.2.2';

function info(over: Partial<FrameInfo>): FrameInfo {
  return {
    transferSyntaxUid: LE,
    rows: 1,
    columns: 4,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 0,
    samplesPerPixel: 1,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    ...over,
  };
}

const bytes = (...b: number[]) => new Uint8Array(b);

describe('native little endian', () => {
  it('8-bit unsigned and signed', async () => {
    const data = bytes(0, 1, 127, 128, 255, 200);
    const u = await decodeFrame(data, info({ bitsAllocated: 8, bitsStored: 8, columns: 3, rows: 2 }));
    expect(u).toBeInstanceOf(Uint8Array);
    expect(Array.from(u)).toEqual([0, 1, 127, 128, 255, 200]);
    const s = await decodeFrame(
      data,
      info({ bitsAllocated: 8, bitsStored: 8, columns: 3, rows: 2, pixelRepresentation: 1 }),
    );
    expect(s).toBeInstanceOf(Int8Array);
    expect(Array.from(s)).toEqual([0, 1, 127, -128, -1, -56]);
  });

  it('16-bit unsigned and signed (low byte first)', async () => {
    const data = bytes(0x34, 0x12, 0xff, 0xff, 0x00, 0x80, 0x01, 0x00);
    const u = await decodeFrame(data, info({}));
    expect(u).toBeInstanceOf(Uint16Array);
    expect(Array.from(u)).toEqual([0x1234, 0xffff, 0x8000, 1]);
    const s = await decodeFrame(data, info({ pixelRepresentation: 1 }));
    expect(s).toBeInstanceOf(Int16Array);
    expect(Array.from(s)).toEqual([0x1234, -1, -32768, 1]);
  });

  it('returns a zero-copy view for aligned in-range data, a copy when misaligned', async () => {
    const buf = new Uint8Array(16);
    buf.set([10, 0, 20, 0, 30, 0, 40, 0], 4);
    const aligned = buf.subarray(4, 12);
    const out = await decodeFrame(aligned, info({ bitsStored: 12 }));
    expect(out.buffer).toBe(buf.buffer);
    expect(out.byteOffset).toBe(4);
    expect(Array.from(out)).toEqual([10, 20, 30, 40]);

    const odd = new Uint8Array(9);
    odd.set([10, 0, 20, 0, 30, 0, 40, 0], 1);
    const copied = await decodeFrame(odd.subarray(1), info({}));
    expect(copied.buffer).not.toBe(odd.buffer);
    expect(Array.from(copied)).toEqual([10, 20, 30, 40]);
  });

  it('masks bits above BitsStored without touching the input', async () => {
    // 0xF123 with 12 bits stored -> 0x123 (the top nibble is e.g. an overlay bit plane)
    const data = bytes(0x23, 0xf1, 0xff, 0x0f, 0x00, 0x10, 0x05, 0x00);
    const out = await decodeFrame(data, info({ bitsStored: 12 }));
    expect(Array.from(out)).toEqual([0x123, 0xfff, 0, 5]);
    expect(Array.from(data.subarray(0, 2))).toEqual([0x23, 0xf1]);
  });

  it('sign-extends signed values stored in fewer bits than allocated', async () => {
    // 12-bit two's complement in the low bits: 0x0FFF = -1, 0x0800 = -2048, 0x07FF = 2047, 0x0C00 = -1024
    const data = bytes(0xff, 0x0f, 0x00, 0x08, 0xff, 0x07, 0x00, 0x0c);
    const out = await decodeFrame(data, info({ bitsStored: 12, pixelRepresentation: 1 }));
    expect(out).toBeInstanceOf(Int16Array);
    expect(Array.from(out)).toEqual([-1, -2048, 2047, -1024]);
    // already sign-extended 16-bit values (-1024 = 0xFC00) stay as they are, as a view
    const ext = bytes(0x00, 0xfc, 0x00, 0x04, 0xff, 0xff, 0x00, 0x00);
    const out2 = await decodeFrame(ext, info({ bitsStored: 12, pixelRepresentation: 1 }));
    expect(Array.from(out2)).toEqual([-1024, 1024, -1, 0]);
    expect(out2.buffer).toBe(ext.buffer);
  });

  it('32-bit unsigned/signed and float', async () => {
    const u32 = new Uint32Array([1249000, 0xffffffff]);
    const u = await decodeFrame(new Uint8Array(u32.buffer), info({ columns: 2, bitsAllocated: 32, bitsStored: 32 }));
    expect(u).toBeInstanceOf(Uint32Array);
    expect(Array.from(u)).toEqual([1249000, 0xffffffff]);
    const s = await decodeFrame(
      new Uint8Array(u32.buffer),
      info({ columns: 2, bitsAllocated: 32, bitsStored: 32, pixelRepresentation: 1 }),
    );
    expect(Array.from(s)).toEqual([1249000, -1]);
    const f32 = new Float32Array([1.5, -2.25]);
    const f = await decodeFrame(
      new Uint8Array(f32.buffer),
      info({ columns: 2, bitsAllocated: 32, bitsStored: 32, isFloat: true }),
    );
    expect(f).toBeInstanceOf(Float32Array);
    expect(Array.from(f)).toEqual([1.5, -2.25]);
  });

  it('interleaves planar RGB and converts YBR_FULL to RGB', async () => {
    // 2 pixels, planes R R G G B B
    const planar = bytes(255, 10, 0, 20, 0, 30);
    const out = await decodeFrame(
      planar,
      info({
        columns: 2,
        bitsAllocated: 8,
        bitsStored: 8,
        samplesPerPixel: 3,
        planarConfiguration: 1,
        photometricInterpretation: 'RGB',
      }),
    );
    expect(Array.from(out)).toEqual([255, 0, 0, 10, 20, 30]);
    // YBR_FULL: (76, 85, 255) is pure red, (149, 43, 21) green, (128, 128, 128) grey
    const ybr = bytes(76, 85, 255, 150, 44, 21, 128, 128, 128);
    const rgb = await decodeFrame(
      ybr,
      info({ columns: 3, bitsAllocated: 8, bitsStored: 8, samplesPerPixel: 3, photometricInterpretation: 'YBR_FULL' }),
    );
    const got = Array.from(rgb);
    const want = [254, 0, 0, 0, 255, 1, 128, 128, 128];
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1));
  });

  it('expands uncompressed YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair)', async () => {
    // 4 pixels in one row: pair 1 grey 100/200, pair 2 red-ish chroma
    const data = bytes(100, 200, 128, 128, 76, 76, 85, 255);
    const out = await decodeFrame(
      data,
      info({
        columns: 4,
        bitsAllocated: 8,
        bitsStored: 8,
        samplesPerPixel: 3,
        photometricInterpretation: 'YBR_FULL_422',
      }),
    );
    expect(out.length).toBe(12);
    expect(Array.from(out.subarray(0, 6))).toEqual([100, 100, 100, 200, 200, 200]);
    expect(Array.from(out.subarray(6, 9))).toEqual([254, 0, 0]);
    expect(Array.from(out.subarray(9, 12))).toEqual([254, 0, 0]);
  });

  it('unpacks 1-bit data, least significant bit first, with a bit offset', async () => {
    // 0b10110001 -> pixels 1,0,0,0,1,1,0,1 ; 0b00000011 -> 1,1
    const data = bytes(0b10110001, 0b00000011);
    const out = await decodeFrame(data, info({ columns: 5, rows: 2, bitsAllocated: 1, bitsStored: 1 }));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 1, 1, 0, 1, 1, 1]);
    const shifted = await decodeFrame(
      data,
      info({ columns: 3, rows: 1, bitsAllocated: 1, bitsStored: 1, bitOffset: 7 }),
    );
    expect(Array.from(shifted)).toEqual([1, 1, 1]);
  });

  it('rejects a short frame', async () => {
    await expect(decodeFrame(bytes(1, 2, 3), info({}))).rejects.toMatchObject({ code: 'truncated' });
  });
});

describe('native big endian', () => {
  it('byte-swaps 16-bit signed and unsigned', async () => {
    const data = bytes(0x12, 0x34, 0xff, 0xff, 0x80, 0x00, 0x00, 0x01);
    const u = await decodeFrame(data, info({ transferSyntaxUid: BE }));
    expect(Array.from(u)).toEqual([0x1234, 0xffff, 0x8000, 1]);
    const s = await decodeFrame(data, info({ transferSyntaxUid: BE, pixelRepresentation: 1 }));
    expect(Array.from(s)).toEqual([0x1234, -1, -32768, 1]);
    expect(Array.from(data)).toEqual([0x12, 0x34, 0xff, 0xff, 0x80, 0x00, 0x00, 0x01]);
  });

  it('byte-swaps 32-bit and leaves 8-bit alone', async () => {
    const data = bytes(0x00, 0x13, 0x0e, 0xe8, 0xff, 0xff, 0xff, 0xfe);
    const u = await decodeFrame(data, info({ transferSyntaxUid: BE, columns: 2, bitsAllocated: 32, bitsStored: 32 }));
    expect(Array.from(u)).toEqual([1249000, 0xfffffffe]);
    const e = await decodeFrame(bytes(1, 2, 3, 4), info({ transferSyntaxUid: BE, bitsAllocated: 8, bitsStored: 8 }));
    expect(Array.from(e)).toEqual([1, 2, 3, 4]);
  });

  it('sign-extends after swapping', async () => {
    const data = bytes(0x0f, 0xff, 0x08, 0x00, 0x07, 0xff, 0x0c, 0x00);
    const out = await decodeFrame(data, info({ transferSyntaxUid: BE, bitsStored: 12, pixelRepresentation: 1 }));
    expect(Array.from(out)).toEqual([-1, -2048, 2047, -1024]);
  });

  it('takes OB 1-bit and 8-bit data in order, and swaps OW words back', async () => {
    const ob = await decodeFrame(
      bytes(0b10000000, 0b00000001),
      info({ transferSyntaxUid: BE, columns: 16, bitsAllocated: 1, bitsStored: 1, pixelDataVr: 'OB' }),
    );
    expect(Array.from(ob)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    // OW: LE bytes [0b00000001, 0b10000000] arrive as the word-swapped [0b10000000, 0b00000001]
    const ow = await decodeFrame(
      bytes(0b10000000, 0b00000001),
      info({ transferSyntaxUid: BE, columns: 16, bitsAllocated: 1, bitsStored: 1, pixelDataVr: 'OW' }),
    );
    expect(Array.from(ow)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // 8-bit OW with an odd length: 3 pixels 1 2 3 stored as words (2 1) (pad 3)
    const ow8 = await decodeFrame(
      bytes(2, 1, 0, 3),
      info({ transferSyntaxUid: BE, columns: 3, bitsAllocated: 8, bitsStored: 8, pixelDataVr: 'OW' }),
    );
    expect(Array.from(ow8)).toEqual([1, 2, 3]);
  });
});

describe('frame info checks', () => {
  it('rejects odd layouts with a clear error', async () => {
    const err = await decodeFrame(new Uint8Array(8), info({ bitsAllocated: 12 })).catch((e) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err.code).toBe('unsupported');
    expect(err.message).toMatch(/BitsAllocated 12/);
    await expect(decodeFrame(new Uint8Array(8), info({ samplesPerPixel: 2 }))).rejects.toMatchObject({
      code: 'unsupported',
    });
    await expect(decodeFrame(new Uint8Array(8), info({ bitsStored: 17 }))).rejects.toMatchObject({
      code: 'decode-failed',
    });
  });
});

describe('decodeFrameUnmasked', () => {
  it('gives a zero-copy native view with the BitsStored fix left to the caller', async () => {
    // 12-bit signed values with garbage in the top 4 bits: 0xF800 -> -2048, 0x1005 -> 5, 0x07FF -> 2047, 0xAFFF -> -1
    const bytes = new Uint8Array(new Uint16Array([0xf800, 0x1005, 0x07ff, 0xafff]).buffer);
    const i = info({ bitsStored: 12, pixelRepresentation: 1 });
    const raw = await decodeFrameUnmasked(bytes, i);
    expect(raw.pixels.buffer).toBe(bytes.buffer);
    expect(raw.fix).toEqual({ bitsStored: 12, signed: true });
    expect(raw.inRange).toBe(true);
    // applying the fix gives what decodeFrame gives
    const fixed = Array.from(raw.pixels, (v) => (v << 20) >> 20);
    expect(fixed).toEqual(Array.from(await decodeFrame(bytes, i)));
    expect(fixed).toEqual([-2048, 5, 2047, -1]);
  });

  it('falls back to decodeFrame for big endian and says whether values are in range', async () => {
    const be = new Uint8Array([0x00, 0x01, 0x0f, 0xff]);
    const r = await decodeFrameUnmasked(be, info({ transferSyntaxUid: BE, columns: 2, bitsStored: 12 }));
    expect(r.fix).toBeUndefined();
    expect(r.inRange).toBe(true);
    expect(Array.from(r.pixels)).toEqual([1, 0x0fff]);
  });
});
