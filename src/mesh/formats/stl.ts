/**
 * Binary STL: 80-byte header, uint32 triangle count, then per triangle 50 bytes (float32 facet
 * normal, three float32 corners, uint16 attribute), all little-endian. STL has no units or
 * vertex sharing; coordinates are written as they are (LPS millimetres).
 *
 * Colour goes in the attribute bytes the VisCAM / SolidView way: bits 0-4 blue, 5-9 green,
 * 10-14 red (0..31 each), bit 15 set to say the colour is valid. Several parts share one file;
 * each triangle carries its own part's colour.
 */
import { asciiText, channel, totals, type MeshPart, type Rgb } from './part';

const HEADER_BYTES = 80;
const RECORD_BYTES = 50;

/** The 16-bit attribute word for a colour: 5 bits per channel, valid bit set. */
export function stlColor(color: Rgb): number {
  const five = (v: number) => channel(v) >> 3;
  return 0x8000 | (five(color[0]) << 10) | (five(color[1]) << 5) | five(color[2]);
}

/** Header text: names the writer, the units and frame, and the parts (cut to 80 bytes). */
function headerText(parts: readonly MeshPart[]): string {
  // Never starts with "solid", so no reader mistakes the file for ASCII STL.
  const text = `voxseg surface mesh, LPS mm: ${parts.map((p) => p.name).join(', ') || '(empty)'}`;
  return asciiText(text).slice(0, HEADER_BYTES);
}

/** Every part's triangles in one binary STL file. */
export function writeStl(parts: readonly MeshPart[]): Uint8Array {
  const { triangles } = totals(parts);
  const bytes = new Uint8Array(HEADER_BYTES + 4 + RECORD_BYTES * triangles);
  const header = headerText(parts);
  for (let i = 0; i < header.length; i++) bytes[i] = header.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  view.setUint32(HEADER_BYTES, triangles, true);
  let o = HEADER_BYTES + 4;
  for (const part of parts) {
    const { positions: p, indices: t } = part.mesh;
    const attribute = stlColor(part.color);
    for (let k = 0; k < t.length; k += 3) {
      const a = 3 * t[k],
        b = 3 * t[k + 1],
        c = 3 * t[k + 2];
      // Facet normal from the corners (right hand, counter-clockwise = outward); zero if degenerate.
      const ux = p[b] - p[a],
        uy = p[b + 1] - p[a + 1],
        uz = p[b + 2] - p[a + 2];
      const vx = p[c] - p[a],
        vy = p[c + 1] - p[a + 1],
        vz = p[c + 2] - p[a + 2];
      let nx = uy * vz - uz * vy,
        ny = uz * vx - ux * vz,
        nz = ux * vy - uy * vx;
      const len = Math.hypot(nx, ny, nz);
      if (len > 0) {
        nx /= len;
        ny /= len;
        nz /= len;
      }
      view.setFloat32(o, nx, true);
      view.setFloat32(o + 4, ny, true);
      view.setFloat32(o + 8, nz, true);
      o += 12;
      view.setFloat32(o, p[a], true);
      view.setFloat32(o + 4, p[a + 1], true);
      view.setFloat32(o + 8, p[a + 2], true);
      view.setFloat32(o + 12, p[b], true);
      view.setFloat32(o + 16, p[b + 1], true);
      view.setFloat32(o + 20, p[b + 2], true);
      view.setFloat32(o + 24, p[c], true);
      view.setFloat32(o + 28, p[c + 1], true);
      view.setFloat32(o + 32, p[c + 2], true);
      o += 36;
      view.setUint16(o, attribute, true);
      o += 2;
    }
  }
  return bytes;
}
