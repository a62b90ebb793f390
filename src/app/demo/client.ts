/**
 * Main-thread side of the demo worker: `generateDemo()` resolves to in-memory DICOM files,
 * Blob-backed so that they load through the DICOM load workers like files a user drops, and the
 * phantom's true label map.
 */
import type { Progress, Volume } from '../../core/types';
import { blobSource, type SourceFile } from '../../io/dicom/source';
import type { LabelEntry } from '../../phantom/labels';
import { createVolume } from '../../volume/volume';
import { DEMO_OPTIONS, type DemoOptions, type DemoRequest, type DemoResponse, type DemoTruthMessage } from './protocol';

/** The demo phantom's true labels: label map on the CT's grid, label table, voxels per value. */
export interface DemoTruth {
  labels: Volume;
  table: LabelEntry[];
  voxelsPerLabel: Record<number, number>;
}

export interface DemoStudy {
  files: SourceFile[];
  truth: DemoTruth;
}

function toTruth(t: DemoTruthMessage): DemoTruth {
  const { dims, spacing, origin, direction, metadata } = t.header;
  const labels = createVolume({ dims: [...dims], spacing: [...spacing], origin: [...origin], direction: [...direction], metadata, voxels: t.voxels });
  return { labels, table: t.table, voxelsPerLabel: t.voxelsPerLabel };
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (d: DemoStudy) => void; reject: (e: Error) => void; onProgress?: (p: Progress) => void }>();

function getWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./demo.worker.ts', import.meta.url), { type: 'module', name: 'voxseg-demo' });
  worker.onmessage = (e: MessageEvent<DemoResponse>) => {
    const msg = e.data;
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') p.onProgress?.({ done: msg.done, total: msg.total, stage: msg.stage });
    else {
      pending.delete(msg.id);
      if (msg.type === 'done')
        p.resolve({ files: msg.files.map((f) => blobSource(new Blob([f.bytes as Uint8Array<ArrayBuffer>]), f.name)), truth: toTruth(msg.truth) });
      else p.reject(new Error(`demo generation failed: ${msg.message}`));
    }
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`demo worker crashed: ${e.message || 'unknown error'}`));
    pending.clear();
    worker?.terminate();
    worker = null;
  };
  return worker;
}

/** Generate the demo phantom as DICOM files and its true labels (in a worker, so the page stays responsive). */
export function generateDemo(onProgress?: (p: Progress) => void, options: DemoOptions = DEMO_OPTIONS): Promise<DemoStudy> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    const req: DemoRequest = { type: 'generate', id, options };
    getWorker().postMessage(req);
  });
}
