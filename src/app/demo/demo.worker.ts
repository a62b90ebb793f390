/// <reference lib="webworker" />
/** The demo worker: generates the phantom and writes it as DICOM (./build.ts) off the page thread. */
import { serveRpc, withTransfer } from '../../core/rpc';
import { buildDemoFiles } from './build';
import type { DemoApi } from './protocol';

serveRpc<DemoApi>(self as DedicatedWorkerGlobalScope, {
  generate: (options, { emit }) => {
    let last = 0;
    let lastStage = '';
    const { files, truth } = buildDemoFiles(options, (p) => {
      // At most ~20 messages a second, but every change of stage.
      const now = performance.now();
      if (now - last < 50 && p.stage === lastStage) return;
      last = now;
      lastStage = p.stage ?? '';
      emit({ stage: p.stage ?? 'Working', done: p.done, total: p.total });
    });
    return withTransfer({ files, truth }, [...files.map((f) => f.bytes.buffer), truth.voxels.buffer]);
  },
});
