/** `gridMismatch` (one grid check for the whole app, tolerance in voxels) and `withGrid`. */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import type { Grid, Mat3, Vec3 } from '../../../src/core/types';
import { directionFromAxes, orientationCode } from '../../../src/volume/geometry';
import { GRID_TOLERANCE_VOXELS, gridMismatch, withGrid } from '../../../src/volume/grid';
import { createVolume, IDENTITY } from '../../../src/volume/volume';

const CT: Grid = {
  dims: [512, 512, 100],
  spacing: [0.8, 0.8, 2.5],
  origin: [-204.6, -199.3, -120],
  direction: IDENTITY,
};
const at = (g: Grid, o: Partial<Grid>): Grid => ({ ...g, ...o });
const shifted = (g: Grid, d: Vec3): Grid =>
  at(g, { origin: [g.origin[0] + d[0], g.origin[1] + d[1], g.origin[2] + d[2]] });
/** Rotation by `rad` about the k axis (in the i-j plane). */
const turnedK = (rad: number): Mat3 =>
  directionFromAxes([Math.cos(rad), Math.sin(rad), 0], [-Math.sin(rad), Math.cos(rad), 0], [0, 0, 1]);

describe('gridMismatch', () => {
  it('null for the same grid; a VolumeHeader is a Grid', () => {
    const v = createVolume({ ...CT, voxels: new Uint8Array(512 * 512 * 100) });
    expect(gridMismatch(v.header, CT)).toBeNull();
    expect(gridMismatch(CT, v.header)).toBeNull();
    expect(GRID_TOLERANCE_VOXELS).toBe(0.1);
  });

  it('dims must be equal', () => {
    expect(gridMismatch(at(CT, { dims: [512, 512, 99] }), CT)).toBe('dims 512×512×99 vs 512×512×100');
    expect(gridMismatch(CT, at(CT, { dims: [512, 512, 99] }), 1000)).toBe('dims 512×512×100 vs 512×512×99');
  });

  it('origin: a shift within a tenth of a voxel passes, more is named in mm and voxels', () => {
    // 0.03 mm at 0.8 mm voxels: 0.0375 voxel, float noise of a NIfTI affine or another tool's export.
    expect(gridMismatch(shifted(CT, [0.03, 0, 0]), CT)).toBeNull();
    expect(gridMismatch(shifted(CT, [0.1, 0, 0]), CT)).toBe('origin differs by 0.1 mm (0.125 voxels, more than 0.1)');
    expect(gridMismatch(shifted(CT, [1.6, 0, 0]), CT)).toBe('origin differs by 1.6 mm (2 voxels, more than 0.1)');
    expect(gridMismatch(shifted(CT, [0, 0.8, 0]), CT)).toBe('origin differs by 0.8 mm (1 voxel, more than 0.1)');
  });

  it('origin: measured in voxels of each axis (0.2 mm is a quarter voxel in plane, 0.08 voxel between 2.5 mm slices)', () => {
    expect(gridMismatch(shifted(CT, [0, 0, 0.2]), CT)).toBeNull();
    expect(gridMismatch(shifted(CT, [0, 0.2, 0]), CT)).toMatch(/^origin differs by 0.2 mm \(0.25 voxels/);
    expect(gridMismatch(shifted(CT, [0, 0, 0.3]), CT)).toMatch(/^origin differs by 0.3 mm \(0.12 voxels/);
  });

  it('spacing: judged by how far the last voxel of the axis moves', () => {
    // 511 voxels * 0.0001 mm = 0.05 mm = 0.064 voxel
    expect(gridMismatch(at(CT, { spacing: [0.8001, 0.8, 2.5] }), CT)).toBeNull();
    expect(gridMismatch(at(CT, { spacing: [0.8002, 0.8, 2.5] }), CT)).toBe(
      'spacing 0.8002, 0.8, 2.5 vs 0.8, 0.8, 2.5 mm (the far voxel moves 0.128 voxels, more than 0.1)',
    );
    // the same error on a 4-voxel axis moves nothing that matters
    expect(
      gridMismatch(at(CT, { dims: [4, 512, 100], spacing: [0.8002, 0.8, 2.5] }), at(CT, { dims: [4, 512, 100] })),
    ).toBeNull();
    // one slice: its thickness still counts (as one voxel long)
    const slice = at(CT, { dims: [512, 512, 1] });
    expect(gridMismatch(at(slice, { spacing: [0.8, 0.8, 5] }), slice)).toMatch(
      /^spacing 0.8, 0.8, 5 vs 0.8, 0.8, 2.5 mm/,
    );
  });

  it('direction: a small rotation passes while the far corner moves less than the tolerance', () => {
    // The far in-plane corner is 511 * 0.8 * sqrt(2) = 578 mm = 723 voxels from voxel 0: it moves ~723 * angle voxels.
    expect(gridMismatch(at(CT, { direction: turnedK(1e-4) }), CT)).toBeNull(); // 0.072 voxel
    expect(gridMismatch(at(CT, { direction: turnedK(2e-4) }), CT)).toBe(
      'direction differs by up to 0.0115° per axis (the far corner moves 0.145 voxels, more than 0.1)',
    );
    // a call site with a looser tolerance accepts it
    expect(gridMismatch(at(CT, { direction: turnedK(2e-4) }), CT, 0.2)).toBeNull();
    // the same angle on a small grid moves its corner less
    const small = at(CT, { dims: [64, 64, 100] });
    expect(gridMismatch(at(small, { direction: turnedK(2e-4) }), small)).toBeNull();
  });

  it('permuted or flipped axes are another grid, however the voxels line up in space', () => {
    const cube: Grid = { dims: [8, 8, 8], spacing: [1, 1, 1], origin: [0, 0, 0], direction: IDENTITY };
    const swapped = at(cube, { direction: directionFromAxes([0, 1, 0], [1, 0, 0], [0, 0, 1]) });
    expect(gridMismatch(swapped, cube)).toBe('orientation PLS vs LPS (axes permuted or flipped)');
    const flipped = at(cube, { direction: directionFromAxes([-1, 0, 0], [0, 1, 0], [0, 0, 1]), origin: [7, 0, 0] });
    expect(gridMismatch(flipped, cube, 100)).toBe('orientation RPS vs LPS (axes permuted or flipped)');
    // turned by 60° about k: its nearest axes are another orientation
    expect(gridMismatch(at(cube, { direction: turnedK(Math.PI / 3) }), cube, 100)).toBe(
      'orientation PRS vs LPS (axes permuted or flipped)',
    );
    // axes 44° apart pass a loose tolerance; 46° apart never pass, even with the same nearest axes (LPS)
    const deg = (d: number) => turnedK((d * Math.PI) / 180);
    expect(gridMismatch(at(cube, { direction: deg(44) }), cube, 100)).toBeNull();
    expect(gridMismatch(at(cube, { direction: deg(44) }), at(cube, { direction: deg(-2) }), 100)).toBe(
      'direction differs by up to 46° per axis (an axis turned by 45° or more)',
    );
    // a flipped slice normal on a single slice: the same voxel centres, still not the same grid
    const slice = at(cube, { dims: [8, 8, 1] });
    const down = at(slice, { direction: directionFromAxes([1, 0, 0], [0, 1, 0], [0, 0, -1]) });
    expect(gridMismatch(down, slice)).toMatch(/^orientation LPI vs LPS/);
  });

  it('a 45° oblique grid with float noise is the same grid, though its nearest axes flip', () => {
    const a = at(CT, { direction: turnedK(Math.PI / 4 + 1e-7) });
    const b = at(CT, { direction: turnedK(Math.PI / 4 - 1e-7) });
    expect(orientationCode(a.direction)).not.toBe(orientationCode(b.direction));
    expect(gridMismatch(a, b)).toBeNull();
  });

  it('errors that each pass can fail together (checked at every corner)', () => {
    const g: Grid = { dims: [100, 10, 10], spacing: [1, 1, 1], origin: [0, 0, 0], direction: IDENTITY };
    // spacing moves the last voxel by +0.07, the origin moves every voxel by +0.07: 0.14 at the far end
    const both = at(g, { spacing: [1 + 0.07 / 99, 1, 1], origin: [0.07, 0, 0] });
    expect(gridMismatch(at(g, { spacing: both.spacing }), g)).toBeNull();
    expect(gridMismatch(at(g, { origin: both.origin }), g)).toBeNull();
    expect(gridMismatch(both, g)).toBe(
      'voxel centres differ by up to 0.14 voxels (spacing, origin and direction together; more than 0.1)',
    );
    // opposite signs cancel at the far end and stay within at voxel 0
    expect(gridMismatch(at(g, { spacing: [1 - 0.07 / 99, 1, 1], origin: [0.07, 0, 0] }), g)).toBeNull();
  });

  it('tolVoxels 0 asks for the exact grid; a bad tolerance or grid is never a match', () => {
    expect(gridMismatch(CT, { ...CT }, 0)).toBeNull();
    expect(gridMismatch(shifted(CT, [1e-9, 0, 0]), CT, 0)).toMatch(/^origin differs/);
    expect(() => gridMismatch(CT, CT, -1)).toThrow(RangeError);
    expect(() => gridMismatch(CT, CT, Number.NaN)).toThrow(RangeError);
    expect(gridMismatch(at(CT, { origin: [Number.NaN, 0, 0] }), CT)).toMatch(/not finite/);
    expect(gridMismatch(CT, at(CT, { spacing: [0, 0.8, 2.5] }))).toMatch(/not positive/);
  });
});

describe('withGrid', () => {
  const vol = (g: Grid) =>
    createVolume({
      ...g,
      dims: [4, 3, 2],
      metadata: { modality: 'SEG' },
      voxels: Uint8Array.from({ length: 24 }, (_, i) => i),
    });
  const ref: Grid = { dims: [4, 3, 2], spacing: [0.8, 0.8, 2.5], origin: [-200.4, -180.8, -120], direction: IDENTITY };

  it('gives a volume near the grid the grid exactly, keeping voxels and metadata', () => {
    const near = vol(shifted(ref, [0.03, -0.02, 0.01]));
    const on = withGrid(near, ref);
    expect([on.header.dims, on.header.spacing, on.header.origin, on.header.direction]).toEqual([
      ref.dims,
      ref.spacing,
      ref.origin,
      ref.direction,
    ]);
    on.header.origin.forEach((o, r) => expect(Object.is(o, ref.origin[r])).toBe(true));
    expect(on.voxels).toBe(near.voxels);
    expect(on.header.metadata.modality).toBe('SEG');
  });

  it('returns the volume itself when its grid is already bit-identical, and refuses another grid', () => {
    const exact = vol(ref);
    expect(withGrid(exact, ref)).toBe(exact);
    const off = vol(shifted(ref, [1.6, 0, 0]));
    const e = (() => {
      try {
        withGrid(off, ref);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(VoxsegError);
    expect((e as VoxsegError).code).toBe('invalid-volume');
    expect((e as VoxsegError).message).toMatch(/origin differs by 1.6 mm \(2 voxels/);
  });
});
