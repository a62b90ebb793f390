/**
 * scanFiles: read the header of every file (never the pixel data), reject what cannot become a
 * volume (with the cause), group the rest into series and work out each series' geometry.
 * The per-series plan (frame -> slice mapping) is kept in a WeakMap for loadSeries.
 */
import { VoxsegError, errorMessage } from '../core/errors';
import type { DType, Mat3, ProgressCallback, Vec3 } from '../core/types';
import { isSupportedTransferSyntax, transferSyntaxName } from './decode/index';
import { groupSeries, splitIncompatible, type ScannedFile } from './group';
import type { FrameRef } from './multiframe';
import { readHeader, readWhole, type DicomHeader } from './parse';
import { nativeFrameBytes } from './pixeldata';
import { DICOMDIR_CLASS, SEGMENTATION_STORAGE, sopClassName } from './sopclass';
import { stackPart, type Stack } from './sort';
import type { SourceFile } from './source';
import { chooseDtype, type DtypeChoice } from './values';
import { scanInWorker, workerConcurrency, workersAvailable } from './worker/pool';

export interface SeriesInfo {
  /** SeriesInstanceUID, or a synthesised stable key when blank; '#n' suffixes keep it unique in a scan. */
  uid: string;
  modality: string;
  description: string;
  patientName: string;
  patientId: string;
  studyDate: string;
  studyDescription: string;
  studyInstanceUid: string;
  /** Sorted along the slice normal (for multi-frame: the one file). */
  files: SourceFile[];
  dims: Vec3;
  spacing: Vec3;
  /** LPS centre of voxel (0,0,0). */
  origin: Vec3;
  direction: Mat3;
  /** 'int16' when exact, else 'float32' (an optimistic int16 may still become float32 on load). */
  dtype: DType;
  warnings: string[];
  /** Problems that make the series unloadable. */
  errors: string[];
}

export interface ScanResult {
  series: SeriesInfo[];
  rejected: { file: string; reason: string }[];
}

export interface ScanOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** What loadSeries needs beyond SeriesInfo. */
export interface SeriesPlan {
  headers: DicomHeader[];
  slots: (FrameRef | null)[];
  dtype: DtypeChoice;
}

export const plans = new WeakMap<SeriesInfo, SeriesPlan>();

const CONCURRENCY = 32;
const MAX_VOXELS = 2 ** 32 - 1;
const MONO = new Set(['MONOCHROME1', 'MONOCHROME2']);
const COLOUR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'YBR_PARTIAL_420']);

/** Run `fn` over items with at most `n` in flight. */
export async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/** Why this image cannot become (part of) a volume, or undefined if it can. */
export async function imageProblem(h: DicomHeader, file: SourceFile, bytes: Uint8Array): Promise<string | undefined> {
  if (h.sopClassUid === DICOMDIR_CLASS) return 'DICOMDIR (Media Storage Directory): an index of other files, not an image';
  if (h.sopClassUid === SEGMENTATION_STORAGE || h.modality === 'SEG')
    return 'DICOM SEG (Segmentation Storage): a label map, not an image volume; import it as a segmentation';
  if (!h.pixelData) return `no pixel data (${sopClassName(h.sopClassUid, h.modality)})`;
  if (!isSupportedTransferSyntax(h.transferSyntaxUid)) return `unsupported transfer syntax ${transferSyntaxName(h.transferSyntaxUid)} (${h.transferSyntaxUid || 'none'})`;
  if (!h.rows || !h.columns) return 'image without Rows/Columns';
  if (h.pixelData.tag === 'x7fe00009') return 'Double Float Pixel Data (7FE0,0009) is not supported';
  if (![1, 8, 16, 32].includes(h.bitsAllocated)) return `BitsAllocated ${h.bitsAllocated} is not supported (1, 8, 16 or 32)`;
  if (h.samplesPerPixel === 1 && !MONO.has(h.photometric))
    return h.photometric === 'PALETTE COLOR' ? 'PALETTE COLOR images (colour lookup table) are not supported' : `photometric interpretation ${h.photometric} is not supported`;
  if (h.samplesPerPixel === 3 && !COLOUR.has(h.photometric)) return `colour photometric interpretation ${h.photometric} is not supported`;
  if (h.samplesPerPixel !== 1 && h.samplesPerPixel !== 3) return `SamplesPerPixel ${h.samplesPerPixel} is not supported`;
  const px = h.pixelData;
  const available = h.container === 'plain' ? file.size : bytes.length;
  if (!px.encapsulated) {
    const need = h.bitsAllocated === 1 ? Math.ceil((h.rows * h.columns * h.samplesPerPixel * h.numberOfFrames) / 8) : nativeFrameBytes(h) * h.numberOfFrames;
    if (px.length < need)
      return `pixel data holds ${px.length} bytes, expected ${need} (${h.columns}x${h.rows}x${h.numberOfFrames} frames, ${h.samplesPerPixel} sample(s), ${h.bitsAllocated}-bit)`;
    if (px.offset + Math.min(px.length, need) > available)
      return `truncated: pixel data needs ${Math.min(px.length, need)} bytes but the file ends ${Math.max(0, available - px.offset)} bytes into it`;
    return undefined;
  }
  // encapsulated: a complete file ends with the sequence delimiter (FFFE,E0DD) of the pixel data
  const tail = h.container === 'plain' ? await file.slice(Math.max(0, file.size - 8), file.size) : bytes.subarray(bytes.length - 8);
  const le = tail[0] === 0xfe && tail[1] === 0xff && tail[2] === 0xdd && tail[3] === 0xe0;
  const be = tail[0] === 0xff && tail[1] === 0xfe && tail[2] === 0xe0 && tail[3] === 0xdd;
  if (!le && !be) {
    // trailing padding is legal: check properly with a full parse
    const whole: Awaited<ReturnType<typeof readWhole>> | Error = await readWhole(file).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    if (whole instanceof Error) return errorMessage(whole).replace(`${file.name}: `, '');
    if (whole.dataSet.warnings.some((w) => /missing sequence delimiter/.test(w)))
      return 'truncated: file ends inside the encapsulated pixel data';
  }
  return undefined;
}

