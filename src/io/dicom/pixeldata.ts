/**
 * Access to the encoded bytes of each frame of a file, read once:
 * - native pixel data: frame f is bytes [offset + f*frameBytes, +frameBytes). Large native
 *   multi-frame files are read frame by frame with ranged reads (never the whole file at once);
 * - encapsulated pixel data: fragments located with the Basic Offset Table, or one fragment per
 *   frame, or (no table) by the codestream start markers at fragment starts.
 */
import type { Element } from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import type { FrameInfo } from './decode/index';
import { parseBytes, readHeader, type DicomHeader } from './parse';
import type { SourceFile } from './source';
import { DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE } from './sniff';

/** Native multi-frame files above this size are read frame by frame. */
const RANGED_READ_BYTES = 32 * 1024 * 1024;

export interface FrameSource {
  header: DicomHeader;
  /** Decode parameters of frame f (1-bit frames need not start on a byte boundary). */
  info(f: number): FrameInfo;
  frame(f: number): Promise<Uint8Array>;
}

export function frameInfo(h: DicomHeader): FrameInfo {
  return {
    // the dataset of a deflated file is inflated by the parser: its pixels are explicit VR LE
    transferSyntaxUid: h.transferSyntaxUid === DEFLATED_LE ? EXPLICIT_LE : h.transferSyntaxUid,
    rows: h.rows,
    columns: h.columns,
    bitsAllocated: h.bitsAllocated,
    bitsStored: h.bitsStored,
    pixelRepresentation: h.pixelRepresentation,
    samplesPerPixel: h.samplesPerPixel,
    planarConfiguration: h.planarConfiguration,
    photometricInterpretation: h.photometric,
    isFloat: h.pixelData?.float || undefined,
    pixelDataVr: h.pixelData?.vr,
  };
}

export function nativeFrameBytes(h: DicomHeader): number {
  // uncompressed YBR_FULL_422 stores each pair of pixels as 4 samples (Y1 Y2 Cb Cr)
  const samples =
    h.photometric === 'YBR_FULL_422' && h.samplesPerPixel === 3
      ? h.rows * Math.ceil(h.columns / 2) * 4
      : h.rows * h.columns * h.samplesPerPixel;
  return samples * (h.bitsAllocated / 8);
}

/** Byte range and leading bit offset of native frame f (bit-packed when BitsAllocated is 1). */
function nativeFrameRange(h: DicomHeader, f: number): { start: number; bytes: number; bitOffset: number } {
  if (h.bitsAllocated !== 1) {
    const fb = nativeFrameBytes(h);
    return { start: f * fb, bytes: fb, bitOffset: 0 };
  }
  const bits = h.rows * h.columns * h.samplesPerPixel;
  const first = f * bits;
  return { start: Math.floor(first / 8), bytes: Math.ceil(((first % 8) + bits) / 8), bitOffset: first % 8 };
}

/** False for large native multi-frame files, whose frames are read one by one with ranged reads. */
export function readsWholeFile(file: SourceFile, scanned: DicomHeader): boolean {
  return (
    !!scanned.pixelData?.encapsulated ||
    scanned.container !== 'plain' ||
    scanned.numberOfFrames <= 1 ||
    file.size <= RANGED_READ_BYTES
  );
}

/**
 * Frames of `file`. `whole`: the file's bytes when the caller has already read them (the browser
 * workers read each file once into a reused buffer); otherwise the file is read here.
 */
export async function openFrames(file: SourceFile, scanned: DicomHeader, whole?: Uint8Array): Promise<FrameSource> {
  const ranged = !whole && !readsWholeFile(file, scanned);
  if (!ranged) whole ??= await file.slice(0, file.size);
  if (whole && isPlainNative(whole, scanned)) return nativeFrames(file, scanned, whole, false);
  const parsed = ranged || !whole ? await readHeader(file) : parseBytes(whole, file.name, false);
  const h = parsed.header;
  if (
    h.rows !== scanned.rows ||
    h.columns !== scanned.columns ||
    h.numberOfFrames !== scanned.numberOfFrames ||
    !h.pixelData
  )
    throw new VoxsegError(
      'inconsistent-series',
      'file changed since it was scanned (image size or pixel data differ)',
      { file: file.name },
    );
  if (!h.pixelData.encapsulated) return nativeFrames(file, h, parsed.bytes, ranged);
  const el = parsed.dataSet.elements[h.pixelData.tag];
  const frames = locateFrames(el, parsed.bytes, h.numberOfFrames, file.name);
  const base = frameInfo(h);
  return { header: h, info: () => base, frame: async (f) => frames(f) };
}

