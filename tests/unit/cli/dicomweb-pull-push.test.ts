/**
 * `voxseg pull` and `voxseg push` against a real Orthanc. pull: the files written are, byte for
 * byte, what Orthanc's REST API serves as /instances/{id}/file, named by SOP Instance UID (a study
 * gets a folder per series). push: Orthanc's /statistics counts the new instances; a second push
 * says they were already there (checked against Orthanc holding the same count); a wrong password
 * fails with the 401 message; files with blank UIDs are refused, or stored with --fill-uids under
 * the UIDs `export-seg` derives (a SEG exported from the same files lands in the same study).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orthancMissing, startOrthanc, type Orthanc } from '../../orthanc/orthanc';
import { blankUids } from '../io/seg/write-helpers';
import { phantomSeries, tempDir } from './dicomweb-helpers';
import { voxseg } from './run';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;

interface RestInstance {
  ID: string;
  ParentSeries: string;
  MainDicomTags: { SOPInstanceUID: string };
}
interface Stats {
  CountInstances: number;
  CountStudies: number;
}

suite(`voxseg pull and push against Orthanc${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let study: string;
  let series: string;
  const cred = () => ['--user', o.user, '--password', o.password];

  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    await o.upload(phantomSeries(join(dir, 'a'), 1, '32,32,5'));
    const [s] = await o.rest<{ ParentStudy: string; MainDicomTags: { SeriesInstanceUID: string } }[]>('/series?expand');
    series = s.MainDicomTags.SeriesInstanceUID;
    study = (await o.rest<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${s.ParentStudy}`)).MainDicomTags
      .StudyInstanceUID;
  });
  afterAll(async () => {
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Orthanc's own bytes of each instance, by SOP Instance UID. */
  async function orthancFiles(): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const i of await o.rest<RestInstance[]>('/instances?expand')) {
      const r = await fetch(`${o.url}/instances/${i.ID}/file`, { headers: { authorization: o.authorization } });
      out.set(i.MainDicomTags.SOPInstanceUID, Buffer.from(await r.arrayBuffer()));
    }
    return out;
  }

  it('pull writes each instance as <SOPInstanceUID>.dcm, the bytes Orthanc serves', async () => {
    const out = join(dir, 'pulled');
    const r = voxseg([
      'pull',
      `dicomweb:pacs/studies/${study}/series/${series}`,
      '--dicomweb',
      `pacs=${o.dicomweb}`,
      ...cred(),
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote 5 instances of series ${series} to ${out}`);
    const own = await orthancFiles();
    const names = readdirSync(out).sort();
    expect(names).toEqual([...own.keys()].map((u) => `${u}.dcm`).sort());
    for (const [uid, bytes] of own) expect(Buffer.compare(readFileSync(join(out, `${uid}.dcm`)), bytes), uid).toBe(0);
    expect(
      readdirSync(out).filter((n) => n.startsWith('.')),
      'no temporary files left',
    ).toEqual([]);
  });

  it('pull of a study URL writes a folder per series', async () => {
    const out = join(dir, 'study');
    const r = voxseg(['pull', `${o.dicomweb}/studies/${study}`, ...cred(), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([series]);
    expect(readdirSync(join(out, series))).toHaveLength(5);
  });

  it('push stores a folder; a second push reports them already there', async () => {
    const files = phantomSeries(join(dir, 'b'), 2, '32,32,4');
    writeFileSync(join(dir, 'b', 'README.txt'), 'not DICOM');
    const before = await o.rest<Stats>('/statistics');
    const r = voxseg(['push', join(dir, 'b'), '--to', o.dicomweb, ...cred()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('README.txt: not a DICOM Part 10 file');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('stored  '))).toHaveLength(files.length);
    expect(r.stdout).not.toContain('already there');
    const after = await o.rest<Stats>('/statistics');
    expect(after.CountInstances).toBe(before.CountInstances + files.length);
    expect(after.CountStudies).toBe(before.CountStudies + 1);

    const again = voxseg(['push', ...files, '--to', `dicomweb:pacs`, '--dicomweb', `pacs=${o.dicomweb}`, ...cred()]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n').filter((l) => /^stored .*\(already there\)$/.test(l))).toHaveLength(files.length);
    expect(again.stdout).toContain(`4 stored (4 already there), 0 failed of 4`);
    expect((await o.rest<Stats>('/statistics')).CountInstances).toBe(after.CountInstances);
  });

  it('push with a wrong password fails with the 401 message', async () => {
    const before = (await o.rest<Stats>('/statistics')).CountInstances;
    const r = voxseg([
      'push',
      join(dir, 'b', 'ct'),
      '--to',
      o.dicomweb,
      '--user',
      o.user,
      '--password',
      'not-the-password',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+: .*password.*\(HTTP 401\)/);
    expect((await o.rest<Stats>('/statistics')).CountInstances).toBe(before);
  });

  it('blank UIDs: refused with a pointer to --fill-uids; with it, stored under the UIDs export-seg derives', async () => {
    phantomSeries(join(dir, 'c'), 4, '32,32,4', true);
    const blank = join(dir, 'c', 'blank');
    mkdirSync(blank);
    const names = readdirSync(join(dir, 'c', 'ct')).sort();
    const copies = blankUids(
      names.map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, 'c', 'ct', n))) })),
    );
    for (const f of copies) writeFileSync(join(blank, f.name), f.bytes);
    const before = await o.rest<Stats>('/statistics');

    const refused = voxseg(['push', blank, '--to', o.dicomweb, ...cred()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('blank UIDs');
    expect(refused.stderr).toContain('--fill-uids');
    expect(refused.stderr).toContain('--write-ref');
    expect((await o.rest<Stats>('/statistics')).CountInstances).toBe(before.CountInstances);

    const filled = voxseg(['push', blank, '--to', o.dicomweb, ...cred(), '--fill-uids']);
    expect(filled.code, filled.stderr).toBe(0);
    // a SEG exported from the same blank files references the derived study and series
    const seg = join(dir, 'c', 'seg.dcm');
    const e = voxseg(['export-seg', join(dir, 'c', 'labels.nii.gz'), '--ref', blank, '-o', seg]);
    expect(e.code, e.stderr).toBe(0);
    const p = voxseg(['push', seg, '--to', o.dicomweb, ...cred()]);
    expect(p.code, p.stderr).toBe(0);
    const after = await o.rest<Stats>('/statistics');
    expect(after.CountInstances).toBe(before.CountInstances + names.length + 1);
    expect(after.CountStudies, 'the SEG is in the study of the filled series').toBe(before.CountStudies + 1);
  });
});
