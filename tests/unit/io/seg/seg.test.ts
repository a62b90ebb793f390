/**
 * DICOM SEG: import of dcmqi's SEGs onto their CT (checked against the NRRD label maps beside
 * them, in world coordinates), writeSeg -> readSeg round trips (phantom series, overlapping
 * layers, an oblique k-flipped series), validation by dciodvfy and a pydicom re-read when those
 * tools are installed, bad input, the label table, codes and colours.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore -- dcmjs ships no type declarations
import * as dcmjsModule from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mat3, Vec3, Volume } from '../../../../src/core/types';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { parseBytes } from '../../../../src/io/dicom/parse';
import { memorySource } from '../../../../src/io/dicom/source';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import {
  alignToGrid,
  codesForName,
  readLabelTable,
  readSeg,
  rgbToDicomLab,
  dicomLabToRgb,
  segmentsFromTable,
  structureCode,
  TISSUE,
  writeLabelTable,
  writeSeg,
  type ReadSegResult,
  type SegLayerEntry,
  type SegSegment,
} from '../../../../src/io/seg/index';
import { generatePhantom, PHANTOM_LABELS } from '../../../../src/phantom/index';
import { indexToWorld, worldToIndex } from '../../../../src/volume/geometry';
import { reorientToCode } from '../../../../src/volume/reorient';
import { createVolume } from '../../../../src/volume/volume';
import { catchVoxseg } from '../../helpers/errors';
import { readNrrd } from '../../helpers/nrrd';
import { describeShared, hasShared, sharedPath } from '../../helpers/shared';

interface Dcmjs {
  data: {
    Colors: { rgb82DICOMLAB(rgb: number[]): number[] };
    DicomMessage: { readFile(buffer: ArrayBuffer): { dict: unknown; write(): ArrayBuffer } };
    DicomMetaDictionary: {
      naturalizeDataset(ds: unknown): Record<string, any>;
      denaturalizeDataset(ds: Record<string, unknown>): unknown;
    };
  };
}
const dcmjs = ((dcmjsModule as { default?: unknown }).default ?? dcmjsModule) as Dcmjs;
const Colors = dcmjs.data.Colors;
const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'voxseg-seg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function loadFiles(files: { name: string; bytes: Uint8Array }[]): Promise<Volume> {
  const scan = await scanFiles(files.map((f) => memorySource(f.name, f.bytes)));
  expect(scan.series).toHaveLength(1);
  return (await loadSeries(scan.series[0])).volume;
}

/** 0/1 mask of segment `n` in a readSeg result. */
function maskOf(r: ReadSegResult, n: number): Uint8Array {
  const e = r.segmentLayer.find((x) => x.number === n)!;
  return Uint8Array.from(r.layers[e.layer].voxels, (v) => (v === e.value ? 1 : 0));
}
function count(m: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  return n;
}
/** Same value at every voxel (counts differences rather than diffing huge arrays). */
function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what = 'voxels'): void {
  expect(a.length, what).toBe(b.length);
  let diff = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      diff++;
    }
  expect(diff, `${what} differing (first at ${first})`).toBe(0);
}
/** A volume on the grid of `v` holding `voxels`. */
const like = (v: Volume, voxels: Volume['voxels']) =>
  createVolume({
    dims: [...v.header.dims] as Vec3,
    spacing: [...v.header.spacing] as Vec3,
    origin: [...v.header.origin] as Vec3,
    direction: [...v.header.direction] as Mat3,
    voxels,
  });

/** Voxels of `src` at the centres of `ref`'s voxels (must coincide within 0.01 voxel): compares grids in world space. */
function onGrid(src: Volume, ref: Volume): Float64Array {
  const [nx, ny, nz] = ref.header.dims;
  const [sx, sy] = src.header.dims;
  const out = new Float64Array(nx * ny * nz);
  // the index map is affine: source index = q0 + i di + j dj + k dk
  const at = (ijk: Vec3) => worldToIndex(src.header, indexToWorld(ref.header, ijk));
  const q0 = at([0, 0, 0]);
  const [di, dj, dk] = (
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ] as Vec3[]
  ).map((e) => at(e).map((v, a) => v - q0[a]));
  for (let k = 0, o = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, o++) {
        const q = [0, 1, 2].map((a) => q0[a] + i * di[a] + j * dj[a] + k * dk[a]);
        const r = q.map(Math.round);
        if (q.some((v, a) => Math.abs(v - r[a]) > 0.01))
          throw new Error(`voxel ${i},${j},${k} is not on the source grid`);
        out[o] = src.voxels[r[0] + r[1] * sx + r[2] * sx * sy];
      }
  return out;
}

