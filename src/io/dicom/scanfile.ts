/**
 * Scanning one file: read its header (never the pixel data) and say why it cannot become (part of)
 * a volume, if it cannot. Used by scanFiles on the main thread and by the browser load workers.
 */
import { errorReason } from '../../core/errors';
import { isSupportedTransferSyntax, transferSyntaxName } from './decode/index';
import { readHeader, readWhole, type DicomHeader } from './parse';
import { nativeFrameBytes } from './pixeldata';
import { headerValueProblem } from './header-sanity';
import { DICOMDIR_CLASS, SEGMENTATION_STORAGE, sopClassName } from './sopclass';
import type { SourceFile } from './source';

const MONO = new Set(['MONOCHROME1', 'MONOCHROME2']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'YBR_PARTIAL_420']);

/** A scanned file: its header, or why it is rejected. */
export type FileScan = { header: DicomHeader; reason?: undefined } | { header?: undefined; reason: string };

/** Bytes of the file the caller has read already (see readHeader / imageProblem). */
export interface Prefetched {
  /** The file's first bytes. */
  head?: Uint8Array;
  /** Its last 8 bytes (encapsulated pixel data ends with a sequence delimiter). */
  tail?: Uint8Array;
}

/** Read and check the header of `file`. Throws only when `signal` is aborted. */
export async function scanFile(file: SourceFile, signal?: AbortSignal, pre: Prefetched = {}): Promise<FileScan> {
  try {
    const { header, bytes } = await readHeader(file, pre.head);
    const problem = await imageProblem(header, file, bytes, pre.tail);
    return problem ? { reason: problem } : { header };
  } catch (e) {
    if (signal?.aborted) throw e;
    return { reason: rejectionReason(e) };
  }
}

/** The reason a file is rejected, from the error that reading it threw (without the file name). */
export function rejectionReason(e: unknown): string {
  return errorReason(e) || 'unreadable';
}

/** True when imageProblem will look at the file's last 8 bytes (encapsulated pixel data). */
export function checksTail(h: DicomHeader): boolean {
  return !!h.pixelData?.encapsulated && h.container === 'plain';
}

/** Why this image cannot become (part of) a volume, or undefined if it can. */
export async function imageProblem(
  h: DicomHeader,
  file: SourceFile,
  bytes: Uint8Array,
  tail?: Uint8Array,
): Promise<string | undefined> {
  if (h.sopClassUid === DICOMDIR_CLASS)
    return 'DICOMDIR (Media Storage Directory): an index of other files, not an image';
  if (h.sopClassUid === SEGMENTATION_STORAGE || h.modality === 'SEG')
    return 'DICOM SEG (Segmentation Storage): a label map, not an image volume; import it as a segmentation';
  if (!h.pixelData) return `no pixel data (${sopClassName(h.sopClassUid, h.modality)})`;
  if (!isSupportedTransferSyntax(h.transferSyntaxUid))
    return `unsupported transfer syntax ${transferSyntaxName(h.transferSyntaxUid)} (${h.transferSyntaxUid || 'none'})`;
  if (!h.rows || !h.columns) return 'image without Rows/Columns';
  if (h.pixelData.tag === 'x7fe00009') return 'Double Float Pixel Data (7FE0,0009) is not supported';
  if (![1, 8, 16, 32].includes(h.bitsAllocated))
    return `BitsAllocated ${h.bitsAllocated} is not supported (1, 8, 16 or 32)`;
  if (h.samplesPerPixel === 1 && h.photometric === 'PALETTE COLOR') {
    if (!h.luts?.palette)
      return `PALETTE COLOR image cannot be shown: ${h.luts?.paletteProblem ?? 'no palette colour lookup tables'}`;
  } else if (h.samplesPerPixel === 1 && !MONO.has(h.photometric))
    return `photometric interpretation ${h.photometric} is not supported`;
  if (h.samplesPerPixel === 3 && !COLOUR.has(h.photometric))
    return `colour photometric interpretation ${h.photometric} is not supported`;
  if (h.samplesPerPixel !== 1 && h.samplesPerPixel !== 3)
    return `SamplesPerPixel ${h.samplesPerPixel} is not supported`;
  const valueProblem = headerValueProblem(h);
  if (valueProblem) return valueProblem;
  const px = h.pixelData;
  const available = h.container === 'plain' ? file.size : bytes.length;
  if (!px.encapsulated) {
    const need =
      h.bitsAllocated === 1
        ? Math.ceil((h.rows * h.columns * h.samplesPerPixel * h.numberOfFrames) / 8)
        : nativeFrameBytes(h) * h.numberOfFrames;
    // Longer than declared by a frame or more: the header contradicts the data (BitsAllocated,
    // Rows/Columns or NumberOfFrames too small). Less is trailing padding, ignored with a note.
    const frame = need / h.numberOfFrames;
    if (px.length < need || px.length - need >= Math.max(2, frame))
      return `pixel data holds ${px.length} bytes, expected ${need} (${h.columns}x${h.rows}x${h.numberOfFrames} frames, ${h.samplesPerPixel} sample(s), ${h.bitsAllocated}-bit)${px.length > need ? ': the header contradicts the data' : ''}`;
    if (px.length > need + (need % 2))
      h.notes.push(`${px.length - need} bytes after the declared pixel data ignored (padding)`);
    if (px.offset + Math.min(px.length, need) > available)
      return `truncated: pixel data needs ${Math.min(px.length, need)} bytes but the file ends ${Math.max(0, available - px.offset)} bytes into it`;
    return undefined;
  }
  // encapsulated: a complete file ends with the sequence delimiter (FFFE,E0DD) of the pixel data
  if (h.container !== 'plain') tail = bytes.subarray(bytes.length - 8);
  else if (tail?.length !== Math.min(8, file.size)) tail = await file.slice(Math.max(0, file.size - 8), file.size);
  const le = tail[0] === 0xfe && tail[1] === 0xff && tail[2] === 0xdd && tail[3] === 0xe0;
  const be = tail[0] === 0xff && tail[1] === 0xfe && tail[2] === 0xe0 && tail[3] === 0xdd;
  if (!le && !be) {
    // trailing padding is legal: check properly with a full parse
    const whole = await readWhole(file).catch((e: unknown) => ({ failed: errorReason(e) }));
    if ('failed' in whole) return whole.failed;
    if (whole.dataSet.warnings.some((w) => /missing sequence delimiter/.test(w)))
      return 'truncated: file ends inside the encapsulated pixel data';
  }
  return undefined;
}
