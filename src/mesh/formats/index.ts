/**
 * Mesh file writers: binary STL, Wavefront OBJ + MTL, binary PLY. Each takes several coloured,
 * named parts (LabelMeshes in LPS millimetres) and returns the file bytes; nothing here touches
 * the file system, so the app and the CLI share them.
 */
import { writeObj } from './obj';
import type { MeshPart } from './part';
import { writePly } from './ply';
import { writeStl } from './stl';

export { writeObj } from './obj';
export { writePly } from './ply';
export { writeStl, stlColor } from './stl';
export { paletteColor, hslToRgb } from './palette';
export type { MeshPart, Rgb } from './part';

export type MeshFormat = 'stl' | 'obj' | 'ply';
export const MESH_FORMATS: readonly MeshFormat[] = ['stl', 'obj', 'ply'];

/** One output file: its name (base name + extension) and its bytes. */
export interface MeshFile {
  name: string;
  bytes: Uint8Array;
}

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * A file-system-safe base name for a segment name: ASCII letters, digits, '.', '_' and '-' only
 * ("Liver (segment 1)" → "Liver_segment_1", "Hüfte links" → "Hufte_links"), no leading or
 * trailing separators, at most 100 characters, never a reserved device name, never empty.
 * Applying it twice gives the same result.
 */
export function safeFileName(name: string): string {
  let s = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 100)
    .replace(/[._-]+$/, '');
  if (!s) s = 'unnamed';
  if (RESERVED.test(s.split('.')[0])) s = s.replace(/^[^.]*/, (stem) => `${stem}_x`);
  return s;
}

/**
 * Write `parts` in `format` as files named after `baseName` (made safe with safeFileName):
 * `base.stl`, `base.ply`, or `base.obj` with its `base.mtl`.
 */
export function writeMeshes(parts: readonly MeshPart[], format: MeshFormat, baseName = 'labels'): MeshFile[] {
  const base = safeFileName(baseName);
  switch (format) {
    case 'stl':
      return [{ name: `${base}.stl`, bytes: writeStl(parts) }];
    case 'ply':
      return [{ name: `${base}.ply`, bytes: writePly(parts) }];
    case 'obj': {
      const { obj, mtl } = writeObj(parts, `${base}.mtl`);
      return [
        { name: `${base}.obj`, bytes: obj },
        { name: `${base}.mtl`, bytes: mtl },
      ];
    }
    default:
      throw new Error(`unknown mesh format ${JSON.stringify(format satisfies never)}`);
  }
}
