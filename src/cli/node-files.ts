/** Node-only: turn paths (files or folders, recursively) into SourceFiles. */
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
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
    }
  }
}
