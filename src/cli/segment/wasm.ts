/**
 * `--device wasm`: the same worker the browser uses (onnxruntime-web, WASM), in a Node worker
 * thread, driven by the same InferenceClient.
 */
import { Worker } from 'node:worker_threads';
import { InferenceClient, type WorkerLike } from '../../inference/client';

export function wasmClient(): InferenceClient {
  return new InferenceClient(() => {
    const thread = new Worker(new URL('./wasm-thread.js', import.meta.url));
    const like: WorkerLike = {
      onmessage: null,
      onerror: null,
      postMessage: (message, transfer) => thread.postMessage(message, transfer as never),
      terminate: () => void thread.terminate(),
    };
    thread.on('message', (data: unknown) => like.onmessage?.({ data }));
    thread.on('error', (err: Error) => like.onerror?.({ message: err.message }));
    return like;
  });
}
