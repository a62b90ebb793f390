/**
 * WADO-RS retrieval. An instance is asked for as stored (`transfer-syntax=*`): the same bytes as
 * the files the server was given, so a series retrieved and the same files opened locally give the
 * same volume through the same `io/dicom` code. A server that refuses `*` (406/400) is asked again
 * for its default (Explicit VR Little Endian), and that is remembered for the client's lifetime.
 * A series: metadata first (the instance list), then the instances with a bounded number of
 * requests in flight, byte progress as the bodies stream in, the caller's AbortSignal honoured,
 * and every instance kept in `received` so that a retry after a failure fetches only the rest.
 * By default the whole series comes in one request (`seriesRequest`; faster on Orthanc: no
 * per-request cost), with the same progress and resume; a server that refuses that, and a retry,
 * get one request per instance.
 */
import { concatBytes } from '../../core/bytes';
import { memorySource, type SourceFile } from '../dicom/source';
import { isAbort, networkCause, transientCause, request, serverError, type FetchFn } from './http';
import { T, str } from './json';
import { MultipartError, boundaryOf, readMultipart } from './multipart';
import { metaSopInstanceUid, metaTransferSyntaxUid } from './part10';
import { isSupportedTransferSyntax, transferSyntaxName } from '../dicom/decode/syntaxes';
import { parseJsonArray } from './qido';
import type { DicomJson, DicomwebServer, RetrieveOptions } from './types';

export interface RetrieveContext {
  server: DicomwebServer;
  fetch: FetchFn;
  /** false once the server refused `transfer-syntax=*`. */
  state: { asStored: boolean };
}

const enc = encodeURIComponent;

export function seriesPath(study: string, series: string): string {
  return `/studies/${enc(study)}/series/${enc(series)}`;
}

export async function fetchMetadata(
  ctx: RetrieveContext,
  study: string,
  series: string,
  signal?: AbortSignal,
): Promise<DicomJson[]> {
  const res = await request(ctx.server, ctx.fetch, `${seriesPath(study, series)}/metadata`, {
    headers: { Accept: 'application/dicom+json' },
    signal,
  });
  const text = await readText(ctx, res, signal);
  const arr = parseJsonArray(text);
  if (!arr)
    throw serverError(ctx.server, `the series metadata answer is not DICOM JSON (${seriesPath(study, series)})`);
  return arr;
}

async function readText(ctx: RetrieveContext, res: Response, signal?: AbortSignal): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    if (isAbort(err, signal)) throw err;
    const cause = networkCause(err);
    throw serverError(ctx.server, `the connection dropped (${cause})`, { cause: err, transient: cause });
  }
}

/** Explicit VR Little Endian: what every DICOMweb server must be able to send. */
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** One instance as Part-10 bytes; `onBytes(n)` as its body streams in; `syntax`: ask for that transfer syntax. */
export async function fetchInstance(
  ctx: RetrieveContext,
  study: string,
  series: string,
  sop: string,
  signal?: AbortSignal,
  onBytes?: (n: number) => void,
  syntax?: string,
): Promise<Uint8Array> {
  const path = `${seriesPath(study, series)}/instances/${enc(sop)}`;
  let first: Uint8Array | null = null;
  // a server that sends more than asked: keep the first part, count nothing more
  await getDicomParts(
    ctx,
    path,
    signal,
    (n) => first === null && onBytes?.(n),
    (body) => void (first ??= body),
    syntax,
  );
  if (!first) throw serverError(ctx.server, `malformed multipart answer: it holds no part (${path})`);
  return first;
}

/**
 * GET `path` as `multipart/related; type="application/dicom"` (as stored, else the server's
 * default: see the top of this file; or in `syntax` when given); each part's body goes to
 * `onPart` as soon as it is complete.
 */
export async function getDicomParts(
  ctx: RetrieveContext,
  path: string,
  signal: AbortSignal | undefined,
  onBytes: ((n: number) => void) | undefined,
  onPart: (body: Uint8Array) => void,
  syntax?: string,
): Promise<void> {
  const asStored = !syntax && ctx.state.asStored;
  const wanted = syntax ?? (asStored ? '*' : '');
  const accept = `multipart/related; type="application/dicom"${wanted ? `; transfer-syntax=${wanted}` : ''}`;
  const res = await request(ctx.server, ctx.fetch, path, {
    headers: { Accept: accept },
    signal,
    accept: asStored ? [400, 406] : [],
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    ctx.state.asStored = false;
    try {
      return await getDicomParts(ctx, path, signal, onBytes, onPart);
    } catch (err) {
      // a 400 for something else than the transfer syntax: keep asking for the stored syntax
      if (res.status === 400) ctx.state.asStored = true;
      throw err;
    }
  }
  const type = res.headers.get('content-type');
  const boundary = boundaryOf(type);
  try {
    if (!res.body) throw new MultipartError('the answer has no body');
    if (!boundary) {
      if (!/^\s*application\/dicom\b/i.test(type ?? ''))
        throw new MultipartError(`Content-Type is '${type ?? 'missing'}', not multipart/related with a boundary`);
      onPart(await readAll(res.body, onBytes));
      return;
    }
    for await (const part of readMultipart(res.body, boundary, onBytes)) onPart(part.body);
  } catch (err) {
    if (isAbort(err, signal)) throw err;
    if (err instanceof MultipartError)
      throw serverError(ctx.server, `malformed multipart answer: ${err.message} (${path})`, { cause: err });
    const cause = networkCause(err);
    throw serverError(ctx.server, `the connection dropped (${cause})`, { cause: err, transient: cause });
  }
}

async function readAll(body: ReadableStream<Uint8Array>, onBytes?: (n: number) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = body.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
    onBytes?.(r.value.length);
  }
  return concatBytes(chunks);
}

