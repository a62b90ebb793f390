/**
 * SEG variants met in the field, generated small by make_segs.py (pydicom) and read onto their
 * reference grid; each result is compared voxel for voxel with pydicom's decoding of the same
 * file's pixel data at the same frame positions: BINARY frames that are not byte aligned (77 pixels),
 * a single-frame SEG, big endian, deflated; FRACTIONAL probability / occupancy (native, RLE, JPEG
 * 2000), binarized at half the maximum and said so; Label Map Segmentation Storage (8 and 16 bit,
 * MONOCHROME2 and PALETTE COLOR, native, RLE, JPEG 2000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeg, readSegAsync } from '../../../../src/io/seg/index';
import { catchVoxseg } from '../../helpers/errors';
import { expectSameVoxels, generate, hasPydicom, skipReason, type Generated } from './read-helpers';

describe.runIf(hasPydicom)('SEG variants match pydicom voxel for voxel', () => {
  let g: Generated;
  beforeAll(() => {
    g = generate();
  }, 60_000);
  afterAll(() => g?.cleanup());

  const lossless = (w: string[]) => w.filter((x) => !/binarized at 0\.5/.test(x));

  it.each(['binary-unaligned', 'binary-single-frame', 'binary-big-endian', 'binary-deflated', 'near-grid'])(
    '%s',
    async (name) => {
      const r = await readSegAsync(g.bytes(name), g.ref, `${name}.dcm`);
      expectSameVoxels(r, g.expected(name));
      expect(r.warnings).toEqual([]);
      expect(r.segments.map((s) => s.label)).toEqual(
        name === 'binary-single-frame' ? ['liver'] : ['liver', 'spleen', 'kidney'],
      );
      if (name === 'binary-single-frame') expect(r.layers).toHaveLength(1);
      else expect(r.layers.length).toBeGreaterThan(1); // the shapes overlap: no voxel is lost to another segment
      // the synchronous reader gives the same for native data
      expectSameVoxels(readSeg(g.bytes(name), g.ref, `${name}.dcm`), g.expected(name));
    },
  );

  it.each([
    ['fractional-probability', 'probability', 255],
    ['fractional-occupancy', 'occupancy', 100],
    ['fractional-rle', 'probability', 255],
    ['fractional-j2k', 'occupancy', 100],
  ] as const)('%s: binarized at half the maximum, said per segment', async (name, kind, max) => {
    const r = await readSegAsync(g.bytes(name), g.ref, `${name}.dcm`);
    expectSameVoxels(r, g.expected(name));
    expect(r.warnings).toEqual([
      `segment 1 (liver): fractional (${kind}), binarized at 0.5 (stored values >= ${max / 2} of MaximumFractionalValue ${max})`,
      `segment 2 (spleen): fractional (${kind}), binarized at 0.5 (stored values >= ${max / 2} of MaximumFractionalValue ${max})`,
    ]);
  });

  it.each(['labelmap-8', 'labelmap-16', 'labelmap-palette', 'labelmap-16-rle', 'labelmap-8-j2k', 'labelmap-16-j2k'])(
    '%s: pixel values are segment numbers',
    async (name) => {
      const r = await readSegAsync(g.bytes(name), g.ref, `${name}.dcm`);
      const expected = g.expected(name);
      expect(Object.keys(expected).sort()).toEqual(name.includes('16') ? ['1', '2', '300'] : ['1', '2', '3']);
      expectSameVoxels(r, expected);
      expect(lossless(r.warnings)).toEqual([]);
      expect(r.layers).toHaveLength(1); // a label map cannot overlap
      if (name.includes('16')) expect(r.segments.find((s) => s.number === 300)?.label).toBe('vertebra');
      // no RecommendedDisplayCIELabValue in these files: a palette label map gives each segment its palette colour
      if (name === 'labelmap-palette')
        expect(Object.fromEntries(r.segments.map((s) => [String(s.number), s.color]))).toEqual(g.colors(name));
      else expect(r.segments.every((s) => s.color === undefined)).toBe(true);
    },
  );

  it('RLE works in the synchronous reader; JPEG 2000 needs readSegAsync (a named error, not garbage)', () => {
    expectSameVoxels(readSeg(g.bytes('labelmap-16-rle'), g.ref, 'l.dcm'), g.expected('labelmap-16-rle'));
    const e = catchVoxseg(() => readSeg(g.bytes('labelmap-8-j2k'), g.ref, 'j2k.dcm'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/^j2k\.dcm: compressed SEG pixel data .*1\.2\.840\.10008\.1\.2\.4\.90.*readSegAsync/);
  });
});
if (!hasPydicom) it.skip(`SEG variants [skipped: ${skipReason}]`, () => {});
