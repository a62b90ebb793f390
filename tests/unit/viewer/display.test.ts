import { describe, expect, it } from 'vitest';
import { edgeLabels, directionLabel } from '../../../src/viewer/orientation';
import { autoWindow, initialWindow, isCt, percentiles, windowToRange } from '../../../src/viewer/presets';
import { createVolume } from '../../../src/volume';

describe('orientation labels (LPS world)', () => {
  it('axial view seen from the feet: patient right on screen left, anterior on top', () => {
    // Cornerstone axial camera: viewUp = -y (anterior), normal points to the camera at -z (feet).
    expect(edgeLabels([0, -1, 0], [0, 0, -1])).toEqual({ top: 'A', bottom: 'P', left: 'R', right: 'L' });
  });
  it('coronal view from the front: superior on top, patient right on screen left', () => {
    expect(edgeLabels([0, 0, 1], [0, -1, 0])).toEqual({ top: 'S', bottom: 'I', left: 'R', right: 'L' });
  });
  it('names oblique directions by their two main axes', () => {
    expect(directionLabel([0.8, 0.6, 0])).toBe('LP');
    expect(directionLabel([-0.95, 0.1, 0])).toBe('R');
  });
});

describe('display windows', () => {
  const vol = (voxels: Int16Array, modality?: string) =>
    createVolume({ dims: [voxels.length, 1, 1], voxels, metadata: modality ? { modality } : {} });

  it('percentiles come from the data', () => {
    const v = new Int16Array(1001).map((_, i) => i);
    expect(percentiles(v, 0.1, 0.9)).toEqual([100, 900]);
    expect(windowToRange({ width: 400, center: 40 })).toEqual({ lower: -160, upper: 240 });
  });

  it('guesses CT for NIfTI volumes whose lowest values are air, not for MR', () => {
    const ct = new Int16Array(1000).map((_, i) => (i < 300 ? -1000 : 40));
    const mr = new Int16Array(1000).map((_, i) => (i < 300 ? 0 : 400));
    expect(isCt(vol(ct))).toBe(true);
    expect(isCt(vol(mr))).toBe(false);
    expect(isCt(vol(mr, 'CT'))).toBe(true);
    expect(initialWindow(vol(ct))).toEqual({ width: 400, center: 40 });
    const w = autoWindow(vol(mr));
    expect(w.center - w.width / 2).toBeLessThanOrEqual(0);
    expect(w.center + w.width / 2).toBeGreaterThanOrEqual(400);
  });
});
