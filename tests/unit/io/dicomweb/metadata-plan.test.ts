/**
 * A series planned from its WADO-RS metadata (DICOM JSON written back as headers, planSeries)
 * against a real Orthanc: the plan equals the plan scanFiles makes from the same files (dims,
 * spacing, origin, direction, dtype, warnings, every slot's SOP Instance UID, frame and rescale),
 * and a progressive load started from it, fed the retrieved instances in the order they arrive,
 * finishes with loadSeries' volume of the local files (the phantom writer's series). The real
 * JPEG 2000 CT (UIDs filled; skipped when the reference data is missing): the plan; decoding it on
 * the main thread twice would cost ~25 s here, and its progressive load is checked in the browser
 * (tests/e2e/dicomweb.e2e.test.ts, voxels of the retrieved CT = the local files').
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeries, scanFiles, type SeriesInfo } from '../../../../src/io/dicom/index';
import { startLoad, samePlan } from '../../../../src/io/dicom/progressive';
import { plans } from '../../../../src/io/dicom/scan';
import { memorySource, type SourceFile } from '../../../../src/io/dicom/source';
import { planFromMetadata } from '../../../../src/io/dicomweb/header';
import { fillBlankUids } from '../../../../src/io/seg/write-back';
import { orthancMissing, startOrthanc, type Orthanc } from '../../../orthanc/orthanc';
import { hasShared, sharedPath } from '../../helpers/shared';
import { clientFor, fileSources, phantomSeries, tempDir } from './fixtures';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;
const J2K = 'dicom/ct-abdomen-j2k';

async function scanOne(files: SourceFile[]): Promise<SeriesInfo> {
  const scan = await scanFiles(files);
  expect(scan.rejected).toEqual([]);
  expect(scan.series).toHaveLength(1);
  return scan.series[0];
}

/** Plan from metadata, compare with the local plan; then (`progressive`) load progressively, compare with the local load. */
async function check(o: Orthanc, study: string, series: string, local: SourceFile[], progressive = true) {
  const c = clientFor(o);
  const md = await c.seriesMetadata(study, series);
  const planned = planFromMetadata(md, (sop) => `Orthanc/${series}/${sop}.dcm`);
  expect(planned).toHaveLength(1);
  const p = planned[0];
  const l = await scanOne(local);
  const pick = (s: SeriesInfo) => [s.uid, s.dims, s.spacing, s.origin, s.direction, s.dtype, s.warnings, s.errors];
  expect(pick(p)).toEqual(pick(l));
  const sops = (s: SeriesInfo) => plans.get(s)!.slots.map((f) => f && plans.get(s)!.headers[f.file].sopInstanceUid);
  expect(sops(p)).toEqual(sops(l));
  expect(new Set(sops(p)).size).toBe(l.dims[2]);
  expect(samePlan(p, plans.get(p)!, l, plans.get(l)!)).toBe(true);
  if (!progressive) return;

  const load = startLoad(p)!;
  expect(load).not.toBeNull();
  const adds: Promise<number[]>[] = [];
  const files = await c.retrieveSeries(study, series, { onInstance: (f) => adds.push(load.add(f)) });
  const written = (await Promise.all(adds)).flat();
  expect(written.sort((a, b) => a - b)).toEqual([...Array(l.dims[2]).keys()]);
  const done = load.finish(await scanOne(files))!;
  expect(done).not.toBeNull();
  // the local files' own load (what opening them from disk gives)
  const fromDisk = await loadSeries(l);
  expect(done.volume.voxels).toEqual(fromDisk.volume.voxels);
  expect(done.volume.header).toEqual(fromDisk.volume.header);
  expect(done.warnings).toEqual(fromDisk.warnings);
}

suite(`series planned from WADO-RS metadata (Orthanc)${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
  });
  afterAll(async () => {
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the phantom series: the same plan as its files, and progressively the same volume', async () => {
    const paths = phantomSeries(join(dir, 'p'), 11, '48,40,24');
    await o.upload(paths);
    const [s] = await clientFor(o).searchStudies({ patientId: 'VOXSEG-PHANTOM-11' });
    const [series] = await clientFor(o).searchSeries(s.studyInstanceUid);
    await check(o, s.studyInstanceUid, series.seriesInstanceUid, fileSources(paths));
  });

  it.skipIf(!hasShared(J2K))(
    `the real JPEG 2000 CT (UIDs filled): the same plan as its files${hasShared(J2K) ? '' : ` [skipped: reference data ../shared/data/${J2K} not found]`}`,
    async () => {
      const uids = { studyInstanceUid: '2.25.410001', seriesInstanceUid: '2.25.410002' };
      const names = readdirSync(sharedPath(J2K)).filter((f) => f.startsWith('CT.'));
      const filled = names.map((f) => fillBlankUids(new Uint8Array(readFileSync(sharedPath(J2K, f))), uids, f));
      await o.upload(filled.map((f) => f.bytes));
      const local = filled.map((f, i) => memorySource(names[i], f.bytes));
      await check(o, uids.studyInstanceUid, uids.seriesInstanceUid, local, false);
    },
  );
});
