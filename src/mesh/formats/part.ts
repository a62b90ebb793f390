/** What the mesh writers take: one labelled, coloured surface per part. */
import type { LabelMesh } from '../types';

/** Colour as red, green, blue, each 0..255. */
export type Rgb = [number, number, number];

/** One surface to write: its display name, its colour and the mesh itself (LPS mm). */
export interface MeshPart {
  /** Segment name as the user knows it ("spleen", "Liver (segment 1)"); any text. */
  name: string;
  color: Rgb;
  mesh: LabelMesh;
}

/** Printable ASCII only (for the STL header and PLY comments): anything else becomes '?'. */
export function asciiText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** A colour channel clamped and rounded to 0..255. */
export function channel(v: number): number {
  return Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
}

/** Total vertices and triangles over all parts. */
export function totals(parts: readonly MeshPart[]): { vertices: number; triangles: number } {
  let vertices = 0;
  let triangles = 0;
  for (const p of parts) {
    vertices += p.mesh.positions.length / 3;
    triangles += p.mesh.indices.length / 3;
  }
  return { vertices, triangles };
}