describeShared('dicom/seg-dcmqi', 'DICOM SEG import: dcmqi SEGs onto ct-3slice-ge', () => {
  let ct: Volume;
  const seg = (f: string) => readFileSync(sharedPath('dicom/seg-dcmqi', f));
  const nrrd = (f: string) => readNrrd(readFileSync(sharedPath('dicom/seg-dcmqi', f)));
  beforeAll(async () => {
    const names = ['01.dcm', '02.dcm', '03.dcm'];
    ct = await loadFiles(names.map((n) => ({ name: n, bytes: readFileSync(sharedPath('dicom/ct-3slice-ge', n)) })));
  });

  it('the loaded series carries what a SEG needs: one SOP Instance UID per slice, class, patient/study', () => {
    const md = ct.header.metadata;
    expect(md.sopInstanceUids).toHaveLength(3);
    // slices sorted feet to head: 23433 at z -128.69, 23432, 23431
    expect(md.sopInstanceUids!.map((u) => u.split('.').at(-2))).toEqual(['23433', '23432', '23431']);
    expect(md.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(md.frameNumbers).toBeUndefined();
    expect([md.patientSex, md.studyTime, md.accessionNumber, md.studyId]).toEqual(['M', '104607', '03086212', '1']);
  });

  it('liver.dcm: the liver segment matches liver_seg.nrrd voxel for voxel (and label 1 of liver_spine_seg.nrrd)', () => {
    const r = readSeg(seg('liver.dcm'), ct, 'liver.dcm');
    expect(r.warnings).toEqual([]);
    expect(r.segments).toHaveLength(1);
    const s = r.segments[0];
    expect([s.label, s.type.value, s.type.meaning, s.category.scheme, s.algorithmType]).toEqual([
      'Liver',
      'T-62000',
      'Liver',
      'SRT',
      'SEMIAUTOMATIC',
    ]);
    expect(s.color).toEqual([217, 130, 101]);
    const liver = maskOf(r, 1);
    expect(count(liver)).toBe(107098);
    const ref = onGrid(nrrd('liver_seg.nrrd'), ct);
    const both = onGrid(nrrd('liver_spine_seg.nrrd'), ct);
    let diff = 0;
    for (let i = 0; i < liver.length; i++)
      diff += Number(liver[i] !== (ref[i] === 1 ? 1 : 0)) + Number(liver[i] !== (both[i] === 1 ? 1 : 0));
    expect(diff).toBe(0);
  });

  it('partial_overlaps.dcm: 5 segments in 3 layers, every overlap kept; segment 1 lies inside the liver', () => {
    const r = readSeg(seg('partial_overlaps.dcm'), ct, 'partial_overlaps.dcm');
    expect(r.segments.map((s) => [s.number, s.label, s.type.meaning])).toEqual([
      [1, 'GREEN', 'Tissue'],
      [2, 'ORANGE', 'Artery'],
      [3, 'PURPLE', 'Capillary'],
      [4, 'LIGHT_BLUE', 'Edema'],
      [5, 'DARK_BLUE', 'Vein'],
    ]);
    expect(r.layers).toHaveLength(3);
    expect(r.segmentLayer.map((e) => e.layer)).toEqual([0, 1, 2, 0, 0]);
    const m = [1, 2, 3, 4, 5].map((n) => maskOf(r, n));
    expect(m.map(count)).toEqual([9602, 11888, 10743, 6693, 4713]);
    const both = (a: Uint8Array, b: Uint8Array) => count(a.map((v, i) => v & b[i]));
    expect([both(m[0], m[1]), both(m[0], m[2]), both(m[1], m[2])]).toEqual([3017, 95, 50]);
    const liver = onGrid(nrrd('liver_seg.nrrd'), ct);
    expect(both(m[0], Uint8Array.from(liver))).toBe(9602);
  });

  it.skipIf(!hasShared('dicom/debian/pydicom_test_files/liver_expb_1frame.dcm'))(
    "pydicom's 1-frame liver SEGs (little and big endian) give slice 0 of the liver",
    () => {
      const liver = maskOf(readSeg(seg('liver.dcm'), ct, 'liver.dcm'), 1);
      const nxy = 512 * 512;
      for (const f of ['liver_1frame.dcm', 'liver_expb_1frame.dcm']) {
        const one = maskOf(readSeg(readFileSync(sharedPath('dicom/debian/pydicom_test_files', f)), ct, f), 1);
        expect(count(one.subarray(nxy)), f).toBe(0);
        expectSame(one.subarray(0, nxy), liver.subarray(0, nxy), f);
      }
    },
  );

  it('a SEG onto a series of another frame of reference / size: errors naming the file', () => {
    const moved = createVolume({
      dims: [...ct.header.dims] as Vec3,
      spacing: [...ct.header.spacing] as Vec3,
      origin: [...ct.header.origin] as Vec3,
      direction: [...ct.header.direction] as Mat3,
      voxels: ct.voxels,
      metadata: {
        ...ct.header.metadata,
        frameOfReferenceUid: '1.2.3',
        sopInstanceUids: ['1.2.3.1', '1.2.3.2', '1.2.3.3'],
      },
    });
    const e = catchVoxseg(() => readSeg(seg('liver.dcm'), moved, 'liver.dcm'));
    expect(e.code).toBe('inconsistent-series');
    expect(e.message).toMatch(/^liver\.dcm: .*FrameOfReferenceUID/);
    const small = generatePhantom({ dims: [32, 32, 3], noise: 0 }).ct;
    expect(catchVoxseg(() => readSeg(seg('liver.dcm'), small, 'liver.dcm')).message).toMatch(
      /^liver\.dcm: frames are 512x512 pixels but the reference series has 32x32/,
    );
    // same frame of reference, but shifted by 2 mm: frames do not land on slices -> refused with the frame named
    const shifted = createVolume({
      dims: [...ct.header.dims] as Vec3,
      spacing: [...ct.header.spacing] as Vec3,
      origin: [ct.header.origin[0] + 2, ct.header.origin[1], ct.header.origin[2]],
      voxels: ct.voxels,
      metadata: { frameOfReferenceUid: ct.header.metadata.frameOfReferenceUid },
    });
    expect(catchVoxseg(() => readSeg(seg('liver.dcm'), shifted, 'liver.dcm')).message).toMatch(
      /^liver\.dcm: frame 1 \(segment 1\): position .* off the reference grid/,
    );
  });

  it('bad input: truncated file, a CT image, not DICOM', () => {
    const bytes = seg('liver.dcm');
    const cut = catchVoxseg(() => readSeg(bytes.subarray(0, Math.floor(bytes.length * 0.6)), ct, 'cut.dcm'));
    expect(cut.code).toBe('truncated');
    expect(cut.message).toMatch(/^cut\.dcm: truncated/);
    expect(catchVoxseg(() => readSeg(bytes.subarray(0, 3000), ct, 'head.dcm')).message).toMatch(/^head\.dcm: /);
    const image = catchVoxseg(() => readSeg(readFileSync(sharedPath('dicom/ct-3slice-ge/01.dcm')), ct, '01.dcm'));
    expect(image.message).toBe(
      '01.dcm: not a DICOM SEG but CT Image Storage; expected Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.4)',
    );
    expect(catchVoxseg(() => readSeg(new TextEncoder().encode('hello, not a SEG'), ct, 'x.txt')).message).toMatch(
      /^x\.txt: /,
    );
  });
});

describe('writeSeg -> readSeg', () => {
  let ct: Volume;
  let labels: Volume;
  let segments: SegSegment[];
  beforeAll(async () => {
    const p = generatePhantom({ dims: [40, 36, 10], spacing: [2, 2, 3], seed: 3 });
    ct = await loadFiles(writeDicomSeries(p.ct, { seed: 3 }));
    labels = p.labels;
    segments = segmentsFromTable(
      PHANTOM_LABELS.map((l) => ({ ...l })),
      { algorithmType: 'AUTOMATIC', algorithmName: 'phantom' },
    ).segments;
    segments[0] = {
      ...segments[0],
      algorithmVersion: '1.2',
      description: 'whole liver',
      typeModifier: { scheme: 'SCT', value: '7771000', meaning: 'Left' },
    };
  });

  it('phantom label map: same voxels and segment metadata back', () => {
    const bytes = writeSeg(ct, labels, segments, { date: new Date(2021, 4, 6, 7, 8, 9) });
    const r = readSeg(bytes, ct, 'phantom-seg.dcm');
    expect(r.warnings).toEqual([]);
    expect(r.layers).toHaveLength(1);
    expect(r.layers[0].header.dtype).toBe('uint8');
    expectSame(r.layers[0].voxels, labels.voxels);
    r.segments.forEach((s, i) => {
      const { color, ...rest } = segments[i];
      expect(s).toEqual({ ...rest, color: s.color });
      color!.forEach((c, ch) => expect(Math.abs(s.color![ch] - c)).toBeLessThanOrEqual(1));
    });
    // deterministic: same input, same bytes
    expect(writeSeg(ct, labels, segments, { date: new Date(2021, 4, 6, 7, 8, 9) })).toEqual(bytes);
  });

  /** Phantom labels plus a second layer (box 8, slab 9) overlapping them; written once. */
  let overlap: { extra: Uint8Array; entries: SegLayerEntry[]; bytes: Uint8Array } | undefined;
  function overlapCase() {
    if (overlap) return overlap;
    const n = labels.voxels.length;
    const extra = new Uint8Array(n);
    const [nx, ny] = labels.header.dims;
    for (let i = 0; i < n; i++) {
      const x = i % nx,
        y = Math.floor(i / nx) % ny;
      if (x > 8 && x < 30 && y > 10 && y < 25) extra[i] = 1; // a box over several organs
      if (x > 14 && x < 20) extra[i] = 2; // a slab across the box
    }
    const segs: SegSegment[] = [
      ...segments,
      { number: 8, label: 'box', algorithmType: 'MANUAL', ...codesForName('box') },
      { number: 9, label: 'slab', algorithmType: 'MANUAL', ...codesForName('slab') },
    ];
    const entries = [
      ...PHANTOM_LABELS.map((l) => ({ layer: 0, value: l.value, number: l.value })),
      { layer: 1, value: 1, number: 8 },
      { layer: 1, value: 2, number: 9 },
    ];
    const bytes = writeSeg(ct, { layers: [labels, like(labels, extra)], segments: entries }, segs);
    writeFileSync(join(tmp, 'overlap.dcm'), bytes);
    return (overlap = { extra, entries, bytes });
  }

  it('overlapping layers keep every segment whole', () => {
    const { extra, entries, bytes } = overlapCase();
    const r = readSeg(bytes, ct, 'overlap.dcm');
    expect(r.layers.length).toBeGreaterThanOrEqual(2);
    for (const e of entries) {
      const want = Uint8Array.from(e.layer ? extra : labels.voxels, (v) => (v === e.value ? 1 : 0));
      expectSame(maskOf(r, e.number), want, `segment ${e.number}`);
    }
    expect(r.segments.find((s) => s.number === 8)!.type).toEqual(TISSUE);
  });

  it('FRACTIONAL: voxels at or above half the maximum fractional value are in', () => {
    const fractional = edited((ds) => {
      const bits = new Uint8Array(ds.PixelData[0]);
      const n = ds.Rows * ds.Columns * Number(ds.NumberOfFrames);
      // in: 128 (2 x 128 >= 255); out: 0 and 127, just below half
      const px = Uint8Array.from({ length: n }, (_, i) => ((bits[i >> 3] >> (i & 7)) & 1 ? 128 : i % 3 ? 127 : 0));
      Object.assign(ds, {
        SegmentationType: 'FRACTIONAL',
        SegmentationFractionalType: 'PROBABILITY',
        MaximumFractionalValue: 255,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelData: [px.buffer],
        _vrMap: { PixelData: 'OB' },
      });
    });
    const r = readSeg(fractional, ct, 'fractional.dcm');
    expectSame(r.layers[0].voxels, labels.voxels);
  });

  /** Our SEG of the phantom, edited through dcmjs. */
  function edited(edit: (ds: Record<string, any>) => void): Uint8Array {
    const binary = writeSeg(ct, labels, segments);
    const dict = dcmjs.data.DicomMessage.readFile(binary.slice().buffer);
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    edit(ds);
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
    return new Uint8Array(dict.write());
  }

  it('frames without positions are placed on the image they reference; frames off the grid are an error', () => {
    const noPos = edited((ds) =>
      ds.PerFrameFunctionalGroupsSequence.forEach((f: Record<string, unknown>) => delete f.PlanePositionSequence),
    );
    const r = readSeg(noPos, ct, 'nopos.dcm');
    expectSame(r.layers[0].voxels, labels.voxels);
    const shifted = edited((ds) =>
      ds.PerFrameFunctionalGroupsSequence.forEach((f: Record<string, any>) => {
        const p = f.PlanePositionSequence.ImagePositionPatient ?? f.PlanePositionSequence[0].ImagePositionPatient;
        p[0] = String(Number(p[0]) + 1.5);
      }),
    );
    // off by 0.75 voxel while referencing an image: the SEG and the series disagree, never snapped
    expect(catchVoxseg(() => readSeg(shifted, ct, 'shifted.dcm')).message).toMatch(
      /^shifted\.dcm: frame 1 \(segment 1\): position .* is 1\.5 mm \(0\.75 voxel\) off the reference grid; it references the image of slice/,
    );
    const orphan = edited((ds) =>
      ds.PerFrameFunctionalGroupsSequence.forEach(
        (f: Record<string, unknown>) => (delete f.PlanePositionSequence, delete f.DerivationImageSequence),
      ),
    );
    expect(catchVoxseg(() => readSeg(orphan, ct, 'orphan.dcm')).message).toMatch(
      /^orphan\.dcm: frame 1 \(segment 1\): no ImagePositionPatient and no reference to an image/,
    );
  });

  it('{ labels, numbers }: value -> segment number', () => {
    const numbers = new Map(PHANTOM_LABELS.map((l) => [l.value, 8 - l.value]));
    const segs = segments.map((s) => ({ ...s, number: 8 - s.number }));
    const r = readSeg(writeSeg(ct, { labels, numbers }, segs), ct, 'mapped.dcm');
    for (const l of PHANTOM_LABELS)
      expect(count(maskOf(r, 8 - l.value))).toBe(count(labels.voxels.map((v) => (v === l.value ? 1 : 0))));
  });

  it('oblique, k-flipped series: labels on the written grid are refused until aligned; positions follow the DICOM slices', async () => {
    const p = generatePhantom({ dims: [36, 32, 8], spacing: [2.5, 2, 4], seed: 5 });
    const a = (25 * Math.PI) / 180,
      b = (15 * Math.PI) / 180;
    const row: Vec3 = [Math.cos(a), Math.sin(a), 0];
    const col: Vec3 = [-Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), Math.sin(b)];
    const n: Vec3 = [
      row[1] * col[2] - row[2] * col[1],
      row[2] * col[0] - row[0] * col[2],
      row[0] * col[1] - row[1] * col[0],
    ];
    const direction = [row[0], col[0], -n[0], row[1], col[1], -n[1], row[2], col[2], -n[2]] as Mat3; // k against the normal
    const geom = { dims: [36, 32, 8] as Vec3, spacing: [2.5, 2, 4] as Vec3, origin: [10, -20, 30] as Vec3, direction };
    const written = createVolume({ ...geom, voxels: p.ct.voxels });
    const files = writeDicomSeries(written, { seed: 5 });
    const oblique = await loadFiles(files);
    expect(oblique.header.direction[8]).toBeCloseTo(n[2], 6); // loaded k runs along the normal: flipped
    const lab = createVolume({ ...geom, voxels: p.labels.voxels });
    const segs = segments.map((s) => ({ ...s }));
    expect(catchVoxseg(() => writeSeg(oblique, lab, segs)).code).toBe('invalid-volume');
    const aligned = alignToGrid(lab, oblique);
    const bytes = writeSeg(oblique, aligned, segs);
    const r = readSeg(bytes, oblique, 'oblique.dcm');
    expectSame(r.layers[0].voxels, aligned.voxels);
    writeFileSync(join(tmp, 'oblique.dcm'), bytes);
    // every frame sits exactly where the image it references sits
    const where = new Map(
      files.map((f) => parseBytes(f.bytes, f.name, true).header).map((h) => [h.sopInstanceUid, h.geom.position!]),
    );
    const { header, dataSet } = parseBytes(bytes, 'oblique.dcm', false);
    const items = dataSet.elements['x52009230'].items!;
    expect(items.length).toBeGreaterThan(segs.length);
    items.forEach((it, f) => {
      const src =
        it.dataSet!.elements['x00089124'].items![0].dataSet!.elements['x00082112'].items![0].dataSet!.string(
          'x00081155',
        )!;
      const p = header.perFrame![f].position!;
      where.get(src)!.forEach((v, i) => expect(Math.abs(v - p[i])).toBeLessThan(1e-3));
      expect(header.perFrame![f].orientation!.map((v) => +v.toFixed(5))).toEqual(
        [row[0], row[1], row[2], col[0], col[1], col[2]].map((v) => +v.toFixed(5)),
      );
    });
  });

  it('refuses a reference without DICOM instances (e.g. NIfTI), and labels off its grid', () => {
    const nifti = createVolume({
      dims: [...ct.header.dims] as Vec3,
      spacing: [...ct.header.spacing] as Vec3,
      origin: [...ct.header.origin] as Vec3,
      voxels: ct.voxels,
    });
    const e = catchVoxseg(() => writeSeg(nifti, labels, segments));
    expect(e.code).toBe('usage');
    expect(e.message).toMatch(/DICOM series/);
    const off = createVolume({
      dims: [...labels.header.dims] as Vec3,
      spacing: [2, 2, 3.5],
      origin: [...labels.header.origin] as Vec3,
      voxels: labels.voxels,
    });
    expect(catchVoxseg(() => writeSeg(ct, off, segments)).message).toMatch(/not on the reference grid/);
    expect(
      catchVoxseg(() =>
        writeSeg(
          ct,
          labels,
          segments.map((s) => ({ ...s, number: s.number + 1 })),
        ),
      ).message,
    ).toMatch(/segment numbers must be 1\.\.7/);
    // a reoriented copy keeps the metadata, but its slices are no longer the DICOM images
    const flipped = reorientToCode(ct, 'LPI');
    expect(catchVoxseg(() => writeSeg(flipped, reorientToCode(labels, 'LPI'), segments)).message).toMatch(
      /no longer on its DICOM series' slice grid/,
    );
  });

  describe.runIf(spawnSync('sh', ['-c', 'command -v dciodvfy']).status === 0)('dciodvfy (dicom3tools)', () => {
    it('reports no errors for our SEGs', () => {
      writeFileSync(join(tmp, 'plain.dcm'), writeSeg(ct, labels, segments));
      overlapCase();
      for (const f of ['plain.dcm', 'overlap.dcm', 'oblique.dcm'].filter((f) => existsSync(join(tmp, f)))) {
        const r = spawnSync('dciodvfy', [join(tmp, f)], { encoding: 'utf8' });
        const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim());
        expect(
          lines.filter((l) => l.startsWith('Error')),
          `${f}:\n${lines.join('\n')}`,
        ).toEqual([]);
      }
    });
  });
  if (spawnSync('sh', ['-c', 'command -v dciodvfy']).status !== 0)
    it.skip('dciodvfy [skipped: dciodvfy (Debian dicom3tools) is not installed]', () => {});

  const python = '/usr/bin/python3';
  const hasPydicom = spawnSync(python, ['-c', 'import pydicom, numpy']).status === 0;
  describe.runIf(hasPydicom)('pydicom', () => {
    it('reads our overlapping SEG: per-frame positions, counts and pixel checksums match the input masks', () => {
      overlapCase();
      const r = spawnSync(python, [join(here, 'seg_read.py'), join(tmp, 'overlap.dcm')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        segments: Record<string, number>;
        frames: { segment: number; position: Vec3; count: number; sum: number }[];
        overlap: string;
      };
      expect(out.overlap).toBe('YES');
      const { extra: box, entries } = overlapCase();
      const truth = (n: number) => {
        const e = entries.find((x) => x.number === n)!;
        return Uint8Array.from(e.layer ? box : labels.voxels, (v) => (v === e.value ? 1 : 0));
      };
      const [nx, ny, nz] = ct.header.dims;
      const seen = new Set<string>();
      for (const f of out.frames) {
        const q = worldToIndex(ct.header, f.position);
        const k = Math.round(q[2]);
        expect(Math.abs(q[0]) + Math.abs(q[1]) + Math.abs(q[2] - k)).toBeLessThan(1e-3);
        const m = truth(f.segment).subarray(k * nx * ny, (k + 1) * nx * ny);
        let c = 0,
          sum = 0;
        m.forEach((v, i) => v && (c++, (sum += i)));
        expect([f.count, f.sum]).toEqual([c, sum]);
        seen.add(`${f.segment}:${k}`);
        expect(k).toBeLessThan(nz);
      }
      expect(seen.size).toBe(out.frames.length); // one frame per (segment, slice)
      for (const [s, c] of Object.entries(out.segments)) expect(c).toBe(count(truth(Number(s))));
    });
  });
  if (!hasPydicom) it.skip(`pydicom [skipped: ${python} cannot import pydicom and numpy]`, () => {});
});

