/**
 * Anatomical labels for the screen edges of a 2D view, from its camera. Pure math, no Cornerstone.
 * World is LPS: +x = patient Left, +y = Posterior, +z = Superior.
 */
import type { Vec3 } from '../core/types';
import { cross } from '../volume/geometry';

export interface EdgeLabels {
  top: string;
  bottom: string;
  left: string;
  right: string;
}

const POS = ['L', 'P', 'S'];
const NEG = ['R', 'A', 'I'];

/**
 * Letters of the anatomical direction closest to `v`: the dominant axis first, then a second
 * axis when the vector is clearly oblique (component above `obliqueThreshold`).
 */
export function directionLabel(v: Readonly<Vec3>, obliqueThreshold = 0.35): string {
  const order = [0, 1, 2].sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]));
  let label = '';
  for (const [rank, axis] of order.entries()) {
    const c = v[axis];
    if (rank > 0 && Math.abs(c) < obliqueThreshold) break;
    if (rank > 1) break;
    label += c >= 0 ? POS[axis] : NEG[axis];
  }
  return label;
}

/**
 * Labels for a camera with `viewUp` (screen up) and `viewPlaneNormal` (pointing from the focal
 * point towards the camera, Cornerstone's convention). Screen right = viewUp x viewPlaneNormal.
 */
export function edgeLabels(viewUp: Readonly<Vec3>, viewPlaneNormal: Readonly<Vec3>): EdgeLabels {
  const right = cross(viewUp, viewPlaneNormal);
  const neg = (v: Readonly<Vec3>): Vec3 => [-v[0], -v[1], -v[2]];
  return {
    top: directionLabel(viewUp),
    bottom: directionLabel(neg(viewUp)),
    right: directionLabel(right),
    left: directionLabel(neg(right)),
  };
}
