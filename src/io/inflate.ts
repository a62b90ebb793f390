/**
 * Bounded inflation of gzip files and raw deflate streams, shared by the NIfTI and DICOM readers.
 *
 * Decisions:
 * - The limit applies during inflation, not after: the compressed bytes are pushed to fflate's
 *   streaming decoder in steps sized so that even deflate's largest expansion (~1032:1) cannot
 *   carry one step more than ~1 MB past what is still allowed (1 kB to 256 kB), and the stream is
 *   abandoned as soon as its output passes the limit. A 9 MB file that would inflate to 10 GB is
 *   refused after inflating about what its header declares.
 * - The limit comes from the content: once `headBytes` bytes are inflated, the caller's `bound`
 *   reads them (a NIfTI header, a DICOM dataset's first elements) and returns how far the stream
 *   may go and why; it may also refuse outright (a header declaring more than the memory ceiling).
 * - gzip integrity: every member's CRC-32 and ISIZE (RFC 1952) are checked against what was
 *   inflated; a mismatch is an error, never a silently different image. Multi-member files
 *   (bgzip, concatenated gzip) are supported.
 * - The output grows in one buffer (sized from the trailer's ISIZE when it is plausible, else
 *   doubling, never past the limit), so the peak is about the output once, not chunks + a copy.
 */
import { Gunzip, Inflate } from 'fflate';
import { crc32 } from '../core/crc32';
import { VoxsegError, errorMessage, type ErrorCode } from '../core/errors';
import { formatSize } from './limits';

/** Deflate's largest expansion (258-byte matches coded in 2 bits): output per input byte. */
const MAX_RATIO = 1032;
const MIN_STEP = 1024;
const MAX_STEP = 256 * 1024;

export interface InflateBound {
  /** Bytes the whole inflated stream may reach. */
  bytes: number;
  /** What the limit is, for the message: "the 12.6 MB its header declares". */
  what: string;
}

export interface BoundedOptions {
  /** File name for messages. */
  name?: string;
  /** Error code of the refusals (e.g. 'invalid-nifti'). */
  code: ErrorCode;
  /** Inflated bytes `bound` needs (fewer when the stream is shorter). */
  headBytes: number;
  /** The limit, from the first inflated bytes and the compressed size; may throw to refuse. */
  bound: (head: Uint8Array, compressedBytes: number) => InflateBound;
}

/** Refusals that more input cannot change (a bomb, a header over the ceiling). */
const refusals = new WeakSet<object>();

/**
 * True for an error that says the stream is refused whatever follows (it inflates past its limit,
 * or its header declares too much): a reader trying a longer prefix of the file need not retry.
 */
export function isFinalRefusal(e: unknown): boolean {
  return typeof e === 'object' && e !== null && refusals.has(e);
}

/** Collects inflated bytes up to the limit `bound` decides. */
class Sink {
  private buf: Uint8Array;
  length = 0;
  private limit: InflateBound | undefined;

  constructor(
    private readonly opts: BoundedOptions,
    private readonly compressed: number,
    private readonly sizeHint: number,
  ) {
    this.buf = new Uint8Array(Math.max(opts.headBytes, 4096));
  }

