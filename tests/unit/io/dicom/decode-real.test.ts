/**
 * Frame decoding on real files from ../shared/data (skipped when absent). Frames are cut out with
 * dicom-parser directly so that these tests depend on the decoder only. Reference pixel values
 * quoted below are the ones pydicom's own test suite asserts for the same files.
 */
import { readFileSync, readdirSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { inflateSync } from 'fflate';
import { expect, it } from 'vitest';
import { decodeFrame, type DecodedPixels, type FrameInfo } from '../../../../src/io/dicom/decode';
import { describeShared, sharedPath } from '../../helpers/shared';

interface Decoded {
  info: FrameInfo;
  frames: DecodedPixels[];
}

/** Inflater for the deflated transfer syntax: header bytes as they are + the raw-inflated rest. */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const rest = inflateSync(bytes.subarray(position));
  const out = new Uint8Array(position + rest.length);
  out.set(bytes.subarray(0, position));
  out.set(rest, position);
  return out;
}

function frameBytes(ds: dicomParser.DataSet, info: FrameInfo, index: number, count: number): Uint8Array {
  const el = ds.elements.x7fe00010;
  if (!el.encapsulatedPixelData) {
    const bits = info.rows * info.columns * info.samplesPerPixel * info.bitsAllocated;
    if (info.bitsAllocated === 1) return ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
    return ds.byteArray.subarray(el.dataOffset + (index * bits) / 8, el.dataOffset + ((index + 1) * bits) / 8);
  }
  const fragments = el.fragments!;
  if (count === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length);
  if (el.basicOffsetTable!.length) return dicomParser.readEncapsulatedImageFrame(ds, el, index);
  expect(fragments.length).toBe(count); // one fragment per frame
  return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, index, 1);
}

async function decodeFile(rel: string): Promise<Decoded> {
  const bytes = new Uint8Array(readFileSync(sharedPath(rel)));
  const ds = dicomParser.parseDicom(bytes, { inflater } as dicomParser.ParseDicomOptions);
  const info: FrameInfo = {
    transferSyntaxUid: ds.string('x00020010') ?? '',
    rows: ds.uint16('x00280010')!,
    columns: ds.uint16('x00280011')!,
    bitsAllocated: ds.uint16('x00280100')!,
    bitsStored: ds.uint16('x00280101')!,
    pixelRepresentation: ds.uint16('x00280103') === 1 ? 1 : 0,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    planarConfiguration: ds.uint16('x00280006') === 1 ? 1 : 0,
    photometricInterpretation: ds.string('x00280004') ?? '',
    pixelDataVr: ds.elements.x7fe00010.vr,
  };
  const count = ds.intString('x00280008') || 1;
  const frames: DecodedPixels[] = [];
  for (let i = 0; i < count; i++) {
    const bitOffset = info.bitsAllocated === 1 ? i * info.rows * info.columns : undefined;
    frames.push(await decodeFrame(frameBytes(ds, info, i, count), { ...info, bitOffset }));
  }
  return { info, frames };
}

/** Samples of pixel (row, col). */
function px(d: Decoded, row: number, col: number, frame = 0): number[] {
  const spp = d.info.samplesPerPixel;
  const o = (row * d.info.columns + col) * spp;
  return Array.from(d.frames[frame].subarray(o, o + spp));
}

/** Exact equality of two decoded arrays; reports the first differing index. */
function expectSame(a: DecodedPixels, b: DecodedPixels, what: string): void {
  expect(a.length, what).toBe(b.length);
  let first = -1;
  for (let i = 0; i < a.length && first < 0; i++) if (a[i] !== b[i]) first = i;
  expect(first, `${what}: first difference at ${first}: ${a[first]} vs ${b[first]}`).toBe(-1);
}

function meanAbsDiff(a: DecodedPixels, b: DecodedPixels): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

function expectNear(got: number[], want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(tol));
}

