/** `voxseg export-seg` / `voxseg import-seg`: round trips on a phantom DICOM series, overlaps, exit codes. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mat3, Vec3 } from '../../../src/core/types';
import { writeNifti } from '../../../src/io/nifti/index';
import { readLabelLayers, readLabelTable, writeLabelLayers } from '../../../src/io/seg/index';
import { reorientToCode } from '../../../src/volume/reorient';
import { createVolume } from '../../../src/volume/volume';
import { runCli } from '../../../src/cli/main';
import { describeShared, sharedPath } from '../helpers/shared';
import { readNiftiFile, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-segcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ph = join(tmp, 'ph');
const ct = join(ph, 'ct');
const labels = join(ph, 'labels.nii.gz');
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);
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
/** The CLI in-process (faster than spawning it; the exit codes come from the same runCli). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

beforeAll(() => {
  const r = voxseg(['phantom', '-o', ph, '--labels', '--dims', '48,40,10', '--spacing', '3,3,4', '--seed', '2']);
  expect(r.code, r.stderr).toBe(0);
});

describe('voxseg export-seg / import-seg', () => {
  it('round trip with the phantom label table: same voxels, names, colours, codes', () => {
    const seg = join(tmp, 'out', 'seg.dcm');
    const ex = voxseg([
      'export-seg',
      labels,
      '--ref',
      ct,
      '-o',
      seg,
      '--labels',
      join(ph, 'labels.json'),
      '--creator',
      'Doe^Jane',
    ]);
    expect(ex.stderr).toBe('');
    expect(ex.code).toBe(0);
    expect(ex.stdout).toMatch(/^#\s+name\s+value\s+layer\s+slices\s+voxels\s+type/);
    expect(ex.stdout).toMatch(/\n4\s+kidney_left\s+4\s+0\s+\d+\s+\d+\s+SCT 18639004 Left kidney\n/);
    expect(ex.stdout).toMatch(/wrote .*seg\.dcm: 7 segments, \d+ frames, \d+ bytes\n$/);

    const back = join(tmp, 'out', 'back.nii.gz');
    const im = voxseg(['import-seg', seg, '--ref', ct, '-o', back]);
    expect(im.code, im.stderr).toBe(0);
    expect(im.stdout).toMatch(/wrote .*back\.nii\.gz \(48x40x10\) and .*back\.json: 7 segments/);
    const a = readNiftiFile(labels);
    const b = readNiftiFile(back);
    expectSame(b.voxels, a.voxels);
    const table = readLabelTable(readFileSync(join(tmp, 'out', 'back.json'), 'utf8'));
    const phantom = JSON.parse(readFileSync(join(ph, 'labels.json'), 'utf8')) as {
      value: number;
      name: string;
      color: number[];
    }[];
    expect(table.map((e) => [e.value, e.name, e.layer])).toEqual(phantom.map((p) => [p.value, p.name, 0]));
    table.forEach((e, i) =>
      e.color!.forEach((c, ch) => expect(Math.abs(c - phantom[i].color[ch])).toBeLessThanOrEqual(1)),
    );
    expect(table[0].type).toEqual({ scheme: 'SCT', value: '10200004', meaning: 'Liver' });
    // the counts printed on import are the label map's
    const liver = Array.from(a.voxels).filter((v) => v === 1).length;
    expect(im.stdout).toMatch(new RegExp(`\\n1\\s+liver\\s+0\\s+1\\s+\\d+\\s+${liver}\\n`));
  });

  it('a RAS label map without table: same grid in another axis order; segments named from values', () => {
    const ras = join(tmp, 'labels-ras.nii');
    const src = readNiftiFile(labels);
    writeFileSync(ras, writeNifti(reorientToCode(src, 'RAS')));
    const seg = join(tmp, 'ras.dcm');
    const ex = voxseg(['export-seg', ras, '--ref', ct, '-o', seg]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/\n1\s+Segment 1\s+1\s+0\s+\d+\s+\d+\s+SCT 85756007 Tissue\n/);
    const back = join(tmp, 'ras-back.nii');
    expect(voxseg(['import-seg', seg, '--ref', ct, '-o', back]).code).toBe(0);
    expectSame(readNiftiFile(back).voxels, src.voxels);
  });

  it('overlapping segments: a 4-D label map in, a 4-D label map out, no voxel lost', () => {
    const a = readNiftiFile(labels);
    const box = new Uint8Array(a.voxels.length);
    const [nx, ny] = a.header.dims;
    box.forEach((_, i) => (box[i] = i % nx > 10 && i % nx < 30 && Math.floor(i / nx) % ny > 8 ? 9 : 0));
    const grid = {
      dims: [...a.header.dims] as Vec3,
      spacing: [...a.header.spacing] as Vec3,
      origin: [...a.header.origin] as Vec3,
      direction: [...a.header.direction] as Mat3,
    };
    const layer0 = createVolume({ ...grid, voxels: Uint8Array.from(a.voxels) });
    const layer1 = createVolume({ ...grid, voxels: box });
    const four = join(tmp, 'layers.nii.gz');
    writeFileSync(four, writeLabelLayers([layer0, layer1], { gzip: true }));
    const seg = join(tmp, 'layers.dcm');
    const ex = voxseg(['export-seg', four, '--ref', ct, '-o', seg]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/\n8\s+Segment 9 \(layer 1\)\s+9\s+1\s/);
    const back = join(tmp, 'layers-back.nii.gz');
    const im = voxseg(['import-seg', seg, '--ref', ct, '-o', back]);
    expect(im.code, im.stderr).toBe(0);
    expect(im.stdout).toMatch(/2 layers \(overlapping segments\)/);
    const { layers } = readLabelLayers(readFileSync(back), back);
    expect(layers).toHaveLength(2);
    const table = readLabelTable(readFileSync(join(tmp, 'layers-back.json'), 'utf8'));
    const boxEntry = table.find((e) => e.name === 'Segment 9 (layer 1)')!;
    expectSame(
      Uint8Array.from(layers[boxEntry.layer!].voxels, (v) => (v === boxEntry.value ? 1 : 0)),
      Uint8Array.from(box, (v) => (v ? 1 : 0)),
      'box',
    );
    const liver = table.find((e) => e.name === 'Segment 1 (layer 0)')!;
    expectSame(
      Uint8Array.from(layers[liver.layer!].voxels, (v) => (v === liver.value ? 1 : 0)),
      Uint8Array.from(a.voxels, (v) => (v === 1 ? 1 : 0)),
      'liver',
    );
  });

  it('usage errors exit 2 (in-process runCli)', async () => {
    for (const args of [
      ['export-seg', labels, '-o', join(tmp, 'x.dcm')], // no --ref
      ['export-seg', labels, '--ref', ct], // no -o
      ['export-seg', join(ph, 'labels.json'), '--ref', ct, '-o', join(tmp, 'x.dcm')], // not NIfTI
      ['import-seg', join(tmp, 'out', 'seg.dcm'), '--ref', ct, '-o', join(tmp, 'x.txt')],
      ['import-seg', '--ref', ct, '-o', join(tmp, 'x.nii')],
      ['import-seg', join(tmp, 'out', 'seg.dcm'), '--ref', ct, '-o', join(tmp, 'x.nii'), '--bogus'],
    ]) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}\n${r.err}`).toBe(2);
      expect(r.err).toMatch(/Run 'voxseg (export|import)-seg --help'/);
    }
    const niftiRef = await run(['export-seg', labels, '--ref', labels, '-o', join(tmp, 'x.dcm')]);
    expect(niftiRef.code).toBe(2);
    expect(niftiRef.err).toMatch(/--ref must be the DICOM series \(a SEG references its images\)/);
    expect((await run(['import-seg', '--help'])).out).toMatch(/Usage: voxseg import-seg/);
  });

  it('bad input exits 1 naming the file', async () => {
    const image = join(ct, 'IM0001.dcm');
    const notSeg = voxseg(['import-seg', image, '--ref', ct, '-o', join(tmp, 'y.nii')]);
    expect(notSeg.code).toBe(1);
    expect(notSeg.stderr).toContain(`${image}: not a DICOM SEG but CT Image Storage`);
    noStack(notSeg.stderr);

    const cut = join(tmp, 'cut.dcm');
    const whole = readFileSync(join(tmp, 'out', 'seg.dcm'));
    writeFileSync(cut, whole.subarray(0, whole.length - 500));
    const trunc = voxseg(['import-seg', cut, '--ref', ct, '-o', join(tmp, 'y.nii')]);
    expect(trunc.code).toBe(1);
    expect(trunc.stderr).toMatch(/cut\.dcm: truncated/);

    const small = join(tmp, 'small.nii');
    writeFileSync(
      small,
      writeNifti(createVolume({ dims: [48, 40, 9], spacing: [3, 3, 4], voxels: new Uint8Array(48 * 40 * 9).fill(1) })),
    );
    const grid = await run(['export-seg', small, '--ref', ct, '-o', join(tmp, 'z.dcm')]);
    expect(grid.code).toBe(1);
    expect(grid.err).toMatch(
      /small\.nii: label map is not on the grid of the reference series \(dims 48×40×9 vs 48×40×10\)/,
    );
    expect(existsSync(join(tmp, 'z.dcm'))).toBe(false);

    const missing = await run(['import-seg', join(tmp, 'nope.dcm'), '--ref', ct, '-o', join(tmp, 'y.nii')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.dcm: no such file/);

    const badTable = join(tmp, 'bad.json');
    writeFileSync(badTable, JSON.stringify({ segments: [{ value: 1, name: 'liver', color: 'red' }] }));
    const tab = await run(['export-seg', labels, '--ref', ct, '-o', join(tmp, 'z.dcm'), '--labels', badTable]);
    expect(tab.code).toBe(1);
    expect(tab.err).toMatch(/bad\.json: label table: segments\[0\]\.color must be/);
  });
});

describeShared('dicom/seg-dcmqi', 'voxseg import-seg on dcmqi files', () => {
  it('partial_overlaps.dcm onto ct-3slice-ge: a 4-D label map of 3 layers and its table', async () => {
    const out = join(tmp, 'dcmqi', 'overlaps.nii.gz');
    const r = await run([
      'import-seg',
      sharedPath('dicom/seg-dcmqi/partial_overlaps.dcm'),
      '--ref',
      sharedPath('dicom/ct-3slice-ge'),
      '-o',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/\n2\s+ORANGE\s+1\s+2\s+1\s+11888\n/);
    expect(r.out).toMatch(/512x512x3, 3 layers \(overlapping segments\)/);
    const { layers } = readLabelLayers(readFileSync(out), out);
    expect(layers.map((l) => l.header.dims.join('x'))).toEqual(['512x512x3', '512x512x3', '512x512x3']);
    const table = readLabelTable(readFileSync(join(tmp, 'dcmqi', 'overlaps.json'), 'utf8'));
    expect(table.map((e) => [e.name, e.layer, e.type?.meaning])).toEqual([
      ['GREEN', 0, 'Tissue'],
      ['ORANGE', 1, 'Artery'],
      ['PURPLE', 2, 'Capillary'],
      ['LIGHT_BLUE', 0, 'Edema'],
      ['DARK_BLUE', 0, 'Vein'],
    ]);
  });
});
