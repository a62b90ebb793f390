/**
 * readSeg: a DICOM SEG (BINARY, or FRACTIONAL thresholded at half the maximum fractional value)
 * onto the grid of its reference volume, as label layers that keep overlapping segments apart.
 *
 * Each frame is placed by its ImagePositionPatient (per-frame or shared functional groups): it must
 * have the reference's orientation, pixel spacing and size, and land on a reference slice within a
 * tenth of a voxel. A frame whose position is missing, or off the grid while it references one of
 * the reference's images (e.g. a gantry-tilted series, loaded untilted), is placed on that image's
 * slice (warned when off). Anything else is an error naming the file and frame, never a guess.
 * A different FrameOfReferenceUID is an error unless the frames reference the reference's images.
 */
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import { firstItem, str, us } from '../dicom/dsread';
import { parseBytes } from '../dicom/parse';
import { EXPLICIT_BE } from '../dicom/sniff';
import { SEGMENTATION_STORAGE, sopClassName } from '../dicom/sopclass';
import { transferSyntaxName } from '../dicom/decode/index';
import { assignLayers } from './layers';
import { placeFrames, type SegFrame } from './place';
import { readSegments } from './segments';
import type { ReadSegResult } from './types';

export function readSeg(bytes: Uint8Array, ref: Volume, name = 'SEG'): ReadSegResult {
  const fail = (code: 'unsupported' | 'invalid-volume' | 'truncated' | 'inconsistent-series', msg: string): never => {
    throw new VoxsegError(code, msg, { file: name });
  };
  const { header: h, dataSet: ds, bytes: data } = parseBytes(bytes, name, false);
  if (h.sopClassUid !== SEGMENTATION_STORAGE)
    fail(
      'unsupported',
      `not a DICOM SEG but ${sopClassName(h.sopClassUid, h.modality)}; expected Segmentation Storage (${SEGMENTATION_STORAGE})`,
    );
  const warnings: string[] = [];
  const warn = (w: string) => warnings.push(w);
  const kind = str(ds, 'x00620001').toUpperCase();
  if (kind !== 'BINARY' && kind !== 'FRACTIONAL')
    fail('unsupported', `SegmentationType ${JSON.stringify(kind)} is not supported (BINARY or FRACTIONAL)`);
  const segments = readSegments(ds, warn);
  const known = new Set(segments.map((s) => s.number));
  if (!segments.length) fail('invalid-volume', 'no segments (SegmentSequence is empty)');

  // per-frame segment number and source references
  const perFrame = ds.elements['x52009230']?.items ?? [];
  const shared = firstItem(ds, 'x52009229');
  const frames: SegFrame[] = [];
  for (let f = 0; f < h.numberOfFrames; f++) {
    const item = perFrame[f]?.dataSet;
    const segItem = firstItem(item, 'x0062000a') ?? firstItem(shared, 'x0062000a');
    const segment = segItem ? us(segItem, 'x0062000b') : undefined;
    if (segment === undefined)
      fail('invalid-volume', `frame ${f + 1} names no segment (SegmentIdentificationSequence)`);
    const sources: { uid: string; frame?: number }[] = [];
    for (const d of item?.elements['x00089124']?.items ?? [])
      for (const s of d.dataSet?.elements['x00082112']?.items ?? []) {
        const uid = str(s.dataSet, 'x00081155');
        const fr = Number(str(s.dataSet, 'x00081160').split('\\')[0]);
        if (uid) sources.push({ uid, frame: fr > 0 ? fr : undefined });
      }
    const geom = h.perFrame?.[f] ?? h.geom;
    frames.push({
      index: f,
      segment: segment!,
      position: geom.position,
      orientation: geom.orientation,
      pixelSpacing: geom.pixelSpacing,
      sources,
    });
  }
  const refFor = ref.header.metadata.frameOfReferenceUid;
  if (h.frameOfReferenceUid && refFor && h.frameOfReferenceUid !== refFor) {
    const why = `its FrameOfReferenceUID ${h.frameOfReferenceUid} is not the reference series' ${refFor}`;
    const refUids = new Set(ref.header.metadata.sopInstanceUids ?? []);
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
  const [nx, ny] = ref.header.dims;
  if (h.rows !== ny || h.columns !== nx)
    fail('invalid-volume', `frames are ${h.columns}x${h.rows} pixels but the reference series has ${nx}x${ny}`);
  const px = h.pixelData;
  if (!px) fail('invalid-volume', 'no pixel data');
  if (px!.encapsulated)
    fail(
      'unsupported',
      `compressed SEG pixel data (${transferSyntaxName(h.transferSyntaxUid)}) is not supported; use an uncompressed SEG`,
    );
  const bits = kind === 'BINARY' ? 1 : 8;
  if (h.bitsAllocated !== bits)
    fail('invalid-volume', `${kind} SEG with BitsAllocated ${h.bitsAllocated} (expected ${bits})`);
  const nf = h.numberOfFrames;
  const npix = nx * ny;
  const need = Math.ceil((nf * npix * bits) / 8);
  const have = Math.min(px!.length, data.length - px!.offset);
  if (have < need)
    fail(
      'truncated',
      `truncated: pixel data holds ${Math.max(0, have)} bytes, ${nf} frames of ${nx}x${ny} need ${need}`,
    );
  const maxFrac = kind === 'FRACTIONAL' ? (us(ds, 'x0062000e') ?? 255) : 1;

  const placed = placeFrames(ref, frames, name, warn);

  // voxel indices per segment; big endian OW pixel data has the bytes of each 16-bit word swapped
  const counts = new Map<number, number>();
  const swap = h.transferSyntaxUid === EXPLICIT_BE && px!.vr === 'OW' ? 1 : 0;
  const o0 = px!.offset;
  const on = (f: number, visit: (p: number) => void) => {
    if (bits === 1) {
      const bit0 = f * npix;
      const byte0 = Math.floor(bit0 / 8);
      const shift = bit0 % 8;
      for (let p = 0; p < npix; p++) {
        const b = shift + p;
        if ((data[o0 + ((byte0 + (b >>> 3)) ^ swap)] >> (b & 7)) & 1) visit(p);
      }
    } else {
      const base = f * npix;
      for (let p = 0; p < npix; p++) {
        const v = data[o0 + ((base + p) ^ swap)];
        if (v > 0 && 2 * v >= maxFrac) visit(p);
      }
    }
  };
  for (const fr of frames) {
    let c = 0;
    on(fr.index, () => c++);
    counts.set(fr.segment, (counts.get(fr.segment) ?? 0) + c);
  }
  const voxels = new Map<number, Uint32Array>();
  const filled = new Map<number, number>();
  for (const [s, c] of counts) if (known.has(s)) voxels.set(s, new Uint32Array(c));
  for (const fr of frames) {
    const out = voxels.get(fr.segment);
    if (!out) continue;
    const base = placed.slice[fr.index] * npix;
    let o = filled.get(fr.segment) ?? 0;
    on(fr.index, (p) => (out[o++] = base + p));
    filled.set(fr.segment, o);
  }
  const unknown = [...counts.keys()].filter((s) => !known.has(s));
  if (unknown.length)
    warn(`frames of segment number(s) ${unknown.join(', ')} that SegmentSequence does not describe were left out`);
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
