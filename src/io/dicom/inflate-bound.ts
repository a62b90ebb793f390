/**
 * How far a gzip-wrapped DICOM file or a deflated dataset (1.2.840.10008.1.2.1.99) may inflate,
 * decided from its first inflated bytes (`io/inflate.ts` applies the limit while inflating).
 *
 * Decisions:
 * - When the first 64 kB hold the image attributes (Rows, Columns, BitsAllocated, NumberOfFrames,
 *   SamplesPerPixel), the limit is what they declare: the bytes before the pixel data, the pixel
 *   data itself, and 1 MB for trailing elements. A header declaring more than the memory ceiling
 *   is refused before the data is inflated.
 * - Otherwise (no image attributes early, e.g. a structured report) the limit is 64 times the
 *   compressed size, at least 16 MB, never past the ceiling: ordinary DICOM data compresses
 *   2-10 times, deflate at most ~1000.
 */
import dicomParser, { type DataSet } from 'dicom-parser';
import type { InflateBound } from '../inflate';
import { formatSize, memoryCeiling, overCeiling } from '../limits';
import { VoxsegError } from '../../core/errors';

export const HEAD_BYTES = 64 * 1024;
export const RATIO_LIMIT = 64;
export const MIN_LIMIT = 16e6;
const TRAILING = 1e6;

function dataSetOf(head: Uint8Array, rawDataset: boolean): DataSet | undefined {
  const opts: dicomParser.ParseDicomOptions = { untilTag: 'x7fe00010' };
  if (rawDataset) opts.TransferSyntaxUID = '1.2.840.10008.1.2.1';
  try {
    return dicomParser.parseDicom(head, opts);
  } catch (e) {
    return (e as { dataSet?: DataSet })?.dataSet;
  }
}

/** Bytes the head declares for the whole stream, or undefined when it does not say. */
export function declaredBytes(head: Uint8Array, rawDataset: boolean): number | undefined {
  const ds = dataSetOf(head, rawDataset);
  if (!ds) return undefined;
  const us = (tag: string) => (ds.elements[tag] ? ds.uint16(tag) : undefined);
  const rows = us('x00280010');
  const cols = us('x00280011');
  const bits = us('x00280100');
  if (!rows || !cols || !bits) return undefined;
  const frames = Math.max(1, Math.round(Number(ds.string('x00280008') ?? 1) || 1));
  const spp = Math.max(1, us('x00280002') ?? 1);
  const pixels = (rows * cols * frames * spp * bits) / 8;
  const pixel = ds.elements['x7fe00010'];
  const before = pixel ? pixel.dataOffset : head.length;
  return before + Math.ceil(pixels);
}

/** The inflate bound of a DICOM stream; `rawDataset` for a deflated dataset (no meta header). */
export function dicomInflateBound(name: string, rawDataset: boolean) {
  return (head: Uint8Array, compressed: number): InflateBound => {
    const declared = declaredBytes(head, rawDataset);
    if (declared !== undefined) {
      if (declared > memoryCeiling())
        throw new VoxsegError(
          'unreadable',
          `the header declares ${formatSize(declared)} of image data, ${overCeiling()}`,
          { file: name },
        );
      return {
        bytes: declared + TRAILING,
        what: `the ${formatSize(declared)} its header declares (+${formatSize(TRAILING)} allowed for trailing elements)`,
      };
    }
    const bytes = Math.min(memoryCeiling(), Math.max(MIN_LIMIT, RATIO_LIMIT * compressed));
    return {
      bytes,
      what: `${formatSize(bytes)} (${RATIO_LIMIT} times its compressed size, at least ${formatSize(MIN_LIMIT)}, as its header declares no image size)`,
    };
  };
}
