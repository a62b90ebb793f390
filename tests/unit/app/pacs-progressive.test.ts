/**
 * A series retrieved so that it shows while it arrives (app/pacs/progressive.ts), against a real
 * Orthanc: the partial volume is offered before the first instance is in, with the series' own
 * geometry; every slice is reported written; the finished volume is loadSeries' volume of the
 * files (voxels, header, warnings) in the very array that was shown. After a retrieval cut short,
 * a retry that resumes from the instances held gives the same.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../src/core/types';
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';
import { retrieveProgressively, type PreviewSink } from '../../../src/app/pacs/progressive';
import { orthancMissing, startOrthanc, type Orthanc } from '../../orthanc/orthanc';
import { clientFor, phantomSeries, tempDir } from '../io/dicomweb/fixtures';

const missing = orthancMissing();
const suite = missing ? describe.skip : describe;

function recorder() {
  const shown: { volume: Volume; instancesThen: number }[] = [];
  const slices = new Set<number>();
  let instances = 0;
  const sink: PreviewSink = {
    show: (volume) => shown.push({ volume, instancesThen: instances }),
    changed: (volume, ks) => {
      expect(volume).toBe(shown.at(-1)!.volume);
      for (const k of ks) slices.add(k);
    },
  };
  return { sink, shown, slices, arrived: (n: number) => (instances = n) };
}

suite(`retrieving a series progressively (Orthanc)${missing ? ` [skipped: ${missing}]` : ''}`, () => {
  let o: Orthanc;
  let dir: string;
  let study: string;
  let series: string;
  beforeAll(async () => {
    dir = tempDir();
    o = await startOrthanc();
    await o.upload(phantomSeries(join(dir, 'p'), 13, '40,36,16'));
    const [s] = await clientFor(o).searchStudies({ patientId: 'VOXSEG-PHANTOM-13' });
    study = s.studyInstanceUid;
    series = (await clientFor(o).searchSeries(study))[0].seriesInstanceUid;
  });
  afterAll(async () => {
    await o?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const expectLoaded = async (r: Awaited<ReturnType<typeof retrieveProgressively>>, shown: Volume) => {
    const scan = await scanFiles(r.files);
    expect(scan.series).toHaveLength(1);
    const done = r.loaded!(scan.series[0]);
    expect(done).not.toBeNull();
    const reference = await loadSeries((await scanFiles(r.files)).series[0]);
    expect(done!.volume.voxels).toEqual(reference.volume.voxels);
    expect(done!.volume.header).toEqual(reference.volume.header);
    expect(done!.warnings).toEqual(reference.warnings);
    expect(done!.volume.voxels).toBe(shown.voxels);
  };

  it('shows the planned volume before the first instance, reports every slice, and finishes as loadSeries', async () => {
    const rec = recorder();
    const r = await retrieveProgressively(
      clientFor(o),
      study,
      series,
      { onProgress: (p) => rec.arrived(p.instances) },
      rec.sink,
    );
    expect(rec.shown).toHaveLength(1);
    expect(rec.shown[0].instancesThen).toBe(0);
    expect(rec.shown[0].volume.header.dims).toEqual([40, 36, 16]);
    expect([...rec.slices].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    await expectLoaded(r, rec.shown[0].volume);
  });

  it('a retry after a retrieval cut short adds the instances held and finishes the same', async () => {
    const received = new Map<string, Uint8Array>();
    const stop = new AbortController();
    const first = recorder();
    await expect(
      retrieveProgressively(
        clientFor(o),
        study,
        series,
        { signal: stop.signal, received, onInstance: (_f, n) => n === 6 && stop.abort() },
        first.sink,
      ),
    ).rejects.toThrow();
    expect(received.size).toBeGreaterThanOrEqual(6);
    expect(received.size).toBeLessThan(16);
    const again = recorder();
    const r = await retrieveProgressively(clientFor(o), study, series, { received }, again.sink);
    expect(again.shown).toHaveLength(1);
    expect([...again.slices].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    await expectLoaded(r, again.shown[0].volume);
  });
});
