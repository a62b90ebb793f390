/**
 * Vite config of the bench pages (bench/browser → bench/out/browser-dist): index.html (loading
 * section) and inference.html (inference section). Served with the same cross-origin isolation
 * headers as the app (COOP/COEP), so SharedArrayBuffer and threaded wasm behave as in production.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  publicDir: false,
  server: { headers: isolationHeaders, fs: { allow: [repo] } },
  preview: { headers: isolationHeaders },
  // As in the app, onnxruntime-web is bundled into the inference worker's chunk, and its WASM
  // threads ('em-pthread' workers) load that same chunk.
  worker: { format: 'es' },
  build: {
    outDir: resolve(repo, 'bench/out/browser-dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Minified like the app's production build; VOXSEG_BENCH_MINIFY=0 (set by --profile) keeps names readable.
    minify: process.env.VOXSEG_BENCH_MINIFY !== '0',
    chunkSizeWarningLimit: 1 << 20,
    reportCompressedSize: false,
    rolldownOptions: {
      input: { index: resolve(here, 'index.html'), inference: resolve(here, 'inference.html') },
      checks: { bundlerTimings: false },
    },
  },
  optimizeDeps: {
    // As in the app: onnxruntime-web finds its .wasm/.mjs beside itself, so it is not pre-bundled.
    exclude: ['onnxruntime-web'],
    include: ['@cornerstonejs/codec-openjpeg/decodewasmjs', 'dicom-parser', 'dcmjs', 'fflate', 'events'],
  },
});