  push(chunk: Uint8Array): void {
    if (!this.limit && this.length + chunk.length >= this.opts.headBytes) {
      const head = new Uint8Array(this.opts.headBytes);
      head.set(this.buf.subarray(0, this.length));
      head.set(chunk.subarray(0, this.opts.headBytes - this.length), this.length);
      this.decide(head);
    }
    const end = this.length + chunk.length;
    if (this.limit && end > this.limit.bytes) {
      throw refusal(
        new VoxsegError(
          this.opts.code,
          `inflates past ${this.limit.what} (stopped at ${formatSize(end)} inflated from its first ${formatSize(this.compressed)} of compressed data; a decompression bomb or a damaged file)`,
          { file: this.opts.name },
        ),
      );
    }
    if (end > this.buf.length) {
      const cap = this.limit?.bytes ?? Infinity;
      let size = Math.max(end, Math.min(cap, this.buf.length * 2));
      if (this.sizeHint >= end && this.sizeHint <= cap) size = Math.max(size, this.sizeHint);
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(chunk, this.length);
    this.length = end;
  }

  /** Compressed bytes to push next: at most ~1 MB of output past what is still allowed. */
  step(): number {
    const left = this.limit ? this.limit.bytes - this.length : this.opts.headBytes - this.length;
    return Math.max(MIN_STEP, Math.min(MAX_STEP, Math.floor(left / MAX_RATIO)));
  }

  private decide(head: Uint8Array): void {
    try {
      this.limit = this.opts.bound(head, this.compressed);
    } catch (e) {
      throw refusal(e);
    }
  }

  finish(): Uint8Array {
    if (!this.limit) this.decide(this.buf.slice(0, this.length));
    return this.buf.length === this.length ? this.buf : this.buf.slice(0, this.length);
  }

  /** Bytes [from, length) so far (for the CRC of a finished member). */
  view(from: number): Uint8Array {
    return this.buf.subarray(from, this.length);
  }
}

function refusal<T>(e: T): T {
  if (typeof e === 'object' && e !== null) refusals.add(e);
  return e;
}

function corrupt(opts: BoundedOptions, why: string, cause?: unknown): VoxsegError {
  return new VoxsegError(opts.code, `corrupt gzip data (${why})`, { file: opts.name, cause });
}

const u32le = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Gunzip `data` within the limit `opts.bound` sets, checking every member's CRC-32 and ISIZE. */
export function gunzipBounded(data: Uint8Array, opts: BoundedOptions): Uint8Array {
  if (data.length < 18) throw corrupt(opts, `only ${data.length} bytes, too short for a gzip stream`);
  const hint = u32le(data, data.length - 4);
  const sink = new Sink(opts, data.length, hint);
  let memberStart = 0;
  const checkMember = (trailer: number) => {
    if (trailer < 0) throw corrupt(opts, 'the stream ends without its CRC and length');
    const out = sink.view(memberStart);
    const crc = crc32(out);
    const wantCrc = u32le(data, trailer);
    const wantSize = u32le(data, trailer + 4);
    if (crc !== wantCrc)
      throw corrupt(opts, `CRC-32 mismatch: data ${hex(crc)}, trailer ${hex(wantCrc)}; the file is damaged`);
    if (out.length % 2 ** 32 !== wantSize)
      throw corrupt(opts, `length mismatch: ${out.length} bytes inflated, trailer says ${wantSize}`);
    memberStart = sink.length;
  };
  const gz = new Gunzip((chunk) => sink.push(chunk));
  gz.onmember = (offset: number) => checkMember(offset - 8);
  try {
    for (let p = 0; p < data.length;) {
      const end = Math.min(data.length, p + sink.step());
      gz.push(data.subarray(p, end), end === data.length);
      p = end;
    }
  } catch (e) {
    if (e instanceof VoxsegError) throw e;
    // Zero bytes after the last complete member (block-padded copies) are ignored, as gzip(1) does.
    const trailer = zeroPaddedTrailer(data, sink.view(memberStart));
    if (trailer >= 0) {
      checkMember(trailer);
      return sink.finish();
    }
    throw corrupt(opts, errorMessage(e), e);
  }
  checkMember(data.length - 8);
  return sink.finish();
}

/** Inflate a raw deflate stream (a deflated DICOM dataset) within the limit `opts.bound` sets. */
export function inflateBounded(data: Uint8Array, opts: BoundedOptions): Uint8Array {
  const sink = new Sink(opts, data.length, 0);
  const inf = new Inflate((chunk) => sink.push(chunk));
  try {
    if (!data.length) inf.push(data, true);
    for (let p = 0; p < data.length;) {
      const end = Math.min(data.length, p + sink.step());
      inf.push(data.subarray(p, end), end === data.length);
      p = end;
    }
  } catch (e) {
    if (e instanceof VoxsegError) throw e;
    throw new VoxsegError(opts.code, `corrupt deflate data (${errorMessage(e)})`, { file: opts.name, cause: e });
  }
  return sink.finish();
}

/**
 * Where the trailer of the last member starts when only zero bytes follow it (copies padded to a
 * block size; gzip(1) ignores them too): the trailer is the CRC-32 and length of what the member
 * inflated to, so it is found exactly, never guessed. -1 when the bytes are anything else.
 */
function zeroPaddedTrailer(data: Uint8Array, member: Uint8Array): number {
  let last = data.length - 1;
  while (last >= 0 && data[last] === 0) last--;
  if (last === data.length - 1 || !member.length) return -1;
  const crc = crc32(member);
  const size = member.length % 2 ** 32;
  for (let end = last + 1; end <= Math.min(data.length, last + 8); end++) {
    const at = end - 8;
    if (at >= 0 && u32le(data, at) === crc && u32le(data, at + 4) === size) return at;
  }
  return -1;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');
