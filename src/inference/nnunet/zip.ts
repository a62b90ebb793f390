/**
 * A read-only zip reader over bytes already in memory, for PyTorch checkpoints (torch.save's zip
 * format: every entry stored, 64-byte aligned) and published nnU-Net result zips (deflated, some
 * hundreds of MB). Same code in the browser worker and Node: no Node imports, fflate for inflate.
 *
 * Decisions:
 * - The central directory is the truth: sizes, CRC and method come from it (local headers may
 *   carry zeros and a data descriptor); the local header is only read for its own name/extra
 *   lengths, which locate the data (torch pads the local extra field for alignment).
 * - Zip64: the zip64 end-of-central-directory record (through its locator) and the zip64 extra
 *   field of each entry are honoured; sizes are plain numbers, checked against the buffer.
 * - Reading: method 0 (stored) is a zero-copy `subarray` of the archive; method 8 (deflate) is
 *   inflated into a buffer of the declared size. Both are checked against the stored CRC-32. A
 *   stored CRC of 0 on non-empty data is taken as "not recorded" (torch can be told to skip it).
 * - Entry names are decoded as UTF-8 whatever the language-encoding flag says (CP437 names are
 *   rare in the archives this reads).
 * - Every problem is a VoxsegError naming the zip file and, where it is about one, the entry:
 *   'truncated' when the bytes end early, 'invalid-model' when they are inconsistent,
 *   'unsupported' for valid zips we do not handle (encryption, other compression methods).
 */
import { inflateSync } from 'fflate';
import { crc32 } from '../../core/crc32';
import { VoxsegError } from '../../core/errors';
import type { SourceFile } from './types';

export interface ZipEntry {
  /** Path inside the archive ('/' separators; directories end with '/'). */
  path: string;
  /** Uncompressed size in bytes. */
  size: number;
  compressedSize: number;
  /** 0 stored, 8 deflate (others are listed but cannot be read). */
  method: number;
  /** Offset of the entry's local file header in the archive. */
  offset: number;
  crc32: number;
  isDirectory: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
/** Deflate cannot expand data more than about 1032:1. */
const MAX_DEFLATE_RATIO = 1032;

const utf8 = new TextDecoder('utf-8');

/** True when the bytes start like a zip archive (a local file header, or an empty archive). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = u32(bytes, 0);
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

/** An opened archive: the entry list from the central directory, entries read on demand. */
export class ZipArchive {
  readonly entries: ZipEntry[];
  private readonly byPath = new Map<string, ZipEntry>();

  constructor(
    readonly bytes: Uint8Array,
    /** Name used in error messages. */
    readonly name: string,
  ) {
    this.entries = readCentralDirectory(bytes, name);
    for (const e of this.entries) if (!this.byPath.has(e.path)) this.byPath.set(e.path, e);
  }

  get(path: string): ZipEntry | undefined {
    return this.byPath.get(path);
  }

