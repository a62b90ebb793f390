/**
 * Header parsing: bytes -> dicom-parser DataSet -> a plain typed record (`DicomHeader`).
 * `readHeader` reads only the start of a file (16 KiB, growing when the header is longer);
 * `readWhole` reads everything (used by the loader). gzip-wrapped files are gunzipped and
 * deflated datasets (1.2.840.10008.1.2.1.99) inflated here, no further than their header declares
 * (io/inflate.ts, ./inflate-bound.ts: a decompression bomb is refused with the numbers, a gzip
 * CRC or length mismatch is an error).
 */
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { VoxsegError, errorReason } from '../../core/errors';
import type { SourceFile } from './source';
import { gunzipStart, hasPart10Prefix, isGzip, notDicom, sniffRawSyntax } from './sniff';
import { gunzipBounded, inflateBounded, isFinalRefusal } from '../inflate';
import { HEAD_BYTES, dicomInflateBound } from './inflate-bound';
import { completeEncapsulated, looksTruncated, metaCutShort, parseByContent, parserMessage } from './rawparse';
import { num, nums, str, us, vec3 } from './dsread';
import { functionalGroups, type FrameGeom } from './multiframe';
import { mosaicInfo, type MosaicInfo } from './mosaic';
import { readImageLuts, type ImageLuts } from './luts';

export type { FrameGeom };

export interface PixelDataRef {
  tag: string;
  /** Offset/length of the value in the parsed byte array (the file itself unless gzip/deflate). */
  offset: number;
  length: number;
  encapsulated: boolean;
  float: boolean;
  /** VR of the pixel data element when explicit (OB/OW matter for big endian 8-bit data). */
  vr?: string;
}

export interface DicomHeader {
  file: string;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  modality: string;
  manufacturer: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  studyInstanceUid: string;
  patientBirthDate: string;
  patientSex: string;
  studyId: string;
  studyTime: string;
  accessionNumber: string;
  referringPhysicianName: string;
  seriesInstanceUid: string;
  seriesNumber: string;
  seriesDescription: string;
  bodyPartExamined: string;
  frameOfReferenceUid: string;
  instanceNumber?: number;
  imageType: string[];
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
  planarConfiguration: 0 | 1;
  photometric: string;
  numberOfFrames: number;
  sliceThickness?: number;
  spacingBetweenSlices?: number;
  gridFrameOffsets?: number[];
  /** Geometry + value transform of the image (or the defaults of a multi-frame image). */
  geom: FrameGeom;
  /** Enhanced multi-frame: one entry per frame (functional groups merged with shared ones). */
  perFrame?: FrameGeom[];
  mosaic?: MosaicInfo;
  unit?: string;
  pixelData?: PixelDataRef;
  /** 'gzip' / 'deflate' when the parsed bytes are not the file's own bytes. */
  container: 'plain' | 'gzip' | 'deflate';
  /** Header-level remarks that become series warnings. */
  notes: string[];
  /** Palette / Modality LUT tables and the display windows the file offers (./luts.ts). */
  luts?: ImageLuts;
  /** Geometry/rescale attributes present but not finite numbers ("ImagePositionPatient \"1e999\\0\\0\" ..."). */
  badValues?: string[];
}

export interface Parsed {
  header: DicomHeader;
  dataSet: DataSet;
  /** The bytes the DataSet refers to (inflated / gunzipped when needed). */
  bytes: Uint8Array;
}

const HEADER_CHUNK = 16 * 1024;
const PIXEL_TAGS = ['x7fe00010', 'x7fe00008', 'x7fe00009'];

