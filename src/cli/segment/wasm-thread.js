// worker_threads entry for `voxseg segment --device wasm`: run the browser's inference worker
// (src/inference/worker.ts, onnxruntime-web) on a Node port, with TypeScript through tsx.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serve } = await import(new URL('../../inference/worker.ts', import.meta.url).href);
const scope = { onmessage: null, postMessage: (message, transfer) => parentPort.postMessage(message, transfer) };
parentPort.on('message', (data) => scope.onmessage?.({ data }));
serve(scope);
