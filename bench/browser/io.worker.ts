/**
 * Diagnostic worker for `--diagnose`: reads the Files it is given with one access pattern and
 * reports how long that took. Not a loader. (The voxseg loader reads in workers, batching many
 * files into one composite Blob stream: these rows show why.)
 */
export interface IoJob {
  files: Blob[];
  mode: 'head' | 'head-composite' | 'whole-blob-ab' | 'whole-byob' | 'whole-composite';
  headBytes?: number;
  /** Reads in flight ('head', 'whole-*'), or files per composite Blob ('whole-composite'). */
  inFlight: number;
}

/** A pending stream read is no GC root: keep the readers referenced while they are read. */
const live = new Set<ReadableStreamBYOBReader>();

async function readByob(blob: Blob, buf: ArrayBuffer): Promise<ArrayBuffer> {
  if (buf.byteLength < blob.size) buf = new ArrayBuffer(blob.size);
  const reader = blob.stream().getReader({ mode: 'byob' });
  live.add(reader);
  let off = 0;
  while (off < blob.size) {
    const { value, done } = await reader.read(new Uint8Array(buf, off, blob.size - off));
    if (value) buf = value.buffer as ArrayBuffer;
    if (done || !value) break;
    off += value.byteLength;
  }
  reader.cancel().catch(() => {});
  live.delete(reader);
  return buf;
}

async function run({ files, mode, headBytes = 65536, inFlight }: IoJob): Promise<number> {
  let sink = 0;
  const units: Blob[] =
    mode === 'head-composite'
      ? [new Blob(files.map((f) => f.slice(0, headBytes)))]
      : mode === 'whole-composite'
        ? Array.from(
            { length: Math.ceil(files.length / inFlight) },
            (_, g) => new Blob(files.slice(g * inFlight, (g + 1) * inFlight)),
          )
        : files;
  const lanes = mode === 'head' || mode === 'whole-blob-ab' || mode === 'whole-byob' ? inFlight : 2;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, units.length) }, async () => {
      let buf = new ArrayBuffer(1);
      while (next < units.length) {
        const f = units[next++];
        if (mode === 'head') sink += (await f.slice(0, headBytes).arrayBuffer()).byteLength;
        else if (mode === 'whole-blob-ab') sink += (await f.arrayBuffer()).byteLength;
        else {
          buf = await readByob(f, buf);
          sink += f.size;
        }
      }
    }),
  );
  return sink;
}

self.onmessage = (e: MessageEvent<IoJob>) => {
  const t0 = performance.now();
  void run(e.data).then((sink) => (self as unknown as Worker).postMessage({ ms: performance.now() - t0, sink }));
};
