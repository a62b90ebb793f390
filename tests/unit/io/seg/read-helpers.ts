/**
 * Shared by the SEG reader tests: runs make_segs.py (pydicom) into a temp folder once, builds the
 * reference volume its grid.json describes, and compares a readSeg result with the voxels pydicom
 * decoded from the same file (NAME.json), segment by segment, voxel for voxel.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Mat3, Vec3, Volume } from '../../../../src/core/types';
import type { ReadSegResult } from '../../../../src/io/seg/index';
import { createVolume } from '../../../../src/volume/volume';

export const python = '/usr/bin/python3';
export const hasPydicom = spawnSync(python, ['-c', 'import pydicom, numpy, PIL']).status === 0;
export const skipReason = `${python} cannot import pydicom, numpy and Pillow (the reference decoder of these tests)`;

const here = dirname(fileURLToPath(import.meta.url));

export interface Generated {
  dir: string;
  bytes(name: string): Uint8Array;
  /** pydicom's voxels of each segment number (as the file numbers them) on the grid. */
  expected(name: string): Record<string, number[]>;
  /** PALETTE COLOR label maps: pydicom's palette colour of each segment number (8 bit). */
  colors(name: string): Record<string, [number, number, number]>;
  ref: Volume;
  /** A resampled reference (metadata.acquisition): acquired planes with a shear and uneven gaps. */
  tilted: Volume;
  cleanup(): void;
}

export function generate(): Generated {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-segread-'));
  const r = spawnSync(python, [join(here, 'make_segs.py'), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_segs.py failed: ${r.stderr}`);
  const volumeOf = (file: string) => {
    const grid = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const [nx, ny, nz] = grid.dims as Vec3;
    return createVolume({
      dims: grid.dims as Vec3,
      spacing: grid.spacing as Vec3,
      origin: grid.origin as Vec3,
      direction: grid.direction as Mat3,
      voxels: new Int16Array(nx * ny * nz),
      metadata: {
        modality: 'CT',
        frameOfReferenceUid: grid.frameOfReferenceUid,
        studyInstanceUid: grid.studyInstanceUid,
        seriesInstanceUid: grid.seriesInstanceUid,
        sopClassUid: grid.sopClassUid,
        ...(grid.sopInstanceUids ? { sopInstanceUids: grid.sopInstanceUids } : {}),
        ...(grid.acquisition ? { acquisition: grid.acquisition } : {}),
      },
    });
  };
  return {
    dir,
    ref: volumeOf('grid.json'),
    tilted: volumeOf('tilted-grid.json'),
    bytes: (name) => new Uint8Array(readFileSync(join(dir, `${name}.dcm`))),
    expected: (name) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')).segments,
    colors: (name) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')).colors,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Sorted voxel indices of segment `n` in a readSeg result. */
export function voxelsOf(r: ReadSegResult, n: number): number[] {
  const e = r.segmentLayer.find((x) => x.number === n);
  expect(e, `segment ${n} in the result`).toBeDefined();
  const out: number[] = [];
  r.layers[e!.layer].voxels.forEach((v, i) => v === e!.value && out.push(i));
  return out;
}

/**
 * Every segment pydicom found has exactly its voxels in the result (`renumber` maps a file number
 * to the result's), and no other segment of the result has any voxel.
 */
export function expectSameVoxels(
  r: ReadSegResult,
  expected: Record<string, number[]>,
  renumber: (n: number) => number = (n) => n,
): void {
  const seen = new Set<number>();
  for (const [n, idx] of Object.entries(expected)) {
    const to = renumber(Number(n));
    seen.add(to);
    expect(idx.length, `segment ${n} has voxels in the reference`).toBeGreaterThan(0);
    expect(voxelsOf(r, to), `voxels of segment ${n}`).toEqual(idx);
  }
  for (const s of r.segments) if (!seen.has(s.number)) expect(voxelsOf(r, s.number), `segment ${s.number}`).toEqual([]);
}
