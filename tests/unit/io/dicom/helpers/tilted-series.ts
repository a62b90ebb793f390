/**
 * Test fixture generator: a small CT series of an analytic phantom (spheres and boxes with known
 * world positions) acquired with gantry tilt and uneven slice gaps, written by pydicom
 * (/usr/bin/python3) so that the files come from an independent DICOM writer.
 *
 * Geometry as a GE scanner records a tilted acquisition: ImageOrientationPatient stays axial
 * ([1,0,0, 0,1,0] by default), and slice s lies `w_s` mm along the normal n = row x column and
 * `w_s * tan(tilt)` mm along the column direction from the first slice (both IPP y and z change),
 * where w_s is the running sum of `gaps` (cycled). GantryDetectorTilt holds the angle, so
 * dcm2niix writes its tilt-corrected `_Tilt_Eq_1` / `_Tilt_1` files. Every pixel holds the
 * phantom's value at that pixel's DICOM world position (no partial volume), so a loader that places
 * pixels where DICOM says can be checked against `valueAt`.
 *
 * Pixels: signed 16-bit, RescaleIntercept -1024 (int16 is what dcm2niix's tilt correction needs).
 * Positions are written with 4 decimals; `positions` returns them as written.
 *
 * Use: `if (hasPydicom()) { const s = writeTiltedSeries(dir, { tiltDeg: 18.5 }); ... }`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3 } from '../../../../../src/core/types';

export const PYTHON = '/usr/bin/python3';

export type Shape =
  { kind: 'sphere'; centre: Vec3; radius: number; value: number } | { kind: 'box'; lo: Vec3; hi: Vec3; value: number };

export interface TiltedSeriesOptions {
  rows?: number;
  cols?: number;
  /** DICOM PixelSpacing [between rows, between columns] (mm). */
  pixelSpacing?: [number, number];
  slices?: number;
  /** Gaps along the normal (mm), cycled: [4.2, 7.4] alternates like the GE series of dcm_qa_ct. */
  gaps?: number[];
  /** Degrees; 0 gives an untilted series (then only the gaps can be uneven). */
  tiltDeg?: number;
  /** IPP of the first slice. */
  origin?: Vec3;
  rowDirection?: Vec3;
  columnDirection?: Vec3;
  shapes?: Shape[];
  /** Value outside every shape (HU). */
  background?: number;
  /** Number used in every UID, so two series in one folder differ. */
  uidRoot?: string;
  description?: string;
}

export interface TiltedSeries {
  dir: string;
  files: string[];
  /** IPP of each slice as written, in acquisition (= file) order. */
  positions: Vec3[];
  sopInstanceUids: string[];
  rows: number;
  cols: number;
  pixelSpacing: [number, number];
  rowDirection: Vec3;
  columnDirection: Vec3;
  tiltDeg: number;
  /** Gap before each slice after the first (mm along the normal). */
  gaps: number[];
  shapes: Shape[];
  background: number;
  /** The phantom's value at a world (LPS mm) position; the last shape listed wins. */
  valueAt(p: Readonly<Vec3>): number;
}

export const DEFAULT_SHAPES: Shape[] = [
  { kind: 'sphere', centre: [-35, -20, -15], radius: 16, value: 1000 },
  { kind: 'sphere', centre: [40, 25, 30], radius: 20, value: 400 },
  { kind: 'box', lo: [-60, 20, 20], hi: [-20, 50, 50], value: 200 },
];

/** Whether /usr/bin/python3 with numpy and pydicom is available (else skip the tests that need it). */
export function hasPydicom(): boolean {
  return spawnSync(PYTHON, ['-c', 'import numpy, pydicom'], { encoding: 'utf8' }).status === 0;
}

const round4 = (x: number) => Number(x.toFixed(4));

