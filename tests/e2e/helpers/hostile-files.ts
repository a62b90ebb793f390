/**
 * Generated hostile and awkward inputs for the app's end-to-end tests (and the store tests): a
 * tilted CT series, a plain NIfTI study, a gzip bomb and a NIfTI whose header declares a huge
 * volume. All are written by code here, small on disk, into a temp folder.
 *
 * Decisions:
 * - The tilted series is written by the project's own DICOM writer from a sheared grid: its third
 *   direction column leans by `tiltDeg` in the row/column-direction plane, so every slice keeps an
 *   axial ImageOrientationPatient while ImagePositionPatient drifts along the column direction —
 *   what a CT with gantry tilt writes. A bright ball in the middle keeps the views non-empty.
 * - The bomb is a valid gzip stream (right CRC and length): a header declaring a modest 64³ int16
 *   volume followed by `inflatedBytes` of zeros, deflated at level 9 (about 1:1000), so only a
 *   size limit derived from the header can refuse it early.
 */
import { mkdtempSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { constants, createGzip, gzipSync } from 'node:zlib';
import type { Mat3, Vec3, Volume } from '../../../src/core/types';
import { writeDicomSeries } from '../../../src/io/dicom/write/series';
import { writeNifti } from '../../../src/io/nifti/index';
import { createVolume } from '../../../src/volume/volume';

export const scratchDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `voxseg-${prefix}-`));

/** An int16 volume of `dims`: background `bg`, a ball of `fg` (radius 0.35 of the smallest side) in the middle. */
export function ballVolume(dims: Vec3, spacing: Vec3, direction?: Mat3, bg = -1000, fg = 60): Volume {
  const [nx, ny, nz] = dims;
  const voxels = new Int16Array(nx * ny * nz);
  const r = 0.35 * Math.min(nx * spacing[0], ny * spacing[1], nz * spacing[2]);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const x = (i - nx / 2) * spacing[0];
        const y = (j - ny / 2) * spacing[1];
        const z = (k - nz / 2) * spacing[2];
        voxels[i + nx * (j + ny * k)] = x * x + y * y + z * z <= r * r ? fg : bg;
      }
  return createVolume({ dims, spacing, origin: [-60, -60, -40], direction, voxels });
}

/**
 * A CT series of `dims` whose slices are `gap` mm apart along the normal and drift in-plane by
 * tan(tiltDeg) * gap per slice. Returns the folder and its file paths (sorted).
 */
export function writeTiltedSeries(dims: Vec3 = [64, 64, 24], tiltDeg = 20, gap = 3): { dir: string; files: string[] } {
  const t = (tiltDeg * Math.PI) / 180;
  // Row-major direction: columns are i (x), j (y) and the leaning slice step (0, sin t, cos t).
  const direction: Mat3 = [1, 0, 0, 0, 1, Math.sin(t), 0, 0, Math.cos(t)];
  const volume = ballVolume(dims, [1.5, 1.5, gap / Math.cos(t)], direction);
  const dir = scratchDir('tilted');
  const out = writeDicomSeries(volume, { seriesDescription: 'Tilted head CT', bodyPartExamined: 'HEAD' });
  const files = out.map((f) => {
    const path = join(dir, f.name);
    writeFileSync(path, f.bytes);
    return path;
  });
  return { dir, files: files.sort() };
}

/** A plain .nii.gz study (a ball) named `name`. */
export function writeNiftiStudy(name: string, dims: Vec3 = [48, 48, 32]): string {
  const path = join(scratchDir('nifti'), name);
  writeFileSync(path, writeNifti(ballVolume(dims, [2, 2, 2], undefined, 0, 400), { gzip: true }));
  return path;
}

/** The 352-byte header of a .nii holding `dims` of int16 (or of `dtype` via a datatype code patch). */
function niftiHeader(dims: Vec3, datatype?: { code: number; bitpix: number }): Buffer {
  const small = writeNifti(ballVolume([2, 2, 2], [1, 1, 1]));
  const h = Buffer.from(small.subarray(0, 352));
  for (let a = 0; a < 3; a++) h.writeInt16LE(dims[a], 42 + 2 * a);
  if (datatype) {
    h.writeInt16LE(datatype.code, 70);
    h.writeInt16LE(datatype.bitpix, 72);
  }
  return h;
}

/**
 * A .nii.gz whose header declares 64³ int16 (512 KiB) but which inflates to `inflatedBytes` of
 * zeros after the header (2 GiB by default; about 2 MB on disk).
 */
export async function writeGzipBomb(name = 'bomb.nii.gz', inflatedBytes = 2 ** 31): Promise<string> {
  const path = join(scratchDir('bomb'), name);
  const gz = createGzip({ level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
  const sink = createWriteStream(path);
  gz.pipe(sink);
  const chunk = Buffer.alloc(1 << 22);
  const write = async (b: Buffer) => {
    if (!gz.write(b)) await once(gz, 'drain');
  };
  await write(niftiHeader([64, 64, 64]));
  for (let left = inflatedBytes; left > 0; left -= chunk.length)
    await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  gz.end();
  await once(sink, 'finish');
  return path;
}

/** A .nii.gz whose header declares `dims` of float32 (4096³: 256 GiB) over a few KiB of data. */
export function writeHugeDeclared(name = 'huge.nii.gz', dims: Vec3 = [4096, 4096, 4096]): string {
  const path = join(scratchDir('huge'), name);
  const body = Buffer.concat([niftiHeader(dims, { code: 16, bitpix: 32 }), Buffer.alloc(4096)]);
  writeFileSync(path, gzipSync(body));
  return path;
}