/** Parse `bytes` (a whole file, or its start when `untilPixelData`). Throws VoxsegError. */
export function parseBytes(bytes: Uint8Array, name: string, untilPixelData: boolean): Parsed {
  let container: DicomHeader['container'] = 'plain';
  let data = bytes;
  if (isGzip(data)) {
    // bounded by what the header declares; CRC-32 and length checked (a damaged file is refused)
    try {
      data = gunzipBounded(data, {
        name,
        code: 'unreadable',
        headBytes: HEAD_BYTES,
        bound: dicomInflateBound(name, false),
      });
    } catch (cause) {
      if (cause instanceof VoxsegError && !/^corrupt gzip/.test(cause.reason)) throw cause;
      throw new VoxsegError('truncated', `gzip-compressed file cannot be decompressed (${errorReason(cause)})`, {
        file: name,
        cause,
      });
    }
    container = 'gzip';
  }
  const options: dicomParser.ParseDicomOptions = {};
  if (untilPixelData) options.untilTag = 'x7fe00010';
  if (!hasPart10Prefix(data)) {
    const ts = sniffRawSyntax(data);
    if (!ts) throw notDicom(data, name, container === 'gzip');
    options.TransferSyntaxUID = ts;
  }
  options.inflater = ((arr: Uint8Array, position: number) => {
    const inflated = inflateBounded(arr.subarray(position), {
      name,
      code: 'unreadable',
      headBytes: HEAD_BYTES,
      bound: dicomInflateBound(name, true),
    });
    const full = new Uint8Array(position + inflated.length);
    full.set(arr.subarray(0, position));
    full.set(inflated, position);
    container = 'deflate';
    return full;
  }) as unknown as dicomParser.ParseDicomOptions['inflater'];
  let ds: DataSet;
  const notes: string[] = [];
  try {
    ds = dicomParser.parseDicom(data, options);
  } catch (e) {
    if (e instanceof VoxsegError) throw e; // a refused inflation (bomb, damaged deflate data)
    const msg = parserMessage(e);
    // Part 10 file whose meta header lacks the transfer syntax, or whose dataset is not encoded
    // the way the meta header says (implicit VR under an explicit syntax): read it as it is.
    const fallback = hasPart10Prefix(data) ? parseByContent(data, untilPixelData, notes) : undefined;
    if (fallback) ds = fallback;
    else if (metaCutShort(data))
      throw new VoxsegError('truncated', 'truncated: file ends inside the file meta information', { file: name });
    else if (/missing required meta header attribute 0002,0010/.test(msg))
      throw new VoxsegError(
        'unreadable',
        'file meta information has no TransferSyntaxUID (0002,0010) and the dataset encoding cannot be recognised',
        { file: name },
      );
    else if (looksTruncated(msg)) {
      const partial = (e as { dataSet?: DataSet }).dataSet;
      const where = partial?.elements['x7fe00010'] ? 'the pixel data' : 'the DICOM header';
      throw new VoxsegError('truncated', `truncated: file ends inside ${where} (${msg})`, { file: name });
    } else throw new VoxsegError('unreadable', `cannot parse DICOM header: ${msg}`, { file: name });
  }
  if (!untilPixelData) completeEncapsulated(ds);
  const header = toHeader(ds, name, container);
  header.notes.push(...notes);
  return { header, dataSet: ds, bytes: ds.byteArray as Uint8Array };
}

/** Read and parse the header of `file`, reading no more of it than needed (or than `prefix`, its first bytes, when given). */
export async function readHeader(file: SourceFile, prefix?: Uint8Array): Promise<Parsed> {
  let len = prefix?.length ? Math.min(file.size, prefix.length) : Math.min(file.size, HEADER_CHUNK);
  for (;;) {
    let bytes = prefix && prefix.length >= len ? prefix.subarray(0, len) : await file.slice(0, len);
    if (bytes.length < len) len = bytes.length; // the file is shorter than it claims
    if (len < file.size && isGzip(bytes)) {
      // look inside before reading a possibly large gzip file (e.g. a .nii.gz dropped by mistake)
      const start = gunzipStart(bytes);
      if (start && start.length >= 256 && !hasPart10Prefix(start) && !sniffRawSyntax(start))
        throw notDicom(start, file.name, true);
      len = file.size;
      bytes = await file.slice(0, len);
    }
    const whole = len >= file.size;
    let parsed: Parsed | undefined;
    try {
      parsed = parseBytes(bytes, file.name, true);
    } catch (e) {
      if (whole || (e instanceof VoxsegError && e.code === 'not-dicom') || isFinalRefusal(e)) throw e;
    }
    if (parsed && (whole || parsed.header.pixelData)) return parsed;
    len = Math.min(file.size, len * 4);
  }
}

/** Read the whole file and parse it (pixel data fragments included). */
export async function readWhole(file: SourceFile): Promise<Parsed> {
  const bytes = await file.slice(0, file.size);
  return parseBytes(bytes, file.name, false);
}

// ---- DataSet -> DicomHeader ----

function pixelDataRef(ds: DataSet): PixelDataRef | undefined {
  for (const tag of PIXEL_TAGS) {
    const el: Element | undefined = ds.elements[tag];
    if (!el) continue;
    const undefinedLength = el.hadUndefinedLength === true || el.length === 0xffffffff;
    return {
      tag,
      offset: el.dataOffset,
      length: undefinedLength ? -1 : el.length,
      encapsulated: undefinedLength,
      float: tag !== 'x7fe00010',
      vr: el.vr,
    };
  }
  return undefined;
}

