/**
 * What the client reads from a Part-10 file itself, in its file meta header (explicit VR little
 * endian, group 0002): MediaStorageSOPInstanceUID, to name the instances of a STOW request the
 * answer leaves out and to tell apart the instances of a whole-series answer; TransferSyntaxUID,
 * to ask again for an instance stored in a syntax voxseg does not decode.
 */

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** MediaStorageSOPInstanceUID (0002,0003) of a Part-10 file ('' when it has none). */
export function metaSopInstanceUid(bytes: Uint8Array): string {
  return metaString(bytes, 0x0003);
}

/** TransferSyntaxUID (0002,0010) of a Part-10 file ('' when it has none). */
export function metaTransferSyntaxUid(bytes: Uint8Array): string {
  return metaString(bytes, 0x0010);
}

function metaString(bytes: Uint8Array, element: number): string {
  if (bytes.length < 140 || bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d)
    return '';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 132;
  while (o + 8 <= bytes.length && dv.getUint16(o, true) === 0x0002) {
    const el = dv.getUint16(o + 2, true);
    const vr = String.fromCharCode(bytes[o + 4], bytes[o + 5]);
    const long = LONG.has(vr);
    const len = long ? dv.getUint32(o + 8, true) : dv.getUint16(o + 6, true);
    const start = o + (long ? 12 : 8);
    if (start + len > bytes.length) return '';
    if (el === element) return String.fromCharCode(...bytes.subarray(start, start + len)).replace(/[\0 ]+$/, '');
    o = start + len;
  }
  return '';
}
