/// <reference lib="webworker" />
import { buildDemoFiles } from './build';
import type { DemoRequest, DemoResponse } from './protocol';

const post = (msg: DemoResponse, transfer: Transferable[] = []) => (self as DedicatedWorkerGlobalScope).postMessage(msg, transfer);

self.onmessage = (e: MessageEvent<DemoRequest>) => {
  const req = e.data;
  if (req.type !== 'generate') return;
  try {
    let last = 0;
    let lastStage = '';
    const { files, truth } = buildDemoFiles(req.options, (p) => {
      // At most ~20 messages a second, but every change of stage.
      const now = performance.now();
      if (now - last < 50 && p.stage === lastStage) return;
      last = now;
      lastStage = p.stage ?? '';
      post({ type: 'progress', id: req.id, stage: p.stage ?? 'Working', done: p.done, total: p.total });
    });
    const transfer = [...files.map((f) => f.bytes.buffer), truth.voxels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    post({ type: 'done', id: req.id, files, truth }, [...new Set(transfer)]);
  } catch (err) {
    post({ type: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) });
  }
};