const MOSAIC = 'dicom/mosaic-9-transfer-syntaxes/In';
describeShared(MOSAIC, 'one MR mosaic in 9 transfer syntaxes', () => {
  it('decodes every syntax to exactly the same pixels as explicit VR little endian', async () => {
    const ref = await decodeFile(`${MOSAIC}/1.dcm`);
    expect(ref.frames[0]).toBeInstanceOf(Uint16Array);
    expect(ref.frames[0].length).toBe(384 * 384);
    let sum = 0;
    for (const v of ref.frames[0]) sum += v;
    expect(sum).toBeGreaterThan(0);
    const syntaxes = new Set<string>();
    for (let n = 2; n <= 9; n++) {
      const d = await decodeFile(`${MOSAIC}/${n}.dcm`);
      syntaxes.add(d.info.transferSyntaxUid);
      expect(d.frames[0]).toBeInstanceOf(Uint16Array);
      expectSame(d.frames[0], ref.frames[0], `${n}.dcm (${d.info.transferSyntaxUid})`);
    }
    // implicit LE, big endian, RLE, JPEG lossless SV1, JPEG-LS, JPEG 2000
    expect([...syntaxes].sort()).toEqual([
      '1.2.840.10008.1.2',
      '1.2.840.10008.1.2.2',
      '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.80',
      '1.2.840.10008.1.2.4.90',
      '1.2.840.10008.1.2.5',
    ]);
  });
});

