/**
 * The progressive loader (io/dicom/progressive.ts) against loadSeries on the same files: files
 * added in a shuffled order fill exactly their own slices (the rest stay 0), and finish gives
 * loadSeries' volume (voxels, geometry, metadata) and warnings; a plan that is not the scanned
 * one, a file that never arrived or a file of another series make finish answer null.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeries, scanFiles, type SeriesInfo } from '../../../../src/io/dicom/index';
import { startLoad } from '../../../../src/io/dicom/progressive';
import { memorySource, type SourceFile } from '../../../../src/io/dicom/source';
import { phantomSeries, tempDir } from '../../cli/dicomweb-helpers';

/** A deterministic shuffle (a fixed LCG), so that a failure can be reproduced. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function scanOne(files: SourceFile[]): Promise<SeriesInfo> {
  const scan = await scanFiles(files);
  expect(scan.series).toHaveLength(1);
  return scan.series[0];
}

describe('progressive load', () => {
  let dir: string;
  let files: SourceFile[];
  let other: SourceFile[];
  beforeAll(() => {
    dir = tempDir();
    const read = (paths: string[]) => paths.map((p) => memorySource(p, new Uint8Array(readFileSync(p))));
    files = read(phantomSeries(join(dir, 'a'), 3, '40,32,12'));
    other = read(phantomSeries(join(dir, 'b'), 4, '40,32,12'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills each file into its own slices as it arrives and finishes with loadSeries’ volume and warnings', async () => {
    const planned = await scanOne(files);
    const reference = await loadSeries(await scanOne(files));
    const load = startLoad(planned)!;
    expect(load).not.toBeNull();
    const { dims } = load.volume.header;
    expect(dims).toEqual([40, 32, 12]);
    const slice = dims[0] * dims[1];
    const order = shuffled(files);
    const seen: number[] = [];
    for (const [i, f] of order.entries()) {
      const ks = await load.add(f);
      expect(ks).toHaveLength(1);
      seen.push(ks[0]);
      const k = ks[0];
      // the slice written is the reference's slice k, voxel for voxel
      expect(load.volume.voxels.subarray(k * slice, (k + 1) * slice)).toEqual(
        reference.volume.voxels.subarray(k * slice, (k + 1) * slice),
      );
      if (i === 2) {
        // slices not yet arrived are still empty
        for (let z = 0; z < dims[2]; z++)
          if (!seen.includes(z))
            expect(load.volume.voxels.subarray(z * slice, (z + 1) * slice).every((v) => v === 0)).toBe(true);
      }
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(seen).not.toEqual([...Array(12).keys()]); // really out of order
    const done = load.finish(await scanOne(files))!;
    expect(done).not.toBeNull();
    expect(done.volume.voxels).toEqual(reference.volume.voxels);
    expect(done.volume.header).toEqual(reference.volume.header);
    expect(done.warnings).toEqual(reference.warnings);
    // the preview shares its voxels with the result (the viewer's array is filled in place)
    expect(done.volume.voxels).toBe(load.volume.voxels);
  });

  it('answers null when a file never arrived, a file is not of the plan, or the plan is not the scanned one', async () => {
    const missing = startLoad(await scanOne(files))!;
    for (const f of files.slice(1)) await missing.add(f);
    expect(missing.finish(await scanOne(files))).toBeNull();

    const stranger = startLoad(await scanOne(files))!;
    for (const f of files) await stranger.add(f);
    expect(await stranger.add(other[0])).toEqual([]);
    expect(stranger.finish(await scanOne(files))).toBeNull();

    const wrong = startLoad(await scanOne(files))!;
    for (const f of files) await wrong.add(f);
    expect(wrong.finish(await scanOne(other))).toBeNull();
  });
});
