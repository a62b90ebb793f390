/**
 * A file the loaders can read, independent of where it lives (browser File, Node path, memory).
 * `slice` reads a byte range so that headers can be scanned without reading whole files.
 */
export interface SourceFile {
  /** Display name: a relative path or file name. Used in every message about this file. */
  readonly name: string;
  readonly size: number;
  /** Bytes [start, end) (end defaults to size). */
  slice(start: number, end?: number): Promise<Uint8Array>;
  /**
   * The browser Blob/File behind this source, if any. With it the browser loader can hand the
   * file to its workers (Blobs are cheap to post) instead of reading it on the main thread.
   */
  readonly blob?: Blob;
}

/** Wrap a browser File / Blob. */
export function blobSource(
  blob: Blob,
  name = (blob as File).webkitRelativePath || (blob as File).name || 'blob',
): SourceFile {
  return {
    name,
    size: blob.size,
    blob,
    async slice(start, end = blob.size) {
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    },
  };
}

/** Wrap bytes already in memory. */
export function memorySource(name: string, bytes: Uint8Array): SourceFile {
  return {
    name,
    size: bytes.byteLength,
    async slice(start, end = bytes.byteLength) {
      return bytes.subarray(start, end);
    },
  };
}