describe('label table, codes, colours', () => {
  it('label table round trip; errors name the file and field', () => {
    const text = writeLabelTable([
      {
        value: 3,
        name: 'Liver',
        color: [1, 2, 3],
        type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
        algorithmType: 'AUTOMATIC',
        algorithmName: 'net',
        layer: 1,
      },
    ]);
    expect(text).toContain('"color": [1, 2, 3]');
    expect(readLabelTable(text, 't.json')).toEqual([
      {
        value: 3,
        name: 'Liver',
        color: [1, 2, 3],
        type: { scheme: 'SCT', value: '10200004', meaning: 'Liver' },
        algorithmType: 'AUTOMATIC',
        algorithmName: 'net',
        layer: 1,
      },
    ]);
    const bad = (json: unknown) => catchVoxseg(() => readLabelTable(JSON.stringify(json), 't.json')).message;
    expect(bad({ segments: [{ value: 1, name: 'a', color: [300, 0, 0] }] })).toMatch(
      /^t\.json: label table: segments\[0\]\.color must be/,
    );
    expect(bad({ segments: [{ value: 1 }] })).toMatch(/segments\[0\]\.name/);
    expect(
      bad({
        segments: [
          { value: 1, name: 'a' },
          { value: 1, name: 'b' },
        ],
      }),
    ).toMatch(/segments\[1\]\.value 1 \(layer 0\) is already used by segments\[0\]/);
    expect(bad({ segments: [{ value: 1, name: 'a', algorithmType: 'AUTO' }] })).toMatch(
      /segments\[0\]\.algorithmType must be one of AUTOMATIC, SEMIAUTOMATIC, MANUAL/,
    );
    // an automatic segment without algorithm name gets the default one when written as SEG
    const auto = segmentsFromTable(
      readLabelTable(JSON.stringify({ segments: [{ value: 1, name: 'a', algorithmType: 'AUTOMATIC' }] })),
    );
    expect(auto.segments[0]).toMatchObject({ algorithmType: 'AUTOMATIC', algorithmName: 'voxseg' });
    expect(bad({ segments: [{ value: 1, name: 'a', type: { scheme: 'SCT' } }] })).toMatch(
      /segments\[0\]\.type needs a non-empty "value"/,
    );
    expect(bad({ labels: [] })).toMatch(/"segments" must be an array/);
    expect(readLabelTable(JSON.stringify([{ value: 2, name: 'spleen', color: [1, 1, 1] }]))).toHaveLength(1); // phantom's bare array
  });

  it('SNOMED lookup by name variants, Tissue otherwise', () => {
    expect(structureCode('Kidney_Left')?.value).toBe('18639004');
    expect(structureCode('left kidney')?.value).toBe('18639004');
    expect(structureCode('kidney-right')?.value).toBe('9846003');
    expect(structureCode('LUNGS')?.value).toBe('39607008');
    expect(structureCode('spine')?.value).toBe('421060004');
    expect(codesForName('Liver').category.value).toBe('123037004');
    expect(codesForName('Segment 4')).toEqual({ category: TISSUE, type: TISSUE });
  });

  it('sRGB <-> DICOM CIELab agrees with dcmjs and round-trips', () => {
    expect(rgbToDicomLab([255, 255, 255])).toEqual([65535, 32896, 32896]);
    for (const { color } of PHANTOM_LABELS) {
      const lab = rgbToDicomLab(color);
      Colors.rgb82DICOMLAB(color).forEach((v, i) => expect(Math.abs(lab[i] - v)).toBeLessThanOrEqual(8));
      dicomLabToRgb(lab).forEach((v, i) => expect(Math.abs(v - color[i])).toBeLessThanOrEqual(1));
    }
  });
});
