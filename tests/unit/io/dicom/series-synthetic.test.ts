/**
 * Synthetic DICOM edge cases, written byte by byte here (explicit VR little endian), so each test
 * controls exactly what the loader sees: slice order, gaps, duplicates, mixed sizes, truncation,
 * per-slice rescale, MONOCHROME1, feet-first / negative-normal stacks, gantry tilt, int16 overflow,
 * enhanced multi-frame, raw datasets without preamble, deflate, and a 512x512x1000 series.
 */
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../../../src/core/types';
import { isDicom, loadSeries, scanFiles, type SeriesInfo } from '../../../../src/io/dicom/index';
import { memorySource, type SourceFile } from '../../../../src/io/dicom/source';
import { parseCsa } from '../../../../src/io/dicom/csa';
import { indexToWorld } from '../../../../src/volume/geometry';

// ---------- a tiny explicit VR little endian writer ----------
type Value = string | number[] | Uint8Array | El[][];
interface El {
  tag: number;
  vr: string;
  value: Value;
}
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function encodeValue(vr: string, v: Value): Uint8Array {
  if (vr === 'SQ') {
    const items = (v as El[][]).map((item) => {
      const body = encode(item);
      const out = new Uint8Array(8 + body.length);
      const dv = new DataView(out.buffer);
      dv.setUint16(0, 0xfffe, true);
      dv.setUint16(2, 0xe000, true);
      dv.setUint32(4, body.length, true);
      out.set(body, 8);
      return out;
    });
    return concat(items);
  }
  if (v instanceof Uint8Array) return v.length % 2 ? concat([v, new Uint8Array(1)]) : v;
  if (Array.isArray(v)) {
    const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
    const out = new Uint8Array(v.length * size);
    const dv = new DataView(out.buffer);
    (v as number[]).forEach((n, i) => {
      if (size === 2) dv.setUint16(i * 2, n, true);
      else if (size === 8) dv.setFloat64(i * 8, n, true);
      else dv.setUint32(i * 4, n, true);
    });
    return out;
  }
  let s = v as string;
  if (s.length % 2) s += vr === 'UI' ? '\0' : ' ';
  return new TextEncoder().encode(s);
}