function toHeader(ds: DataSet, file: string, container: DicomHeader['container']): DicomHeader {
  const notes: string[] = [];
  const modality = str(ds, 'x00080060').toUpperCase();
  let slope = num(ds, 'x00281053');
  const intercept = num(ds, 'x00281052') ?? 0;
  let unit: string | undefined;
  const doseScaling = num(ds, 'x3004000e');
  if (modality === 'RTDOSE' && doseScaling !== undefined && slope === undefined) {
    slope = doseScaling;
    const u = str(ds, 'x30040002').toUpperCase();
    unit = u === 'GY' ? 'Gy' : u === 'RELATIVE' ? 'relative dose' : u || undefined;
  }
  const rescaleType = str(ds, 'x00281054');
  if (modality === 'CT' && (!rescaleType || rescaleType.toUpperCase() === 'HU')) unit = 'HU';
  else if (modality === 'PT' && str(ds, 'x00541001')) unit = str(ds, 'x00541001');

  let ps = nums(ds, 'x00280030');
  if (!ps) {
    ps = nums(ds, 'x00181164');
    if (ps) notes.push('no PixelSpacing: ImagerPixelSpacing (detector plane) used');
  }
  const geom: FrameGeom = {
    position: vec3(nums(ds, 'x00200032')),
    orientation: nums(ds, 'x00200037')?.slice(0, 6),
    pixelSpacing: ps && ps.length >= 2 ? [ps[0], ps[1]] : undefined,
    slope: slope ?? 1,
    intercept,
    windowCenter: num(ds, 'x00281050'),
    windowWidth: num(ds, 'x00281051'),
    split: {
      echo: str(ds, 'x00180086'),
      temporal: str(ds, 'x00200100'),
      trigger: str(ds, 'x00181060'),
      acquisition: str(ds, 'x00200012'),
    },
  };
  if (geom.orientation && geom.orientation.length < 6) geom.orientation = undefined;
  const ts = str(ds, 'x00020010') || '1.2.840.10008.1.2';
  const header: DicomHeader = {
    file,
    transferSyntaxUid: ts,
    sopClassUid: str(ds, 'x00080016') || str(ds, 'x00020002'),
    sopInstanceUid: str(ds, 'x00080018') || str(ds, 'x00020003'),
    modality,
    manufacturer: str(ds, 'x00080070'),
    patientName: str(ds, 'x00100010'),
    patientId: str(ds, 'x00100020'),
    studyDate: str(ds, 'x00080020'),
    studyDescription: str(ds, 'x00081030'),
    studyInstanceUid: str(ds, 'x0020000d'),
    patientBirthDate: str(ds, 'x00100030'),
    patientSex: str(ds, 'x00100040'),
    studyId: str(ds, 'x00200010'),
    studyTime: str(ds, 'x00080030'),
    accessionNumber: str(ds, 'x00080050'),
    referringPhysicianName: str(ds, 'x00080090'),
    seriesInstanceUid: str(ds, 'x0020000e'),
    seriesNumber: str(ds, 'x00200011'),
    seriesDescription: str(ds, 'x0008103e'),
    bodyPartExamined: str(ds, 'x00180015'),
    frameOfReferenceUid: str(ds, 'x00200052'),
    instanceNumber: num(ds, 'x00200013'),
    imageType: str(ds, 'x00080008')
      .toUpperCase()
      .split('\\')
      .map((s) => s.trim()),
    rows: us(ds, 'x00280010') ?? 0,
    columns: us(ds, 'x00280011') ?? 0,
    bitsAllocated: us(ds, 'x00280100') ?? 0,
    bitsStored: us(ds, 'x00280101') ?? us(ds, 'x00280100') ?? 0,
    pixelRepresentation: us(ds, 'x00280103') === 1 ? 1 : 0,
    samplesPerPixel: us(ds, 'x00280002') ?? 1,
    planarConfiguration: us(ds, 'x00280006') === 1 ? 1 : 0,
    photometric: str(ds, 'x00280004').toUpperCase() || 'MONOCHROME2',
    numberOfFrames: Math.max(1, Math.round(num(ds, 'x00280008') ?? 1)),
    sliceThickness: num(ds, 'x00180050'),
    spacingBetweenSlices: num(ds, 'x00180088'),
    gridFrameOffsets: nums(ds, 'x3004000c'),
    geom,
    unit,
    pixelData: pixelDataRef(ds),
    container,
    notes,
  };
  header.luts = readImageLuts(ds, header.photometric, header.pixelRepresentation === 1, ts === '1.2.840.10008.1.2.2');
  if (header.luts.modality)
    notes.push('Modality LUT Sequence applied to the stored values (it replaces RescaleSlope/Intercept)');
  const badValues = unusableNumbers(ds);
  if (badValues.length) header.badValues = badValues;
  const groups = functionalGroups(ds, header);
  if (groups) header.perFrame = groups;
  header.mosaic = mosaicInfo(ds, header);
  return header;
}

const NUMERIC: [string, string][] = [
  ['x00200032', 'ImagePositionPatient'],
  ['x00200037', 'ImageOrientationPatient'],
  ['x00280030', 'PixelSpacing'],
  ['x00281053', 'RescaleSlope'],
  ['x00281052', 'RescaleIntercept'],
];

/** Attributes that are present but not finite numbers (read as missing otherwise, silently). */
function unusableNumbers(ds: DataSet): string[] {
  const out: string[] = [];
  for (const [tag, name] of NUMERIC) {
    const v = str(ds, tag);
    if (v && !nums(ds, tag)) out.push(`${name} ${JSON.stringify(v.slice(0, 64))} is not a list of finite numbers`);
  }
  return out;
}
