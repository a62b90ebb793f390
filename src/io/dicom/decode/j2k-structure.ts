/**
 * Structural check of a JPEG 2000 / HTJ2K codestream before it is decoded.
 *
 * Decoders are lenient: OpenJPEG decodes a codestream whose second half is zeroed (or cut off)
 * into a plausible-looking image without an error. The codestream's own bookkeeping says whether
 * it is whole: the main header ends at the first SOT marker, each tile-part's SOT gives its
 * length (Psot) so the next tile-part must start exactly there, and the last one is followed by
 * the EOC marker. A codestream that breaks that chain is refused with the position where it
 * breaks. Only trailing zero padding (DICOM fragments have even length) is tolerated after EOC.
 * A JP2 file (boxes instead of a bare codestream) is looked into for its `jp2c` box.
 *
 * Zero-filled data inside a tile-part (a disk or transfer that lost a block, "second half
 * zeroed") keeps the lengths and markers in place, and the decoders read the zeros as empty
 * packets: a plausible, wrong image. Coded data never holds long runs of zero bytes (the MQ and
 * HT coders do not emit them; an empty packet is one zero byte, and a tile-part holds at most a
 * few hundred packets in practice), so a run of ZERO_RUN or more zero bytes is refused.
 *
 * Other damage that keeps every length and marker in place (bytes changed inside packet data) is
 * not found here; the decoders catch some of it, and what they do not catch cannot be told from
 * valid data without a checksum (JPEG 2000 has none).
 */
import { VoxsegError } from '../../../core/errors';

export interface J2kSize {
  width: number;
  height: number;
  components: number;
  /** Bits per sample of component 0 (1..38) and whether it is signed. */
  precision: number;
  signed: boolean;
}

const SOC = 0xff4f;
const SIZ = 0xff51;
const SOT = 0xff90;
const EOC = 0xffd9;

/** Zero bytes in a row that coded data does not hold (see above). */
export const ZERO_RUN = 1024;

const u16 = (d: Uint8Array, i: number) => (d[i] << 8) | d[i + 1];
const u32 = (d: Uint8Array, i: number) => ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;

/** The bare codestream: `data` itself, or the contents of a JP2 file's `jp2c` box. */
function codestream(data: Uint8Array): Uint8Array | undefined {
  if (u16(data, 0) === SOC) return data;
  // JP2 signature box: 0000000C 6A502020
  if (data.length < 12 || u32(data, 4) !== 0x6a502020) return undefined;
  let i = 0;
  while (i + 8 <= data.length) {
    let len = u32(data, i);
    const type = u32(data, i + 4);
    let head = 8;
    if (len === 1 && i + 16 <= data.length) {
      len = u32(data, i + 12); // XLBox: codestreams here are far below 4 GiB
      head = 16;
    }
    if (len === 0) len = data.length - i;
    if (type === 0x6a703263) return data.subarray(i + head, i + len); // 'jp2c'
    if (len < head) return undefined;
    i += len;
  }
  return undefined;
}

function damaged(what: string, detail: string): VoxsegError {
  return new VoxsegError(
    'decode-failed',
    `${what} codestream is damaged or truncated: ${detail}; the frame would decode to a wrong image`,
  );
}

/**
 * Check the marker/length chain of a codestream and return its SIZ image size. Returns undefined
 * when `data` is neither a codestream nor a JP2 file (the decoder then reports what it finds).
 * Throws 'decode-failed' naming the first inconsistency.
 */
export function checkJ2kStructure(data: Uint8Array, what: string): J2kSize | undefined {
  const cs = codestream(data);
  if (!cs) return undefined;
  let size: J2kSize | undefined;
  let i = 2;
  // Main header: marker segments up to the first SOT.
  for (;;) {
    if (i + 4 > cs.length) throw damaged(what, `the main header runs past the end (${cs.length} bytes)`);
    const marker = u16(cs, i);
    if (marker === SOT) break;
    if (cs[i] !== 0xff || marker < 0xff30) {
      throw damaged(what, `expected a marker at byte ${i} of the main header, found 0x${marker.toString(16)}`);
    }
    const len = u16(cs, i + 2);
    if (marker === SIZ && i + 2 + len <= cs.length && len >= 41) {
      const ssiz = cs[i + 40];
      size = {
        width: u32(cs, i + 6) - u32(cs, i + 14),
        height: u32(cs, i + 10) - u32(cs, i + 18),
        components: u16(cs, i + 38),
        precision: (ssiz & 0x7f) + 1,
        signed: (ssiz & 0x80) !== 0,
      };
    }
    i += 2 + len;
  }
  // Tile-parts: each SOT's Psot leads to the next SOT, or to EOC after the last one.
  let tileParts = 0;
  while (i + 2 <= cs.length && u16(cs, i) === SOT) {
    if (i + 12 > cs.length) throw damaged(what, `tile-part ${tileParts + 1} header is cut off at byte ${i}`);
    const psot = u32(cs, i + 6);
    tileParts++;
    if (psot === 0) {
      // Runs to EOC (allowed for the last tile-part only): EOC must end the stream.
      const eoc = lastEoc(cs);
      if (eoc < 0) throw damaged(what, `the last tile-part runs to the end but there is no EOC marker`);
      checkZeroRun(cs, i + 12, eoc, tileParts, what);
      i = eoc;
      break;
    }
    if (psot < 14 || i + psot > cs.length) {
      throw damaged(
        what,
        `tile-part ${tileParts} declares ${psot} bytes from byte ${i}, but the codestream has ${cs.length}`,
      );
    }
    checkZeroRun(cs, i + 12, i + psot, tileParts, what);
    i += psot;
  }
  if (tileParts === 0) throw damaged(what, 'it has no tile-part (SOT marker)');
  if (i + 2 > cs.length || u16(cs, i) !== EOC) {
    const found = i + 2 <= cs.length ? `0x${u16(cs, i).toString(16).padStart(4, '0')}` : 'the end of the data';
    throw damaged(what, `after ${tileParts} tile-part(s) the EOC marker is missing at byte ${i} (found ${found})`);
  }
  for (let j = i + 2; j < cs.length; j++) {
    if (cs[j] !== 0) throw damaged(what, `${cs.length - i - 2} unexpected byte(s) follow the EOC marker`);
  }
  return size;
}

/** Refuse a run of ZERO_RUN or more zero bytes in [from, to) of a tile-part. */
function checkZeroRun(cs: Uint8Array, from: number, to: number, tilePart: number, what: string): void {
  let run = 0;
  for (let j = from; j < to; j++) {
    if (cs[j] !== 0) run = 0;
    else if (++run === ZERO_RUN) {
      let end = j + 1;
      while (end < to && cs[end] === 0) end++;
      const start = j + 1 - ZERO_RUN;
      throw damaged(
        what,
        `tile-part ${tilePart} holds ${end - start} zero bytes in a row (bytes ${start}-${end - 1}), not coded data`,
      );
    }
  }
}

/** Position of an EOC marker followed only by zero padding, or -1. */
function lastEoc(cs: Uint8Array): number {
  let end = cs.length;
  while (end > 0 && cs[end - 1] === 0) end--;
  return end >= 2 && u16(cs, end - 2) === EOC ? end - 2 : -1;
}