function encode(els: El[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of [...els].sort((a, b) => a.tag - b.tag)) {
    const value = encodeValue(e.vr, e.value);
    const long = LONG_VRS.has(e.vr);
    const head = new Uint8Array(long ? 12 : 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, e.tag >>> 16, true);
    dv.setUint16(2, e.tag & 0xffff, true);
    head[4] = e.vr.charCodeAt(0);
    head[5] = e.vr.charCodeAt(1);
    if (long) dv.setUint32(8, value.length, true);
    else dv.setUint16(6, value.length, true);
    parts.push(head, value);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const CT_CLASS = '1.2.840.10008.5.1.4.1.1.2';

function part10(dataset: El[], ts = EXPLICIT_LE, sopClass = CT_CLASS): Uint8Array {
  const metaBody = encode([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: sopClass },
    { tag: 0x00020003, vr: 'UI', value: '1.2.3.4.5' },
    { tag: 0x00020010, vr: 'UI', value: ts },
    { tag: 0x00020012, vr: 'UI', value: '1.2.3.999' },
  ]);
  const groupLength = encode([{ tag: 0x00020000, vr: 'UL', value: [metaBody.length] }]);
  let body = encode(dataset);
  if (ts === DEFLATED) body = deflateSync(body);
  const pre = new Uint8Array(132);
  pre.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([pre, groupLength, metaBody, body]);
}

interface SliceSpec {
  position?: Vec3;
  orientation?: number[];
  rows?: number;
  cols?: number;
  pixels?: number[];
  slope?: number;
  intercept?: number;
  photometric?: string;
  series?: string;
  instance?: number;
  bitsStored?: number;
  signed?: boolean;
  extra?: El[];
  frames?: number;
}

const ROWS = 4;
const COLS = 3;
const ds = (spec: SliceSpec): El[] => {
  const rows = spec.rows ?? ROWS;
  const cols = spec.cols ?? COLS;
  const frames = spec.frames ?? 1;
  const px = spec.pixels ?? Array.from({ length: rows * cols * frames }, (_, p) => p);
  const pix = new Uint8Array(px.length * 2);
  const dv = new DataView(pix.buffer);
  px.forEach((v, i) => (spec.signed ? dv.setInt16(i * 2, v, true) : dv.setUint16(i * 2, v, true)));
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: CT_CLASS },
    { tag: 0x00080018, vr: 'UI', value: `1.2.3.4.${spec.instance ?? 1}` },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'Test^Patient' },
    { tag: 0x00100020, vr: 'LO', value: 'P1' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3.1' },
    { tag: 0x0020000e, vr: 'UI', value: spec.series ?? '1.2.3.1.1' },
    { tag: 0x00200013, vr: 'IS', value: String(spec.instance ?? 1) },
    { tag: 0x00200052, vr: 'UI', value: '1.2.3.9' },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [rows] },
    { tag: 0x00280011, vr: 'US', value: [cols] },
    { tag: 0x00280030, vr: 'DS', value: '0.5\\0.7' },
    { tag: 0x00280100, vr: 'US', value: [16] },
    { tag: 0x00280101, vr: 'US', value: [spec.bitsStored ?? 16] },
    { tag: 0x00280102, vr: 'US', value: [(spec.bitsStored ?? 16) - 1] },
    { tag: 0x00280103, vr: 'US', value: [spec.signed ? 1 : 0] },
    { tag: 0x00281052, vr: 'DS', value: String(spec.intercept ?? 0) },
    { tag: 0x00281053, vr: 'DS', value: String(spec.slope ?? 1) },
    { tag: 0x7fe00010, vr: 'OW', value: pix },
    ...(spec.extra ?? []),
  ];
  if (frames > 1) els.push({ tag: 0x00280008, vr: 'IS', value: String(frames) });
  if (spec.position) els.push({ tag: 0x00200032, vr: 'DS', value: spec.position.join('\\') });
  if (spec.position || spec.orientation)
    els.push({ tag: 0x00200037, vr: 'DS', value: (spec.orientation ?? [1, 0, 0, 0, 1, 0]).join('\\') });
  return els;
};

const slice = (name: string, spec: SliceSpec): SourceFile => memorySource(name, part10(ds(spec)));
/** Pixel value encoding slice id s, row j, column i. */
const tagged = (s: number, rows = ROWS, cols = COLS) =>
  Array.from({ length: rows * cols }, (_, p) => 100 * s + 10 * Math.floor(p / cols) + (p % cols));
const zStack = (zs: number[], over: (s: number) => Partial<SliceSpec> = () => ({})) =>
  zs.map((z, s) => slice(`s${s}.dcm`, { position: [-10, 20, z], instance: s + 1, pixels: tagged(s), ...over(s) }));

async function only(files: SourceFile[]): Promise<SeriesInfo> {
  const r = await scanFiles(files);
  expect(r.series).toHaveLength(1);
  return r.series[0];
}
const at = (v: ArrayLike<number>, dims: Readonly<Vec3>, i: number, j: number, k: number) =>
  v[i + j * dims[0] + k * dims[0] * dims[1]];

