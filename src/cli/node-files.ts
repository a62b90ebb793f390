/** Node-only: turn paths (files or folders, recursively) into SourceFiles. */
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { SourceFile } from '../io/dicom/source';
import { VoxsegError } from '../core/errors';

export function pathSource(path: string, size: number, name = path): SourceFile {
  return {
    name,
    size,
    async slice(start, end = size) {
      const fh = await open(path, 'r');
      try {
        const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
        let off = 0;
        while (off < out.length) {
          const { bytesRead } = await fh.read(out, off, out.length - off, start + off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return off === out.length ? out : out.subarray(0, off);
      } finally {
        await fh.close();
      }
    },
  };
}

/** A pipe, device or socket met in a folder: reading it fails with what it is. */
function specialSource(name: string, kind: string): SourceFile {
  return {
    name,
    size: 0,
    slice: () => Promise.reject(new VoxsegError('unreadable', `is ${kind}, not a regular file`, { file: name })),
  };
}

/** What a special file is, for the message refusing it. */
function kindOf(st: Awaited<ReturnType<typeof stat>>): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/**
 * Read a whole regular file. Named pipes, devices and sockets are refused before a byte is read
 * (a pipe nobody writes blocks forever, /dev/zero never ends): a VoxsegError naming the file and
 * what it is. File-system errors (ENOENT, EACCES) are thrown as they are, for callers to word.
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  const st = await stat(path);
  if (!st.isFile() && !st.isDirectory())
    throw new VoxsegError('unreadable', `is ${kindOf(st)}, not a regular file`, { file: path });
  return new Uint8Array(await readFile(path));
}

/**
 * `readRegularFile` for a file a manifest names inside its folder: the path was checked as text
 * (inference/manifest.ts), and here its real path, symbolic links followed, must still lie inside
 * the folder's real path, or it is refused before a byte is read.
 */
export async function readFileInside(folder: string, path: string): Promise<Uint8Array> {
  const [root, real] = await Promise.all([realpath(folder), realpath(path)]);
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep))
    throw new VoxsegError('invalid-model', `resolves to ${real}, outside the model folder ${root}`, { file: path });
  return readRegularFile(path);
}

/** `readRegularFile` as UTF-8 text. */
export async function readRegularText(path: string): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path));
}

/** All regular files under the given paths (folders walked recursively, sorted by path). */
export async function listFiles(paths: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new VoxsegError('not-found', 'no such file or folder', { file: p });
    }
    if (st.isFile()) out.push(pathSource(p, st.size));
    else if (st.isDirectory()) await walk(p, p, out);
    else throw new VoxsegError('unreadable', `is ${kindOf(st)}, not a regular file or folder`, { file: p });
  }
  return out;
}

async function walk(root: string, dir: string, out: SourceFile[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(root, full, out);
    else if (e.isFile()) {
      const st = await stat(full);
      out.push(pathSource(full, st.size, full));
    } else if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice() || e.isSocket()) {
      // Never opened (a pipe nobody writes blocks forever); the scan rejects it with the reason.
      out.push(specialSource(full, kindOf(await stat(full))));
    }
  }
}
