/**
 * The browser worker path (src/io/dicom/worker/) gives exactly what the main-thread path gives.
 * Node has no Worker, so the real pool runs the load workers' code (./serve.ts: scanBatch /
 * loadBatch, Blob streams read in batches, slices posted back and recycled) on in-process workers
 * over MessageChannels, through the same RPC; every reference folder
 * and a few edge cases are scanned and loaded both ways and compared: series, rejections,
 * warnings, dtype (incl. the int16 -> float32 upgrade) and every voxel.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { blobSource, type SourceFile } from '../../../../src/io/dicom/source';
import { LoaderPool, setLoaderPool, type Slot, type Task } from '../../../../src/io/dicom/worker/pool';
import type { LoadWorkerApi } from '../../../../src/io/dicom/worker/protocol';
import { serveLoadWorker } from '../../../../src/io/dicom/worker/serve';
import { FakeWorker } from '../../helpers/rpc-worker';
import { hasShared, sharedPath } from '../../helpers/shared';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import { createVolume } from '../../../../src/volume/volume';

/**
 * The real pool, its workers serving the load workers' code in this thread (over MessageChannels,
 * so Blobs are cloned and slice buffers transferred as between threads); counts tasks and recycles.
 */
class InProcessPool extends LoaderPool {
  tasks = 0;
  recycled = 0;

  constructor() {
    super(2, () => new FakeWorker((scope) => serveLoadWorker(scope)));
    this.keep = true;
  }

  override run<K extends Task>(
    method: K,
    arg: LoadWorkerApi[K]['arg'],
    onEvent: (e: LoadWorkerApi[K]['event'], slot: Slot) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.tasks++;
    return super.run(method, arg, onEvent, signal);
  }

  override recycle(slot: Slot, buffers: ArrayBuffer[]): void {
    this.recycled += buffers.length;
    super.recycle(slot, buffers);
  }
}

function checksum(v: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    h = Math.imul(h ^ (v[i] * 1000), 16777619) >>> 0;
    sum += v[i];
  }
  return `${h.toString(16)}:${sum}`;
}

async function scanAndLoad(files: SourceFile[]) {
  const scan = await scanFiles(files);
  const series = [];
  for (const s of scan.series) {
    let load: unknown;
    try {
      const { volume, warnings } = await loadSeries(s);
      load = { dtype: volume.header.dtype, warnings, voxels: checksum(volume.voxels), meta: volume.header.metadata };
    } catch (e) {
      load = { error: e instanceof VoxsegError ? `${e.code} ${e.message}` : String(e) };
    }
    series.push({
      uid: s.uid,
      dims: s.dims,
      dtype: s.dtype,
      files: s.files.map((f) => f.name),
      warnings: s.warnings,
      errors: s.errors,
      load,
    });
  }
  return { rejected: scan.rejected, series };
}

/** Scan + load both ways; returns the result and the in-process pool used. */
async function bothWays(make: () => SourceFile[]) {
  setLoaderPool(null);
  const inThread = await scanAndLoad(make());
  const pool = new InProcessPool();
  setLoaderPool(pool);
  const viaWorkers = await scanAndLoad(make()).finally(() => pool.dispose());
  setLoaderPool(undefined);
  expect(viaWorkers).toEqual(inThread);
  expect(pool.tasks).toBeGreaterThan(0);
  return { result: inThread, pool };
}

function folderFiles(dir: string): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ name: relative(dir, p), bytes: new Uint8Array(readFileSync(p)) });
    }
  };
  walk(dir);
  return out;
}

const asBlobs = (files: { name: string; bytes: Uint8Array }[]) => () =>
  files.map((f) => blobSource(new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.name));

afterEach(() => setLoaderPool(undefined));

describe('worker path = main-thread path', () => {
  for (const folder of ['debian', 'mosaic-9-transfer-syntaxes', 'ct-abdomen-j2k', 'ct-3slice-ge', 'seg-dcmqi']) {
    const rel = `dicom/${folder}`;
    it.skipIf(!hasShared(rel))(`${rel}: the whole folder dropped at once`, async () => {
      const { result, pool } = await bothWays(asBlobs(folderFiles(sharedPath(rel))));
      expect(result.series.length + result.rejected.length).toBeGreaterThan(0);
      if (result.series.some((s) => !('error' in (s.load as object)))) expect(pool.recycled).toBeGreaterThan(0);
    });
  }

  it.skipIf(!hasShared('dicom/ct-abdomen-j2k'))(
    'a corrupt J2K file: its slice is left empty, the warning names it',
    async () => {
      const files = folderFiles(sharedPath('dicom/ct-abdomen-j2k')).filter((f) => !/LICENSE/.test(f.name));
      const bad = files[7].bytes.slice();
      // break the codestream's SIZ marker (FF4F FF51): the decoder rejects it
      let soc = -1;
      for (let i = 0; i + 3 < bad.length && soc < 0; i++)
        if (bad[i] === 0xff && bad[i + 1] === 0x4f && bad[i + 2] === 0xff && bad[i + 3] === 0x51) soc = i;
      expect(soc).toBeGreaterThan(0);
      bad.fill(0x11, soc, soc + 64);
      files[7] = { name: files[7].name, bytes: bad };
      const { result } = await bothWays(asBlobs(files));
      const load = result.series[0].load as { warnings: string[] };
      expect(load.warnings.join('\n')).toContain(files[7].name);
    },
  );

  it('values beyond int16 in one file: the volume becomes float32 once', async () => {
    const voxels = new Int16Array(16 * 12 * 6).map((_, i) => (i * 37) % 3000);
    const files = writeDicomSeries(createVolume({ dims: [16, 12, 6], spacing: [1, 1, 2], voxels }));
    // RescaleIntercept (0028,1052) DS -> a value that makes slice 3's values overflow int16
    files[3] = { name: files[3].name, bytes: withIntercept(files[3].bytes, '40000') };
    const { result } = await bothWays(asBlobs(files));
    const load = result.series[0].load as { dtype: string; warnings: string[] };
    expect(load.dtype).toBe('float32');
    expect(load.warnings.join('\n')).toMatch(/exceed the int16 range/);
  });
});

/** The file with its RescaleIntercept value replaced (explicit VR little endian, same length padded). */
function withIntercept(bytes: Uint8Array, value: string): Uint8Array {
  for (let i = 132; i + 8 < bytes.length; i++) {
    if (
      bytes[i] === 0x28 &&
      bytes[i + 1] === 0 &&
      bytes[i + 2] === 0x52 &&
      bytes[i + 3] === 0x10 &&
      bytes[i + 4] === 0x44 &&
      bytes[i + 5] === 0x53
    ) {
      const len = bytes[i + 6] | (bytes[i + 7] << 8);
      if (len < value.length) throw new Error(`intercept field too short (${len})`);
      const out = bytes.slice();
      out.set(new TextEncoder().encode(value.padEnd(len, ' ')), i + 8);
      return out;
    }
  }
  throw new Error('no RescaleIntercept');
}