/** Write the series into `dir` (created if needed) as IM001.dcm, IM002.dcm, ... */
export function writeTiltedSeries(dir: string, opts: TiltedSeriesOptions = {}): TiltedSeries {
  const rows = opts.rows ?? 64;
  const cols = opts.cols ?? 64;
  const pixelSpacing = opts.pixelSpacing ?? [3, 3];
  const count = opts.slices ?? 24;
  const pattern = opts.gaps ?? [4.2, 7.4];
  const tiltDeg = opts.tiltDeg ?? 18.5;
  const origin = opts.origin ?? [-94.5, -120, -60];
  const r = opts.rowDirection ?? [1, 0, 0];
  const c = opts.columnDirection ?? [0, 1, 0];
  const n: Vec3 = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]];
  const shapes = opts.shapes ?? DEFAULT_SHAPES;
  const background = opts.background ?? -1000;
  const root = opts.uidRoot ?? '1.2.826.0.1.3680043.10.1001';
  const tan = Math.tan((tiltDeg * Math.PI) / 180);
  const gaps = Array.from({ length: count - 1 }, (_, i) => pattern[i % pattern.length]);
  const positions: Vec3[] = [];
  let w = 0;
  for (let s = 0; s < count; s++) {
    if (s) w += gaps[s - 1];
    positions.push([0, 1, 2].map((k) => round4(origin[k] + w * n[k] + w * tan * c[k])) as Vec3);
  }
  const sopInstanceUids = positions.map((_, s) => `${root}.3.${s + 1}`);
  const files = positions.map((_, s) => `IM${String(s + 1).padStart(3, '0')}.dcm`);
  const cfg = {
    rows,
    cols,
    pixelSpacing,
    rowDirection: r,
    columnDirection: c,
    positions: positions.map((p) => p.map((x) => x.toFixed(4))),
    shapes,
    background,
    studyUid: `${root}.1`,
    seriesUid: `${root}.2`,
    frameOfReferenceUid: `${root}.4`,
    sopUids: sopInstanceUids,
    fileNames: files,
    gantryTilt: tiltDeg,
    description: opts.description ?? `tilted phantom ${tiltDeg} deg`,
  };
  mkdirSync(dir, { recursive: true });
  const res = spawnSync(PYTHON, ['-c', SCRIPT, JSON.stringify(cfg), dir], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`tilted series generator failed: ${res.stderr || res.error}`);
  const valueAt = (p: Readonly<Vec3>) => {
    let v = background;
    for (const s of shapes) {
      const inside =
        s.kind === 'sphere'
          ? (p[0] - s.centre[0]) ** 2 + (p[1] - s.centre[1]) ** 2 + (p[2] - s.centre[2]) ** 2 <= s.radius ** 2
          : p.every((x, k) => x >= s.lo[k] && x <= s.hi[k]);
      if (inside) v = s.value;
    }
    return v;
  };
  return {
    dir,
    files: files.map((f) => join(dir, f)),
    positions,
    sopInstanceUids,
    rows,
    cols,
    pixelSpacing,
    rowDirection: [...r] as Vec3,
    columnDirection: [...c] as Vec3,
    tiltDeg,
    gaps,
    shapes,
    background,
    valueAt,
  };
}

const SCRIPT = String.raw`
import sys, json
import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
cfg = json.loads(sys.argv[1]); out = sys.argv[2]
rows, cols = cfg['rows'], cfg['cols']; ps = cfg['pixelSpacing']
r = np.array(cfg['rowDirection'], float); c = np.array(cfg['columnDirection'], float)
def phantom(P):
    v = np.full(P.shape[:-1], float(cfg['background']))
    for s in cfg['shapes']:
        if s['kind'] == 'sphere':
            m = np.sum((P - np.array(s['centre'], float)) ** 2, -1) <= s['radius'] ** 2
        else:
            m = np.all((P >= np.array(s['lo'], float)) & (P <= np.array(s['hi'], float)), -1)
        v[m] = s['value']
    return v
jj, ii = np.meshgrid(np.arange(rows), np.arange(cols), indexing='ij')
for s, text in enumerate(cfg['positions']):
    pos = np.array([float(x) for x in text])
    P = pos + ii[..., None] * ps[1] * r + jj[..., None] * ps[0] * c
    stored = (np.rint(phantom(P)) + 1024).astype('<i2')
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = cfg['sopUids'][s]
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = cfg['sopUids'][s]
    ds.StudyInstanceUID = cfg['studyUid']
    ds.SeriesInstanceUID = cfg['seriesUid']
    ds.FrameOfReferenceUID = cfg['frameOfReferenceUid']
    ds.Modality = 'CT'
    ds.Manufacturer = 'GE MEDICAL SYSTEMS'
    ds.PatientName = 'Tilt^Phantom'
    ds.PatientID = 'TILT1'
    ds.StudyDate = '20000101'
    ds.StudyTime = '120000'
    ds.SeriesDescription = cfg['description']
    ds.SeriesNumber = 1
    ds.InstanceNumber = s + 1
    ds.ImageType = ['ORIGINAL', 'PRIMARY', 'AXIAL']
    ds.GantryDetectorTilt = str(cfg['gantryTilt'])
    ds.ImageOrientationPatient = ['%g' % x for x in list(r) + list(c)]
    ds.ImagePositionPatient = text
    ds.PixelSpacing = [str(x) for x in ps]
    ds.SliceThickness = '2.5'
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = '-1024'
    ds.RescaleSlope = '1'
    ds.RescaleType = 'HU'
    ds.WindowCenter = '40'
    ds.WindowWidth = '400'
    ds.PixelData = stored.tobytes()
    ds.save_as('%s/%s' % (out, cfg['fileNames'][s]), write_like_original=False)
`;
