import { describe, expect, it } from 'vitest';
import {
  CAMERA_PRESETS,
  cross,
  isCameraPreset,
  presetCamera,
  unionBounds,
  type Bounds,
  type CameraPresetName,
} from '../../../src/viewer/camera3d';
import type { Vec3 } from '../../../src/core/types';

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: Vec3): Vec3 => {
  const l = Math.hypot(...a);
  return [a[0] / l, a[1] / l, a[2] / l];
};
const corners = (b: Bounds): Vec3[] =>
  [0, 1].flatMap((i) => [2, 3].flatMap((j) => [4, 5].map((k) => [b[i], b[j], b[k]] as Vec3)));

/** LPS: +x patient left, +y posterior, +z superior. */
const EXPECTED: Record<CameraPresetName, { cameraSide: Vec3; up: Vec3; right: Vec3 }> = {
  anterior: { cameraSide: [0, -1, 0], up: [0, 0, 1], right: [1, 0, 0] },
  posterior: { cameraSide: [0, 1, 0], up: [0, 0, 1], right: [-1, 0, 0] },
  left: { cameraSide: [1, 0, 0], up: [0, 0, 1], right: [0, 1, 0] },
  right: { cameraSide: [-1, 0, 0], up: [0, 0, 1], right: [0, -1, 0] },
  superior: { cameraSide: [0, 0, 1], up: [0, -1, 0], right: [-1, 0, 0] },
  inferior: { cameraSide: [0, 0, -1], up: [0, -1, 0], right: [1, 0, 0] },
};

// An off-centre, elongated box (a torso-like CT: wide, shallow, tall).
const BOX: Bounds = [-180, 160, -40, 210, -500, 120];

describe('3D camera presets', () => {
  it('lists the six sides', () => {
    expect([...CAMERA_PRESETS].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(isCameraPreset('anterior')).toBe(true);
    expect(isCameraPreset('front')).toBe(false);
  });

  for (const name of CAMERA_PRESETS) {
    it(`${name}: camera on the ${name} side, looking at the centre, with the expected screen axes`, () => {
      const cam = presetCamera(name, BOX, 1.5);
      const center: Vec3 = [(BOX[0] + BOX[1]) / 2, (BOX[2] + BOX[3]) / 2, (BOX[4] + BOX[5]) / 2];
      expect(cam.focalPoint).toEqual(center);
      const toCamera = norm(sub(cam.position, cam.focalPoint));
      const e = EXPECTED[name];
      for (let i = 0; i < 3; i++) {
        expect(toCamera[i]).toBeCloseTo(e.cameraSide[i], 12);
        expect(cam.viewPlaneNormal[i]).toBeCloseTo(e.cameraSide[i], 12);
        expect(cam.viewUp[i]).toBeCloseTo(e.up[i], 12);
      }
      // Screen right = direction of projection x view-up.
      const right = cross(sub(cam.focalPoint, cam.position), cam.viewUp);
      expect(norm(right).map((v) => Math.round(v) + 0)).toEqual(e.right);
      expect(dot(cam.viewUp, toCamera)).toBeCloseTo(0, 12);
    });

    for (const aspect of [0.5, 1, 2.4]) {
      it(`${name}: the whole box fits a ${aspect}:1 view, in front of the camera`, () => {
        const cam = presetCamera(name, BOX, aspect);
        const look = norm(sub(cam.focalPoint, cam.position));
        const right = cross(look, cam.viewUp);
        const radius = Math.hypot(BOX[1] - BOX[0], BOX[3] - BOX[2], BOX[5] - BOX[4]) / 2;
        let maxUp = 0;
        let maxRight = 0;
        for (const c of corners(BOX)) {
          const d = sub(c, cam.focalPoint);
          maxUp = Math.max(maxUp, Math.abs(dot(d, cam.viewUp)));
          maxRight = Math.max(maxRight, Math.abs(dot(d, right)));
          // Depth from the camera: every corner is well in front of it.
          expect(dot(sub(c, cam.position), look)).toBeGreaterThan(radius * 0.99);
        }
        expect(maxUp).toBeLessThanOrEqual(cam.parallelScale);
        expect(maxRight).toBeLessThanOrEqual(cam.parallelScale * aspect);
        // And it is fitted, not just tiny: one of the two directions is nearly filled.
        expect(Math.max(maxUp / cam.parallelScale, maxRight / (cam.parallelScale * aspect))).toBeGreaterThan(0.85);
      });
    }
  }

  it('handles flat and point-like boxes, and rejects empty ones', () => {
    const flat = presetCamera('superior', [0, 100, 0, 50, 10, 10], 1);
    expect(flat.parallelScale).toBeGreaterThanOrEqual(50);
    const point = presetCamera('anterior', [5, 5, 5, 5, 5, 5], 1);
    expect(point.parallelScale).toBeGreaterThan(0);
    expect(Math.hypot(...sub(point.position, point.focalPoint))).toBeGreaterThan(0);
    expect(() => presetCamera('anterior', [1, 0, 0, 1, 0, 1], 1)).toThrow(/invalid bounds/);
    expect(() => presetCamera('front' as CameraPresetName, BOX, 1)).toThrow(/unknown camera preset/);
  });

  it('unions boxes, skipping empty ones', () => {
    expect(unionBounds([])).toBeNull();
    expect(unionBounds([[1, -1, 1, -1, 1, -1]])).toBeNull();
    expect(
      unionBounds([
        [0, 1, 0, 1, 0, 1],
        [1, -1, 0, 0, 0, 0],
        [-2, 0, 3, 4, 0.5, 9],
      ]),
    ).toEqual([-2, 1, 0, 4, 0, 9]);
  });
});