// ---------- tests ----------
describe('slice ordering and geometry', () => {
  it('sorts shuffled slices along the normal; spacing from positions, not SliceThickness', async () => {
    const files = zStack([0, 2, 4, 6, 8], () => ({ extra: [{ tag: 0x00180050, vr: 'DS', value: '5' }] }));
    const s = await only([files[3], files[0], files[4], files[2], files[1]]);
    expect(s.dims).toEqual([3, 4, 5]);
    expect(s.spacing).toEqual([0.7, 0.5, 2]);
    expect(s.origin).toEqual([-10, 20, 0]);
    expect(s.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.files.map((f) => f.name)).toEqual(['s0.dcm', 's1.dcm', 's2.dcm', 's3.dcm', 's4.dcm']);
    expect(s.warnings).toEqual([]);
    const { volume } = await loadSeries(s);
    for (let k = 0; k < 5; k++)
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 3; i++) expect(at(volume.voxels, s.dims, i, j, k)).toBe(100 * k + 10 * j + i);
    expect(indexToWorld(volume.header, [2, 3, 4])).toEqual([-10 + 2 * 0.7, 20 + 3 * 0.5, 8]);
  });

  it('feet-first acquisition (instance numbers run towards -z): k still follows the normal', async () => {
    const files = [100, 98, 96, 94].map((z, s) =>
      slice(`ff${s}.dcm`, { position: [0, 0, z], instance: s + 1, pixels: tagged(s) }),
    );
    const s = await only(files);
    expect(s.origin).toEqual([0, 0, 94]);
    expect(s.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.spacing[2]).toBe(2);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 0, 0, 0)).toBe(300); // instance 4 (z = 94) is slice 0
    expect(at(volume.voxels, s.dims, 2, 3, 3)).toBe(32); // instance 1 (z = 100) is the last slice
  });

  it('negative slice normal (column cosine -y): direction k = -z, origin at the highest z', async () => {
    const o = [1, 0, 0, 0, -1, 0];
    const files = [10, 12.5, 15].map((z, s) =>
      slice(`n${s}.dcm`, { position: [5, 6, z], orientation: o, instance: s + 1, pixels: tagged(s) }),
    );
    const s = await only(files);
    expect(s.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, -1]);
    expect(s.origin).toEqual([5, 6, 15]);
    expect(s.spacing).toEqual([0.7, 0.5, 2.5]);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 1, 2, 0)).toBe(221);
    expect(indexToWorld(volume.header, [0, 1, 2])).toEqual([5, 5.5, 10]);
  });

  it('a missing slice is reported and an empty slice keeps later slices at their DICOM positions', async () => {
    const files = zStack([0, 2, 6, 8]);
    const s = await only(files);
    expect(s.dims).toEqual([3, 4, 5]);
    expect(s.warnings.join()).toMatch(/missing slice: 1 between s1\.dcm and s2\.dcm \(gap 4 mm\)/);
    const { volume, warnings } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 1, 1, 3)).toBe(211); // file s2 (z = 6) at k = 3
    expect(indexToWorld(volume.header, [0, 0, 3])[2]).toBe(6);
    expect(at(volume.voxels, s.dims, 0, 0, 2)).toBe(0); // filled with the minimum
    expect(warnings.join()).toMatch(/1 empty slice .* filled with the volume minimum 0/);
  });

  it('irregular spacing that is not a missing slice is resampled onto the smallest gap (geometry-resample.test.ts)', async () => {
    const s = await only(zStack([0, 2, 4, 7, 9]));
    expect(s.dims[2]).toBe(5);
    expect(s.spacing[2]).toBe(2);
    expect(s.warnings.join()).toMatch(
      /resampled onto a regular 2 mm grid \(5 acquired slices → 5\): uneven slice gaps 2–3 mm/,
    );
  });

  it('duplicate positions: the first (lowest InstanceNumber) is kept and both files are named', async () => {
    const files = [...zStack([0, 2, 4]), slice('dup.dcm', { position: [-10, 20, 2], instance: 9, pixels: tagged(7) })];
    const s = await only(files);
    expect(s.dims[2]).toBe(3);
    expect(s.warnings.join()).toMatch(/duplicate slice position 2 mm \(s1\.dcm, dup\.dcm\): kept s1\.dcm/);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 0, 0, 1)).toBe(100);
  });

  it('systematic duplicates told apart by EchoNumbers become separate volumes', async () => {
    const files = [1, 2].flatMap((echo) =>
      [0, 3, 6].map((z, s) =>
        slice(`e${echo}_${s}.dcm`, {
          position: [0, 0, z],
          instance: echo * 10 + s,
          pixels: tagged(echo * 3 + s),
          extra: [{ tag: 0x00180086, vr: 'IS', value: String(echo) }],
        }),
      ),
    );
    const r = await scanFiles(files);
    expect(r.series).toHaveLength(2);
    expect(r.series.map((s) => s.uid)).toEqual(['1.2.3.1.1#1', '1.2.3.1.1#2']);
    expect(r.series[1].warnings.join()).toMatch(
      /2 volumes at the same slice positions \(different EchoNumbers\).*EchoNumbers 2/,
    );
    const { volume } = await loadSeries(r.series[1]);
    expect(at(volume.voxels, r.series[1].dims, 0, 0, 0)).toBe(600);
  });

  it('gantry tilt is named with its angle and resampled; the volume stays orthonormal', async () => {
    const t = Math.tan((15 * Math.PI) / 180);
    const files = [0, 1, 2, 3].map((s) => slice(`t${s}.dcm`, { position: [0, 3 * s * t, 3 * s], instance: s + 1 }));
    const s = await only(files);
    expect(s.warnings.join()).toMatch(/resampled onto a regular 3 mm grid .*: gantry tilt 15°/);
    expect(s.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.spacing[2]).toBeCloseTo(3, 12);
  });

  it('mixed image sizes in one SeriesInstanceUID are split into sub-series with a warning', async () => {
    const small = zStack([0, 2, 4]);
    const big = [0, 2].map((z, s) => slice(`big${s}.dcm`, { position: [0, 0, z], rows: 5, cols: 5, instance: 10 + s }));
    const r = await scanFiles([small[0], big[0], small[1], big[1], small[2]]);
    expect(r.series.map((s) => s.dims)).toEqual([
      [3, 4, 3],
      [5, 5, 2],
    ]);
    for (const s of r.series) expect(s.warnings.join()).toMatch(/split into 2 sub-series/);
    for (const s of r.series) expect((await loadSeries(s)).volume.header.dims).toEqual(s.dims);
  });

  it('several studies/series mixed in one drop', async () => {
    const a = zStack([0, 1, 2], () => ({ series: '1.2.3.1.7' }));
    const b = [0, 5].map((z, s) => slice(`b${s}.dcm`, { position: [0, 0, z], series: '1.2.3.1.8', instance: s + 1 }));
    const r = await scanFiles([b[1], a[2], a[0], b[0], a[1]]);
    expect(r.series.map((s) => [s.uid, s.dims[2], s.spacing[2]])).toEqual([
      ['1.2.3.1.8', 2, 5],
      ['1.2.3.1.7', 3, 1],
    ]);
  });

  it('images without ImagePositionPatient are stacked by InstanceNumber with a warning', async () => {
    const files = [2, 1, 3].map((n) => slice(`np${n}.dcm`, { instance: n, pixels: tagged(n) }));
    const s = await only(files);
    expect(s.warnings.join()).toMatch(/no patient position/);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 0, 0, 0)).toBe(100);
  });
});

