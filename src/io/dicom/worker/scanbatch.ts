/**
 * The browser scan of a batch of files inside a load worker: the first bytes of every file are
 * read through one stream (see ./byob.ts), parsed, and checked exactly like scanFile does on the
 * main thread; files with encapsulated pixel data get their last 8 bytes read the same way.
 * A header longer than what was read falls back to readHeader's growing reads for that file.
 */
import { readHeader, type DicomHeader, type Parsed } from '../parse';
import { checksTail, imageProblem, rejectionReason, type FileScan } from '../scanfile';
import { pool } from '../slicejobs';
import { blobSource } from '../source';
import { readParts } from './byob';

export interface ScanItem {
  i: number;
  name: string;
  blob: Blob;
}

const MIN_HEAD = 16 * 1024;
const MAX_HEAD = 256 * 1024;
/** Bytes read per file: grows to twice the longest header seen in this worker. */
let headBytes = MIN_HEAD;

/**
 * Scan `items`; `done` gets each file's result, `parsed` (optional) each header as soon as it is
 * parsed, before the checks that may read more of the file.
 */
export async function scanBatch(
  items: ScanItem[],
  signal: AbortSignal,
  done: (i: number, r: FileScan) => void,
  parsed?: (h: DicomHeader) => void,
): Promise<void> {
  const files = items.map((it) => blobSource(it.blob, it.name));
  const heads = await readParts(items.map((it) => it.blob.slice(0, Math.min(it.blob.size, headBytes)))).catch(
    () => [] as Uint8Array[],
  );
  const headers: (Parsed | { error: unknown })[] = [];
  await pool(files, 8, async (file, j) => {
    const p = await readHeader(file, heads[j]).catch((error: unknown) => ({ error }));
    if ('header' in p) parsed?.(p.header);
    headers[j] = p;
  });
  signal.throwIfAborted();
  const tailOf = new Map<number, Uint8Array>();
  const needTail = headers.flatMap((p, j) => ('header' in p && checksTail(p.header) ? [j] : []));
  if (needTail.length) {
    const tails = await readParts(needTail.map((j) => items[j].blob.slice(Math.max(0, items[j].blob.size - 8)))).catch(
      () => [] as Uint8Array[],
    );
    tails.forEach((t, n) => tailOf.set(needTail[n], t));
  }
  await pool(files, 8, async (file, j) => {
    const p = headers[j];
    let r: FileScan;
    if ('error' in p) r = { reason: rejectionReason(p.error) };
    else {
      const offset = p.header.pixelData?.offset ?? 0;
      if (p.header.container === 'plain' && offset * 2 > headBytes)
        headBytes = Math.min(MAX_HEAD, Math.max(headBytes, offset * 2));
      try {
        const problem = await imageProblem(p.header, file, p.bytes, tailOf.get(j));
        r = problem ? { reason: problem } : { header: p.header };
      } catch (e) {
        r = { reason: rejectionReason(e) };
      }
    }
    signal.throwIfAborted();
    done(items[j].i, r);
  });
}
