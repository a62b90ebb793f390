/**
 * Fixtures for the DICOMweb tests: phantom series written by the real CLI (`voxseg phantom`,
 * `voxseg export-seg`) into a temp folder, the client for a started Orthanc, and loading a set of
 * SourceFiles through the DICOM loader (scanFiles + loadSeries) with a hash of the voxels, to
 * compare what came over WADO-RS with the same files read from disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { memorySource, type SourceFile } from '../../../../src/io/dicom/source';
import { DicomwebClient } from '../../../../src/io/dicomweb';
import type { Orthanc } from '../../../orthanc/orthanc';
import { voxseg } from '../../cli/run';

export { phantomSeries, tempDir } from '../../cli/dicomweb-helpers';

/** A DICOM SEG of the phantom's label map (needs `phantomSeries(dir, …, labels=true)`). */
export function phantomSeg(dir: string): Uint8Array {
  const out = join(dir, 'seg.dcm');
  const r = voxseg([
    'export-seg',
    join(dir, 'labels.nii.gz'),
    '--ref',
    join(dir, 'ct'),
    '-o',
    out,
    '--labels',
    join(dir, 'labels.json'),
  ]);
  expect(r.code, r.stderr).toBe(0);
  return new Uint8Array(readFileSync(out));
}

export function clientFor(o: Orthanc, opts: { password?: string; fetch?: typeof fetch; name?: string } = {}) {
  return new DicomwebClient(
    {
      name: opts.name ?? 'Orthanc',
      url: o.dicomweb,
      auth: { kind: 'basic', user: o.user, password: opts.password ?? o.password },
    },
    { fetch: opts.fetch },
  );
}

export function fileSources(paths: string[]): SourceFile[] {
  return paths.map((p) => memorySource(p, new Uint8Array(readFileSync(p))));
}

/** Load the one series in `files`; its geometry and a SHA-256 of the voxels. */
export async function loadOne(files: SourceFile[]) {
  const scan = await scanFiles(files);
  expect(scan.rejected).toEqual([]);
  expect(scan.series).toHaveLength(1);
  const s = scan.series[0];
  const { volume } = await loadSeries(s);
  const v = volume.voxels;
  const hash = createHash('sha256')
    .update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
    .digest('hex');
  return {
    uid: s.uid,
    dims: volume.header.dims,
    spacing: volume.header.spacing,
    origin: volume.header.origin,
    direction: volume.header.direction,
    dtype: volume.header.dtype,
    hash,
  };
}

/** A fetch that counts requests by path (after the base URL) and can be observed. */
export function countingFetch() {
  const paths: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const f: typeof fetch = async (input, init) => {
    paths.push(new URL(String(input)).pathname);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = await fetch(input, init);
      // count a request as in flight until its body has been read
      const done = () => {
        inFlight--;
      };
      if (!res.body) {
        done();
        return res;
      }
      const body = res.body.pipeThrough(new TransformStream({ flush: done }));
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (err) {
      inFlight--;
      throw err;
    }
  };
  return {
    fetch: f,
    paths,
    instanceRequests: () => paths.filter((p) => /\/instances\/[^/]+$/.test(p)).length,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