describe('values', () => {
  it('applies a different RescaleIntercept per slice (int16)', async () => {
    const s = await only(zStack([0, 1, 2], (k) => ({ intercept: -1000 + 10 * k })));
    expect(s.dtype).toBe('int16');
    const { volume } = await loadSeries(s);
    expect(volume.header.dtype).toBe('int16');
    for (let k = 0; k < 3; k++) expect(at(volume.voxels, s.dims, 2, 1, k)).toBe(100 * k + 12 - 1000 + 10 * k);
  });

  it('a fractional slope on one slice gives float32 with exact values', async () => {
    const s = await only(zStack([0, 1, 2], (k) => ({ slope: k === 1 ? 0.5 : 1, intercept: -3 })));
    expect(s.dtype).toBe('float32');
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 1, 0, 1)).toBe(101 * 0.5 - 3);
    expect(at(volume.voxels, s.dims, 1, 0, 2)).toBe(201 - 3);
  });

  it('signed stored values with BitsStored 12', async () => {
    const s = await only([
      slice('sg.dcm', {
        position: [0, 0, 0],
        signed: true,
        bitsStored: 12,
        pixels: [-2048, -1, 0, 2047, 5, 6, 7, 8, 9, 10, 11, 12],
      }),
    ]);
    const { volume } = await loadSeries(s);
    expect(Array.from(volume.voxels.slice(0, 4))).toEqual([-2048, -1, 0, 2047]);
  });

  it('MONOCHROME1 is inverted so that higher is brighter, window centre too', async () => {
    const extra: El[] = [
      { tag: 0x00281050, vr: 'DS', value: '1000' },
      { tag: 0x00281051, vr: 'DS', value: '400' },
    ];
    const s = await only([
      slice('m1.dcm', {
        position: [0, 0, 0],
        photometric: 'MONOCHROME1',
        bitsStored: 12,
        intercept: -10,
        pixels: [0, 4095, 1000, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        extra,
      }),
    ]);
    expect(s.warnings.join()).toMatch(/MONOCHROME1/);
    const { volume } = await loadSeries(s);
    expect(Array.from(volume.voxels.slice(0, 3))).toEqual([4095 - 10, -10, 3095 - 10]);
    // rescaled r -> 4095 + 2*(-10) - r
    expect(volume.header.metadata.windowCenter).toBe(4095 - 20 - 1000);
    expect(volume.header.metadata.windowWidth).toBe(400);
  });

  it('16-bit unsigned data is loaded as int16 when it fits, float32 (never clipped) when it does not', async () => {
    const fits = await only([
      slice('u1.dcm', { position: [0, 0, 0], pixels: [0, 1, 32767, 4, 5, 6, 7, 8, 9, 10, 11, 12] }),
    ]);
    expect(fits.dtype).toBe('int16');
    const a = await loadSeries(fits);
    expect(a.volume.header.dtype).toBe('int16');
    expect(a.volume.voxels[2]).toBe(32767);
    const over = await only(
      zStack([0, 1], (k) => ({ pixels: k === 1 ? [40000, 65535, ...tagged(1).slice(2)] : tagged(0) })),
    );
    const b = await loadSeries(over);
    expect(b.volume.header.dtype).toBe('float32');
    expect(b.warnings.join()).toMatch(/exceed the int16 range \(first in s1\.dcm\).*float32/);
    expect(at(b.volume.voxels, over.dims, 0, 0, 1)).toBe(40000);
    expect(at(b.volume.voxels, over.dims, 1, 0, 1)).toBe(65535);
    expect(at(b.volume.voxels, over.dims, 2, 3, 0)).toBe(32);
  });
});

