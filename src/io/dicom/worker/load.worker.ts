/// <reference lib="webworker" />
/**
 * Browser load worker (module worker bundled by Vite, started by ./pool.ts): the codecs' WASM
 * from the bundle's URLs, then the load worker's API (./serve.ts) on `self`.
 */
import { registerBrowserCodecUrls } from '../decode/wasm-urls.browser';
import { serveLoadWorker } from './serve';

registerBrowserCodecUrls();
serveLoadWorker(self as DedicatedWorkerGlobalScope);
