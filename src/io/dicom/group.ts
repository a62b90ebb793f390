/**
 * Grouping scanned images into series, then splitting a series into sub-series whose frames can
 * share one grid (same size, orientation, pixel spacing, colour-ness, geometry present or not).
 * - Single-frame images group by SeriesInstanceUID; when it is blank, by a synthesised key of
 *   study + frame of reference + series number + orientation + rows/columns + modality.
 * - A multi-frame or MOSAIC file is its own series (it holds a whole volume).
 */
import type { SourceFile } from './source';
import type { DicomHeader } from './parse';
import { framesOf, type FrameRef } from './multiframe';

export interface ScannedFile {
  file: SourceFile;
  header: DicomHeader;
}

export interface Part {
  /** Base key: SeriesInstanceUID or a synthesised stable key. */
  uid: string;
  files: ScannedFile[];
  /** Frames with `file` indexing `files`. */
  frames: FrameRef[];
  warnings: string[];
}

/** FNV-1a 32-bit hash as 8 hex digits (stable synthetic keys). */
export function hashKey(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const round = (v: number, d = 3) => (Math.abs(v) < 10 ** -d ? 0 : Number(v.toFixed(d)));

function baseUid(h: DicomHeader): string {
  if (h.seriesInstanceUid) return h.seriesInstanceUid;
  const o = h.geom.orientation?.map((v) => round(v)).join(',') ?? 'none';
  const key = [
    h.studyInstanceUid,
    h.frameOfReferenceUid,
    h.seriesNumber,
    o,
    `${h.columns}x${h.rows}`,
    h.modality,
    h.patientId,
  ].join('|');
  return `synthetic-${hashKey(key)}`;
}

/** Group scanned images into series (order of first appearance). */
export function groupSeries(scanned: ScannedFile[]): Part[] {
  const groups = new Map<string, Part>();
  for (const s of scanned) {
    const h = s.header;
    const uid = baseUid(h);
    const key = h.numberOfFrames > 1 || h.mosaic ? `file:${s.file.name}|${h.sopInstanceUid}` : `series:${uid}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { uid, files: [], frames: [], warnings: [] }));
    const notes: string[] = [...h.notes];
    const frames = framesOf(h, g.files.length, notes);
    g.files.push(s);
    for (const f of frames) g.frames.push(f); // not push(...frames): a file may hold 100 000+ frames
    for (const n of notes) if (!g.warnings.includes(n)) g.warnings.push(n);
  }
  return [...groups.values()];
}

const close = (a: number[] | undefined, b: number[] | undefined, tol: number) =>
  a === b || (!!a && !!b && a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol));

interface Cluster {
  rows: number;
  cols: number;
  colour: boolean;
  geometry: boolean;
  orientation?: number[];
  spacing?: number[];
  frames: FrameRef[];
}

/** Split a series into parts that each fit one voxel grid; warns when it had to split. */
export function splitIncompatible(part: Part): Part[] {
  const clusters: Cluster[] = [];
  for (const f of part.frames) {
    const h = part.files[f.file].header;
    const rows = h.mosaic ? h.mosaic.tileRows : h.rows;
    const cols = h.mosaic ? h.mosaic.tileCols : h.columns;
    const colour = h.samplesPerPixel > 1;
    const geometry = !!(f.position && f.orientation);
    let c = clusters.find(
      (c) =>
        c.rows === rows &&
        c.cols === cols &&
        c.colour === colour &&
        c.geometry === geometry &&
        close(c.orientation, f.orientation, 1e-3) &&
        close(c.spacing, f.pixelSpacing, 1e-3 * Math.max(1, ...(f.pixelSpacing ?? [1]))),
    );
    if (!c)
      clusters.push(
        (c = { rows, cols, colour, geometry, orientation: f.orientation, spacing: f.pixelSpacing, frames: [] }),
      );
    c.frames.push(f);
  }
  if (clusters.length === 1) return [part];
  const describe = (c: Cluster) =>
    `${c.cols}x${c.rows}${c.colour ? ' colour' : ''}, ${c.geometry ? `orientation ${c.orientation!.map((v) => round(v, 2)).join('\\')}` : 'no position'}, ${c.frames.length} image${c.frames.length > 1 ? 's' : ''}`;
  const why = `series mixes image sizes/orientations; split into ${clusters.length} sub-series (${clusters.map(describe).join('; ')})`;
  return clusters.map((c) => subPart(part, c.frames, [...part.warnings, why]));
}

/** A part holding only `frames` (files re-indexed). */
export function subPart(part: Part, frames: FrameRef[], warnings: string[]): Part {
  const map = new Map<number, number>();
  const files: ScannedFile[] = [];
  const out = frames.map((f) => {
    let i = map.get(f.file);
    if (i === undefined) {
      map.set(f.file, (i = files.length));
      files.push(part.files[f.file]);
    }
    return { ...f, file: i };
  });
  return { uid: part.uid, files, frames: out, warnings };
}