describe('bad input', () => {
  it('a truncated file is rejected by name while the rest of the series loads', async () => {
    const files = zStack([0, 2, 4, 6]);
    const whole = await files[2].slice(0);
    files[2] = memorySource('s2.dcm', whole.subarray(0, whole.length - 7));
    const r = await scanFiles(files);
    expect(r.rejected).toEqual([
      { file: 's2.dcm', reason: expect.stringMatching(/^truncated: pixel data needs 24 bytes/) },
    ]);
    expect(r.series).toHaveLength(1);
    const { volume } = await loadSeries(r.series[0]);
    expect(volume.header.dims).toEqual([3, 4, 4]);
    expect(at(volume.voxels, volume.header.dims, 0, 0, 3)).toBe(300);
  });

  it('a file cut inside its header, a text file and an RT plan are rejected with causes', async () => {
    const whole = await zStack([0])[0].slice(0);
    const plan = memorySource(
      'plan.dcm',
      part10([{ tag: 0x00080060, vr: 'CS', value: 'RTPLAN' }], EXPLICIT_LE, '1.2.840.10008.5.1.4.1.1.481.5'),
    );
    const r = await scanFiles([
      memorySource('cut.dcm', whole.subarray(0, 200)),
      memorySource('notes.txt', new TextEncoder().encode('hello world, not dicom at all')),
      plan,
    ]);
    expect(r.series).toEqual([]);
    expect(r.rejected.map((x) => x.file)).toEqual(['cut.dcm', 'notes.txt', 'plan.dcm']);
    expect(r.rejected[0].reason).toMatch(/truncated|ends/);
    expect(r.rejected[1].reason).toMatch(/not a DICOM file/);
    expect(r.rejected[2].reason).toBe('no pixel data (RT Plan Storage)');
  });
});

