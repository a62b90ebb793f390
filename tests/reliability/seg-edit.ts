/**
 * SEG editing for the reliability corpus: read a Part 10 file with dcmjs, change the naturalized
 * dataset, write it back; frame helpers; our BINARY SEG rewritten as a Label Map Segmentation or
 * with the deflated transfer syntax; dciodvfy's errors for an output (when dicom3tools is there).
 */
// @ts-ignore -- dcmjs ships no type declarations
import * as dcmjsModule from 'dcmjs';
import { concatBytes } from '../../src/core/bytes';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { DEFLATED_LE } from './dicom-bytes';

const dcmjs = (dcmjsModule as any).default ?? dcmjsModule;
export type Ds = Record<string, any>;

/** Read a Part 10 file, let `edit` change the naturalized dataset (and meta), write it back. */
export function editDicom(file: string, edit: (ds: Ds, meta: Ds) => void): Uint8Array {
  const b = readFileSync(file);
  const dict = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta);
  edit(ds, meta);
  const out = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(out.write());
}

export const frames = (ds: Ds): Ds[] => ds.PerFrameFunctionalGroupsSequence;
export const refSeg = (f: Ds): Ds => f.SegmentIdentificationSequence[0];
export const shift = (ds: Ds, d: number[]) => {
  for (const f of frames(ds)) {
    const p = f.PlanePositionSequence[0].ImagePositionPatient as number[];
    f.PlanePositionSequence[0].ImagePositionPatient = p.map((v, i) => Math.round((v + d[i]) * 1e4) / 1e4);
  }
};
export const pixels = (ds: Ds): Uint8Array => new Uint8Array(ds.PixelData[0]);

/**
 * Our BINARY SEG rewritten as a Label Map Segmentation (Supplement 243): one 8-bit frame per
 * slice holding segment numbers, no per-frame segment identification.
 */
export function toLabelmap(ds: Ds, meta: Ds): void {
  const npx = ds.Rows * ds.Columns;
  const bits = pixels(ds);
  const slices = new Map<string, { f: Ds; labels: Uint8Array }>();
  frames(ds).forEach((f, i) => {
    const key = (f.PlanePositionSequence[0].ImagePositionPatient as number[]).join('\\');
    if (!slices.has(key)) slices.set(key, { f, labels: new Uint8Array(npx) });
    const labels = slices.get(key)!.labels;
    const seg = refSeg(f).ReferencedSegmentNumber;
    for (let n = 0; n < npx; n++) if ((bits[(i * npx + n) >> 3] >> ((i * npx + n) & 7)) & 1) labels[n] = seg;
  });
  const list = [...slices.values()];
  ds.PerFrameFunctionalGroupsSequence = list.map(({ f }, i) => ({
    DerivationImageSequence: f.DerivationImageSequence,
    FrameContentSequence: [{ DimensionIndexValues: [i + 1] }],
    PlanePositionSequence: f.PlanePositionSequence,
  }));
  ds.DimensionIndexSequence = ds.DimensionIndexSequence.slice(-1);
  ds.SOPClassUID = meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.66.7';
  Object.assign(ds, {
    SegmentationType: 'LABELMAP',
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    NumberOfFrames: list.length,
  });
  ds.PixelData = [concatBytes(list.map((l) => l.labels)).buffer];
  ds._vrMap = { ...(ds._vrMap ?? {}), PixelData: 'OB' };
}

/** dciodvfy's "Error" lines for a file (undefined when none, or when dicom3tools is missing). */
export function dciodvfyErrors(file: string): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v dciodvfy']).status !== 0) return undefined;
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Error'));
  return errors.length ? `dciodvfy: ${errors.length} error(s), first: ${errors[0].slice(0, 160)}` : undefined;
}

/** The SEG with its dataset deflated: meta group as is, TransferSyntaxUID changed, rest raw-deflated. */
export function deflatedSeg(file: string): Uint8Array {
  const plain = editDicom(file, (_ds, meta) => (meta.TransferSyntaxUID = '1.2.840.10008.1.2.1'));
  const metaPlain = editDicom(file, (_ds, meta) => (meta.TransferSyntaxUID = DEFLATED_LE));
  // both files share the dataset bytes; find where the meta group ends in each
  const metaEnd = (b: Uint8Array) => 132 + 12 + new DataView(b.buffer, b.byteOffset).getUint32(140, true);
  const body = plain.subarray(metaEnd(plain));
  return concatBytes([metaPlain.subarray(0, metaEnd(metaPlain)), deflateRawSync(body)]);
}

/** pydicom (when installed) decodes the frames and finds `max` as the largest segment number. */
export function pydicomMaxLabel(file: string, max: number): string | undefined {
  const py = '/usr/bin/python3';
  if (spawnSync(py, ['-c', 'import pydicom, numpy']).status !== 0) return undefined;
  const code = 'import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); a = d.pixel_array; print(int(a.max()))';
  const r = spawnSync(py, ['-c', code, file], { encoding: 'utf8' });
  if (r.status !== 0) return `pydicom cannot decode it: ${r.stderr.trim().split('\n').pop()}`;
  return Number(r.stdout.trim()) === max
    ? undefined
    : `pydicom finds ${r.stdout.trim()} as the largest label, not ${max}`;
}
