/**
 * Pure helpers of the 3D surfaces: the panel's rows (one per segment with a surface, keeping the
 * visibility and opacity the user set) and the viewer's input for a mesh.
 */
import type { LabelMesh } from '../../mesh';
import type { SegmentInfo, SurfaceInput } from '../../viewer';

export interface SurfaceRow extends SegmentInfo {
  triangles: number;
  areaMm2: number;
  volumeMl: number;
  visible: boolean;
  opacity: number;
}

/** The segment fields the surfaces use (value, name, colour). */
export function info(s: SegmentInfo): SegmentInfo {
  return { value: s.value, name: s.name, color: s.color };
}

/** A mesh as the viewer shows it, named and coloured by its segment (null: no such segment). */
export function surfaceInput(segments: readonly SegmentInfo[], mesh: LabelMesh): SurfaceInput | null {
  const s = segments.find((x) => x.value === mesh.label);
  if (!s) return null;
  return {
    value: s.value,
    name: s.name,
    color: s.color,
    positions: mesh.positions,
    normals: mesh.normals,
    indices: mesh.indices,
  };
}

/** No surface for `value` (it was emptied, or its segment is gone). */
export function emptySurface(value: number): SurfaceInput {
  return {
    value,
    name: '',
    color: [0, 0, 0],
    positions: new Float32Array(0),
    normals: new Float32Array(0),
    indices: new Uint32Array(0),
  };
}

/** One row per segment that has a surface, in segment order; `old` rows keep their visibility and opacity. */
export function surfaceRows(
  segments: readonly SegmentInfo[],
  meshes: ReadonlyMap<number, LabelMesh>,
  old: readonly SurfaceRow[],
): SurfaceRow[] {
  const prev = new Map(old.map((r) => [r.value, r]));
  return segments.flatMap((s) => {
    const m = meshes.get(s.value);
    if (!m || m.stats.triangles === 0) return [];
    const p = prev.get(s.value);
    return [
      {
        ...s,
        triangles: m.stats.triangles,
        areaMm2: m.stats.areaMm2,
        volumeMl: m.stats.volumeMl,
        visible: p?.visible ?? true,
        opacity: p?.opacity ?? 1,
      },
    ];
  });
}