describe('encodings and multi-frame', () => {
  it('raw dataset without preamble, and a deflated dataset', async () => {
    const raw = encode(ds({ position: [0, 0, 0], pixels: tagged(3) }));
    expect(isDicom(raw)).toBe(true);
    expect(isDicom(new TextEncoder().encode('just text, definitely not a dataset'))).toBe(false);
    const a = await only([memorySource('raw.dcm', raw)]);
    expect((await loadSeries(a)).volume.voxels[5]).toBe(312);
    const b = await only([memorySource('dfl.dcm', part10(ds({ position: [0, 0, 0], pixels: tagged(4) }), DEFLATED))]);
    expect((await loadSeries(b)).volume.voxels[11]).toBe(432);
  });

  it('enhanced multi-frame, sagittal: per-frame positions, shared orientation and spacing', async () => {
    const xs = [4, 0, 2]; // frames stored out of order
    const perFrame: El[][] = xs.map((x) => [
      { tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: `${x}\\2\\3` }]] },
    ]);
    const shared: El[][] = [
      [
        { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: '0\\1\\0\\0\\0\\-1' }]] },
        { tag: 0x00289110, vr: 'SQ', value: [[{ tag: 0x00280030, vr: 'DS', value: '0.8\\0.9' }]] },
      ],
    ];
    const els = ds({
      frames: 3,
      pixels: [0, 1, 2].flatMap((f) => tagged(f)),
      extra: [
        { tag: 0x52009229, vr: 'SQ', value: shared },
        { tag: 0x52009230, vr: 'SQ', value: perFrame },
      ],
    });
    const s = await only([memorySource('sag.dcm', part10(els, EXPLICIT_LE, '1.2.840.10008.5.1.4.1.1.2.1'))]);
    // row = +y, column = -z, normal = row x column = -x: k runs from x = 4 down to x = 0
    expect(s.direction).toEqual([0, 0, -1, 1, 0, 0, 0, -1, 0]);
    expect(s.dims).toEqual([3, 4, 3]);
    expect(s.spacing).toEqual([0.9, 0.8, 2]);
    expect(s.origin).toEqual([4, 2, 3]);
    const { volume } = await loadSeries(s);
    expect([0, 1, 2].map((k) => at(volume.voxels, s.dims, 0, 0, k))).toEqual([0, 200, 100]);
    expect(indexToWorld(volume.header, [2, 3, 1])).toEqual([2, 2 + 2 * 0.9, 3 - 3 * 0.8]);
  });

  it('enhanced multi-frame stacked along its normal', async () => {
    const zs = [4, 0, 2];
    const perFrame: El[][] = zs.map((z, f) => [
      { tag: 0x00209113, vr: 'SQ', value: [[{ tag: 0x00200032, vr: 'DS', value: `1\\2\\${z}` }]] },
      {
        tag: 0x00289145,
        vr: 'SQ',
        value: [
          [
            { tag: 0x00281052, vr: 'DS', value: String(-100 * f) },
            { tag: 0x00281053, vr: 'DS', value: '1' },
          ],
        ],
      },
    ]);
    const shared: El[][] = [
      [
        { tag: 0x00209116, vr: 'SQ', value: [[{ tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' }]] },
        { tag: 0x00289110, vr: 'SQ', value: [[{ tag: 0x00280030, vr: 'DS', value: '0.8\\0.9' }]] },
      ],
    ];
    const pixels = [0, 1, 2].flatMap((f) => tagged(f));
    const els = ds({
      frames: 3,
      pixels,
      extra: [
        { tag: 0x52009229, vr: 'SQ', value: shared },
        { tag: 0x52009230, vr: 'SQ', value: perFrame },
      ],
    });
    const s = await only([memorySource('enh.dcm', part10(els, EXPLICIT_LE, '1.2.840.10008.5.1.4.1.1.2.1'))]);
    expect(s.dims).toEqual([3, 4, 3]);
    expect(s.spacing).toEqual([0.9, 0.8, 2]);
    expect(s.origin).toEqual([1, 2, 0]);
    expect(s.warnings).toEqual([]);
    const { volume } = await loadSeries(s);
    // k = 0 is frame 1 (z = 0, intercept -100), k = 2 is frame 0 (z = 4, intercept 0)
    expect(at(volume.voxels, s.dims, 2, 3, 0)).toBe(132 - 100);
    expect(at(volume.voxels, s.dims, 2, 3, 1)).toBe(232 - 200);
    expect(at(volume.voxels, s.dims, 2, 3, 2)).toBe(32);
  });

  it('a multi-frame file with every frame at one position is a cine: all frames kept, warned', async () => {
    const els = ds({ frames: 3, pixels: [0, 1, 2].flatMap((f) => tagged(f)), position: [1, 2, 3] });
    const s = await only([memorySource('cine.dcm', part10(els))]);
    expect(s.dims).toEqual([3, 4, 3]);
    expect(s.warnings.join()).toMatch(/cine or time series/);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 0, 0, 2)).toBe(200);
  });

  it('plain multi-frame with SpacingBetweenSlices', async () => {
    const pixels = [0, 1].flatMap((f) => tagged(f));
    const els = ds({ frames: 2, pixels, position: [0, 0, 10], extra: [{ tag: 0x00180088, vr: 'DS', value: '1.5' }] });
    const s = await only([memorySource('mf.dcm', part10(els))]);
    expect(s.dims).toEqual([3, 4, 2]);
    expect(s.spacing[2]).toBe(1.5);
    const { volume } = await loadSeries(s);
    expect(at(volume.voxels, s.dims, 1, 1, 1)).toBe(111);
  });
});

