/**
 * multipart/related (RFC 2046/2387) for DICOMweb: an incremental reader over a ReadableStream
 * (parts are yielded as soon as they are complete, body bytes are reported as they arrive, a part
 * with a Content-Length is copied straight into its own buffer) and a writer for STOW-RS bodies.
 * A broken answer throws MultipartError("<what>"); the client words it for the user.
 */

export interface Part {
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export class MultipartError extends Error {}

/** The boundary parameter of a multipart Content-Type, or null when it is not multipart. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_HEADER = 64 * 1024;

/** A growable byte queue: append chunks, consume from the front, search. */
class Queue {
  buf = new Uint8Array(64 * 1024);
  start = 0;
  end = 0;
  get length(): number {
    return this.end - this.start;
  }
  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const need = this.length + chunk.length;
      const next = need > this.buf.length / 2 ? new Uint8Array(Math.max(need, this.buf.length) * 2) : this.buf;
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
  /** Offset (relative to start) of `needle`, searching from relative offset `from`; -1 if absent. */
  indexOf(needle: Uint8Array, from = 0): number {
    const b = this.buf;
    const last = this.end - needle.length;
    const first = needle[0];
    outer: for (let i = this.start + from; i <= last; i++) {
      if (b[i] !== first) continue;
      for (let j = 1; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer;
      return i - this.start;
    }
    return -1;
  }
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }
  skip(n: number): void {
    this.start += n;
  }
  at(i: number): number {
    return this.buf[this.start + i];
  }
}

/**
 * Parts of a multipart body as they complete. `onBytes(n)` is called with the number of part-body
 * bytes newly received (for byte progress while a large part streams in).
 */
export async function* readMultipart(
  stream: ReadableStream<Uint8Array>,
  boundary: string,
  onBytes?: (n: number) => void,
): AsyncGenerator<Part> {
  const reader = stream.getReader();
  const q = new Queue();
  let done = false;
  const more = async (): Promise<boolean> => {
    if (done) return false;
    const r = await reader.read();
    if (r.done) {
      done = true;
      return false;
    }
    q.append(r.value);
    return true;
  };
  const dash = enc.encode(`--${boundary}`);
  const delim = enc.encode(`\r\n--${boundary}`);
  const crlf2 = enc.encode('\r\n\r\n');
  const crlf = enc.encode('\r\n');
  try {
    // preamble: up to the first boundary (which may start the body, without a leading CRLF)
    for (let from = 0; ;) {
      const i = q.indexOf(dash, from);
      if (i >= 0 && (i === 0 || (i >= 2 && q.at(i - 2) === 13 && q.at(i - 1) === 10))) {
        q.skip(i + dash.length);
        break;
      }
      from = Math.max(0, q.length - dash.length);
      if (q.length > MAX_HEADER) throw new MultipartError('no boundary at its start');
      if (!(await more())) throw new MultipartError(q.length ? 'no boundary at its start' : 'the answer is empty');
    }
    for (let index = 1; ; index++) {
      // after a boundary: "--" closes the body; else optional whitespace and CRLF, then headers
      while (q.length < 2) if (!(await more())) throw new MultipartError('it ends before the closing boundary');
      if (q.at(0) === 45 && q.at(1) === 45) {
        // read the epilogue (a CRLF) to the end, so that the connection can be reused
        for (let n = 0; n < MAX_HEADER && !done; n += q.length) {
          q.skip(q.length);
          await more();
        }
        return;
      }
      let eol: number;
      while ((eol = q.indexOf(crlf)) < 0) {
        if (q.length > MAX_HEADER) throw new MultipartError(`a boundary line of part ${index} does not end`);
        if (!(await more())) throw new MultipartError('it ends before the closing boundary');
      }
      q.skip(eol + 2);
      const headers = await readHeaders(q, more, crlf, crlf2, index);
      const declared = headers['content-length'];
      let body: Uint8Array;
      if (declared !== undefined) {
        const len = Number(declared);
        if (!Number.isSafeInteger(len) || len < 0)
          throw new MultipartError(`part ${index} has an invalid Content-Length '${declared}'`);
        body = new Uint8Array(len);
        let got = 0;
        for (;;) {
          const n = Math.min(q.length, len - got);
          if (n > 0) {
            body.set(q.buf.subarray(q.start, q.start + n), got);
            q.skip(n);
            got += n;
            onBytes?.(n);
          }
          if (got === len) break;
          if (!(await more()))
            throw new MultipartError(`part ${index} ends after ${got} of its ${len} bytes (Content-Length)`);
        }
        while (q.length < delim.length)
          if (!(await more())) throw new MultipartError('it ends before the closing boundary');
        if (q.indexOf(delim) !== 0) throw new MultipartError(`part ${index} is longer than its Content-Length`);
        q.skip(delim.length);
      } else {
        let reported = 0;
        let from = 0;
        let i: number;
        while ((i = q.indexOf(delim, from)) < 0) {
          const sure = Math.max(0, q.length - delim.length);
          if (sure > reported) {
            onBytes?.(sure - reported);
            reported = sure;
          }
          from = sure;
          if (!(await more())) throw new MultipartError(`part ${index} ends before the closing boundary`);
        }
        if (i > reported) onBytes?.(i - reported);
        body = q.take(i);
        q.skip(delim.length);
      }
      yield { headers, body };
    }
  } finally {
    // stopped early (an error, or the consumer left): let the connection go
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function readHeaders(
  q: Queue,
  more: () => Promise<boolean>,
  crlf: Uint8Array,
  crlf2: Uint8Array,
  index: number,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  // no headers at all: the part starts with an empty line
  while (q.length < 2) if (!(await more())) throw new MultipartError(`part ${index} ends in its headers`);
  if (q.indexOf(crlf) === 0) {
    q.skip(2);
    return headers;
  }
  let end: number;
  while ((end = q.indexOf(crlf2)) < 0) {
    if (q.length > MAX_HEADER) throw new MultipartError(`the headers of part ${index} do not end`);
    if (!(await more())) throw new MultipartError(`part ${index} ends in its headers`);
  }
  const text = dec.decode(q.take(end));
  q.skip(4);
  for (const line of text.split('\r\n')) {
    const c = line.indexOf(':');
    if (c <= 0) throw new MultipartError(`part ${index} has a malformed header line '${line.slice(0, 60)}'`);
    headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  return headers;
}

/** A random boundary that cannot occur in the bodies with any meaningful probability. */
export function newBoundary(): string {
  const r = new Uint8Array(16);
  crypto.getRandomValues(r);
  return `voxseg-${Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A multipart/related body (as a Blob, so that the parts are not copied into one array first). */
export function buildMultipart(parts: Uint8Array[], boundary: string, type: string): Blob {
  const pieces: BlobPart[] = [];
  for (const p of parts) {
    pieces.push(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Length: ${p.byteLength}\r\n\r\n`);
    pieces.push(p as Uint8Array<ArrayBuffer>);
    pieces.push('\r\n');
  }
  pieces.push(`--${boundary}--\r\n`);
  return new Blob(pieces);
}
