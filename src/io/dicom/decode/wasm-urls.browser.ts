/**
 * Browser only (Vite): URLs of the codecs' decode-only .wasm files, emitted as assets by Vite's
 * `?url` imports. Call `registerBrowserCodecUrls()` once at start-up, in the page and in every
 * worker that decodes frames. Never import this module from Node code: `?url` is a Vite feature.
 */
import charlsWasmUrl from '@cornerstonejs/codec-charls/decodewasm?url';
import jpegTurboWasmUrl from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import openjpegWasmUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import openjphWasmUrl from '@cornerstonejs/codec-openjph/wasm?url';
import { setCodecWasmUrls } from './codecs';

export function registerBrowserCodecUrls(): void {
  setCodecWasmUrls({
    openjpeg: openjpegWasmUrl,
    openjph: openjphWasmUrl,
    charls: charlsWasmUrl,
    'libjpeg-turbo': jpegTurboWasmUrl,
  });
}