describe('input-sized arrays', () => {
  it('a multi-frame file of 200 000 1×1 frames scans and loads (no argument spread over the frames)', async () => {
    const n = 200_000;
    const pixels = Array.from({ length: n }, (_, f) => f % 1000);
    const els = ds({
      rows: 1,
      cols: 1,
      frames: n,
      pixels,
      position: [0, 0, 0],
      extra: [{ tag: 0x00180088, vr: 'DS', value: '0.5' }],
    });
    const s = await only([memorySource('many.dcm', part10(els))]);
    expect([...s.dims]).toEqual([1, 1, n]);
    const { volume } = await loadSeries(s);
    expect(volume.voxels[n - 1]).toBe((n - 1) % 1000);
  });
});

describe('bit-packed multi-frame', () => {
  it('1-bit frames that do not start on a byte boundary land in the right slices', async () => {
    // 3 frames of 4x3 = 12 bits: frame 1 starts at bit 4 of byte 1, frame 2 at byte 3.
    const frames = [0, 1, 2].map((f) => Array.from({ length: ROWS * COLS }, (_, p) => ((p + f) % 3 === 0 ? 1 : 0)));
    const bits = frames.flat();
    const packed = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((b, i) => (packed[i >> 3] |= b << (i & 7))); // DICOM packs the first pixel in the lowest bit
    const override = new Map<number, El>([
      [0x00280100, { tag: 0x00280100, vr: 'US', value: [1] }],
      [0x00280101, { tag: 0x00280101, vr: 'US', value: [1] }],
      [0x00280102, { tag: 0x00280102, vr: 'US', value: [0] }],
      [0x7fe00010, { tag: 0x7fe00010, vr: 'OB', value: packed }],
    ]);
    const els = ds({ frames: 3, position: [0, 0, 0], extra: [{ tag: 0x00180088, vr: 'DS', value: '2' }] }).map(
      (e) => override.get(e.tag) ?? e,
    );
    const s = await only([memorySource('bits.dcm', part10(els))]);
    expect(s.dims).toEqual([3, 4, 3]);
    const { volume } = await loadSeries(s);
    expect(Array.from(volume.voxels)).toEqual(bits);
  });
});

describe('progress and cancellation', () => {
  it('reports progress up to the total and honours an aborted signal', async () => {
    const files = zStack([0, 1, 2, 3]);
    const seen: string[] = [];
    const r = await scanFiles(files, { onProgress: (p) => seen.push(`${p.stage}:${p.done}/${p.total}`) });
    expect(seen.at(-1)).toBe('Reading DICOM headers:4/4');
    const loadSeen: number[] = [];
    await loadSeries(r.series[0], { onProgress: (p) => loadSeen.push(p.done) });
    expect(loadSeen.at(-1)).toBe(4);
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(scanFiles(files, { signal: ctrl.signal })).rejects.toThrow(/abort/i);
    await expect(loadSeries(r.series[0], { signal: ctrl.signal })).rejects.toThrow(/abort/i);
  });

  it('a SeriesInfo that lost its plan (structured clone) is re-scanned on load', async () => {
    const files = zStack([0, 2, 4]);
    const s = await only(files);
    const clone: SeriesInfo = { ...s, files: [...files] };
    const { volume } = await loadSeries(clone);
    expect(at(volume.voxels, s.dims, 2, 3, 2)).toBe(232);
  });
});

