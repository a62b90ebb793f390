/**
 * Low-level dicom-parser helpers: error messages, and recovery for files whose dataset is not
 * encoded the way their meta header says (or whose meta header lacks the transfer syntax).
 */
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { errorMessage } from '../../core/errors';
import { str } from './dsread';
import { EXPLICIT_BE, IMPLICIT_LE, hasPart10Prefix, sniffRawSyntax } from './sniff';

/** Message of whatever dicom-parser threw (it throws strings and {exception, dataSet}). */
export function parserMessage(e: unknown): string {
  if (typeof e === 'string') return e.replace(/^dicomParser[.:]\w*:\s*/, '');
  if (e && typeof e === 'object' && 'exception' in e) return parserMessage((e as { exception: unknown }).exception);
  return errorMessage(e);
}

export const looksTruncated = (m: string) =>
  /past end|overrun|eof|end of (buffer|file)|beyond|unexpected end|invalid value for parameter/i.test(m);

interface ParserInternals {
  DataSet: new (parser: dicomParser.ByteArrayParser, bytes: Uint8Array, elements: Record<string, Element>) => DataSet;
}

/**
 * Parse the dataset after the meta header with the encoding its bytes actually use. Returns
 * undefined when that encoding cannot be recognised or parsing still fails.
 */
export function parseByContent(data: Uint8Array, untilPixelData: boolean, notes: string[]): DataSet | undefined {
  try {
    const meta = dicomParser.readPart10Header(data) as DataSet & { position: number };
    const declared = str(meta, 'x00020010');
    const actual = sniffRawSyntax(data.subarray(meta.position));
    if (!actual || actual === declared) return undefined;
    const parser =
      actual === EXPLICIT_BE ? dicomParser.bigEndianByteArrayParser : dicomParser.littleEndianByteArrayParser;
    const ds = new (dicomParser as unknown as ParserInternals).DataSet(parser, data, {});
    ds.warnings = [];
    const stream = new dicomParser.ByteStream(parser, data, meta.position);
    const opts = untilPixelData ? { untilTag: 'x7fe00010' } : undefined;
    if (actual === IMPLICIT_LE) dicomParser.parseDicomDataSetImplicit(ds, stream, data.length, opts);
    else dicomParser.parseDicomDataSetExplicit(ds, stream, data.length, opts);
    for (const [tag, el] of Object.entries(meta.elements)) ds.elements[tag] = el;
    if (!declared) {
      ds.elements['x00020010'] = {
        tag: 'x00020010',
        vr: 'UI',
        length: actual.length,
        dataOffset: 0,
        Value: actual,
      } as Element;
      notes.push(
        `file meta information has no TransferSyntaxUID: dataset read as ${actual === IMPLICIT_LE ? 'implicit' : 'explicit'} VR ${actual === EXPLICIT_BE ? 'big' : 'little'} endian`,
      );
    } else
      notes.push(
        `dataset is encoded as ${actual === IMPLICIT_LE ? 'implicit' : 'explicit'} VR although the meta header declares ${declared}: read as encoded`,
      );
    return ds;
  } catch {
    return undefined;
  }
}

/** True when (0002,0000) FileMetaInformationGroupLength says the meta group runs past the end. */
export function metaCutShort(data: Uint8Array): boolean {
  if (!hasPart10Prefix(data) || data.length < 144) return data.length < 144 && hasPart10Prefix(data);
  const isGroupLength =
    data[132] === 2 &&
    data[133] === 0 &&
    data[134] === 0 &&
    data[135] === 0 &&
    data[136] === 0x55 &&
    data[137] === 0x4c;
  if (!isGroupLength) return false;
  const len = new DataView(data.buffer, data.byteOffset + 140, 4).getUint32(0, true);
  return 144 + len > data.length;
}

/** Make sure undefined-length pixel data carries its fragments (implicit VR parsing skips that). */
export function completeEncapsulated(ds: DataSet): void {
  const el = ds.elements['x7fe00010'];
  if (!el || !el.hadUndefinedLength || el.fragments) return;
  const stream = new dicomParser.ByteStream(ds.byteArrayParser, ds.byteArray, el.dataOffset);
  dicomParser.findEndOfEncapsulatedElement(stream, el, ds.warnings);
}
