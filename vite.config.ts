import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Cross-origin isolation (SharedArrayBuffer, threaded wasm) needs these on every response,
 * in dev and in `vite preview` alike.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [svelte()],
  publicDir: 'static',
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: {
    exclude: ['onnxruntime-web'],
    // Pre-bundle the CommonJS / emscripten decoder entry points; left to on-demand discovery,
    // dev-server decode workers can hang silently while Vite re-optimizes.
    include: [
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-openjph/wasmjs',
      '@cornerstonejs/codec-charls/decodewasmjs',
      '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
      '@cornerstonejs/jpeg-lossless-decoder-js',
      'dicom-parser',
      'dcmjs',
      'fflate',
      'events',
    ],
  },
});
