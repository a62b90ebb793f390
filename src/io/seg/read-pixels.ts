/**
 * The frames of a DICOM SEG as pixel values, checked against the header before anything is placed.
 *
 * - BINARY native data: 1 bit per pixel, LSB first, packed continuously across frames (a frame
 *   starts mid-byte when rows x columns is not a multiple of 8, PS3.5 8.1.1). Values come back 0/1.
 * - FRACTIONAL (8 bit) and LABELMAP (8 or 16 bit) native data: the stored values, in the file's byte
 *   order (big endian OW data holds 8-bit samples in swapped 16-bit words).
 * - Encapsulated data (RLE, JPEG 2000, JPEG-LS, ...): one frame per fragment or as the Basic Offset
 *   Table says; each frame goes through the DICOM decoders as a grey image (a PALETTE COLOR label
 *   map is decoded as its indices, which are the segment numbers). Compressed BINARY frames are
 *   taken as one sample per pixel (how highdicom and dcmqi encode them), non-zero = in.
 *
 * The pixel data length must match NumberOfFrames: short data is 'truncated'; data that holds whole
 * frames more than declared is an error (those frames would be lost); up to one padding byte is
 * normal, a few more bytes than that are warned about.
 */
import type { DataSet } from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import { decodeFrame, type FrameInfo } from '../dicom/decode/index';
import { decodeRle } from '../dicom/decode/rle';
import type { DicomHeader } from '../dicom/parse';
import { DEFLATED_LE, EXPLICIT_BE, EXPLICIT_LE } from '../dicom/sniff';

export type SegType = 'BINARY' | 'FRACTIONAL' | 'LABELMAP';
export type FrameValues = Uint8Array | Uint16Array;

const RLE = '1.2.840.10008.1.2.5';

/** Native frames: values of frame f (a new array). Throws on a length that disagrees with the header. */
export function nativeFrames(
  h: DicomHeader,
  data: Uint8Array,
  type: SegType,
  file: string,
  warn: (w: string) => void,
): (f: number) => FrameValues {
  const px = h.pixelData!;
  const nf = h.numberOfFrames;
  const npix = h.rows * h.columns;
  const bits = h.bitsAllocated;
  const frameBits = npix * bits;
  const need = Math.ceil((nf * frameBits) / 8);
  const have = Math.max(0, Math.min(px.length, data.length - px.offset));
  const size = `${h.columns}x${h.rows}`;
  const whole = Math.floor((have * 8) / frameBits);
  if (have < need)
    throw new VoxsegError(
      'truncated',
      `truncated: pixel data holds ${have} bytes, but NumberOfFrames ${nf} frames of ${size} at ${bits} bit need ${need} (${whole} whole frame${whole === 1 ? '' : 's'} present)`,
      { file },
    );
  const extra = have - need;
  if (whole > nf)
    throw new VoxsegError(
      'invalid-volume',
      `pixel data holds ${whole} frames of ${size} at ${bits} bit, but NumberOfFrames is ${nf}: the ${whole - nf} frame(s) past it would be lost`,
      { file },
    );
  if (extra > 1) warn(`${extra} bytes after the last of the ${nf} frames in the pixel data were ignored`);
  const swap = h.transferSyntaxUid === EXPLICIT_BE && px.vr === 'OW' && bits <= 8 ? 1 : 0;
  const bigWords = h.transferSyntaxUid === EXPLICIT_BE && bits === 16;
  const o0 = px.offset;
  return (f) => {
    if (bits === 1) {
      const out = new Uint8Array(npix);
      const bit0 = f * npix;
      const byte0 = Math.floor(bit0 / 8);
      const shift = bit0 - byte0 * 8;
      const nbytes = Math.ceil((shift + npix) / 8);
      for (let b = 0; b < nbytes; b++) {
        const byte = data[o0 + ((byte0 + b) ^ swap)];
        if (!byte) continue; // most of a mask is empty: skip 8 pixels at a time
        for (let bit = 0; bit < 8; bit++) {
          const p = b * 8 + bit - shift;
          if ((byte >> bit) & 1 && p >= 0 && p < npix) out[p] = 1;
        }
      }
      return out;
    }
    if (bits === 8) {
      const base = o0 + f * npix;
      if (!swap) return data.slice(base, base + npix);
      const out = new Uint8Array(npix);
      for (let p = 0; p < npix; p++) out[p] = data[o0 + ((f * npix + p) ^ 1)];
      return out;
    }
    const out = new Uint16Array(npix);
    const base = o0 + f * npix * 2;
    for (let p = 0; p < npix; p++) {
      const a = data[base + 2 * p];
      const b = data[base + 2 * p + 1];
      out[p] = bigWords ? (a << 8) | b : a | (b << 8);
    }
    return out;
  };
}

