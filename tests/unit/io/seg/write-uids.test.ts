/**
 * SEG on a series whose Study/Series/SOP Instance UIDs are blank in the data set (as some
 * anonymizers leave them): the instances are referenced by their file meta UIDs, the study and
 * series by deterministic derived UIDs (said in `source.derived`), and dciodvfy accepts the SEG;
 * a series whose images nothing identifies is refused. Checked on a generated series and on the
 * shared ct-abdomen-j2k series (skipped without it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../../src/core/types';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import {
  buildSeg,
  derivedUidsWarning,
  fillBlankUids,
  segmentsFromTable,
  type SegSegment,
} from '../../../../src/io/seg/index';
import { generatePhantom, PHANTOM_LABELS } from '../../../../src/phantom/index';
import { createVolume } from '../../../../src/volume/volume';
import { catchVoxseg } from '../../helpers/errors';
import { describeShared, sharedPath } from '../../helpers/shared';
import {
  blankUids,
  dciodvfyErrors,
  differing,
  hasDciodvfy,
  hasPydicom,
  loadFiles,
  pyDecode,
  type DicomFile,
} from './write-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-seguids-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const UID = /^2\.25\.[1-9]\d{0,38}$/;

describe('SEG on a series with blank UIDs', () => {
  let files: DicomFile[];
  let ct: Volume;
  let labels: Volume;
  let segments: SegSegment[];
  const metaUids: string[] = [];
  beforeAll(async () => {
    const p = generatePhantom({ dims: [32, 28, 8], spacing: [2, 2, 3], seed: 5 });
    const original = writeDicomSeries(p.ct, { seed: 5 });
    for (const f of original) {
      const v = await loadFiles([f]);
      metaUids.push(v.header.metadata.sopInstanceUids![0]);
    }
    files = blankUids(original);
    ct = await loadFiles(files);
    labels = p.labels;
    segments = segmentsFromTable(PHANTOM_LABELS.map((l) => ({ ...l }))).segments;
  });

  it('the loaded series has no study/series UID; its instances keep the file meta UIDs', () => {
    const md = ct.header.metadata;
    expect(md.studyInstanceUid ?? '').toBe('');
    expect(md.seriesInstanceUid ?? '').toBe('');
    expect(new Set(md.sopInstanceUids)).toEqual(new Set(metaUids));
  });

  it('derives study and series UIDs deterministically, names them, and references them', () => {
    const a = buildSeg(ct, labels, segments);
    const b = buildSeg(ct, labels, segments, { seriesDescription: 'other' });
    expect(a.source.derived.map((d) => d.attribute)).toEqual(['StudyInstanceUID', 'SeriesInstanceUID']);
    expect(a.source.studyInstanceUid).toMatch(UID);
    expect(a.source.seriesInstanceUid).toMatch(UID);
    expect(a.source.studyInstanceUid).not.toBe(a.source.seriesInstanceUid);
    expect(b.source).toEqual(a.source); // same series -> same UIDs, whatever the SEG
    const warning = derivedUidsWarning(a.source, 'ct/')!;
    expect(warning).toContain(a.source.seriesInstanceUid);
    expect(warning).toMatch(/blank StudyInstanceUID and SeriesInstanceUID/);
    expect(warning).toMatch(/write the series back with them \(voxseg export-seg \.\.\. --write-ref DIR\)$/);
    // another series (other instances) -> other UIDs
    const other = createVolume({
      dims: [...ct.header.dims],
      spacing: [...ct.header.spacing],
      origin: [...ct.header.origin],
      direction: [...ct.header.direction],
      voxels: ct.voxels,
      metadata: { ...ct.header.metadata, sopInstanceUids: ct.header.metadata.sopInstanceUids!.map((u) => `${u}9`) },
    });
    expect(buildSeg(other, labels, segments).source.seriesInstanceUid).not.toBe(a.source.seriesInstanceUid);
    writeFileSync(join(tmp, 'blank.dcm'), a.bytes);
  });

  it.runIf(hasPydicom)(
    'pydicom: SEG study = derived study, ReferencedSeriesSequence = derived series + the file meta UIDs',
    () => {
      const { bytes, source } = buildSeg(ct, labels, segments);
      writeFileSync(join(tmp, 'blank.dcm'), bytes);
      const d = pyDecode(join(tmp, 'blank.dcm'), ct);
      expect(d.study).toBe(source.studyInstanceUid);
      expect(d.series).toBe(source.seriesInstanceUid);
      expect(new Set(d.referenced)).toEqual(new Set(metaUids));
      for (const f of d.frames) expect(metaUids).toContain(f.uid);
      expect(differing(d.labels, labels.voxels)).toBe(0);
    },
  );

  it.runIf(hasDciodvfy)('dciodvfy reports no errors', () => {
    writeFileSync(join(tmp, 'blank.dcm'), buildSeg(ct, labels, segments).bytes);
    expect(dciodvfyErrors(join(tmp, 'blank.dcm'))).toEqual([]);
  });

  it("fillBlankUids: explicit and implicit VR, blank or missing elements; the loader then sees the SEG's UIDs", async () => {
    const { source } = buildSeg(ct, labels, segments);
    const gdcm = spawnSync('sh', ['-c', 'command -v gdcmconv']).status === 0;
    for (const [remove, implicit] of [
      [false, false],
      [true, false],
      [true, true],
    ]) {
      if (implicit && !gdcm) continue;
      // implicit VR: converted by GDCM before the UIDs are taken out (dcmjs keeps the syntax)
      let input = writeDicomSeries(generatePhantom({ dims: [32, 28, 8], spacing: [2, 2, 3], seed: 5 }).ct, { seed: 5 });
      if (implicit)
        input = input.map((f) => {
          const a = join(tmp, `in-${f.name}`);
          const b = join(tmp, `im-${f.name}`);
          writeFileSync(a, f.bytes);
          const r = spawnSync('gdcmconv', ['-M', '-i', a, '-o', b], { encoding: 'utf8' });
          expect(r.status, r.stderr).toBe(0);
          return { name: f.name, bytes: new Uint8Array(readFileSync(b)) };
        });
      input = blankUids(input, true, remove);
      if (implicit) expect(new TextDecoder().decode(input[0].bytes.subarray(0, 400))).toContain('1.2.840.10008.1.2\0');
      const out = input.map((f) => ({ name: f.name, bytes: fillBlankUids(f.bytes, source, f.name).bytes }));
      const v = await loadFiles(out);
      expect([v.header.metadata.studyInstanceUid, v.header.metadata.seriesInstanceUid]).toEqual([
        source.studyInstanceUid,
        source.seriesInstanceUid,
      ]);
      expect(new Set(v.header.metadata.sopInstanceUids)).toEqual(new Set(metaUids));
      expect(Buffer.compare(Buffer.from(v.voxels.buffer), Buffer.from(ct.voxels.buffer))).toBe(0);
      const again = fillBlankUids(out[0].bytes, source, 'x');
      expect(again.filled).toEqual([]); // nothing blank any more: unchanged
      expect(again.bytes).toBe(out[0].bytes);
      if (hasDciodvfy) {
        writeFileSync(join(tmp, 'filled.dcm'), out[0].bytes);
        expect(dciodvfyErrors(join(tmp, 'filled.dcm'))).toEqual([]);
      }
    }
  });

  it('refuses a series whose images nothing identifies (data set and file meta UIDs blank)', async () => {
    const none = await loadFiles(
      blankUids(writeDicomSeries(generatePhantom({ dims: [16, 16, 4], seed: 2 }).ct), false),
    );
    expect(none.header.metadata.sopInstanceUids?.some((u) => u)).toBeFalsy();
    const lab = createVolume({
      dims: [...none.header.dims],
      spacing: [...none.header.spacing],
      origin: [...none.header.origin],
      direction: [...none.header.direction],
      voxels: new Uint8Array(none.voxels.length).fill(1),
    });
    const e = catchVoxseg(() => buildSeg(none, lab, segments.slice(0, 1)));
    expect(e.message).toMatch(/images have no SOP Instance UID \(blank in the data set and in the file meta\)/);
  });
});

describeShared('dicom/ct-abdomen-j2k', 'SEG on ct-abdomen-j2k (blank UIDs in the data set)', () => {
  it('derived study/series UIDs, instances by file meta UID, dciodvfy accepts it', async () => {
    const dir = sharedPath('dicom/ct-abdomen-j2k');
    const files = readdirSync(dir).map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }));
    const ct = await loadFiles(files);
    const lab = new Uint8Array(ct.voxels.length);
    for (let i = 0; i < lab.length; i++) lab[i] = ct.voxels[i] > 200 ? 1 : ct.voxels[i] > 0 ? 2 : 0;
    const labels = createVolume({
      dims: [...ct.header.dims],
      spacing: [...ct.header.spacing],
      origin: [...ct.header.origin],
      direction: [...ct.header.direction],
      voxels: lab,
    });
    const segs = segmentsFromTable([
      { value: 1, name: 'bone' },
      { value: 2, name: 'soft tissue' },
    ]).segments;
    const { bytes, source } = buildSeg(ct, labels, segs);
    expect(source.derived.map((d) => d.attribute)).toEqual(['StudyInstanceUID', 'SeriesInstanceUID']);
    const file = join(tmp, 'abdomen.dcm');
    writeFileSync(file, bytes);
    if (hasDciodvfy) expect(dciodvfyErrors(file)).toEqual([]);
    if (hasPydicom) {
      const d = pyDecode(file, ct);
      expect(d.series).toBe(source.seriesInstanceUid);
      expect(d.referenced.every((u) => u.startsWith('1.3.12.2.1107.5.1.4.60064.'))).toBe(true);
      expect(differing(d.labels, lab)).toBe(0);
    }
  }, 120_000);
});
