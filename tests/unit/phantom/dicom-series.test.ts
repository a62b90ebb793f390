/** DICOM CT series writer: determinism, valid UIDs, dciodvfy, and a round trip through our loader. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Mat3, Volume } from '../../../src/core/types';
import { loadSeries, scanFiles } from '../../../src/io/dicom/index';
import { memorySource } from '../../../src/io/dicom/source';
import { formatDS, writeDicomSeries, type DicomFileOut } from '../../../src/io/dicom/write/index';
import { generatePhantom } from '../../../src/phantom/index';
import { directionFromAxes, indexToWorldAffine } from '../../../src/volume/geometry';
import { createVolume } from '../../../src/volume/volume';

const UID = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;
const tmp = mkdtempSync(join(tmpdir(), 'voxseg-dcmw-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function roundTrip(files: DicomFileOut[]): Promise<Volume> {
  const scan = await scanFiles(files.map((f) => memorySource(f.name, f.bytes)));
  expect(scan.rejected).toEqual([]);
  expect(scan.series).toHaveLength(1);
  expect(scan.series[0].errors).toEqual([]);
  return (await loadSeries(scan.series[0])).volume;
}

function expectSameVolume(a: Volume, b: Volume): void {
  expect(b.header.dims).toEqual(a.header.dims);
  const fa = indexToWorldAffine(a.header);
  const fb = indexToWorldAffine(b.header);
  for (let i = 0; i < 16; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(1e-4);
  expect(b.header.dtype).toBe('int16');
  expect(
    Buffer.from(b.voxels.buffer, b.voxels.byteOffset, b.voxels.byteLength).equals(Buffer.from(a.voxels.buffer)),
  ).toBe(true);
}

describe('writeDicomSeries', () => {
  const ph = generatePhantom({ seed: 5, dims: [64, 48, 10] });

  it('writes one deterministic Part-10 file per slice with valid, seed-dependent UIDs', () => {
    const a = writeDicomSeries(ph.ct, { seed: 5 });
    const b = writeDicomSeries(ph.ct, { seed: 5 });
    const c = writeDicomSeries(ph.ct, { seed: 6 });
    expect(a.map((f) => f.name)).toEqual(
      Array.from({ length: 10 }, (_, k) => `IM${String(k + 1).padStart(4, '0')}.dcm`),
    );
    for (let k = 0; k < 10; k++) {
      expect(Buffer.from(a[k].bytes).equals(Buffer.from(b[k].bytes))).toBe(true);
      expect(new TextDecoder().decode(a[k].bytes.subarray(128, 132))).toBe('DICM');
    }
    expect(Buffer.from(a[0].bytes).equals(Buffer.from(c[0].bytes))).toBe(false);
    const text = new TextDecoder('latin1').decode(a[0].bytes);
    const uids = text.match(/2\.25\.\d+/g) ?? [];
    expect(uids.length).toBeGreaterThanOrEqual(4);
    for (const u of uids) {
      expect(u).toMatch(UID);
      expect(u.length).toBeLessThanOrEqual(64);
    }
  });

  it('round-trips through the DICOM loader: same voxels (HU) and geometry', async () => {
    expectSameVolume(ph.ct, await roundTrip(writeDicomSeries(ph.ct, { seed: 5 })));
  });

  it('uses signed storage when values fall outside -1024..3071, and keeps oblique geometry', async () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const dir: Mat3 = directionFromAxes([c, 0, -s], [0, 1, 0], [s, 0, c]);
    const voxels = Int16Array.from({ length: 6 * 5 * 4 }, (_, i) => ((i * 997) % 9000) - 4000);
    const vol = createVolume({
      dims: [6, 5, 4],
      spacing: [0.7, 0.8, 1.3],
      origin: [10.25, -3.5, 100],
      direction: dir,
      voxels,
    });
    const files = writeDicomSeries(vol, { seed: 1 });
    expectSameVolume(vol, await roundTrip(files));
  });

  it('rejects non-int16 volumes', () => {
    const v = createVolume({ dims: [2, 2, 2], voxels: new Float32Array(8) });
    expect(() => writeDicomSeries(v)).toThrow(/needs int16/);
  });

  it('formats decimal strings within 16 characters', () => {
    for (const v of [0, -0, 1, -1024, 0.9, 1 / 3, -172.35000000000002, 123456.789012345, 1e-20, -2.5e-7])
      expect(formatDS(v).length).toBeLessThanOrEqual(16);
    expect(formatDS(-172.35000000000002)).toBe('-172.35');
    expect(Math.abs(Number(formatDS(1 / 3)) - 1 / 3)).toBeLessThan(1e-13);
  });

  const hasDciodvfy = spawnSync('which', ['dciodvfy']).status === 0;
  it.skipIf(!hasDciodvfy)('dciodvfy reports no errors (skipped when dciodvfy is not installed)', () => {
    const files = writeDicomSeries(ph.ct, { seed: 5 });
    for (const f of [files[0], files[files.length - 1]]) {
      const p = join(tmp, f.name);
      writeFileSync(p, f.bytes);
      const r = spawnSync('dciodvfy', [p], { encoding: 'utf8' });
      const out = `${r.stdout}\n${r.stderr}`;
      expect(out).toMatch(/CTImage/);
      expect(out.split('\n').filter((l) => /^Error/.test(l))).toEqual([]);
    }
  });
});