const CT = 'dicom/ct-abdomen-j2k';
describeShared(CT, 'real CT series in JPEG 2000 lossless', () => {
  it('decodes all 20 slices as 12-bit unsigned 512x512 with the documented HU range', async () => {
    const files = readdirSync(sharedPath(CT)).filter((f) => f.startsWith('CT.'));
    expect(files.length).toBe(20);
    let min = Infinity;
    let max = -Infinity;
    for (const f of files) {
      const d = await decodeFile(`${CT}/${f}`);
      expect(d.info.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.90');
      const frame = d.frames[0];
      expect(frame).toBeInstanceOf(Uint16Array);
      expect(frame.length).toBe(512 * 512);
      for (const v of frame) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // RescaleIntercept -1024: HU -1024..1839 is stored 0..2863
    expect([min - 1024, max - 1024]).toEqual([-1024, 1839]);
  });
});

const PD = 'dicom/debian/pydicom_test_files';
describeShared(PD, 'pydicom test files', () => {
  it('MR_small is identical in 8 encodings and matches pydicom', async () => {
    const ref = await decodeFile(`${PD}/MR_small.dcm`);
    expect(ref.frames[0]).toBeInstanceOf(Int16Array);
    expect([px(ref, 0, 31), px(ref, 0, 32), px(ref, 0, 33)].flat()).toEqual([422, 319, 361]);
    expect([px(ref, 31, 0), px(ref, 31, 1), px(ref, 31, 2)].flat()).toEqual([366, 363, 322]);
    expect([px(ref, 63, 61), px(ref, 63, 62), px(ref, 63, 63)].flat()).toEqual([1369, 1129, 862]);
    for (const v of ['implicit', 'bigendian', 'expb', 'padded', 'RLE', 'jp2klossless', 'jpeg_ls_lossless']) {
      const d = await decodeFile(`${PD}/MR_small_${v}.dcm`);
      expect(d.frames[0]).toBeInstanceOf(Int16Array);
      expectSame(d.frames[0], ref.frames[0], `MR_small_${v}`);
    }
  });

  it('32-bit RT dose: 15 frames identical in implicit LE, big endian and RLE', async () => {
    const ref = await decodeFile(`${PD}/rtdose.dcm`);
    expect(ref.frames.length).toBe(15);
    expect(ref.frames[0]).toBeInstanceOf(Uint32Array);
    expect([0, 1, 2].map((c) => px(ref, 0, c, 7)[0])).toEqual([1253000, 1253000, 1249000]);
    expect([7, 8, 9].map((c) => px(ref, 9, c, 14)[0])).toEqual([801000, 800000, 799000]);
    for (const name of ['rtdose_expb', 'rtdose_rle']) {
      const d = await decodeFile(`${PD}/${name}.dcm`);
      d.frames.forEach((f, i) => expectSame(f, ref.frames[i], `${name} frame ${i}`));
    }
    for (const name of ['rtdose_1frame', 'rtdose_expb_1frame', 'rtdose_rle_1frame']) {
      expectSame((await decodeFile(`${PD}/${name}.dcm`)).frames[0], ref.frames[0], name);
    }
  });

  const BANDS = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95];
  const RGB8 = [
    [255, 0, 0],
    [255, 128, 128],
    [0, 255, 0],
    [128, 255, 128],
    [0, 0, 255],
    [128, 128, 255],
    [0, 0, 0],
    [64, 64, 64],
    [192, 192, 192],
    [255, 255, 255],
  ];

  it('RGB in RLE (8/16/32-bit, 2 frames), JPEG lossless and JPEG 2000', async () => {
    const rle = await decodeFile(`${PD}/SC_rgb_rle.dcm`);
    BANDS.forEach((r, i) => expect(px(rle, r, 50), `row ${r}`).toEqual(RGB8[i]));
    const two = await decodeFile(`${PD}/SC_rgb_rle_2frame.dcm`);
    expectSame(two.frames[0], rle.frames[0], 'SC_rgb_rle_2frame frame 0');
    BANDS.forEach((r, i) => expect(px(two, r, 50, 1)).toEqual(RGB8[i].map((v) => 255 - v)));
    const r16 = await decodeFile(`${PD}/SC_rgb_rle_16bit_2frame.dcm`);
    expect(r16.frames[0]).toBeInstanceOf(Uint16Array);
    BANDS.forEach((r, i) => expect(px(r16, r, 50)).toEqual(RGB8[i].map((v) => v * 257)));
    BANDS.forEach((r, i) => expect(px(r16, r, 50, 1)).toEqual(RGB8[i].map((v) => 65535 - v * 257)));
    const r32 = await decodeFile(`${PD}/SC_rgb_rle_32bit.dcm`);
    expect(r32.frames[0]).toBeInstanceOf(Uint32Array);
    BANDS.forEach((r, i) => expect(px(r32, r, 50)).toEqual(RGB8[i].map((v) => v * 16843009)));
    for (const name of ['SC_rgb_jpeg_gdcm', 'SC_rgb_gdcm_KY']) {
      expectSame((await decodeFile(`${PD}/${name}.dcm`)).frames[0], rle.frames[0], name);
    }
  });

  it('lossy JPEG baseline (RGB, YBR_FULL, YBR_FULL_422) is close to the lossless original', async () => {
    const rle = await decodeFile(`${PD}/SC_rgb_rle.dcm`);
    const names = [
      'SC_rgb_dcmtk_+eb+cr',
      'SC_rgb_dcmtk_+eb+cy+n1',
      'SC_rgb_dcmtk_+eb+cy+n2',
      'SC_rgb_dcmtk_+eb+cy+np',
      'SC_rgb_dcmtk_+eb+cy+s2',
      'SC_rgb_dcmtk_+eb+cy+s4',
      'SC_rgb_jpeg_dcmtk',
      'SC_rgb_jpeg_lossy_gdcm',
    ];
    for (const name of names) {
      const d = await decodeFile(`${PD}/${name}.dcm`);
      expect(meanAbsDiff(d.frames[0], rle.frames[0]), name).toBeLessThan(3.5);
      BANDS.forEach((r, i) => expectNear(px(d, r, 50), RGB8[i], 6, `${name} row ${r}`));
    }
    // 256x256 RGB without colour transform: with an APP14 marker, and without any marker
    const dcmd = await decodeFile(`${PD}/SC_rgb_jpeg_dcmd.dcm`);
    for (const name of ['SC_jpeg_no_color_transform', 'SC_jpeg_no_color_transform_2', 'SC_rgb_jpeg_app14_dcmd']) {
      const d = await decodeFile(`${PD}/${name}.dcm`);
      expect(meanAbsDiff(d.frames[0], dcmd.frames[0]), name).toBeLessThan(3);
    }
    const plain = await decodeFile(`${PD}/SC_jpeg_no_color_transform.dcm`);
    expect([77, 78, 79, 80].map((c) => px(plain, 29, c))).toEqual([
      [240, 243, 246],
      [214, 210, 213],
      [150, 134, 134],
      [244, 244, 244],
    ]);
    const odd = await decodeFile(`${PD}/SC_rgb_small_odd_jpeg.dcm`);
    expect(meanAbsDiff(odd.frames[0], (await decodeFile(`${PD}/SC_rgb_small_odd.dcm`)).frames[0])).toBeLessThan(3);
  });

  it('12-bit JPEG extended decodes (pixel checks against dcmdjpeg in decode-jpeg12.test.ts)', async () => {
    for (const name of ['JPGExtended', 'JPEG-lossy']) {
      const d = await decodeFile(`${PD}/${name}.dcm`);
      expect(d.frames[0]).toBeInstanceOf(Uint16Array);
      expect(d.frames[0].length).toBe(1024 * 256);
    }
  });

  it('native RGB big endian, YBR_FULL_422, deflate and CT', async () => {
    const be = await decodeFile(`${PD}/ExplVR_BigEnd.dcm`);
    expect([3, 4, 5].map((c) => px(be, 9, c))).toEqual([
      [171, 171, 171],
      [255, 255, 255],
      [255, 255, 0],
    ]);
    expect([8, 9, 10, 11].map((c) => px(be, 58, c))).toEqual([
      [255, 236, 0],
      [255, 183, 0],
      [255, 175, 0],
      [255, 183, 0],
    ]);
    // pydicom's RGB conversion of the same bands
    const ybr = await decodeFile(`${PD}/SC_ybr_full_422_uncompressed.dcm`);
    const asRgb = [
      [254, 0, 0],
      [255, 127, 127],
      [0, 255, 5],
      [129, 255, 129],
      [0, 0, 254],
      [128, 127, 255],
      [0, 0, 0],
      [64, 64, 64],
      [192, 192, 192],
      [255, 255, 255],
    ];
    BANDS.forEach((r, i) => expectNear(px(ybr, r, 50), asRgb[i], 1, `YBR_FULL_422 row ${r}`));
    const dfl = await decodeFile(`${PD}/image_dfl.dcm`);
    expect([255, 256, 257, 258, 259, 260, 261, 262].map((c) => px(dfl, 300, c)[0])).toEqual([
      138, 65, 65, 65, 65, 35, 35, 35,
    ]);
    const ct = await decodeFile(`${PD}/CT_small.dcm`);
    expect([36, 37, 38, 39].map((c) => px(ct, 24, c)[0])).toEqual([520, 802, 930, 1008]);
    expect([40, 41, 42, 43, 44].map((r) => px(ct, r, 40)[0])).toEqual([1138, 1165, 1113, 1088, 1072]);
  });

  it('1-bit SEG frames, little and big endian', async () => {
    const le = await decodeFile(`${PD}/liver_1frame.dcm`);
    expect([180, 181, 182].map((c) => px(le, 155, c)[0])).toEqual([0, 1, 1]);
    expect([304, 305, 306, 307, 308, 309].map((c) => px(le, 254, c)[0])).toEqual([1, 0, 0, 1, 1, 0]);
    const be = await decodeFile(`${PD}/liver_expb_1frame.dcm`);
    expect([250, 251, 252, 253, 254, 255, 256, 257, 258, 259].map((c) => px(be, 145, c)[0])).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 1, 0,
    ]);
    expectSame(be.frames[0], le.frames[0], 'liver_expb_1frame');
  });

  it('JPEG 2000: signed data, sign mismatch with the dataset, YBR_RCT colour', async () => {
    const mm = await decodeFile(`${PD}/J2K_pixelrep_mismatch.dcm`);
    expect(mm.frames[0]).toBeInstanceOf(Int16Array);
    expect(px(mm, 0, 0)).toEqual([-2000]);
    expect([47, 48, 49, 50, 51, 52, 53, 54, 55, 56].map((r) => px(mm, r, 279)[0])).toEqual([
      621, 412, 138, -193, -520, -767, -907, -966, -988, -995,
    ]);
    expect([328, 329, 330, 331, 332, 333, 334, 335, 336, 337].map((r) => px(mm, r, 106)[0])).toEqual([
      -377, -121, 141, 383, 633, 910, 1198, 1455, 1638, 1732,
    ]);
    const rct = await decodeFile(`${PD}/GDCMJ2K_TextGBR.dcm`);
    expect([px(rct, 45, 140), px(rct, 46, 140), px(rct, 350, 195)]).toEqual([
      [223, 32, 32],
      [255, 0, 0],
      [128, 128, 128],
    ]);
    for (const name of ['693_J2KI', 'JPEG2000']) {
      const d = await decodeFile(`${PD}/${name}.dcm`);
      expect(d.frames[0]).toBeInstanceOf(Int16Array);
      expect(d.frames[0].length).toBe(d.info.rows * d.info.columns);
    }
  });
});
