/**
 * Main-thread side of the demo worker: `generateDemo()` resolves to in-memory DICOM files,
 * Blob-backed so that they load through the DICOM load workers like files a user drops, and the
 * phantom's true label map. The worker (`DemoApi` through src/core/rpc.ts) stays for later demos.
 * A demo made once is served again from memory or the browser's storage (./cache.ts).
 */
import { RpcClient } from '../../core/rpc';
import type { Progress, Volume } from '../../core/types';
import { blobSource, type SourceFile } from '../../io/dicom/source';
import type { LabelEntry } from '../../phantom/labels';
import { createVolume } from '../../volume/volume';
import { DemoCache, type DemoFrom } from './cache';
import { DEMO_OPTIONS, type DemoApi, type DemoOptions, type DemoTruthMessage } from './protocol';

/** The demo phantom's true labels: label map on the CT's grid, label table, voxels per value. */
export interface DemoTruth {
  labels: Volume;
  table: LabelEntry[];
  voxelsPerLabel: Record<number, number>;
}

export interface DemoStudy {
  files: SourceFile[];
  truth: DemoTruth;
  /** Generated now, or served from this tab's memory or the browser's storage. */
  from: DemoFrom;
}

function toTruth(t: DemoTruthMessage): DemoTruth {
  const { dims, spacing, origin, direction, metadata } = t.header;
  const labels = createVolume({
    dims: [...dims],
    spacing: [...spacing],
    origin: [...origin],
    direction: [...direction],
    metadata,
    voxels: t.voxels,
  });
  return { labels, table: t.table, voxelsPerLabel: t.voxelsPerLabel };
}

let rpc: RpcClient<DemoApi> | undefined;
const cache = new DemoCache();

/**
 * The demo phantom as DICOM files and its true labels: kept from an earlier generation, else
 * generated in a worker (so the page stays responsive).
 */
export async function generateDemo(
  onProgress?: (p: Progress) => void,
  options: DemoOptions = DEMO_OPTIONS,
): Promise<DemoStudy> {
  rpc ??= new RpcClient(
    () => new Worker(new URL('./demo.worker.ts', import.meta.url), { type: 'module', name: 'voxseg-demo' }),
    {
      name: 'demo worker',
      failure: 'invalid-volume',
    },
  );
  const worker = rpc;
  const { demo, from } = await cache.get(options, () => worker.call('generate', options, { onEvent: onProgress }));
  const { files, truth } = demo;
  return {
    from,
    files: files.map((f) => blobSource(new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.name)),
    truth: toTruth(truth),
  };
}
