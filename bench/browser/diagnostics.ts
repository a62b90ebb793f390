/**
 * Diagnostics for `npm run bench -- --diagnose`: the browser's file-I/O floor for a dataset, i.e.
 * how long just reading the selected Files takes with the access patterns the loaders use.
 * Not a loader and not timed against the goals.
 */
/** Worker read patterns (the voxseg loader reads in workers): label, job, number of workers. */
const IO_TESTS = [
  ['workers x2: first 64 KiB, one Blob.slice() read per file', { mode: 'head', headBytes: 65536, inFlight: 8 }, 2],
  [
    'workers x2: first 16 KiB, one composite Blob per worker',
    { mode: 'head-composite', headBytes: 16384, inFlight: 1 },
    2,
  ],
  ['workers x2: whole files, blob.arrayBuffer() per file', { mode: 'whole-blob-ab', inFlight: 2 }, 2],
  ['workers x2: whole files, BYOB stream per file', { mode: 'whole-byob', inFlight: 2 }, 2],
  ['workers x2: whole files, BYOB composite of 32 files', { mode: 'whole-composite', inFlight: 32 }, 2],
] as const;

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function ioFloor(files: File[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let sink = 0;
  out['whole files, 1 at a time (File.arrayBuffer)'] = await timed(async () => {
    for (const f of files) sink += (await f.arrayBuffer()).byteLength;
  });
  out['whole files, 4 in flight (Blob.slice().arrayBuffer)'] = await timed(() =>
    pool(files, 4, async (f) => {
      sink += (await f.slice(0, f.size).arrayBuffer()).byteLength;
    }),
  );
  out['whole files, 16 in flight'] = await timed(() =>
    pool(files, 16, async (f) => {
      sink += (await f.slice(0, f.size).arrayBuffer()).byteLength;
    }),
  );
  out['first 64 KiB of each file, 8 in flight'] = await timed(() =>
    pool(files, 8, async (f) => {
      sink += (await f.slice(0, 65536).arrayBuffer()).byteLength;
    }),
  );
  out['first 64 KiB of each file, 32 in flight'] = await timed(() =>
    pool(files, 32, async (f) => {
      sink += (await f.slice(0, 65536).arrayBuffer()).byteLength;
    }),
  );
  out['first 4 KiB of each file, 8 in flight'] = await timed(() =>
    pool(files, 8, async (f) => {
      sink += (await f.slice(0, 4096).arrayBuffer()).byteLength;
    }),
  );
  for (const [label, job, workers] of IO_TESTS) out[label] = await timed(() => inWorkers(files, job, workers));
  // What a loader that initialises its JPEG 2000 codec lazily pays on its first J2K frame.
  out['OpenJPEG codec init, cold (voxseg loadCodec)'] = await timed(async () => {
    const { registerBrowserCodecUrls } = await import('../../src/io/dicom/decode/wasm-urls.browser');
    const { loadCodec } = await import('../../src/io/dicom/decode/codecs');
    registerBrowserCodecUrls();
    await loadCodec('openjpeg');
  });
  if (sink < 0) console.log(sink);
  return out;
}

async function inWorkers(
  files: File[],
  job: { mode: string; headBytes?: number; inFlight: number },
  n: number,
): Promise<void> {
  const workers = Array.from(
    { length: n },
    () => new Worker(new URL('./io.worker.ts', import.meta.url), { type: 'module' }),
  );
  await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<void>((resolve, reject) => {
          w.onmessage = () => resolve();
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage({ ...job, files: files.filter((_, j) => j % n === i) });
        }),
    ),
  );
  for (const w of workers) w.terminate();
}
