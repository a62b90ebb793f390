/**
 * `voxseg export-seg`: --labelmap (Label Map Segmentation), a series with blank UIDs (derived
 * UIDs named in a warning, dciodvfy accepts the SEG), 4,096 labels (time logged, not asserted),
 * and the shared ct-abdomen-j2k series (skipped without it). SEGs are checked with pydicom and
 * dciodvfy, independently of voxseg's reader.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../src/core/types';
import { writeNifti } from '../../../src/io/nifti/index';
import { createVolume } from '../../../src/volume/volume';
import { describeShared, sharedPath } from '../helpers/shared';
import {
  blankUids,
  dciodvfyErrors,
  differing,
  hasDciodvfy,
  hasPydicom,
  loadFiles,
  pyDecode,
  python,
} from '../io/seg/write-helpers';
import { readNiftiFile, voxseg } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-segexport-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ph = join(tmp, 'ph');
const ct = join(ph, 'ct');
const labels = join(ph, 'labels.nii.gz');
const dirFiles = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }));
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

let series: Volume;
beforeAll(async () => {
  const r = voxseg(['phantom', '-o', ph, '--labels', '--dims', '48,40,10', '--spacing', '3,3,4', '--seed', '4']);
  expect(r.code, r.stderr).toBe(0);
  series = await loadFiles(dirFiles(ct));
});

describe('voxseg export-seg', () => {
  it('--help documents --labelmap', () => {
    const r = voxseg(['export-seg', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /--labelmap\s+write a Label Map Segmentation \(SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.66\.7/,
    );
  });

  it.runIf(hasPydicom)('--labelmap: a Label Map SEG that pydicom decodes to the label map', () => {
    const out = join(tmp, 'lm', 'seg.dcm');
    const r = voxseg(['export-seg', labels, '--ref', ct, '-o', out, '--labels', join(ph, 'labels.json'), '--labelmap']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*seg\.dcm: label map SEG, 7 segments, \d+ frames, \d+ bytes\n$/);
    const d = pyDecode(out, series);
    expect([d.sopClass, d.type, d.bits]).toEqual(['1.2.840.10008.5.1.4.1.1.66.7', 'LABELMAP', 8]);
    expect(differing(d.labels, readNiftiFile(labels).voxels)).toBe(0);
  });

  it('a series with blank Study/Series/SOP Instance UIDs: derived UIDs, said in a warning; dciodvfy accepts the SEG', () => {
    const blank = join(tmp, 'blank');
    mkdirSync(blank);
    for (const f of blankUids(dirFiles(ct))) writeFileSync(join(blank, f.name), f.bytes);
    const out = join(tmp, 'blank.dcm');
    const r = voxseg(['export-seg', labels, '--ref', blank, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    noStack(r.stderr);
    const m = r.stderr.match(
      /warning: the source series in .*blank has blank StudyInstanceUID and SeriesInstanceUID: the SEG references derived UIDs \(StudyInstanceUID (2\.25\.\d+), SeriesInstanceUID (2\.25\.\d+)\)/,
    );
    expect(m, r.stderr).not.toBeNull();
    if (hasPydicom) {
      const d = pyDecode(out, series);
      expect([d.study, d.series]).toEqual([m![1], m![2]]);
      expect(new Set(d.referenced)).toEqual(new Set(series.header.metadata.sopInstanceUids)); // the file meta UIDs
      expect(differing(d.labels, readNiftiFile(labels).voxels)).toBe(0);
    }
    if (hasDciodvfy) expect(dciodvfyErrors(out)).toEqual([]);
    // the same series again: the same derived UIDs
    const again = voxseg(['export-seg', labels, '--ref', blank, '-o', join(tmp, 'blank2.dcm'), '--description', 'x']);
    expect(again.stderr).toContain(m![2]);
  });

  it('--write-ref DIR: the series back with the UIDs the SEG references; every other byte kept', async () => {
    const blank = join(tmp, 'blank-w');
    mkdirSync(blank);
    const blanked = blankUids(dirFiles(ct));
    for (const f of blanked) writeFileSync(join(blank, f.name), f.bytes);
    const fixed = join(tmp, 'fixed');
    const out = join(tmp, 'blank-w.dcm');
    const r = voxseg(['export-seg', labels, '--ref', blank, '-o', out, '--write-ref', fixed]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /wrote 10 files of the series to .*fixed with SOPInstanceUID, StudyInstanceUID, SeriesInstanceUID filled\n/,
    );
    expect(r.stderr).toMatch(/write the series back with them \(--write-ref .*fixed does\)/);
    const back = await loadFiles(dirFiles(fixed));
    if (hasPydicom) {
      const d = pyDecode(out, series);
      expect([back.header.metadata.studyInstanceUid, back.header.metadata.seriesInstanceUid]).toEqual([
        d.study,
        d.series,
      ]);
      expect(new Set(back.header.metadata.sopInstanceUids)).toEqual(new Set(d.referenced));
      // pydicom: the UIDs are in the data sets, pixel data and all other elements as in the blanked files
      const py = spawnSync(
        python,
        [
          '-c',
          `import pydicom, sys, os
a_dir, b_dir = sys.argv[1:3]
for n in sorted(os.listdir(a_dir)):
    a, b = pydicom.dcmread(os.path.join(a_dir, n)), pydicom.dcmread(os.path.join(b_dir, n))
    assert a.SOPInstanceUID == a.file_meta.MediaStorageSOPInstanceUID, n
    assert [e.tag for e in a if e.tag not in b] == [] and a.PixelData == b.PixelData, n
    for e in b:
        if e.tag not in (0x00080018, 0x0020000D, 0x0020000E):
            assert a[e.tag].value == e.value, (n, e.tag)
print(len(os.listdir(a_dir)))`,
          fixed,
          blank,
        ],
        { encoding: 'utf8' },
      );
      expect(py.status, py.stderr).toBe(0);
      expect(py.stdout.trim()).toBe('10');
    }
    if (hasDciodvfy) expect(dciodvfyErrors(join(fixed, 'IM0001.dcm'))).toEqual([]);
    const self = voxseg(['export-seg', labels, '--ref', blank, '-o', join(tmp, 'x.dcm'), '--write-ref', blank]);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/is the reference folder itself/);
  });

  it('--labelmap with overlapping layers: exit 1 naming the segments', async () => {
    const lab = readNiftiFile(labels);
    const second = new Uint8Array(lab.voxels.length);
    for (let i = 0; i < second.length; i++) second[i] = lab.voxels[i] === 1 ? 1 : 0; // over the liver
    const file = join(tmp, 'two-layers.nii.gz');
    const { writeLabelLayers } = await import('../../../src/io/seg/index');
    writeFileSync(
      file,
      writeLabelLayers([
        lab,
        createVolume({
          dims: [...lab.header.dims],
          spacing: [...lab.header.spacing],
          origin: [...lab.header.origin],
          direction: [...lab.header.direction],
          voxels: second,
        }),
      ]),
    );
    const r = voxseg(['export-seg', file, '--ref', ct, '-o', join(tmp, 'ov.dcm'), '--labelmap']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /two-layers\.nii\.gz: segments \d+ and \d+ overlap, which a label map SEG cannot hold: write a BINARY SEG/,
    );
    noStack(r.stderr);
  });

  it('4,096 labels: BINARY and --labelmap in seconds (times logged), read back by the CLI check', () => {
    const big = join(tmp, 'big');
    const g = voxseg(['phantom', '-o', big, '--labels', '--dims', '128,128,64', '--spacing', '1,1,2', '--seed', '1']);
    expect(g.code, g.stderr).toBe(0);
    const grid = readNiftiFile(join(big, 'labels.nii.gz'));
    const lab = new Uint16Array(grid.voxels.length);
    for (let k = 0, o = 0; k < 64; k++)
      for (let j = 0; j < 128; j++)
        for (let i = 0; i < 128; i++, o++) lab[o] = ((((i >> 3) + 16 * (j >> 3) + 256 * (k >> 2)) * 2671) % 4096) + 1;
    const file = join(tmp, 'blocks.nii.gz');
    const h = grid.header;
    writeFileSync(
      file,
      writeNifti(
        createVolume({
          dims: [...h.dims],
          spacing: [...h.spacing],
          origin: [...h.origin],
          direction: [...h.direction],
          voxels: lab,
        }),
        { gzip: true },
      ),
    );
    for (const extra of [[], ['--labelmap']]) {
      const t0 = performance.now();
      const r = voxseg([
        'export-seg',
        file,
        '--ref',
        join(big, 'ct'),
        '-o',
        join(tmp, `blocks${extra.length}.dcm`),
        ...extra,
      ]);
      const s = (performance.now() - t0) / 1000;
      console.log(
        `[speed] voxseg export-seg 4096 labels 128x128x64 ${extra.join(' ') || '(BINARY)'}: ${s.toFixed(1)} s`,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`: ${extra.length ? 'label map SEG, ' : ''}4096 segments, ${extra.length ? 64 : 16384} frames,`),
      );
    }
  }, 300_000);
});

describeShared('dicom/ct-abdomen-j2k', 'voxseg export-seg on ct-abdomen-j2k (blank UIDs)', () => {
  it('warns with the derived UIDs; dciodvfy accepts the SEG', () => {
    const src = sharedPath('dicom/ct-abdomen-j2k');
    const nii = join(tmp, 'abd.nii.gz');
    const c = voxseg(['convert', src, '-o', nii]);
    expect(c.code, c.stderr).toBe(0);
    const img = readNiftiFile(nii);
    const lab = Uint8Array.from(img.voxels, (v) => (v > 200 ? 1 : v > 0 ? 2 : 0));
    const labFile = join(tmp, 'abd-labels.nii.gz');
    const h = img.header;
    writeFileSync(
      labFile,
      writeNifti(
        createVolume({
          dims: [...h.dims],
          spacing: [...h.spacing],
          origin: [...h.origin],
          direction: [...h.direction],
          voxels: lab,
        }),
        { gzip: true },
      ),
    );
    for (const extra of [[], ['--labelmap']]) {
      const out = join(tmp, `abd${extra.length}.dcm`);
      const r = voxseg(['export-seg', labFile, '--ref', src, '-o', out, ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /blank StudyInstanceUID and SeriesInstanceUID: the SEG references derived UIDs \(StudyInstanceUID 2\.25\.\d+/,
      );
      if (hasDciodvfy && !extra.length) expect(dciodvfyErrors(out)).toEqual([]);
    }
  }, 120_000);
});
