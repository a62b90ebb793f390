/**
 * loadSeries' work on a batch of files inside a load worker: the files are read through one
 * stream (./byob.ts) into a reused buffer, each decoded into recycled slice buffers that are
 * transferred to the main thread. A file that fails is reported by itself; if the stream fails,
 * the rest of the batch is read file by file so that each failure names its file.
 */
import { valueRange } from '../../../volume/volume';
import { errorMessage, VoxsegError } from '../../../core/errors';
import { decodeFileSlices, type SliceSink } from '../filedecode';
import { readsWholeFile } from '../pixeldata';
import { blobSource } from '../source';
import type { Target } from '../values';
import { PartReader } from './byob';
import type { LoadArg, LoadEvent, WorkerError } from './protocol';

export interface WorkerContext {
  /** Send an event of this load to the caller. */
  emit(e: LoadEvent, transfer?: Transferable[]): void;
  /** A slice buffer of this many bytes (recycled when possible). */
  takeSlice(bytes: number): ArrayBuffer;
  /** A read buffer to reuse, and giving one back. */
  takeRead(): ArrayBuffer | undefined;
  giveRead(b: ArrayBuffer | undefined): void;
}

export async function loadBatch(m: LoadArg, signal: AbortSignal, cx: WorkerContext): Promise<void> {
  const n = m.nx * m.ny;
  const sources = m.files.map((f) => blobSource(f.blob, f.name));
  const whole = m.files.map((f, j) => readsWholeFile(sources[j], f.header));
  let stream: PartReader | undefined = new PartReader(m.files.filter((_, j) => whole[j]).map((f) => f.blob));
  let buffer = cx.takeRead();
  const sink: SliceSink = {
    open: () => {
      const voxels =
        m.dtype === 'int16' ? new Int16Array(cx.takeSlice(n * 2), 0, n) : new Float32Array(cx.takeSlice(n * 4), 0, n);
      return { target: { voxels }, at: 0 };
    },
    close: (k: number, t: Target, where: string) => {
      const out = t.voxels.buffer as ArrayBuffer;
      const [min, max] = valueRange(t.voxels);
      cx.emit(
        { type: 'slice', k, buffer: out, dtype: t.voxels instanceof Int16Array ? 'int16' : 'float32', where, min, max },
        [out],
      );
    },
  };
  try {
    for (let j = 0; j < m.files.length; j++) {
      if (signal.aborted) return;
      const f = m.files[j];
      try {
        let bytes: Uint8Array | undefined;
        if (whole[j] && stream) {
          try {
            ({ bytes, buffer } = await stream.read(buffer));
          } catch {
            stream.close();
            stream = undefined;
            buffer = undefined; // possibly detached
          }
        }
        if (whole[j] && !bytes) {
          const one = new PartReader([f.blob]);
          try {
            ({ bytes, buffer } = await one.read(buffer));
          } catch (e) {
            buffer = undefined;
            throw new VoxsegError('unreadable', `cannot read the file: ${errorMessage(e)}`, { file: f.name, cause: e });
          } finally {
            one.close();
          }
        }
        await decodeFileSlices(sources[j], f.header, f.slices, m, sink, { whole: bytes, signal });
      } catch (e) {
        if (signal.aborted) return;
        const error: WorkerError =
          e instanceof VoxsegError
            ? { code: e.code, reason: e.reason, file: e.file }
            : { code: 'decode-failed', reason: errorMessage(e) };
        cx.emit({ type: 'fileFailed', job: f.job, error });
      }
    }
  } finally {
    stream?.close();
    cx.giveRead(buffer);
  }
}
