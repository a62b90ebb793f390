/** Just enough JPEG / JPEG 2000 header parsing to pick a decoder and check a frame's layout. */

export interface JpegFrameHeader {
  /** SOF marker number: 0 baseline, 1 extended, 2 progressive, 3 lossless, ... */
  process: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
  /** Component identifiers (1,2,3 suggests YCbCr; 'R','G','B' means RGB). */
  componentIds: number[];
  /** An APP0 JFIF marker came before the frame header (implies YCbCr). */
  jfif: boolean;
  /** A complete APP14 Adobe marker came before the frame header (it states the colour transform). */
  adobe: boolean;
}

/** The first SOFn segment of a JPEG stream, or undefined if none is found. */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let i = 2;
  let jfif = false;
  let adobe = false;
  while (i + 4 <= data.length) {
    if (data[i] !== 0xff) return undefined;
    const marker = data[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (data[i + 2] << 8) | data[i + 3];
    if (marker === 0xe0 && ascii(data, i + 4, 4) === 'JFIF') jfif = true;
    // A short APP14 (some writers emit 'Adobe' without the transform byte) is ignored by libjpeg.
    if (marker === 0xee && length >= 14 && ascii(data, i + 4, 5) === 'Adobe') adobe = true;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 10 > data.length) return undefined;
      const components = data[i + 9];
      const componentIds: number[] = [];
      for (let c = 0; c < components && i + 10 + 3 * c < data.length; c++) componentIds.push(data[i + 10 + 3 * c]);
      return {
        process: marker - 0xc0,
        precision: data[i + 4],
        rows: (data[i + 5] << 8) | data[i + 6],
        columns: (data[i + 7] << 8) | data[i + 8],
        components,
        componentIds,
        jfif,
        adobe,
      };
    }
    if (marker === 0xda) return undefined; // start of scan before any SOF
    i += 2 + length;
  }
  return undefined;
}

function ascii(data: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...data.subarray(start, start + length));
}

/**
 * A copy of `data` with an APP14 Adobe marker (transform 0) right after SOI, so that the decoder
 * takes the 3 components as RGB instead of guessing YCbCr (libjpeg guesses YCbCr when a stream has
 * neither JFIF nor Adobe markers and its component ids are not 'R','G','B').
 */
export function withAdobeRgbMarker(data: Uint8Array): Uint8Array {
  // FFEE, length 14, 'Adobe', version 100, flags0 0, flags1 0, transform 0 (none)
  const app14 = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0, 0, 0, 0, 0];
  const out = new Uint8Array(data.length + app14.length);
  out.set(data.subarray(0, 2));
  out.set(app14, 2);
  out.set(data.subarray(2), 2 + app14.length);
  return out;
}

/**
 * Whether a JPEG 2000 codestream applies a multiple component transform (COD marker, SGcod MCT
 * byte): then OpenJPEG already turns YBR_RCT / YBR_ICT into RGB. Undefined if not a raw codestream.
 */
export function j2kUsesMct(data: Uint8Array): boolean | undefined {
  if (data[0] !== 0xff || data[1] !== 0x4f) return undefined; // SOC
  let i = 2;
  while (i + 4 <= data.length && data[i] === 0xff) {
    const marker = data[i + 1];
    const length = (data[i + 2] << 8) | data[i + 3];
    // COD: Lcod(2) Scod(1) progression(1) layers(2) MCT(1)
    if (marker === 0x52) return i + 8 < data.length ? data[i + 8] === 1 : undefined;
    if (marker === 0x90) return undefined; // SOT: main header over without COD
    i += 2 + length;
  }
  return undefined;
}

/**
 * Whether a JPEG stream ends with its EOI marker (FFD9), allowing trailing zero padding (DICOM
 * fragments have even length). A stream cut short or with its end overwritten has none; decoders
 * that do not notice would return a plausible-looking image.
 */
export function jpegEndsWithEoi(data: Uint8Array): boolean {
  let end = data.length;
  while (end > 2 && data[end - 1] === 0) end--;
  return end >= 4 && data[end - 2] === 0xff && data[end - 1] === 0xd9;
}
