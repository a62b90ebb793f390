/**
 * Cheap checks on the first bytes of a file: is it DICOM (Part 10 or a raw dataset without the
 * 128-byte preamble), which transfer syntax does a raw dataset use, and, when it is not DICOM,
 * what it looks like instead (so that rejections can name the cause).
 */
import { concatBytes } from '../../core/bytes';
import { Gunzip } from 'fflate';
import { VoxsegError } from '../../core/errors';

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

export function hasPart10Prefix(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08;
}

const u16 = (b: Uint8Array, o: number, le: boolean) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
const u32 = (b: Uint8Array, o: number, le: boolean) =>
  le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 2 ** 24
    : b[o] * 2 ** 24 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);

/** Groups a raw dataset may plausibly start with (meta group, identifying, patient, ...). */
const plausibleGroup = (g: number) => g >= 0x0002 && g <= 0x0028 && g % 2 === 0;

/**
 * Transfer syntax of a raw dataset (no preamble/'DICM'), decided by walking its first two elements:
 * both must parse, tags must increase and lengths must stay inside the buffer. Undefined if the
 * bytes do not look like a dataset.
 */
export function sniffRawSyntax(b: Uint8Array): string | undefined {
  for (const [ts, le, explicit] of [
    [EXPLICIT_LE, true, true],
    [IMPLICIT_LE, true, false],
    [EXPLICIT_BE, false, true],
  ] as const) {
    if (walks(b, le, explicit)) return ts;
  }
  return undefined;
}

function walks(b: Uint8Array, le: boolean, explicit: boolean): boolean {
  let pos = 0;
  let prev = -1;
  for (let n = 0; n < 2; n++) {
    if (pos + 8 > b.length) return n > 0 && pos === b.length;
    const group = u16(b, pos, le);
    const tag = group * 65536 + u16(b, pos + 2, le);
    if (n === 0 && !plausibleGroup(group)) return false;
    if (tag <= prev) return false;
    prev = tag;
    let len: number;
    if (explicit) {
      const vr = String.fromCharCode(b[pos + 4], b[pos + 5]);
      if (!VRS.has(vr)) return false;
      if (['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'UV'].includes(vr)) {
        if (pos + 12 > b.length) return false;
        len = u32(b, pos + 8, le);
        pos += 12;
      } else {
        len = u16(b, pos + 6, le);
        pos += 8;
      }
    } else {
      const vrLike = String.fromCharCode(b[pos + 4], b[pos + 5]);
      if (VRS.has(vrLike)) return false; // that is explicit VR
      len = u32(b, pos + 4, le);
      pos += 8;
    }
    if (len === 0xffffffff) return true; // undefined length sequence: plausible enough
    if (pos + len > b.length && b.length >= 4096) return false;
    pos += len;
  }
  return true;
}

/**
 * Quick magic check on the first bytes of a file (>= 132 bytes recommended): 'DICM' at offset 128,
 * or a plausible raw dataset.
 */
export function isDicom(bytes: Uint8Array): boolean {
  return hasPart10Prefix(bytes) || sniffRawSyntax(bytes) !== undefined;
}

/** What a non-DICOM file looks like, for messages ('' when unknown). */
export function formatHint(b: Uint8Array): string {
  const ascii = (o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
  if (b.length >= 348) {
    const le = u32(b, 0, true);
    const be = u32(b, 0, false);
    if ((le === 348 || be === 348) && ['n+1\0', 'ni1\0'].includes(ascii(344, 4))) return 'NIfTI-1 image';
    if (le === 348 || be === 348) return 'Analyze 7.5 header';
  }
  if (b.length >= 8 && (u32(b, 0, true) === 540 || u32(b, 0, false) === 540) && ascii(4, 3) === 'n+2')
    return 'NIfTI-2 image';
  if (ascii(0, 4) === 'NRRD') return 'NRRD image';
  if (b.length >= 4 && u32(b, 0, false) === 1 && b.length >= 284) return 'MGH/MGZ image';
  if (b[0] === 0x89 && ascii(1, 3) === 'PNG') return 'PNG image';
  if (b[0] === 0xff && b[1] === 0xd8) return 'JPEG image';
  if (ascii(0, 4) === '%PDF') return 'PDF document';
  if (ascii(0, 2) === 'PK') return 'ZIP archive';
  return '';
}

export function notDicom(data: Uint8Array, name: string, gzipped: boolean): VoxsegError {
  const hint = formatHint(data);
  const what = gzipped ? 'gzip-compressed file whose content is not DICOM' : 'not a DICOM file';
  const detail = hint
    ? `looks like ${/^[AEIOU]/.test(hint) ? 'an' : 'a'} ${hint}`
    : "no 'DICM' marker and no valid dataset at the start";
  return new VoxsegError('not-dicom', `${what} (${detail})`, { file: name });
}

/** The first decompressed bytes of a gzip stream (undefined if they cannot be decompressed). */
export function gunzipStart(bytes: Uint8Array): Uint8Array | undefined {
  const chunks: Uint8Array[] = [];
  try {
    new Gunzip((chunk) => chunks.push(chunk)).push(bytes, false);
  } catch {
    return undefined;
  }
  return concatBytes(chunks);
}
