/**
 * Camera presets of the 3D view: where the camera sits, where it looks and which way is up, fitted
 * to a box. Pure functions, no Cornerstone import, so they can be unit tested in Node.
 *
 * World space is LPS: +x = patient left, +y = posterior, +z = superior. Each preset names the side
 * of the patient the camera looks from, the way an anatomy atlas draws it:
 *
 * | preset | camera at | looks toward | screen up | screen right |
 * |---|---|---|---|---|
 * | anterior | -y (in front) | +y | +z superior | +x patient left |
 * | posterior | +y (behind) | -y | +z superior | -x patient right |
 * | left | +x (patient's left) | -x | +z superior | +y posterior |
 * | right | -x (patient's right) | +x | +z superior | -y anterior |
 * | superior | +z (above the head) | -z | -y anterior | -x patient right |
 * | inferior | -z (below the feet) | +z | -y anterior | +x patient left |
 *
 * Screen right is the direction of projection crossed with view-up (vtk's camera frame).
 */
import type { Vec3 } from '../core/types';

export type CameraPresetName = 'anterior' | 'posterior' | 'left' | 'right' | 'superior' | 'inferior';

export const CAMERA_PRESETS: readonly CameraPresetName[] = [
  'anterior',
  'posterior',
  'left',
  'right',
  'superior',
  'inferior',
];

/** Axis-aligned box, vtk order: [xmin, xmax, ymin, ymax, zmin, zmax] (LPS mm). */
export type Bounds = [number, number, number, number, number, number];

/** A camera for a parallel (or perspective) projection, in Cornerstone's terms. */
export interface PresetCamera {
  position: Vec3;
  focalPoint: Vec3;
  viewUp: Vec3;
  /** Unit vector from the focal point toward the camera (minus the direction of projection). */
  viewPlaneNormal: Vec3;
  /** Half the visible height in world units (parallel projection). */
  parallelScale: number;
}

/** Direction of projection (camera → focal point) and view-up of each preset. */
export const PRESET_DIRECTIONS: Readonly<Record<CameraPresetName, { look: Vec3; up: Vec3 }>> = {
  anterior: { look: [0, 1, 0], up: [0, 0, 1] },
  posterior: { look: [0, -1, 0], up: [0, 0, 1] },
  left: { look: [-1, 0, 0], up: [0, 0, 1] },
  right: { look: [1, 0, 0], up: [0, 0, 1] },
  superior: { look: [0, 0, -1], up: [0, -1, 0] },
  inferior: { look: [0, 0, 1], up: [0, -1, 0] },
};

export function isCameraPreset(name: string): name is CameraPresetName {
  return (CAMERA_PRESETS as readonly string[]).includes(name);
}

export function cross(a: Readonly<Vec3>, b: Readonly<Vec3>): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** The smallest box holding all of `boxes` (null when there are none or all are empty). */
export function unionBounds(boxes: readonly Readonly<Bounds>[]): Bounds | null {
  let out: Bounds | null = null;
  for (const b of boxes) {
    if (!isValidBounds(b)) continue;
    if (!out) out = [...b] as Bounds;
    else
      for (let i = 0; i < 6; i += 2) {
        out[i] = Math.min(out[i], b[i]);
        out[i + 1] = Math.max(out[i + 1], b[i + 1]);
      }
  }
  return out;
}

/** Finite, and min <= max on every axis (vtk marks an empty box with min > max). */
export function isValidBounds(b: Readonly<Bounds> | readonly number[]): boolean {
  return b.length === 6 && b.every(Number.isFinite) && b[0] <= b[1] && b[2] <= b[3] && b[4] <= b[5];
}

/**
 * The camera of preset `name` fitted to `bounds`: looking at the box centre from the preset's
 * side, with a parallel scale that shows the whole box in a view of `aspect` = width / height,
 * plus `margin` (1.1 = 10 % around). The camera stands outside the box's bounding sphere by one
 * more radius, so near clipping never cuts into it (and a 60° perspective would still see it all).
 */
export function presetCamera(name: CameraPresetName, bounds: Readonly<Bounds>, aspect = 1, margin = 1.1): PresetCamera {
  if (!isValidBounds(bounds)) throw new Error(`invalid bounds ${JSON.stringify(bounds)}`);
  const dir = PRESET_DIRECTIONS[name];
  if (!dir) throw new Error(`unknown camera preset ${JSON.stringify(name)}`);
  const safeAspect = Number.isFinite(aspect) && aspect > 0 ? aspect : 1;
  const { look, up } = dir;
  const right = cross(look, up);
  const center: Vec3 = [(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2];
  const half: Vec3 = [(bounds[1] - bounds[0]) / 2, (bounds[3] - bounds[2]) / 2, (bounds[5] - bounds[4]) / 2];
  // Half extent of the box along a unit axis: its projection is the sum over the box's half sides.
  const extent = (axis: Vec3) =>
    Math.abs(axis[0]) * half[0] + Math.abs(axis[1]) * half[1] + Math.abs(axis[2]) * half[2];
  const fit = Math.max(extent(up), extent(right) / safeAspect);
  // A flat or point-like box still gets a usable view.
  const parallelScale = Math.max(fit * margin, 1);
  const radius = Math.max(Math.hypot(half[0], half[1], half[2]), 1);
  const distance = 2 * radius;
  const viewPlaneNormal: Vec3 = [-look[0], -look[1], -look[2]];
  const position: Vec3 = [
    center[0] + distance * viewPlaneNormal[0],
    center[1] + distance * viewPlaneNormal[1],
    center[2] + distance * viewPlaneNormal[2],
  ];
  return { position, focalPoint: center, viewUp: [...up], viewPlaneNormal, parallelScale };
}
