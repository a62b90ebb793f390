/**
 * Minimal typings for the Emscripten codec glue modules (the packages ship none). Each default
 * export is a factory: call it with Module options, get a promise of the initialised module.
 */
interface VoxsegEmscriptenOptions {
  /** The .wasm bytes (Node). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Maps the glue's wasm file name to a URL (browser). */
  locateFile?: (path: string, scriptDirectory: string) => string;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: VoxsegEmscriptenOptions) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (options?: VoxsegEmscriptenOptions) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: VoxsegEmscriptenOptions) => Promise<unknown>;
  export default factory;
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (options?: VoxsegEmscriptenOptions) => Promise<unknown>;
  export default factory;
}
