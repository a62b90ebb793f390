/**
 * A real MR series made at test time: `mr_series.py` writes a NIfTI (the skull-stripped T1 of
 * the reference data) as DICOM MR images into a temp folder, InstanceNumber 1 = the most superior
 * slice (`first` 'top') or the most inferior ('bottom'). Returns the files with the InstanceNumber, ImagePositionPatient and SOP Instance UID each
 * was written with (read back by the tests), and the slice normal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Vec3 } from '../../../src/core/types';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./mr_series.py', import.meta.url));

export interface MrFile {
  path: string;
  instanceNumber: number;
  /** ImagePositionPatient, LPS mm. */
  position: Vec3;
  sopInstanceUid: string;
}

export interface MrSeries {
  dir: string;
  files: MrFile[];
  /** Unit LPS normal of the images (row direction × column direction). */
  normal: Vec3;
}

/** True when /usr/bin/python3 has pydicom, numpy and nibabel. */
export function canWriteMrSeries(): boolean {
  return spawnSync(PYTHON, ['-c', 'import pydicom, numpy, nibabel'], { stdio: 'ignore' }).status === 0;
}

/** Write `nifti` as an MR series into a new temp folder; `step` > 1 keeps every step-th slice. */
export function writeMrSeries(nifti: string, step = 1, first: 'top' | 'bottom' = 'top'): MrSeries {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-mr-'));
  const res = spawnSync(PYTHON, [SCRIPT, nifti, dir, String(step), first], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (res.status !== 0) throw new Error(`mr_series.py failed: ${res.stderr || res.error}`);
  const out = JSON.parse(res.stdout) as {
    files: { name: string; instanceNumber: number; position: Vec3; sopInstanceUid: string }[];
    orientation: number[];
  };
  const [r0, r1, r2, c0, c1, c2] = out.orientation;
  const normal: Vec3 = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  return { dir, files: out.files.map((f) => ({ ...f, path: join(dir, f.name) })), normal };
}

/** The file whose image plane lies nearest to `point` (LPS mm) along the slice normal. */
export function nearestImage(series: MrSeries, point: Readonly<Vec3>): { file: MrFile; distance: number } {
  const along = (p: Readonly<Vec3>) => p[0] * series.normal[0] + p[1] * series.normal[1] + p[2] * series.normal[2];
  const at = along(point);
  let best = series.files[0];
  for (const f of series.files) if (Math.abs(along(f.position) - at) < Math.abs(along(best.position) - at)) best = f;
  return { file: best, distance: Math.abs(along(best.position) - at) };
}
