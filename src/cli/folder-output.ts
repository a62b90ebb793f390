/**
 * Multi-file outputs written atomically as a folder: every file goes into a temporary sibling
 * folder (`.NAME.<pid>-<random>.part` beside the target), and only when all are written is it
 * renamed onto the target. A failure part-way (disk full, file-size limit) removes the temporary
 * folder and leaves an earlier output folder exactly as it was; nobody ever sees half a series.
 *
 * Replacing an existing folder takes two renames (the old folder aside, the new one in, then the
 * old one removed); if the second fails the old folder is put back.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VoxsegError } from '../core/errors';
import { fsCause, tempPath } from './util';

export interface OutFile {
  name: string;
  bytes: Uint8Array | string;
}

/** Write `files` (names without folders) as the folder `dir`, replacing it only once all are written. */
export async function writeFolder(dir: string, files: Iterable<OutFile> | AsyncIterable<OutFile>): Promise<void> {
  const parent = dirname(dir);
  const temp = tempPath(dir);
  let current = temp;
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(temp);
    for await (const f of files) {
      if (basename(f.name) !== f.name || f.name.startsWith('.'))
        throw new VoxsegError('usage', `output file name ${JSON.stringify(f.name)} must be a plain file name`);
      current = join(temp, f.name);
      await writeFile(current, f.bytes, { flag: 'wx' });
    }
  } catch (cause) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (cause instanceof VoxsegError) throw cause;
    throw new VoxsegError('unreadable', `cannot write folder (${fsCause(cause)}); the earlier output is kept`, {
      file: dir,
      cause,
    });
  }
  const old = tempPath(dir, 'old');
  let moved = false;
  try {
    await rename(dir, old).then(
      () => (moved = true),
      (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      },
    );
    await rename(temp, dir);
  } catch (cause) {
    if (moved) await rename(old, dir).catch(() => undefined);
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw new VoxsegError('unreadable', `cannot replace folder (${fsCause(cause)}); the earlier output is kept`, {
      file: dir,
      cause,
    });
  }
  if (moved) await rm(old, { recursive: true, force: true }).catch(() => undefined);
}
