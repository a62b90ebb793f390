/** Surface files for download: STL / OBJ (+MTL) / PLY, one per segment or all in one. */
import { writeMeshes, type MeshFormat, type MeshPart } from '../../mesh/formats';

export type ExportFormat = MeshFormat;

export const EXPORT_FORMATS: { value: ExportFormat; label: string }[] = [
  { value: 'stl', label: 'STL (binary)' },
  { value: 'obj', label: 'OBJ + MTL' },
  { value: 'ply', label: 'PLY (colours)' },
];

const TYPES: Record<string, string> = {
  stl: 'model/stl',
  obj: 'model/obj',
  mtl: 'text/plain',
  ply: 'application/octet-stream',
};

export interface ExportFile {
  name: string;
  blob: Blob;
}

/** The files to save: one per segment, named after it, or one holding all (`labels.*`). */
export function exportSurfaces(parts: MeshPart[], format: ExportFormat, single: boolean): ExportFile[] {
  const files = single ? writeMeshes(parts, format, 'labels') : parts.flatMap((p) => writeMeshes([p], format, p.name));
  return files.map((f) => ({
    name: f.name,
    blob: new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: TYPES[f.name.split('.').pop()!] }),
  }));
}

/** Save `blob` through the browser's download. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