/** Encoded frames of encapsulated pixel data (Basic Offset Table, or one fragment per frame, or one frame). */
export function encapsulatedFrames(ds: DataSet, h: DicomHeader, data: Uint8Array, file: string): Uint8Array[] {
  const el = ds.elements[h.pixelData!.tag];
  const frags = el?.fragments ?? [];
  const n = h.numberOfFrames;
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-volume', msg, { file });
  };
  if (!frags.length) fail('encapsulated pixel data holds no fragments');
  const last = frags[frags.length - 1];
  if (last.position + last.length > data.length)
    throw new VoxsegError('truncated', 'truncated: file ends inside the encapsulated pixel data', { file });
  const bot = el.basicOffsetTable ?? [];
  let groups: (typeof frags)[];
  if (n === 1) groups = [frags];
  else if (bot.length) {
    if (bot.length !== n)
      fail(`the Basic Offset Table lists ${bot.length} frames, but NumberOfFrames is ${n}: frames would be lost`);
    groups = bot.map((start, i) => frags.filter((fr) => fr.offset >= start && (i + 1 >= n || fr.offset < bot[i + 1])));
  } else if (frags.length === n) groups = frags.map((fr) => [fr]);
  else
    return fail(
      `pixel data holds ${frags.length} fragments and no offset table, but NumberOfFrames is ${n}: frames cannot be told apart`,
    );
  if (groups.some((g) => !g.length)) fail('the Basic Offset Table points at no fragment for some frame');
  return groups.map((g) => {
    const out = new Uint8Array(g.reduce((s, fr) => s + fr.length, 0));
    let o = 0;
    for (const fr of g) {
      out.set(data.subarray(fr.position, fr.position + fr.length), o);
      o += fr.length;
    }
    return out;
  });
}

/** Decoder parameters of a SEG frame: grey, unsigned; BINARY as one 8-bit sample per pixel. */
function segFrameInfo(h: DicomHeader, type: SegType): FrameInfo {
  const bits = type === 'BINARY' ? 8 : h.bitsAllocated;
  return {
    transferSyntaxUid: h.transferSyntaxUid === DEFLATED_LE ? EXPLICIT_LE : h.transferSyntaxUid,
    rows: h.rows,
    columns: h.columns,
    bitsAllocated: bits,
    bitsStored: bits,
    pixelRepresentation: 0,
    samplesPerPixel: 1,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
  };
}

function toValues(px: ArrayLike<number>, type: SegType, bits: number): FrameValues {
  if (type === 'BINARY') return Uint8Array.from(px, (v) => (v ? 1 : 0));
  if (px instanceof Uint8Array || px instanceof Uint16Array) return px;
  return bits === 8 ? Uint8Array.from(px) : Uint16Array.from(px);
}

function named(e: unknown, f: number, file: string): VoxsegError {
  const why = e instanceof VoxsegError ? e.reason : e instanceof Error ? e.message : String(e);
  const code = e instanceof VoxsegError ? e.code : 'decode-failed';
  return new VoxsegError(code, `frame ${f + 1}: ${why}`, { file, cause: e });
}

/** Decode encapsulated frame f synchronously (RLE only; other codecs need `decodeSegFrameAsync`). */
export function decodeSegFrameSync(
  encoded: Uint8Array,
  f: number,
  h: DicomHeader,
  type: SegType,
  file: string,
): FrameValues {
  if (h.transferSyntaxUid !== RLE)
    throw new VoxsegError(
      'unsupported',
      `compressed SEG pixel data (transfer syntax ${h.transferSyntaxUid}) needs the asynchronous reader (readSegAsync)`,
      { file },
    );
  const info = segFrameInfo(h, type);
  try {
    return toValues(decodeRle(encoded, info), type, info.bitsAllocated);
  } catch (err) {
    throw named(err, f, file);
  }
}

/** Decode encapsulated frame f with the DICOM decoders (every transfer syntax they support). */
export async function decodeSegFrameAsync(
  encoded: Uint8Array,
  f: number,
  h: DicomHeader,
  type: SegType,
  file: string,
): Promise<FrameValues> {
  const info = segFrameInfo(h, type);
  try {
    return toValues(await decodeFrame(encoded, info), type, info.bitsAllocated);
  } catch (err) {
    throw named(err, f, file);
  }
}
