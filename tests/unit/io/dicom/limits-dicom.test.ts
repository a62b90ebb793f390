/**
 * DICOM files that must be refused with a reason instead of giving a silently wrong volume or
 * exhausting memory: gzip/deflate bombs and damaged gzip wrappers, pixel data that contradicts
 * BitsAllocated/Rows/Columns/NumberOfFrames, unusable rescale, non-finite or absurd geometry.
 * Every file is built here; the untouched slice loads (the control), so each refusal is due to
 * the one attribute changed.
 */
import { concatBytes } from '../../../../src/core/bytes';
import { describe, expect, it } from 'vitest';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { readWhole } from '../../../../src/io/dicom/parse';
import { memorySource } from '../../../../src/io/dicom/source';
import { VoxsegError } from '../../../../src/core/errors';
import { DEFLATED, ctSlice, gzip, ramp, type Attr } from './limits-build';

async function rejection(name: string, bytes: Uint8Array): Promise<string> {
  const scan = await scanFiles([memorySource(name, bytes)]);
  expect(scan.series, `${name} should be refused`).toHaveLength(0);
  expect(scan.rejected).toHaveLength(1);
  return scan.rejected[0].reason;
}

async function loads(name: string, bytes: Uint8Array) {
  const scan = await scanFiles([memorySource(name, bytes)]);
  expect(scan.rejected.map((r) => r.reason)).toEqual([]);
  return loadSeries(scan.series[0]);
}

const ds = (tag: number, v: string): Attr => ({ tag, vr: 'DS', value: v });

describe('the control slice', () => {
  it('loads plain, deflated and gzip-wrapped with the same voxels', async () => {
    const a = await loads('plain.dcm', ctSlice());
    const b = await loads('deflated.dcm', ctSlice({ syntax: DEFLATED }));
    const c = await loads('wrapped.dcm.gz', gzip(ctSlice()));
    expect(a.volume.header.dims).toEqual([8, 8, 1]);
    expect(Array.from(b.volume.voxels)).toEqual(Array.from(a.volume.voxels));
    expect(Array.from(c.volume.voxels)).toEqual(Array.from(a.volume.voxels));
    expect(a.volume.voxels[0]).toBe(-1000 - 1024);
  });
});

