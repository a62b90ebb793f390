/** Files of an nnU-Net result folder or zip on disk, as the importer's `SourceFile`s (read lazily). */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { VoxsegError } from '../core/errors';
import type { SourceFile } from '../inference/nnunet/types';
import { sourceFilesFromZip } from '../inference/nnunet/zip';

async function walk(dir: string, root: string, out: SourceFile[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, root, out);
    else if (entry.isFile()) {
      const size = (await stat(path)).size;
      // Paths keep the folder's own name, so a picked trainer folder still tells its configuration.
      out.push({
        path: relative(root, path).split(sep).join('/'),
        size,
        read: async () => new Uint8Array(await readFile(path)),
      });
    }
  }
}

/** A result folder (its own name is kept as the first path part) or a .zip published with one. */
export async function nnunetSourceFiles(path: string): Promise<SourceFile[]> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new VoxsegError('not-found', 'no such file or folder', { file: path, cause });
  }
  if (info.isDirectory()) {
    // The trainer folder itself (plans.json inside): keep its parent's name too, the dataset's.
    const trainer = await stat(join(path, 'plans.json')).then(
      () => true,
      () => false,
    );
    const out: SourceFile[] = [];
    await walk(path, trainer ? join(path, '..', '..') : join(path, '..'), out);
    return out;
  }
  return sourceFilesFromZip(new Uint8Array(await readFile(path)), path);
}
