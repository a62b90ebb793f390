/**
 * readSeg / readSegAsync: a DICOM SEG onto the grid of its reference volume, as label layers that
 * keep overlapping segments apart. Nothing is lost silently: every segment, frame and voxel of the
 * file ends up in a layer, or the read fails with a VoxsegError naming the file and the cause, or a
 * warning names the segment and what was done.
 *
 * Read: Segmentation Storage (BINARY, FRACTIONAL) and Label Map Segmentation Storage (LABELMAP, 8
 * or 16 bit, MONOCHROME2 or PALETTE COLOR: the pixel value is the segment number, PixelPaddingValue
 * or 0 the background); native little/big endian, deflated, and encapsulated pixel data (RLE in
 * both readers, every other codec of the DICOM decoders in readSegAsync).
 * FRACTIONAL (PROBABILITY or OCCUPANCY) is binarized at half the MaximumFractionalValue and said so
 * per segment: label layers hold segment numbers, there is no probability layer to keep it in.
 *
 * Checks: segment numbers (read-numbers.ts), NumberOfFrames against the pixel data and the
 * per-frame functional groups (read-pixels.ts, read-frames.ts), frame geometry on the reference
 * grid (place.ts). A different FrameOfReferenceUID is an error unless the frames reference the
 * reference's images.
 */
import type { DataSet } from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import { str, us } from '../dicom/dsread';
import { parseBytes, type DicomHeader } from '../dicom/parse';
import { SEGMENTATION_STORAGE, sopClassName } from '../dicom/sopclass';
import { assignLayers } from './layers';
import { placeFrames, type Placement, type SegFrame } from './place';
import { Collector } from './read-collect';
import { readFrames } from './read-frames';
import { paletteColors } from './read-palette';
import { checkSegmentNumbers, finishNumbers } from './read-numbers';
import {
  decodeSegFrameAsync,
  decodeSegFrameSync,
  encapsulatedFrames,
  nativeFrames,
  type FrameValues,
  type SegType,
} from './read-pixels';
import { readSegments } from './segments';
import type { ReadSegResult, SegSegment } from './types';

/** Label Map Segmentation Storage (DICOM Sup 243). */
const LABELMAP_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';

interface Prepared {
  name: string;
  ref: Volume;
  h: DicomHeader;
  type: SegType;
  segments: SegSegment[];
  numbers: Map<number, number>;
  frames: SegFrame[];
  placed: Placement;
  /** LABELMAP: pixel value of the background. */
  background: number;
  maxFractional: number;
  /** FRACTIONAL: 'probability' or 'occupancy'. */
  fractionalKind: string;
  native?: (f: number) => FrameValues;
  encoded?: Uint8Array[];
  warnings: string[];
}

/** Read a SEG whose pixel data is native, deflated or RLE (see readSegAsync for other codecs). */
export function readSeg(bytes: Uint8Array, ref: Volume, name = 'SEG'): ReadSegResult {
  const p = prepare(bytes, ref, name);
  const c = new Collector(p.type, p.placed, p.background, p.maxFractional);
  for (const fr of p.frames) {
    const f = fr.index;
    c.add(fr, p.encoded ? decodeSegFrameSync(p.encoded[f], f, p.h, p.type, name) : p.native!(f));
  }
  return finish(p, c);
}

/** Read a SEG with any pixel data encoding the DICOM decoders support (JPEG 2000, JPEG-LS, ...). */
export async function readSegAsync(bytes: Uint8Array, ref: Volume, name = 'SEG'): Promise<ReadSegResult> {
  const p = prepare(bytes, ref, name);
  const c = new Collector(p.type, p.placed, p.background, p.maxFractional);
  for (const fr of p.frames) {
    const f = fr.index;
    c.add(fr, p.encoded ? await decodeSegFrameAsync(p.encoded[f], f, p.h, p.type, name) : p.native!(f));
  }
  return finish(p, c);
}

