/**
 * Lazy, cached loading of the Emscripten (WebAssembly) codecs, the same way in Node and in the
 * browser:
 * - Browser (Vite): the app calls `registerBrowserCodecUrls()` from ./wasm-urls.browser.ts once
 *   at start-up (in every worker that decodes too); that hands the bundled .wasm URLs to
 *   `setCodecWasmUrls`, and the glue fetches them through `locateFile`.
 * - Node: with no URL registered, ./wasm-node.ts (dynamic import, never reached in a browser)
 *   reads the .wasm from node_modules and passes it as `wasmBinary`.
 * Each codec loads on first use; the instance is cached per codec (a failed load is retried).
 */
import { VoxsegError, errorMessage } from '../../../core/errors';

export type CodecName = 'openjpeg' | 'openjph' | 'charls' | 'libjpeg-turbo';

/** The part of an Emscripten module instance we use: decoder classes and the exception helper. */
export interface CodecModule {
  [decoderClass: string]: unknown;
  getExceptionMessage?: (ptr: number) => string;
}

interface CodecSpec {
  label: string;
  /** Package export subpath of the decode-only .wasm file. */
  wasm: string;
  glue: () => Promise<{ default: unknown }>;
}

const SPECS: Record<CodecName, CodecSpec> = {
  openjpeg: {
    label: 'OpenJPEG (JPEG 2000)',
    wasm: '@cornerstonejs/codec-openjpeg/decodewasm',
    glue: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
  },
  openjph: {
    label: 'OpenJPH (High-Throughput JPEG 2000)',
    // One build for encoding and decoding; its size (~300 KB) is close to the decode-only ones.
    wasm: '@cornerstonejs/codec-openjph/wasm',
    glue: () => import('@cornerstonejs/codec-openjph/wasmjs'),
  },
  charls: {
    label: 'CharLS (JPEG-LS)',
    wasm: '@cornerstonejs/codec-charls/decodewasm',
    glue: () => import('@cornerstonejs/codec-charls/decodewasmjs'),
  },
  'libjpeg-turbo': {
    label: 'libjpeg-turbo (JPEG)',
    wasm: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
    glue: () => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'),
  },
};

const browserUrls: Partial<Record<CodecName, string>> = {};
const cache = new Map<CodecName, Promise<CodecModule>>();
const lastCodecMessage = new Map<CodecName, string>();

/** Browser: tell the loader where the bundled .wasm files are (see ./wasm-urls.browser.ts). */
export function setCodecWasmUrls(urls: Partial<Record<CodecName, string>>): void {
  Object.assign(browserUrls, urls);
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string';
}

export function codecLabel(name: CodecName): string {
  return SPECS[name].label;
}

export function loadCodec(name: CodecName): Promise<CodecModule> {
  let p = cache.get(name);
  if (!p) {
    if (!browserUrls[name] && !isNode()) {
      // Not cached: registering the URLs later must still work.
      const label = SPECS[name].label;
      return Promise.reject(
        new VoxsegError(
          'unsupported',
          `the ${label} codec's WebAssembly URL is not registered; call registerBrowserCodecUrls() from src/io/dicom/decode/wasm-urls.browser.ts at start-up`,
        ),
      );
    }
    p = instantiate(name);
    cache.set(name, p);
    // A failed load (e.g. a network error fetching the .wasm) is retried on the next frame.
    p.catch(() => cache.delete(name));
  }
  return p;
}

async function instantiate(name: CodecName): Promise<CodecModule> {
  const spec = SPECS[name];
  try {
    const url = browserUrls[name];
    // The codecs log progress (OpenJPEG: "[INFO] ...") on stdout: keep it out of the console, and
    // remember the last stderr line to explain a failure.
    const options: {
      wasmBinary?: Uint8Array;
      locateFile?: (path: string) => string;
      print: (s: string) => void;
      printErr: (s: string) => void;
    } = {
      print: () => {},
      printErr: (line) => lastCodecMessage.set(name, line),
    };
    if (url) {
      options.locateFile = (path) => (path.endsWith('.wasm') ? url : path);
    } else {
      const { readWasmBinary } = await import('./wasm-node');
      options.wasmBinary = await readWasmBinary(spec.wasm);
    }
    const glue = await spec.glue();
    // CommonJS glue: depending on the bundler's interop, default is the factory or { default }.
    let factory = glue.default as unknown;
    if (typeof factory !== 'function') factory = (factory as { default?: unknown })?.default;
    if (typeof factory !== 'function') throw new Error('the codec module exports no factory function');
    return (await (factory as (o: object) => Promise<CodecModule>)(options)) as CodecModule;
  } catch (err) {
    throw new VoxsegError('decode-failed', `could not load the ${spec.label} codec: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Message of an exception thrown from inside a codec (Emscripten may throw a bare pointer). */
export function codecErrorMessage(codec: CodecModule, err: unknown): string {
  if (typeof err === 'number') {
    try {
      if (codec.getExceptionMessage) return codec.getExceptionMessage(err);
    } catch {
      // fall through
    }
    return `the data is not a valid stream for this codec (internal exception ${err})`;
  }
  return errorMessage(err);
}

/** Run a synchronous decode inside a codec; wrap whatever it throws in a clear VoxsegError. */
export function runCodec<T>(name: CodecName, codec: CodecModule, fn: () => T): T {
  lastCodecMessage.delete(name);
  try {
    return fn();
  } catch (err) {
    if (err instanceof VoxsegError) throw err;
    const logged = lastCodecMessage.get(name);
    const detail = codecErrorMessage(codec, err) + (logged ? ` (${logged.trim()})` : '');
    throw new VoxsegError('decode-failed', `${codecLabel(name)} could not decode the frame: ${detail}`, { cause: err });
  }
}

/** The decoder classes of the Cornerstone codec builds share this shape. */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): CodecFrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}

export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

export interface WasmDecodeResult {
  /** Decoded bytes, copied out of the wasm heap. */
  bytes: Uint8Array;
  frame: CodecFrameInfo;
  /** CharLS only: 0 = planes one after another, 1 = by line, 2 = by sample. */
  interleaveMode?: number;
  /** Last line the codec wrote to stderr during this decode, if any. */
  log?: string;
}

/** Decode one encoded frame with a fresh instance of `decoderClass` from codec `name`. */
export async function decodeWithWasm(
  name: CodecName,
  decoderClass: string,
  encoded: Uint8Array,
): Promise<WasmDecodeResult> {
  const codec = await loadCodec(name);
  const Ctor = codec[decoderClass] as (new () => WasmDecoder) | undefined;
  if (typeof Ctor !== 'function') {
    throw new VoxsegError('decode-failed', `the ${codecLabel(name)} codec has no ${decoderClass}`);
  }
  return runCodec(name, codec, () => {
    const decoder = new Ctor();
    try {
      decoder.getEncodedBuffer(encoded.length).set(encoded);
      decoder.decode();
      const frame = decoder.getFrameInfo();
      const interleaveMode = decoder.getInterleaveMode?.();
      // The heap view dies with the decoder (and on memory growth): copy it now.
      const bytes = decoder.getDecodedBuffer().slice();
      return { bytes, frame: { ...frame }, interleaveMode, log: lastCodecMessage.get(name) };
    } finally {
      decoder.delete();
    }
  });
}