export async function retrieveSeries(
  ctx: RetrieveContext,
  study: string,
  series: string,
  opts: RetrieveOptions,
): Promise<SourceFile[]> {
  const { signal, onProgress } = opts;
  const received = opts.received ?? new Map<string, Uint8Array>();
  const metadata = await fetchMetadata(ctx, study, series, signal);
  const sops = [...new Set(metadata.map((ds) => str(ds, T.SOPInstanceUID)).filter((u) => u !== ''))];
  if (sops.length === 0) throw serverError(ctx.server, `the series has no instances on the server (${series})`);
  const total = sops.length;
  let held = 0;
  let bytes = 0;
  for (const sop of sops) {
    const b = received.get(sop);
    if (b) {
      held++;
      bytes += b.byteLength;
    }
  }
  const report = () => onProgress?.({ instances: held, totalInstances: total, bytes });
  report();
  const name = (sop: string) => `${ctx.server.name}/${series}/${sop}.dcm`;
  opts.onMetadata?.(metadata, name);
  let todo = sops.filter((s) => !received.has(s));
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal?.reason);
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
  signal?.addEventListener('abort', onAbort);
  let failure: unknown = null;
  // instances stored in a transfer syntax voxseg does not decode: asked for again, transcoded
  const undecodable: string[] = [];
  const deliver = (sop: string, data: Uint8Array, transcoded = false) => {
    const syntax = metaTransferSyntaxUid(data);
    if (syntax && !isSupportedTransferSyntax(syntax)) {
      if (transcoded)
        throw serverError(
          ctx.server,
          `asked for ${sop} in Explicit VR Little Endian, it sent ${transferSyntaxName(syntax)} (${syntax}), which voxseg does not decode`,
        );
      undecodable.push(sop);
      bytes -= data.byteLength;
      report();
      return;
    }
    received.set(sop, data);
    held++;
    report();
    opts.onInstance?.(memorySource(name(sop), data), held, total);
  };
  if ((opts.seriesRequest ?? true) && held === 0 && total > 1) {
    // one request for the whole series (only when nothing is held: a retry asks for the rest one
    // by one); instances are told apart by their file meta SOP UID
    const want = new Set(todo);
    let partial = 0;
    try {
      await getDicomParts(
        ctx,
        seriesPath(study, series),
        inner.signal,
        (n) => {
          partial += n;
          bytes += n;
          report();
        },
        (body) => {
          partial -= body.byteLength;
          const sop = metaSopInstanceUid(body);
          if (!want.delete(sop)) bytes -= body.byteLength;
          else deliver(sop, body);
        },
      );
    } catch (err) {
      bytes -= partial;
      if (isAbort(err, signal) || transientCause(err) !== undefined) failure = err;
      // else (a server without series-level retrieval, an odd answer): one request per instance
    }
    todo = failure ? [] : todo.filter((s) => !received.has(s) && !undecodable.includes(s));
  }
  // `syntax`: ask for the instances in it (the second pass, for those stored in one voxseg does not decode)
  const worker = (syntax?: string) => async () => {
    while (todo.length > 0 && !inner.signal.aborted) {
      const sop = todo.shift()!;
      let partial = 0;
      try {
        const onBytes = (n: number) => {
          partial += n;
          bytes += n;
          report();
        };
        const data = await fetchInstance(ctx, study, series, sop, inner.signal, onBytes, syntax);
        bytes += data.byteLength - partial;
        deliver(sop, data, syntax !== undefined);
      } catch (err) {
        bytes -= partial;
        if (!failure && !inner.signal.aborted) failure = err;
        inner.abort();
      }
    }
  };
  try {
    const pool = (syntax?: string) =>
      Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 6, todo.length)) }, worker(syntax)));
    await pool();
    if (!failure && undecodable.length > 0) {
      todo = undecodable.splice(0);
      await pool(EXPLICIT_LE);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
  if (failure) {
    const cause = transientCause(failure);
    if (cause === undefined) throw failure;
    throw serverError(
      ctx.server,
      `the connection dropped after ${held} of ${total} instances (${cause}); retry to fetch the rest`,
      { cause: failure, transient: cause },
    );
  }
  return sops.map((sop) => memorySource(name(sop), received.get(sop)!));
}
