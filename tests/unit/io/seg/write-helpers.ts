/**
 * Shared by the SEG writer tests: load generated DICOM files, blank their UIDs (as some
 * anonymizers do), and the independent checks — pydicom decoding a SEG (write_decode.py) and
 * dciodvfy (dicom3tools) validating it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore -- dcmjs ships no type declarations
import * as dcmjsModule from 'dcmjs';
import { expect } from 'vitest';
import type { Vec3, Volume } from '../../../../src/core/types';
import { loadSeries, scanFiles } from '../../../../src/io/dicom/index';
import { memorySource } from '../../../../src/io/dicom/source';

interface Dcmjs {
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer): {
        meta: Record<string, { vr: string; Value: unknown[] }>;
        dict: Record<string, { vr: string; Value: unknown[] }>;
        write(): ArrayBuffer;
      };
    };
  };
}
const dcmjs = ((dcmjsModule as { default?: unknown }).default ?? dcmjsModule) as Dcmjs;
const here = dirname(fileURLToPath(import.meta.url));
export const python = '/usr/bin/python3';
export const hasPydicom = spawnSync(python, ['-c', 'import pydicom, numpy']).status === 0;
export const hasDciodvfy = spawnSync('sh', ['-c', 'command -v dciodvfy']).status === 0;

export type DicomFile = { name: string; bytes: Uint8Array };

export async function loadFiles(files: DicomFile[]): Promise<Volume> {
  const scan = await scanFiles(files.map((f) => memorySource(f.name, f.bytes)));
  expect(scan.series).toHaveLength(1);
  return (await loadSeries(scan.series[0])).volume;
}

/**
 * Blank Study/Series/SOP Instance UID in the data set of each file (kept in the file meta unless
 * `meta` is false, when MediaStorageSOPInstanceUID is blanked too); `remove` leaves them out.
 */
export function blankUids(files: DicomFile[], meta = true, remove = false): DicomFile[] {
  return files.map((f) => {
    const copy = f.bytes.slice();
    const msg = dcmjs.data.DicomMessage.readFile(copy.buffer);
    for (const tag of ['0020000D', '0020000E', '00080018'])
      if (remove) delete msg.dict[tag];
      else msg.dict[tag] = { vr: 'UI', Value: [] };
    if (!meta) msg.meta['00020003'] = { vr: 'UI', Value: [''] };
    return { name: f.name, bytes: new Uint8Array(msg.write()) };
  });
}

export interface Decoded {
  sopClass: string;
  mediaClass: string;
  type: string;
  bits: number;
  photometric: string;
  padding: number | null;
  orientation: number[];
  spacing: number[];
  study: string;
  series: string | null;
  referenced: string[];
  segments: number[];
  frames: { position: Vec3; segment?: number; uid?: string; frame?: number }[];
  /** uint16 labels: frames x rows x columns, or nz x rows x columns when decoded onto a grid. */
  labels: Uint16Array;
}

/** pydicom's reading of a SEG; with `grid`, its frames stacked onto the k slices of `grid`. */
export function pyDecode(file: string, grid?: Volume): Decoded {
  const raw = `${file}.labels.raw`;
  const args = [join(here, 'write_decode.py'), file, raw];
  if (grid) {
    const h = grid.header;
    const d = h.direction;
    args.push(h.origin.join(','), [d[2], d[5], d[8]].join(','), String(h.spacing[2]), String(h.dims[2]));
  }
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  const bytes = readFileSync(raw);
  const labels = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return { ...(JSON.parse(r.stdout) as Omit<Decoded, 'labels'>), labels };
}

/** dciodvfy's error lines for a file (empty when it accepts it). */
export function dciodvfyErrors(file: string): string[] {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
}

/** Count of differing values (rather than diffing huge arrays). */
export function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