  /** The entry's uncompressed bytes (a view into the archive for stored entries), CRC-checked. */
  read(entryOrPath: ZipEntry | string): Uint8Array {
    const entry = typeof entryOrPath === 'string' ? this.byPath.get(entryOrPath) : entryOrPath;
    if (!entry)
      throw new VoxsegError('not-found', `no entry ${String(entryOrPath)} in the zip archive`, { file: this.name });
    return readEntry(this.bytes, this.name, entry);
  }
}

export function openZip(bytes: Uint8Array, name: string): ZipArchive {
  return new ZipArchive(bytes, name);
}

/**
 * The files of a zip (directories and macOS `__MACOSX/` resource forks left out), each inflated
 * only when `read()` is called. Paths are the archive's own (no top folder stripped).
 */
export function sourceFilesFromZip(bytes: Uint8Array, zipName: string): SourceFile[] {
  const zip = openZip(bytes, zipName);
  return zip.entries
    .filter((e) => !e.isDirectory && !e.path.startsWith('__MACOSX/'))
    .map((e) => ({ path: e.path, size: e.size, read: async () => zip.read(e) }));
}

// ---------------------------------------------------------------------------------------------

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Unsigned 64-bit little-endian as a number; values past 2^53 are returned as Infinity. */
function u64(b: Uint8Array, o: number): number {
  const lo = u32(b, o);
  const hi = u32(b, o + 4);
  return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
}

function truncated(name: string, what: string): VoxsegError {
  return new VoxsegError('truncated', `zip archive is truncated (${what})`, { file: name });
}

function corrupt(name: string, what: string): VoxsegError {
  return new VoxsegError('invalid-model', `zip archive is corrupt (${what})`, { file: name });
}

/** Offset of the end-of-central-directory record, or -1. */
function findEocd(b: Uint8Array): number {
  const min = Math.max(0, b.length - 22 - 0xffff);
  for (let i = b.length - 22; i >= min; i--) {
    if (b[i] !== 0x50 || b[i + 1] !== 0x4b || b[i + 2] !== 0x05 || b[i + 3] !== 0x06) continue;
    // The comment must end exactly at the end of the file (guards against the signature
    // appearing by chance inside entry data).
    if (i + 22 + u16(b, i + 20) === b.length) return i;
  }
  return -1;
}

function readCentralDirectory(b: Uint8Array, name: string): ZipEntry[] {
  const eocd = findEocd(b);
  if (eocd < 0) {
    if (isZip(b)) throw truncated(name, 'end-of-central-directory record not found');
    throw new VoxsegError('invalid-model', 'not a zip archive', { file: name });
  }
  let disk = u16(b, eocd + 4);
  let cdDisk = u16(b, eocd + 6);
  let count = u16(b, eocd + 10);
  let cdSize = u32(b, eocd + 12);
  let cdOffset = u32(b, eocd + 16);
  // Zip64: the locator sits just before the classic record.
  const loc = eocd - 20;
  if (loc >= 0 && u32(b, loc) === SIG_EOCD64_LOCATOR) {
    const rec = u64(b, loc + 8);
    if (rec + 56 > loc) throw corrupt(name, 'zip64 end-of-central-directory record out of range');
    if (u32(b, rec) !== SIG_EOCD64) throw corrupt(name, 'bad zip64 end-of-central-directory signature');
    disk = u32(b, rec + 16);
    cdDisk = u32(b, rec + 20);
    count = u64(b, rec + 32);
    cdSize = u64(b, rec + 40);
    cdOffset = u64(b, rec + 48);
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw corrupt(name, 'zip64 archive without its zip64 end-of-central-directory record');
  }
  if (disk !== 0 || cdDisk !== 0)
    throw new VoxsegError('unsupported', 'multi-part (split) zip archives are not supported', { file: name });
  if (cdOffset + cdSize > eocd) throw truncated(name, 'central directory out of range');

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let n = 0; n < count; n++) {
    if (p + 46 > end) throw corrupt(name, `central directory ends after ${n} of ${count} entries`);
    if (u32(b, p) !== SIG_CENTRAL) throw corrupt(name, `bad central directory signature at offset ${p}`);
    const flags = u16(b, p + 8);
    const method = u16(b, p + 10);
    const crc32 = u32(b, p + 16);
    let compressedSize = u32(b, p + 20);
    let size = u32(b, p + 24);
    const nameLen = u16(b, p + 28);
    const extraLen = u16(b, p + 30);
    const commentLen = u16(b, p + 32);
    let offset = u32(b, p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) throw corrupt(name, `central directory entry ${n} runs past the directory`);
    const path = utf8.decode(b.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field: the 64-bit values of the fields set to 0xFFFFFFFF, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = u16(b, x);
      const len = u16(b, x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        const qEnd = Math.min(q + len, xEnd);
        const take = (): number => {
          if (q + 8 > qEnd) throw corrupt(name, `${path}: short zip64 extra field`);
          const v = u64(b, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (offset === 0xffffffff) offset = take();
      }
      x += 4 + len;
    }
    if (flags & 1)
      throw new VoxsegError('unsupported', `${path}: encrypted zip entries are not supported`, { file: name });
    entries.push({ path, size, compressedSize, method, offset, crc32, isDirectory: path.endsWith('/') });
    p = next;
  }
  return entries;
}

function readEntry(b: Uint8Array, name: string, e: ZipEntry): Uint8Array {
  if (e.offset + 30 > b.length) throw truncated(name, `${e.path}: local header past the end`);
  if (u32(b, e.offset) !== SIG_LOCAL) throw corrupt(name, `${e.path}: bad local header signature`);
  const start = e.offset + 30 + u16(b, e.offset + 26) + u16(b, e.offset + 28);
  const stop = start + e.compressedSize;
  if (stop > b.length) throw truncated(name, `${e.path}: data past the end`);
  const raw = b.subarray(start, stop);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) throw corrupt(name, `${e.path}: stored entry with differing sizes`);
    out = raw;
  } else if (e.method === 8) {
    if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024)
      throw corrupt(name, `${e.path}: impossible size ${e.size}`);
    // One spare byte: a stream longer than declared then shows up as a size mismatch.
    const buf = new Uint8Array(e.size + 1);
    let inflated: Uint8Array;
    try {
      inflated = inflateSync(raw, { out: buf });
    } catch (err) {
      throw new VoxsegError(
        'invalid-model',
        `zip archive is corrupt (${e.path}: cannot inflate: ${(err as Error).message})`,
        { file: name, cause: err },
      );
    }
    if (inflated.length !== e.size)
      throw corrupt(name, `${e.path}: inflated to ${inflated.length} bytes, expected ${e.size}`);
    out = buf.subarray(0, e.size);
  } else {
    throw new VoxsegError(
      'unsupported',
      `${e.path}: zip compression method ${e.method} is not supported (only stored and deflate)`,
      { file: name },
    );
  }
  if (e.crc32 !== 0 || out.length === 0) {
    const crc = crc32(out);
    if (crc !== e.crc32)
      throw corrupt(name, `${e.path}: CRC-32 mismatch, stored ${hex(e.crc32)}, computed ${hex(crc)}`);
  }
  return out;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
