/**
 * Browser file gathering: <input type=file> lists and drag-and-drop (folders walked recursively).
 */
import { blobSource, type SourceFile } from '../io/dicom/source';

/** Files from an <input type=file> (with or without webkitdirectory). Skips OS clutter. */
export function fromFileList(list: FileList | null | undefined): SourceFile[] {
  return Array.from(list ?? [])
    .filter((f) => !isClutter(f.name))
    .map((f) => blobSource(f));
}

/** Files dropped on the page; dropped folders are read recursively. */
export async function fromDataTransfer(dt: DataTransfer): Promise<SourceFile[]> {
  // Entries must be taken synchronously, before the drop event handler returns.
  const entries = Array.from(dt.items ?? [])
    .filter((it) => it.kind === 'file')
    .map((it) => it.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return fromFileList(dt.files);
  const out: SourceFile[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: SourceFile[]): Promise<void> {
  if (isClutter(entry.name)) return;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push(blobSource(file, entry.fullPath.replace(/^\//, '')));
    return;
  }
  if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call; read until it returns none.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, out);
    }
  }
}

/** Hidden files and OS metadata (.DS_Store, Thumbs.db, __MACOSX/...) are never medical data. */
function isClutter(name: string): boolean {
  const base = name.split('/').pop() ?? name;
  return base.startsWith('.') || base === 'Thumbs.db' || base === 'desktop.ini' || name.includes('__MACOSX/');
}
