/**
 * `voxseg export-seg --write-ref DIR`: copies of the reference series' files with their blank
 * UIDs filled (Study/Series Instance UID as the SEG references them, SOP Instance/Class UID from
 * each file's meta), so an archive that needs them links the SEG to its images. Every other byte
 * of each file is kept (src/io/seg/write-back.ts). Files are matched to the series by their SOP
 * Instance UID; the copies keep their paths relative to --ref. DIR must not be the --ref folder.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { VoxsegError } from '../../core/errors';
import type { VolumeMetadata } from '../../core/types';
import { fillBlankUids, instanceUidsOf, type SourceUids } from '../../io/seg/index';
import { listFiles, readRegularFile } from '../node-files';
import { writeOutput } from '../util';

export async function writeReferenceCopies(
  refPath: string,
  md: Readonly<VolumeMetadata>,
  source: SourceUids,
  outDir: string,
): Promise<{ files: number; filled: Set<string> }> {
  const root = (await stat(refPath)).isDirectory() ? refPath : dirname(refPath);
  const out = resolve(outDir);
  if (out === resolve(root) || relative(resolve(root), out) === '')
    throw new VoxsegError('usage', `--write-ref ${outDir} is the reference folder itself: name another folder`);
  const wanted = new Set(instanceUidsOf(md));
  const filled = new Set<string>();
  let files = 0;
  for (const f of await listFiles([refPath])) {
    if (resolve(f.name).startsWith(out + '/')) continue; // an output folder inside --ref
    let copy;
    try {
      copy = fillBlankUids(await readRegularFile(f.name), source, f.name);
    } catch (e) {
      if (e instanceof VoxsegError && e.code === 'unreadable') continue; // not a DICOM file of ours
      throw e;
    }
    if (!wanted.has(copy.sopInstanceUid)) continue;
    await writeOutput(join(out, relative(root, f.name) || f.name), copy.bytes);
    copy.filled.forEach((a) => filled.add(a));
    files++;
  }
  if (!files)
    throw new VoxsegError('not-found', `no file of the reference series found to write to ${outDir}`, {
      file: refPath,
    });
  return { files, filled };
}