describe('CSA header', () => {
  it('parses a CSA2 header', () => {
    const tag = (name: string, values: string[]) => {
      const head = new Uint8Array(84);
      const dv = new DataView(head.buffer);
      head.set(new TextEncoder().encode(name));
      dv.setInt32(64, values.length, true);
      head.set(new TextEncoder().encode('FD'), 68);
      dv.setInt32(72, 3, true);
      dv.setInt32(76, values.length, true);
      dv.setInt32(80, 77, true);
      const items = values.map((v) => {
        const data = new TextEncoder().encode(v + '\0');
        const padded = new Uint8Array(16 + Math.ceil(data.length / 4) * 4);
        const idv = new DataView(padded.buffer);
        idv.setInt32(0, data.length, true);
        idv.setInt32(4, data.length, true);
        padded.set(data, 16);
        return padded;
      });
      return concat([head, ...items]);
    };
    const head = new Uint8Array(16);
    head.set(new TextEncoder().encode('SV10'));
    new DataView(head.buffer).setUint32(8, 2, true);
    const csa = parseCsa(
      concat([head, tag('NumberOfImagesInMosaic', ['35']), tag('SliceNormalVector', ['0', '0.1', '0.99'])]),
    );
    expect(csa?.get('NumberOfImagesInMosaic')).toEqual(['35']);
    expect(csa?.get('SliceNormalVector')).toEqual(['0', '0.1', '0.99']);
    expect(parseCsa(new Uint8Array(10))).toBeUndefined();
  });
});

describe('large series', () => {
  it('loads 512x512x1000 int16 into one array, generating files lazily', async () => {
    const n = 1000;
    const header = (k: number) => {
      const bytes = part10(
        ds({ position: [0, 0, k * 0.5], instance: k + 1, rows: 512, cols: 512, pixels: [], intercept: -1024 }),
      );
      return bytes; // pixel data element is empty here; patched below
    };
    const frameBytes = 512 * 512 * 2;
    const files: SourceFile[] = Array.from({ length: n }, (_, k) => {
      const h = header(k);
      // make the (empty) OW pixel element announce a full frame, then append the frame
      const dv = new DataView(h.buffer, h.byteOffset);
      const at = h.length - 4;
      dv.setUint32(at, frameBytes, true);
      const size = h.length + frameBytes;
      return {
        name: `big/${k}.dcm`,
        size,
        async slice(start: number, end = size) {
          const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
          for (let p = start; p < start + out.length;) {
            if (p < h.length) {
              const m = Math.min(h.length, start + out.length) - p;
              out.set(h.subarray(p, p + m), p - start);
              p += m;
            } else {
              const pix = new Uint16Array(out.buffer, out.byteOffset + (p - start), (start + out.length - p) >> 1);
              pix.fill((k % 2000) + 1024);
              p = start + out.length;
            }
          }
          return out;
        },
      };
    });
    const t0 = performance.now();
    const s = await only(files);
    expect(s.dims).toEqual([512, 512, 1000]);
    expect(s.dtype).toBe('int16');
    const { volume } = await loadSeries(s);
    const ms = performance.now() - t0;
    expect(volume.voxels).toBeInstanceOf(Int16Array);
    expect(volume.voxels.length).toBe(512 * 512 * 1000);
    expect(at(volume.voxels, s.dims, 511, 511, 999)).toBe(999);
    expect(at(volume.voxels, s.dims, 7, 3, 123)).toBe(123);
    console.log(`512x512x1000 scan+load: ${Math.round(ms)} ms`);
  }, 300_000);
});
