/**
 * `voxseg segment dicomweb:… --stow` against a real Orthanc: a phantom series (written by the
 * phantom writer, loaded through Orthanc's REST API) is retrieved, segmented with the bundled
 * ct-tissue-bands model, and the SEG stored back. Checked independently: the labels equal those of
 * the same model on the same files read locally; Orthanc holds the SEG in the series' study;
 * dciodvfy accepts the file Orthanc serves; pydicom reads its references, which are the series'
 * own instances (as Orthanc's REST API lists them). Wrong password and a server that is down fail
 * with exit 1 and a message naming the server.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, orthancMissing, startOrthanc, type Orthanc } from '../../orthanc/orthanc';
import { repoRoot } from '../helpers/shared';
import { phantomSeries, tempDir } from './dicomweb-helpers';
import { expectSameImage, hasTool, readNiftiFile, voxseg } from './run';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;
const MODEL = join(repoRoot, 'static', 'models', 'ct-tissue-bands');
const PY = '/usr/bin/python3';

interface RestSeries {
  ID: string;
  ParentStudy: string;
  Instances: string[];
  MainDicomTags: { SeriesInstanceUID: string; Modality: string };
}

suite(`voxseg segment dicomweb:… --stow against Orthanc${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let study: string;
  let series: string;
  let seriesSops: string[];
  const dw = () => ['--dicomweb', `orthanc=${o.dicomweb}`, '--user', o.user];

  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    process.env.VOXSEG_DICOMWEB_PASSWORD = o.password; // spawned CLIs inherit it
    await o.upload(phantomSeries(join(dir, 'ph'), 3, '48,48,12'));
    const [s] = await o.rest<RestSeries[]>('/series?expand');
    series = s.MainDicomTags.SeriesInstanceUID;
    study = (await o.rest<{ MainDicomTags: { StudyInstanceUID: string } }>(`/studies/${s.ParentStudy}`)).MainDicomTags
      .StudyInstanceUID;
    seriesSops = await Promise.all(
      s.Instances.map(
        async (id) =>
          (await o.rest<{ MainDicomTags: { SOPInstanceUID: string } }>(`/instances/${id}`)).MainDicomTags
            .SOPInstanceUID,
      ),
    );
  });
  afterAll(async () => {
    delete process.env.VOXSEG_DICOMWEB_PASSWORD;
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores a valid SEG referencing the series’ own instances; labels equal a local run', async () => {
    const remote = join(dir, 'remote.nii.gz');
    const r = voxseg([
      'segment',
      `dicomweb:orthanc/studies/${study}/series/${series}`,
      ...dw(),
      '-m',
      MODEL,
      '-o',
      remote,
      '--stow',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`retrieved orthanc: series ${series.replace(/\./g, '\\.')}: 12 instances`));
    const summary = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      stow: {
        sopInstanceUid: string;
        seriesInstanceUid: string;
        answer: { status: number; stored: { sopInstanceUid: string }[] };
      };
    };
    expect(summary.stow.answer.status).toBe(200);
    expect(summary.stow.answer.stored.map((s) => s.sopInstanceUid)).toEqual([summary.stow.sopInstanceUid]);

    // the same model on the same files read locally
    const local = join(dir, 'local.nii.gz');
    const l = voxseg(['segment', join(dir, 'ph', 'ct'), '-m', MODEL, '-o', local]);
    expect(l.code, l.stderr).toBe(0);
    expectSameImage(readNiftiFile(local), readNiftiFile(remote));

    // Orthanc's own view: a SEG series in the same study
    const all = await o.rest<RestSeries[]>('/series?expand');
    const seg = all.find((s) => s.MainDicomTags.Modality === 'SEG');
    expect(seg, 'a SEG series in Orthanc').toBeDefined();
    expect(seg!.MainDicomTags.SeriesInstanceUID).toBe(summary.stow.seriesInstanceUid);
    expect(seg!.ParentStudy).toBe(all.find((s) => s.MainDicomTags.SeriesInstanceUID === series)!.ParentStudy);
    const res = await fetch(`${o.url}/instances/${seg!.Instances[0]}/file`, {
      headers: { authorization: o.authorization },
    });
    const file = join(dir, 'stored-seg.dcm');
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));

    if (hasTool('dciodvfy')) {
      const v = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
      const out = `${v.stdout}\n${v.stderr}`;
      expect(out).toContain('Segmentation');
      expect(out.split('\n').filter((line) => line.startsWith('Error'))).toEqual([]);
    }
    const py = spawnSync(
      PY,
      [
        '-c',
        `import json, sys, pydicom
d = pydicom.dcmread(sys.argv[1])
rs = d.ReferencedSeriesSequence[0]
print(json.dumps({"modality": d.Modality, "study": d.StudyInstanceUID, "series": rs.SeriesInstanceUID,
  "referenced": sorted(i.ReferencedSOPInstanceUID for i in rs.ReferencedInstanceSequence),
  "frames": sorted({s.ReferencedSOPInstanceUID for f in d.PerFrameFunctionalGroupsSequence
    for g in f.DerivationImageSequence for s in g.SourceImageSequence}),
  "segments": [s.SegmentLabel for s in d.SegmentSequence]}))`,
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const d = JSON.parse(py.stdout) as Record<string, unknown> & { referenced: string[]; frames: string[] };
    expect(d.modality).toBe('SEG');
    expect(d.study).toBe(study);
    expect(d.series).toBe(series);
    expect(d.referenced).toEqual([...seriesSops].sort());
    expect(d.frames.length).toBeGreaterThan(0);
    for (const uid of d.frames) expect(seriesSops).toContain(uid);
    expect(d.segments).toEqual(expect.arrayContaining(['soft tissue']));
  });

  it('a URL input works as dicomweb:NAME does, without --dicomweb', () => {
    const out = join(dir, 'by-url.nii.gz');
    const r = voxseg([
      'segment',
      `${o.dicomweb}/studies/${study}/series/${series}`,
      '--user',
      o.user,
      '-m',
      MODEL,
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expectSameImage(readNiftiFile(join(dir, 'remote.nii.gz')), readNiftiFile(out));
  });

  it('wrong password, server down, bad references: exit 1 or 2 naming the server', async () => {
    const ref = `dicomweb:orthanc/studies/${study}/series/${series}`;
    const wrong = voxseg(['segment', ref, ...dw(), '--password', 'not-the-password', '-m', MODEL, '--stow']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/orthanc: .*password.*\(HTTP 401\)/);
    const down = voxseg([
      'segment',
      ref,
      '--dicomweb',
      `orthanc=http://127.0.0.1:${await freePort()}/dicom-web`,
      '-m',
      MODEL,
      '--stow',
    ]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('orthanc:');
    expect(down.stderr).toMatch(/not reachable/);
    const unknown = voxseg(['segment', 'dicomweb:pacs/studies/1.2/series/3.4', ...dw(), '-m', MODEL, '--stow']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no server named pacs');
    const local = voxseg(['segment', join(dir, 'ph', 'ct'), '-m', MODEL, '--stow']);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--stow needs a DICOMweb input');
  });
});