describe('decompression bombs and damaged compression', () => {
  const bombTrailer = (mb: number): Attr[] => [{ tag: 0x7fe10010, vr: 'OB', value: new Uint8Array(mb << 20) }];

  it('a deflated dataset inflating far past its declared image is stopped, with the numbers', async () => {
    const bomb = ctSlice({ syntax: DEFLATED, trailer: bombTrailer(24) });
    expect(bomb.length).toBeLessThan(200_000);
    const t = performance.now();
    const e = await readWhole(memorySource('bomb.dcm', bomb)).catch((x: unknown) => x);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(e).toBeInstanceOf(VoxsegError);
    expect((e as Error).message).toMatch(
      /^bomb\.dcm: inflates past the 426 B its header declares \(\+1\.0 MB allowed for trailing elements\) \(stopped at [\d.]+ MB inflated from its first [\d.]+ kB of compressed data/,
    );
    expect(await rejection('bomb.dcm', bomb)).toMatch(/^inflates past/);
  });

  it('a gzip-wrapped file inflating past its declared image is stopped', async () => {
    const bomb = gzip(ctSlice({ trailer: bombTrailer(24) }));
    expect(await rejection('bomb.dcm.gz', bomb)).toMatch(/inflates past the [\d.]+ B its header declares/);
  });

  it('without image attributes the limit is 64 times the compressed size (at least 16 MB)', async () => {
    // an SR-like dataset (no Rows/Columns) deflating 40 MB of zeros from ~40 kB
    const body = concatBytes([
      new Uint8Array([0x08, 0, 0x16, 0, 0x55, 0x49, 2, 0, 0x31, 0]),
      new Uint8Array([0xe1, 0x7f, 0x10, 0, 0x4f, 0x42, 0, 0, 0, 0, 0x80, 0x02]),
      new Uint8Array(40 << 20),
    ]);
    const file = ctSlice({ syntax: DEFLATED }); // its preamble and meta header, then this body
    const e = await readWhole(
      memorySource('sr.dcm', concatBytes([file.subarray(0, 132 + 12 + metaLength(file)), deflateRawSync(body)])),
    ).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/inflates past 16\.0 MB \(64 times its compressed size, at least 16\.0 MB/);
  });

  it('a header declaring more than the memory ceiling is refused before inflating', async () => {
    const huge = ctSlice({
      syntax: DEFLATED,
      override: [{ tag: 0x00280008, vr: 'IS', value: '99999' }],
      rows: 512,
      cols: 512,
      pixels: new Uint8Array(512 * 512 * 2),
    });
    expect(await rejection('huge.dcm', huge)).toMatch(
      /header declares 52\.4 GB of image data, more than the 4\.0 GB memory ceiling/,
    );
  });

  it('a gzip wrapper with a bad CRC is refused', async () => {
    const gz = Uint8Array.from(gzipSync(ctSlice()));
    gz[gz.length - 6] ^= 0x40;
    expect(await rejection('crc.dcm.gz', gz)).toMatch(/cannot be decompressed \(corrupt gzip data \(CRC-32 mismatch/);
  });
});

function metaLength(file: Uint8Array): number {
  return new DataView(file.buffer, file.byteOffset).getUint32(132 + 8, true);
}

describe('pixel data that contradicts the header', () => {
  it('BitsAllocated 8 or 1 over 16-bit data is refused', async () => {
    expect(await rejection('b8.dcm', ctSlice({ bitsAllocated: 8, pixels: ramp(8, 8) }))).toMatch(
      /pixel data holds 128 bytes, expected 64 .*8-bit\): the header contradicts the data/,
    );
    expect(await rejection('b1.dcm', ctSlice({ bitsAllocated: 1, pixels: ramp(8, 8) }))).toMatch(
      /pixel data holds 128 bytes, expected 8 .*the header contradicts the data/,
    );
  });

  it('Rows half the rows of data, and data shorter than declared, are refused', async () => {
    const rows = ctSlice({ override: [{ tag: 0x00280010, vr: 'US', value: [4] }], pixels: ramp(8, 8) });
    expect(await rejection('rows.dcm', rows)).toMatch(/holds 128 bytes, expected 64 \(8x4x1 frames/);
    const short = ctSlice({ pixels: ramp(8, 8).subarray(0, 100) });
    expect(await rejection('short.dcm', short)).toMatch(/holds 100 bytes, expected 128/);
  });

  it('less than a frame of trailing padding loads, with a note', async () => {
    const padded = ctSlice({ pixels: concatBytes([ramp(8, 8), new Uint8Array(16)]) });
    const r = await loads('padded.dcm', padded);
    expect(r.volume.header.dims).toEqual([8, 8, 1]);
  });
});

describe('rescale and geometry values', () => {
  const cases: [string, Attr[], RegExp][] = [
    ['slope0.dcm', [ds(0x00281053, '0')], /RescaleSlope is 0: every voxel would equal the intercept \(-1024\)/],
    ['slopebig.dcm', [ds(0x00281053, '1e308')], /RescaleSlope 1\.000e\+308 .* beyond float32 \(±Inf voxels\)/],
    ['slopeinf.dcm', [ds(0x00281053, '1e999')], /RescaleSlope "1e999" is not a list of finite numbers/],
    ['slopenan.dcm', [ds(0x00281053, 'NaN')], /RescaleSlope "NaN" is not a list of finite numbers/],
    ['pos.dcm', [ds(0x00200032, '1e300\\0\\0')], /ImagePositionPatient 1\.000e\+300\\0\\0 is absurd/],
    ['posinf.dcm', [ds(0x00200032, '0\\Infinity\\0')], /ImagePositionPatient "0\\\\Infinity\\\\0" is not a list/],
    ['orient.dcm', [ds(0x00200037, '0\\0\\0\\0\\1\\0')], /ImageOrientationPatient .* does not hold two unit/],
    ['parallel.dcm', [ds(0x00200037, '1\\0\\0\\1\\0\\0')], /row and column directions are \(nearly\) parallel/],
    ['spacing.dcm', [ds(0x00280030, '1e300\\1')], /PixelSpacing 1\.000e\+300\\1 is absurd/],
  ];
  for (const [name, override, why] of cases)
    it(`${name}: refused with the reason`, async () => {
      expect(await rejection(name, ctSlice({ override }))).toMatch(why);
    });

  it('a large but float32-safe slope still loads', async () => {
    const r = await loads('slope.dcm', ctSlice({ override: [ds(0x00281053, '1e30')] }));
    expect(Number.isFinite(r.volume.voxels[1])).toBe(true);
  });
});
