/**
 * A label NIfTI imported onto a study the way the app (readNifti) and the CLI (readLabelLayers)
 * read it: `alignToGrid`, then `Segmentation.fromLabels`. Regression: a label map whose origin is
 * 0.03 mm off the study's (origin near -200 mm) passed alignToGrid and was then refused by the
 * segmentation ("label layer 0 is not on the study grid").
 */
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import type { Vec3, Volume } from '../../../../src/core/types';
import { readNifti, writeNifti } from '../../../../src/io/nifti/index';
import { alignToGrid, readLabelLayers } from '../../../../src/io/seg/index';
import { gridMismatch } from '../../../../src/volume/grid';
import { reorientToCode } from '../../../../src/volume/reorient';
import { Segmentation } from '../../../../src/volume/segmentation';
import { makeSegment } from '../../../../src/volume/segments';
import { createVolume } from '../../../../src/volume/volume';

const dims: Vec3 = [40, 32, 12];
const study = createVolume({
  dims,
  spacing: [0.8, 0.8, 2.5],
  origin: [-200.4, -180.8, -150.5],
  voxels: new Int16Array(40 * 32 * 12),
  metadata: { modality: 'CT' },
});
const grid = (v: Volume) => {
  const h = v.header;
  return [h.dims, h.spacing, h.origin, h.direction];
};

/** Label values 1 (a box) and 2 (a slab) on `study`'s grid with its origin moved by `shift` mm. */
function labelsOff(shift: Vec3): Volume {
  const voxels = new Uint8Array(40 * 32 * 12);
  for (let k = 2; k < 9; k++)
    for (let j = 5; j < 20; j++) for (let i = 3; i < 30; i++) voxels[i + j * 40 + k * 40 * 32] = i < 15 ? 1 : 2;
  const o = study.header.origin;
  return createVolume({
    dims,
    spacing: [0.8, 0.8, 2.5],
    origin: [o[0] + shift[0], o[1] + shift[1], o[2] + shift[2]],
    voxels,
  });
}

const segments = [1, 2].map((value) => makeSegment(value, [], { name: `organ ${value}` }));

function thrown(f: () => unknown): VoxsegError {
  try {
    f();
  } catch (e) {
    if (e instanceof VoxsegError) return e;
    throw e;
  }
  throw new Error('expected a VoxsegError');
}

describe('label NIfTI onto the study grid (alignToGrid -> Segmentation.fromLabels)', () => {
  it('accepts a label map 0.03 mm off and carries the study header exactly (app path: readNifti)', () => {
    const file = readNifti(writeNifti(labelsOff([0.03, 0, 0]), { gzip: true }), 'labels.nii.gz');
    expect(file.header.origin[0]).not.toBe(study.header.origin[0]);
    const labels = alignToGrid(file, study, 'labels.nii.gz');
    expect(grid(labels)).toEqual(grid(study));
    labels.header.origin.forEach((v, r) => expect(Object.is(v, study.header.origin[r])).toBe(true));
    expect(labels.voxels).toEqual(labelsOff([0, 0, 0]).voxels);
    const seg = Segmentation.fromLabels(study, [labels], segments);
    expect(grid(seg.layers[0])).toEqual(grid(study));
    expect(gridMismatch(seg.layers[0].header, study.header, 0)).toBeNull();
    expect(seg.statistics(1).voxels).toBe(12 * 15 * 7);
    expect(seg.statistics(2).voxels).toBe(15 * 15 * 7);
  });

  it('the same through the CLI reader (readLabelLayers), stored RAS: reordered and on the study grid', () => {
    const ras = reorientToCode(labelsOff([0.02, -0.03, 0.05]), 'RAS');
    const read = readLabelLayers(writeNifti(ras), 'labels.nii');
    const layers = read.layers.map((l) => alignToGrid(l, study, 'labels.nii'));
    expect(grid(layers[0])).toEqual(grid(study));
    expect(layers[0].voxels).toEqual(labelsOff([0, 0, 0]).voxels);
    const seg = Segmentation.fromLabels(study, layers, segments);
    expect(seg.statistics(2).voxels).toBe(15 * 15 * 7);
  });

  it('refuses a label map 2 voxels off, naming the file and the difference', () => {
    const file = readNifti(writeNifti(labelsOff([1.6, 0, 0])), 'shifted.nii');
    const e = thrown(() => alignToGrid(file, study, 'shifted.nii'));
    expect(e.code).toBe('invalid-volume');
    expect(e.file).toBe('shifted.nii');
    expect(e.message).toMatch(
      /^shifted\.nii: label map is not on the grid of the reference series \(origin differs by 1\.6 mm \(2 voxels, more than 0\.1\)\)$/,
    );
    // fromLabels on its own refuses it too, with the same reason
    expect(thrown(() => Segmentation.fromLabels(study, [file], segments)).message).toMatch(
      /label layer 0 is not on the study grid: origin differs by 1\.6 mm \(2 voxels/,
    );
  });

  it('refuses other dims and another spacing', () => {
    const short = createVolume({
      dims: [40, 32, 11],
      spacing: [0.8, 0.8, 2.5],
      origin: [...study.header.origin] as Vec3,
      voxels: new Uint8Array(40 * 32 * 11),
    });
    expect(thrown(() => alignToGrid(short, study, 'short.nii')).message).toMatch(/\(dims 40×32×11 vs 40×32×12\)/);
    const coarse = createVolume({
      dims,
      spacing: [0.8, 0.8, 3],
      origin: [...study.header.origin] as Vec3,
      voxels: new Uint8Array(40 * 32 * 12),
    });
    expect(thrown(() => alignToGrid(coarse, study, 'coarse.nii')).message).toMatch(
      /\(spacing 0\.8, 0\.8, 3 vs 0\.8, 0\.8, 2\.5 mm/,
    );
  });
});
