/**
 * QIDO-RS search and STOW-RS store against a real Orthanc: three phantom studies (seeds 1–3) are
 * loaded through Orthanc's REST API; searches are checked against what Orthanc's own REST API
 * lists, and a SEG written by `voxseg export-seg` is stored and found again with its series.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { metaSopInstanceUid } from '../../../../src/io/dicomweb/part10';
import { orthancMissing, startOrthanc, type Orthanc } from '../../../orthanc/orthanc';
import { clientFor, phantomSeg, phantomSeries, tempDir } from './fixtures';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;

interface RestSeries {
  ID: string;
  Instances: string[];
  MainDicomTags: Record<string, string>;
  ParentStudy: string;
}
interface RestStudy {
  ID: string;
  Series: string[];
  MainDicomTags: Record<string, string>;
  PatientMainDicomTags: Record<string, string>;
}

suite(`DICOMweb search and store against Orthanc${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let seg: Uint8Array;
  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    for (const seed of [1, 2, 3]) await o.upload(phantomSeries(`${dir}/p${seed}`, seed, '32,32,4', seed === 1));
    seg = phantomSeg(`${dir}/p1`);
  });
  afterAll(async () => {
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const studyUidOf = async (patientId: string) => {
    const all = await o.rest<RestStudy[]>('/studies?expand');
    return all.find((s) => s.PatientMainDicomTags.PatientID === patientId)!.MainDicomTags.StudyInstanceUID;
  };

  it('finds studies by patient name (with and without wildcard), ID, date range and modality', async () => {
    const c = clientFor(o);
    const rest = await o.rest<RestStudy[]>('/studies?expand');
    expect(rest).toHaveLength(3);
    const all = await c.searchStudies({});
    expect(all.map((s) => s.studyInstanceUid).sort()).toEqual(rest.map((s) => s.MainDicomTags.StudyInstanceUID).sort());
    const one = all.find((s) => s.patientId === 'VOXSEG-PHANTOM-2')!;
    const ref = rest.find((s) => s.PatientMainDicomTags.PatientID === 'VOXSEG-PHANTOM-2')!;
    expect(one).toMatchObject({
      patientName: ref.PatientMainDicomTags.PatientName,
      studyDate: ref.MainDicomTags.StudyDate,
      modalities: ['CT'],
      seriesCount: 1,
      instanceCount: 4,
    });
    expect((await c.searchStudies({ patientName: 'voxseg' })).length).toBe(3); // trailing '*' added
    expect((await c.searchStudies({ patientName: 'VOXSEG^PHAN*' })).length).toBe(3);
    expect(await c.searchStudies({ patientName: 'phantom' })).toEqual([]); // a prefix, not a substring
    expect(await c.searchStudies({ patientName: 'Nobody' })).toEqual([]);
    const byId = await c.searchStudies({ patientId: 'VOXSEG-PHANTOM-3' });
    expect(byId.map((s) => s.studyInstanceUid)).toEqual([await studyUidOf('VOXSEG-PHANTOM-3')]);
    const date = one.studyDate;
    expect((await c.searchStudies({ dateFrom: date, dateTo: date })).length).toBe(3);
    expect((await c.searchStudies({ dateFrom: String(Number(date.slice(0, 4)) + 1) + '0101' })).length).toBe(0);
    expect((await c.searchStudies({ dateTo: String(Number(date.slice(0, 4)) - 1) + '1231' })).length).toBe(0);
    expect((await c.searchStudies({ modality: 'ct' })).length).toBe(3);
    expect(await c.searchStudies({ modality: 'MR' })).toEqual([]);
    // a space cannot be sent to Orthanc percent-encoded (it matches the raw text): sent as '?'
    expect(ref.MainDicomTags.StudyDescription).toBe('voxseg phantom');
    expect((await c.searchStudies({ description: 'voxseg phantom' })).length).toBe(3);
    expect((await c.searchStudies({ description: 'voxseg ph' })).length).toBe(3);
    expect(await c.searchStudies({ description: 'phantom' })).toEqual([]);
    expect((await c.searchStudies({ accessionNumber: 'A-1' })).length).toBe(0);
  });

  it('pages with limit and offset', async () => {
    const c = clientFor(o);
    const p1 = await c.searchStudies({ limit: 2, offset: 0 });
    const p2 = await c.searchStudies({ limit: 2, offset: 2 });
    expect(p1).toHaveLength(2);
    expect(p2).toHaveLength(1);
    const uids = [...p1, ...p2].map((s) => s.studyInstanceUid);
    expect(new Set(uids).size).toBe(3);
  });

  it('lists series with the counts Orthanc holds', async () => {
    const c = clientFor(o);
    const rest = await o.rest<RestSeries[]>('/series?expand');
    for (const r of rest) {
      const study = (await o.rest<RestStudy>(`/studies/${r.ParentStudy}`)).MainDicomTags.StudyInstanceUID;
      const series = await c.searchSeries(study);
      expect(series).toEqual([
        {
          studyInstanceUid: study,
          seriesInstanceUid: r.MainDicomTags.SeriesInstanceUID,
          modality: r.MainDicomTags.Modality,
          description: r.MainDicomTags.SeriesDescription,
          seriesNumber: Number(r.MainDicomTags.SeriesNumber),
          instanceCount: r.Instances.length,
        },
      ]);
    }
  });

  it('stores a DICOM SEG; Orthanc lists it and storedSegs finds it on its series', async () => {
    const c = clientFor(o);
    const sop = metaSopInstanceUid(seg);
    expect(sop).toMatch(/^[0-9.]+$/);
    const result = await c.store([seg]);
    expect(result).toEqual({ status: 200, stored: [{ sopInstanceUid: sop }], failed: [] });
    const inst = await o.rest<{ MainDicomTags: Record<string, string>; ParentSeries: string }[]>('/instances?expand');
    const stored = inst.find((i) => i.MainDicomTags.SOPInstanceUID === sop)!;
    expect(stored).toBeDefined();
    const segSeries = await o.rest<RestSeries>(`/series/${stored.ParentSeries}`);
    expect(segSeries.MainDicomTags.Modality).toBe('SEG');

    const study = await studyUidOf('VOXSEG-PHANTOM-1');
    const ctSeries = (await c.searchSeries(study)).find((s) => s.modality === 'CT')!;
    expect((await c.searchStudies({ modality: 'SEG' })).map((s) => s.studyInstanceUid)).toEqual([study]);
    const segs = await c.storedSegs(study);
    expect(segs).toHaveLength(1);
    expect(segs[0]).toMatchObject({
      studyInstanceUid: study,
      seriesInstanceUid: segSeries.MainDicomTags.SeriesInstanceUID,
      sopInstanceUid: sop,
      referencedSeriesUids: [ctSeries.seriesInstanceUid],
    });
    expect(segs[0].description).not.toBe('');
    expect(segs[0].created).toMatch(/^\d{8}( \d{4,6})?$/);
    expect(await c.storedSegs(await studyUidOf('VOXSEG-PHANTOM-2'))).toEqual([]);
  });

  it('reports an instance Orthanc refuses (blank Study Instance UID) as failed, the others as stored', async () => {
    const c = clientFor(o);
    const bad = readBytes(`${dir}/p2/ct/IM0001.dcm`);
    replaceAll(bad, await studyUidOf('VOXSEG-PHANTOM-2'), ' ');
    // a new instance: the same slice under another SOP Instance UID (same length)
    const good = readBytes(`${dir}/p3/ct/IM0002.dcm`);
    const sop = metaSopInstanceUid(good);
    const newSop = sop.slice(0, -1) + (sop.endsWith('1') ? '2' : '1');
    replaceAll(good, sop, newSop);
    const before = (await o.rest<string[]>('/instances')).length;
    const result = await c.store([good, bad]);
    expect(result.status).toBe(202);
    expect(result.stored).toEqual([{ sopInstanceUid: newSop }]);
    expect(result.failed).toEqual([
      { sopInstanceUid: metaSopInstanceUid(bad), reason: expect.stringMatching(/not stored/) },
    ]);
    expect((await o.rest<string[]>('/instances')).length).toBe(before + 1);
    const none = await c.store([bad]);
    expect(none.status).toBe(409);
    expect(none.stored).toEqual([]);
    expect(none.failed.map((f) => f.sopInstanceUid)).toEqual([metaSopInstanceUid(bad)]);
  });

  it('wrong password: a 401 message that names the server and not the password', async () => {
    const c = clientFor(o, { password: 'not-the-Secret-42', name: 'PACS one' });
    const err = await c.searchStudies({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VoxsegError);
    expect((err as VoxsegError).code).toBe('server');
    expect((err as Error).message).toBe('PACS one: wrong user name or password (HTTP 401)');
    const stow = await c.store([seg]).catch((e: unknown) => e);
    expect((stow as Error).message).toBe('PACS one: wrong user name or password (HTTP 401)');
  });
});

function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Overwrite every occurrence of `text` in `bytes` with `by` (one character: repeated; else the same length). */
function replaceAll(bytes: Uint8Array, text: string, by: string) {
  const needle = new TextEncoder().encode(text);
  const repl = new TextEncoder().encode(by.length === 1 ? by.repeat(text.length) : by);
  expect(repl.length).toBe(needle.length);
  let n = 0;
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    let j = 0;
    while (j < needle.length && bytes[i + j] === needle[j]) j++;
    if (j === needle.length) {
      bytes.set(repl, i);
      n++;
    }
  }
  expect(n).toBeGreaterThan(0);
}
