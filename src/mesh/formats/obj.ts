/**
 * Wavefront OBJ + MTL text. One `o` object per part with its own material; vertices `v` (LPS mm),
 * normals `vn` (one per vertex) and faces `f v//vn`, 1-based and counted across the whole file.
 * Object and material names are the part names with spaces turned into '_' (OBJ names are single
 * tokens); the full names are kept in comments.
 */
import { concatBytes } from '../../core/bytes';
import { totals, type MeshPart } from './part';

/** Lines per encoded chunk: keeps the intermediate strings small for big meshes. */
const CHUNK_LINES = 1 << 16;

/** Collects text lines and encodes them to UTF-8 in chunks. */
class TextSink {
  private readonly encoder = new TextEncoder();
  private readonly chunks: Uint8Array[] = [];
  private lines: string[] = [];

  line(text: string): void {
    this.lines.push(text);
    if (this.lines.length >= CHUNK_LINES) this.flush();
  }

  private flush(): void {
    if (!this.lines.length) return;
    this.chunks.push(this.encoder.encode(this.lines.join('\n') + '\n'));
    this.lines = [];
  }

  bytes(): Uint8Array {
    this.flush();
    return concatBytes(this.chunks);
  }
}

/** A number with at most `digits` decimals, no trailing zeros, no "-0". */
function num(v: number, digits: number): string {
  const s = v.toFixed(digits);
  const t = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** One line of free text for a comment (no line breaks). */
const oneLine = (text: string) => text.replace(/[\r\n\t\f\v]+/g, ' ');

/** A unique single-token name per part ("Liver (segment 1)" → "Liver_(segment_1)"). */
function tokenNames(parts: readonly MeshPart[]): string[] {
  const used = new Set<string>();
  return parts.map((p) => {
    const base = p.name.replace(/[\s\x00-\x1f\x7f#]+/g, '_') || 'part';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/**
 * Every part in one OBJ file and its MTL. `mtlName` is the material library file name the OBJ
 * refers to (`mtllib`); it should be a bare file name without spaces, written beside the OBJ.
 */
export function writeObj(parts: readonly MeshPart[], mtlName = 'labels.mtl'): { obj: Uint8Array; mtl: Uint8Array } {
  const names = tokenNames(parts);
  const { vertices, triangles } = totals(parts);
  const obj = new TextSink();
  obj.line('# voxseg surface meshes');
  obj.line('# units: millimetres; coordinates: LPS (x to the left, y to the back, z up to the head)');
  obj.line(`# ${parts.length} part(s), ${vertices} vertices, ${triangles} triangles`);
  obj.line(`mtllib ${mtlName}`);
  let base = 1; // OBJ indices are 1-based and shared by all objects of the file
  parts.forEach((part, i) => {
    const { positions: p, normals: n, indices: t, label } = part.mesh;
    obj.line(`# label ${label}: ${oneLine(part.name)}`);
    obj.line(`o ${names[i]}`);
    obj.line(`usemtl ${names[i]}`);
    for (let k = 0; k < p.length; k += 3) obj.line(`v ${num(p[k], 4)} ${num(p[k + 1], 4)} ${num(p[k + 2], 4)}`);
    for (let k = 0; k < n.length; k += 3) obj.line(`vn ${num(n[k], 5)} ${num(n[k + 1], 5)} ${num(n[k + 2], 5)}`);
    for (let k = 0; k < t.length; k += 3) {
      const a = t[k] + base,
        b = t[k + 1] + base,
        c = t[k + 2] + base;
      obj.line(`f ${a}//${a} ${b}//${b} ${c}//${c}`);
    }
    base += p.length / 3;
  });

  const mtl = new TextSink();
  mtl.line('# voxseg materials: one diffuse colour per part');
  parts.forEach((part, i) => {
    const [r, g, b] = part.color.map((v) => num(Math.min(255, Math.max(0, v)) / 255, 4));
    mtl.line('');
    mtl.line(`# label ${part.mesh.label}: ${oneLine(part.name)}`);
    mtl.line(`newmtl ${names[i]}`);
    mtl.line(`Kd ${r} ${g} ${b}`);
    mtl.line('Ks 0 0 0');
    mtl.line('d 1');
    mtl.line('illum 1');
  });
  return { obj: obj.bytes(), mtl: mtl.bytes() };
}
