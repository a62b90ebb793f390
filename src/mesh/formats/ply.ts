/**
 * Binary little-endian PLY: one `vertex` element (float x y z, float nx ny nz, uchar red green
 * blue) and one `face` element (list uchar int vertex_indices), every part's vertices and faces
 * in turn, each vertex coloured with its part's colour. Comment lines give the units, the frame
 * and which vertex and face ranges belong to which part.
 */
import { asciiText, channel, totals, type MeshPart } from './part';

const VERTEX_BYTES = 6 * 4 + 3;
const FACE_BYTES = 1 + 3 * 4;

function header(parts: readonly MeshPart[], vertices: number, faces: number): string {
  const lines = [
    'ply',
    'format binary_little_endian 1.0',
    'comment voxseg surface meshes',
    'comment units mm, coordinates LPS (x to the left, y to the back, z up to the head)',
  ];
  let v = 0;
  let f = 0;
  for (const p of parts) {
    const nv = p.mesh.positions.length / 3;
    const nf = p.mesh.indices.length / 3;
    const color = p.color.map(channel).join(' ');
    lines.push(
      `comment part label ${p.mesh.label} "${asciiText(p.name).replace(/"/g, "'")}" color ${color} vertices ${v}+${nv} faces ${f}+${nf}`,
    );
    v += nv;
    f += nf;
  }
  lines.push(
    `element vertex ${vertices}`,
    'property float x',
    'property float y',
    'property float z',
    'property float nx',
    'property float ny',
    'property float nz',
    'property uchar red',
    'property uchar green',
    'property uchar blue',
    `element face ${faces}`,
    'property list uchar int vertex_indices',
    'end_header',
  );
  return lines.join('\n') + '\n';
}

/** Every part in one binary PLY file. */
export function writePly(parts: readonly MeshPart[]): Uint8Array {
  const { vertices, triangles } = totals(parts);
  const head = new TextEncoder().encode(header(parts, vertices, triangles));
  const bytes = new Uint8Array(head.length + VERTEX_BYTES * vertices + FACE_BYTES * triangles);
  bytes.set(head);
  const view = new DataView(bytes.buffer);
  let o = head.length;
  for (const part of parts) {
    const { positions: p, normals: n } = part.mesh;
    const [r, g, b] = part.color.map(channel);
    for (let k = 0; k < p.length; k += 3) {
      view.setFloat32(o, p[k], true);
      view.setFloat32(o + 4, p[k + 1], true);
      view.setFloat32(o + 8, p[k + 2], true);
      view.setFloat32(o + 12, n[k], true);
      view.setFloat32(o + 16, n[k + 1], true);
      view.setFloat32(o + 20, n[k + 2], true);
      bytes[o + 24] = r;
      bytes[o + 25] = g;
      bytes[o + 26] = b;
      o += VERTEX_BYTES;
    }
  }
  let base = 0; // face indices count across the parts' vertices
  for (const part of parts) {
    const t = part.mesh.indices;
    for (let k = 0; k < t.length; k += 3) {
      bytes[o] = 3;
      view.setInt32(o + 1, t[k] + base, true);
      view.setInt32(o + 5, t[k + 1] + base, true);
      view.setInt32(o + 9, t[k + 2] + base, true);
      o += FACE_BYTES;
    }
    base += part.mesh.positions.length / 3;
  }
  return bytes;
}
