/**
 * Node-only: read a codec's .wasm file from node_modules. Reached only through a dynamic
 * import() that ./codecs.ts guards with an environment check, and the Node builtins are imported
 * with non-literal specifiers, so a browser bundle neither resolves nor polyfills them.
 */
type NodeModule = typeof import('node:module');
type NodeFs = typeof import('node:fs/promises');

// A variable specifier keeps bundlers from resolving the builtin.
const importBuiltin = <T>(id: string): Promise<T> => import(/* @vite-ignore */ id) as Promise<T>;

/** Bytes of the file a package export subpath (e.g. '@cornerstonejs/codec-charls/decodewasm') names. */
export async function readWasmBinary(specifier: string): Promise<Uint8Array> {
  const { createRequire } = await importBuiltin<NodeModule>('node:module');
  const { readFile } = await importBuiltin<NodeFs>('node:fs/promises');
  const path = createRequire(import.meta.url).resolve(specifier);
  return new Uint8Array(await readFile(path));
}