function prepare(bytes: Uint8Array, ref: Volume, name: string): Prepared {
  const fail = (code: 'unsupported' | 'invalid-volume' | 'inconsistent-series', msg: string): never => {
    throw new VoxsegError(code, msg, { file: name });
  };
  const { header: h, dataSet: ds, bytes: data } = parseBytes(bytes, name, false);
  if (h.sopClassUid !== SEGMENTATION_STORAGE && h.sopClassUid !== LABELMAP_STORAGE)
    fail(
      'unsupported',
      `not a DICOM SEG but ${sopClassName(h.sopClassUid, h.modality)}; expected Segmentation Storage (${SEGMENTATION_STORAGE})`,
    );
  const warnings: string[] = [];
  const warn = (w: string) => warnings.push(w);
  const type = str(ds, 'x00620001').toUpperCase() as SegType;
  if (type !== 'BINARY' && type !== 'FRACTIONAL' && type !== 'LABELMAP')
    fail('unsupported', `SegmentationType ${JSON.stringify(type)} is not supported (BINARY, FRACTIONAL or LABELMAP)`);
  if ((type === 'LABELMAP') !== (h.sopClassUid === LABELMAP_STORAGE))
    warn(`SegmentationType ${type} in ${sopClassName(h.sopClassUid)}: read as ${type}`);
  const segments = readSegments(ds, warn);
  if (!segments.length) fail('invalid-volume', 'no segments (SegmentSequence is empty)');
  const labelmap = type === 'LABELMAP';
  const background = labelmap ? (us(ds, 'x00280120') ?? 0) : 0;
  const numbers = checkSegmentNumbers(ds, segments, labelmap ? background : undefined, name, warn);
  if (labelmap && h.photometric.trim().toUpperCase() === 'PALETTE COLOR') paletteColors(ds, segments);

  const bits = h.bitsAllocated;
  const okBits = type === 'BINARY' ? bits === 1 : type === 'FRACTIONAL' ? bits === 8 : bits === 8 || bits === 16;
  if (!okBits)
    fail(
      'invalid-volume',
      `${type} SEG with BitsAllocated ${bits} (expected ${type === 'BINARY' ? 1 : type === 'FRACTIONAL' ? 8 : '8 or 16'})`,
    );
  if (h.samplesPerPixel !== 1) fail('invalid-volume', `SamplesPerPixel ${h.samplesPerPixel} (a SEG has 1)`);
  if (!h.pixelData) fail('invalid-volume', 'no pixel data');
  const native = h.pixelData!.encapsulated ? undefined : nativeFrames(h, data, type, name, warn);
  const encoded = h.pixelData!.encapsulated ? encapsulatedFrames(ds, h, data, name) : undefined;
  const frames = readFrames(ds, h, labelmap, name, warn);

  checkFrameOfReference(h, ref, frames, fail, warn);
  const acq = ref.header.metadata.acquisition;
  const [nx, ny] = acq ? [acq.columns, acq.rows] : ref.header.dims;
  if (h.rows !== ny || h.columns !== nx)
    fail(
      'invalid-volume',
      `frames are ${h.columns}x${h.rows} pixels but the reference series ${acq ? 'was acquired at' : 'has'} ${nx}x${ny}`,
    );
  const maxFractional = type === 'FRACTIONAL' ? fractionalMaximum(ds, warn) : 1;
  const placed = placeFrames(ref, frames, name, warn);
  return {
    name,
    ref,
    h,
    type,
    segments,
    numbers,
    frames,
    placed,
    background,
    maxFractional,
    fractionalKind: (str(ds, 'x00620010') || 'probability').toLowerCase(),
    native,
    encoded,
    warnings,
  };
}

function fractionalMaximum(ds: DataSet, warn: (w: string) => void): number {
  const m = us(ds, 'x0062000e');
  if (m && m > 0) return m;
  warn(`MaximumFractionalValue is ${m === undefined ? 'missing' : m}: 255 assumed`);
  return 255;
}

function checkFrameOfReference(
  h: DicomHeader,
  ref: Volume,
  frames: SegFrame[],
  fail: (code: 'inconsistent-series', msg: string) => never,
  warn: (w: string) => void,
): void {
  const md = ref.header.metadata;
  const refFor = md.frameOfReferenceUid;
  if (h.frameOfReferenceUid && refFor && h.frameOfReferenceUid !== refFor) {
    const why = `its FrameOfReferenceUID ${h.frameOfReferenceUid} is not the reference series' ${refFor}`;
    const refUids = new Set([
      ...(md.sopInstanceUids ?? []),
      ...(md.acquisition?.slices.map((s) => s.sopInstanceUid) ?? []),
    ]);
    if (!frames.some((f) => f.sources.some((s) => refUids.has(s.uid))))
      fail(
        'inconsistent-series',
        `${why}: it was made on another series (or study); load the series it segments as the reference`,
      );
    warn(`${why}, though its frames reference the reference series' images`);
  } else if (!refFor)
    warn(
      'the reference volume has no FrameOfReferenceUID (e.g. it was read from NIfTI): frames placed by position alone; make sure it is the series the SEG was made on',
    );
}

function finish(p: Prepared, c: Collector): ReadSegResult {
  const { h, type, ref, warnings } = p;
  const warn = (w: string) => warnings.push(w);
  const byNumber = c.byNumber;
  const half = p.maxFractional / 2;
  const used = new Map([...byNumber].map(([n, l]) => [n, l.n]));
  const segments = finishNumbers(p.segments, p.numbers, used, type === 'LABELMAP', warn);
  if (type === 'FRACTIONAL') {
    for (const s of segments)
      warn(
        `segment ${s.number} (${s.label}): fractional (${p.fractionalKind}), binarized at 0.5 (stored values >= ${half} of MaximumFractionalValue ${p.maxFractional})`,
      );
  }
  const voxels = new Map<number, Uint32Array>();
  for (const [n, l] of byNumber) voxels.set(p.numbers.get(n)!, l.buf.subarray(0, l.n));
  const md = ref.header.metadata;
  const metadata = Object.fromEntries(
    Object.entries({
      modality: 'SEG',
      seriesDescription: h.seriesDescription,
      frameOfReferenceUid: md.frameOfReferenceUid,
      studyInstanceUid: md.studyInstanceUid,
    }).filter(([, v]) => v),
  );
  const g = ref.header;
  const { layers, segmentLayer } = assignLayers(
    {
      dims: [...g.dims] as Vec3,
      spacing: [...g.spacing] as Vec3,
      origin: [...g.origin] as Vec3,
      direction: g.direction,
      metadata,
    },
    segments.map((s) => s.number),
    voxels,
  );
  return { segments, layers, segmentLayer, warnings };
}