/** One file's scan: its header when it can become (part of) a volume, else why not. */
export async function scanFile(file: SourceFile): Promise<{ header: DicomHeader } | { reason: string }> {
  try {
    const { header, bytes } = await readHeader(file);
    const problem = await imageProblem(header, file, bytes);
    return problem ? { reason: problem } : { header };
  } catch (e) {
    const reason = e instanceof VoxsegError && e.file ? e.message.slice(e.file.length + 2) : errorMessage(e);
    return { reason: reason || 'unreadable' };
  }
}

export async function scanFiles(files: SourceFile[], opts: ScanOptions = {}): Promise<ScanResult> {
  const rejected: ({ file: string; reason: string } | undefined)[] = [];
  const scanned: (ScannedFile | undefined)[] = [];
  let done = 0;
  const inWorkers = workersAvailable(files);
  await pool(files, inWorkers ? 4 * workerConcurrency() : CONCURRENCY, async (file, i) => {
    opts.signal?.throwIfAborted();
    const r = inWorkers ? await scanInWorker(file) : await scanFile(file);
    opts.signal?.throwIfAborted();
    if ('header' in r) scanned[i] = { file, header: r.header };
    else rejected[i] = { file: file.name, reason: r.reason };
    opts.onProgress?.({ done: ++done, total: files.length, stage: 'Reading DICOM headers' });
  });
  opts.signal?.throwIfAborted();
  const series: SeriesInfo[] = [];
  for (const group of groupSeries(scanned.filter((s): s is ScannedFile => !!s))) {
    for (const part of splitIncompatible(group)) for (const stack of stackPart(part)) series.push(toSeries(stack));
  }
  uniqueUids(series);
  return { series, rejected: rejected.filter((r): r is { file: string; reason: string } => !!r) };
}

function toSeries(stack: Stack): SeriesInfo {
  const { part } = stack;
  // files in slice order, frames re-indexed to that order
  const order: number[] = [];
  for (const f of stack.slots) if (f && !order.includes(f.file)) order.push(f.file);
  const remap = new Map(order.map((fi, i) => [fi, i]));
  const slots = stack.slots.map((f) => (f ? { ...f, file: remap.get(f.file)! } : null));
  const headers = order.map((fi) => part.files[fi].header);
  const h = headers[0];
  const dtype = chooseDtype(slots.filter((f): f is FrameRef => !!f).map((frame) => ({ frame, header: headers[frame.file] })));
  const warnings = [...stack.warnings];
  const errors: string[] = [];
  if (headers.some((x) => x.samplesPerPixel > 1)) warnings.push('colour image converted to luminance (0.299 R + 0.587 G + 0.114 B)');
  if (headers.some((x) => x.photometric === 'MONOCHROME1')) warnings.push('MONOCHROME1: stored values inverted so that higher values are brighter');
  const [nx, ny, nz] = stack.dims;
  if (nx * ny * nz > MAX_VOXELS) errors.push(`volume too large: ${nx}x${ny}x${nz} voxels`);
  const info: SeriesInfo = {
    uid: part.uid,
    modality: h.modality,
    description: h.seriesDescription,
    patientName: h.patientName,
    patientId: h.patientId,
    studyDate: h.studyDate,
    studyDescription: h.studyDescription,
    studyInstanceUid: h.studyInstanceUid,
    files: order.map((fi) => part.files[fi].file),
    dims: stack.dims,
    spacing: stack.spacing,
    origin: stack.origin,
    direction: stack.direction,
    dtype: dtype.dtype,
    warnings,
    errors,
  };
  plans.set(info, { headers, slots, dtype });
  return info;
}

function uniqueUids(series: SeriesInfo[]): void {
  const count = new Map<string, number>();
  for (const s of series) count.set(s.uid, (count.get(s.uid) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const s of series) {
    if (count.get(s.uid)! < 2) continue;
    const n = (seen.get(s.uid) ?? 0) + 1;
    seen.set(s.uid, n);
    s.uid = `${s.uid}#${n}`;
  }
}
