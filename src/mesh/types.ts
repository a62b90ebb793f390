/**
 * What the mesher produces: one closed triangle mesh per label value, in world coordinates
 * (LPS millimetres, the label map's own origin and direction applied), triangles wound
 * counter-clockwise seen from outside (so normals point out and the signed volume is positive).
 */
import type { Vec3 } from '../core/types';

/** Size and shape numbers of one mesh (what `voxseg mesh` prints and the 3D panel lists). */
export interface MeshStats {
  triangles: number;
  vertices: number;
  /** Surface area, mm². */
  areaMm2: number;
  /** Enclosed (signed) volume, mL; positive for an outward-wound closed mesh. */
  volumeMl: number;
  /** Centroid of the enclosed solid, LPS mm. */
  centroid: Vec3;
}

/** The surface of one label value. */
export interface LabelMesh {
  label: number;
  /** x, y, z per vertex, LPS mm. */
  positions: Float32Array;
  /** Unit outward normal per vertex. */
  normals: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  indices: Uint32Array;
  stats: MeshStats;
}

/** How to mesh. Every field is optional; the defaults suit CT organs at 1-3 mm. */
export interface MeshOptions {
  /** Label values to mesh (default: every non-zero value present). */
  labels?: readonly number[];
  /** Windowed-sinc smoothing iterations; 0 leaves the raw surface (the voxels' own faces). Default: 10, more on anisotropic grids (`defaultSmoothing`). */
  smoothing?: number;
  /** Pass band of the windowed-sinc filter, (0, 2). Smaller is smoother. Default: 0.2, less on anisotropic grids. */
  passBand?: number;
  /** Fraction of triangles to remove by quadric edge collapse, 0 (none, default) .. 0.95. */
  decimate?: number;
  /** Give the smoothed surface back the volume smoothing took, so it encloses the label's voxel volume (default true). */
  preserveVolume?: boolean;
}