/**
 * True when `bytes` (a whole plain little-endian file) still has the scanned native Pixel Data
 * element where the scan found it: then the frames can be cut out without parsing the file again.
 */
function isPlainNative(bytes: Uint8Array, h: DicomHeader): boolean {
  const px = h.pixelData;
  if (
    !px ||
    px.encapsulated ||
    px.tag !== 'x7fe00010' ||
    h.container !== 'plain' ||
    h.transferSyntaxUid === EXPLICIT_BE
  )
    return false;
  const at = px.offset;
  if (at < 12 || bytes.length < at) return false;
  const len = bytes[at - 4] | (bytes[at - 3] << 8) | (bytes[at - 2] << 16) | (bytes[at - 1] * 2 ** 24);
  const tagAt = (o: number) =>
    bytes[o] === 0xe0 && bytes[o + 1] === 0x7f && bytes[o + 2] === 0x10 && bytes[o + 3] === 0x00;
  // implicit VR: tag, 32-bit length; explicit VR: tag, 'OB'/'OW', 2 reserved bytes, 32-bit length
  return (
    len === px.length &&
    (tagAt(at - 8) || (tagAt(at - 12) && bytes[at - 8] === 0x4f && bytes[at - 6] === 0 && bytes[at - 5] === 0))
  );
}

function nativeFrames(file: SourceFile, h: DicomHeader, bytes: Uint8Array, ranged: boolean): FrameSource {
  const px = h.pixelData!;
  const base = frameInfo(h);
  const frame = async (f: number) => {
    const r = nativeFrameRange(h, f);
    const start = px.offset + r.start;
    const end = start + r.bytes;
    const got = ranged ? await file.slice(start, end) : bytes.subarray(start, Math.min(end, px.offset + px.length));
    if (got.length < r.bytes)
      throw new VoxsegError(
        'truncated',
        `pixel data of frame ${f + 1} is cut short (${got.length} of ${r.bytes} bytes)`,
        { file: file.name },
      );
    return got;
  };
  const info = (f: number): FrameInfo =>
    h.bitsAllocated === 1 ? { ...base, bitOffset: nativeFrameRange(h, f).bitOffset } : base;
  return { header: h, info, frame };
}

function startsCodestream(b: Uint8Array, at: number): boolean {
  return (
    (b[at] === 0xff && (b[at + 1] === 0xd8 || (b[at + 1] === 0x4f && b[at + 2] === 0xff && b[at + 3] === 0x51))) ||
    (b[at + 4] === 0x6a && b[at + 5] === 0x50 && b[at + 6] === 0x20)
  );
}

function locateFrames(el: Element, bytes: Uint8Array, n: number, name: string): (f: number) => Uint8Array {
  const frags = el.fragments ?? [];
  if (!frags.length)
    throw new VoxsegError('decode-failed', 'encapsulated pixel data holds no fragments', { file: name });
  const last = frags[frags.length - 1];
  if (last.position + last.length > bytes.length)
    throw new VoxsegError('truncated', 'file ends inside the encapsulated pixel data', { file: name });
  let groups: (typeof frags)[];
  const bot = el.basicOffsetTable ?? [];
  if (n === 1) groups = [frags];
  else if (bot.length === n && bot[0] === 0 && bot.every((o, i) => i === 0 || o > bot[i - 1])) {
    groups = bot.map((start, i) => frags.filter((fr) => fr.offset >= start && (i + 1 >= n || fr.offset < bot[i + 1])));
  } else if (frags.length === n) groups = frags.map((fr) => [fr]);
  else {
    groups = [];
    for (const fr of frags) {
      if (!groups.length || startsCodestream(bytes, fr.position)) groups.push([fr]);
      else groups[groups.length - 1].push(fr);
    }
  }
  if (groups.length !== n || groups.some((g) => !g.length))
    throw new VoxsegError(
      'decode-failed',
      `cannot split ${frags.length} pixel data fragments into ${n} frames (no usable offset table)`,
      { file: name },
    );
  return (f) => {
    const g = groups[f];
    if (g.length === 1) return bytes.subarray(g[0].position, g[0].position + g[0].length);
    const out = new Uint8Array(g.reduce((s, fr) => s + fr.length, 0));
    let o = 0;
    for (const fr of g) {
      out.set(bytes.subarray(fr.position, fr.position + fr.length), o);
      o += fr.length;
    }
    return out;
  };
}
