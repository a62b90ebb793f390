/**
 * Failed writes: every verb that writes is run under a file-size limit (SIGXFSZ ignored, so the
 * write fails with EFBIG, as on a full disk) over an earlier good output; the earlier output
 * must stay byte-identical and no temporary file may remain. A second run of each verb without
 * the limit, over the same earlier output, must replace it with a complete file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dciodvfyErrors } from './seg-edit';
import type { Base } from './fixtures';
import type { Case, Verb } from './types';

const WRITE = /EFBIG|too large|cannot write|write/i;

export function writeCases(b: Base): Case[] {
  const out: Case[] = [];
  // a complete NIfTI that no run here writes (its description differs): the "earlier output"
  const previous = () => {
    const nii = new Uint8Array(readFileSync(b.nii));
    nii.set(Buffer.from('earlier output'), 148);
    return nii;
  };
  const prevStl = () => {
    const stl = new Uint8Array(84 + 50);
    new DataView(stl.buffer).setUint32(80, 1, true);
    return stl;
  };
  const add = (
    verb: Verb,
    output: string,
    args: (dir: string) => string[],
    limitKiB: number,
    extraOut: string[] = [],
  ) => {
    for (const limited of [true, false]) {
      const c: Case = {
        id: `write/${verb}-${limited ? 'fails-part-way' : 'replaces'}`,
        verb,
        group: 'write',
        args,
        outputs: [output, ...extraOut],
        fileLimitKiB: limited ? limitKiB : undefined,
        expect: limited ? { exit: 1, cause: WRITE } : { exit: 0 },
        issueClass: limited ? `a failed write leaves a truncated file (${verb})` : undefined,
        area: 'RESOURCES (atomic outputs)',
        verify: output.endsWith('.dcm') ? (dir) => dciodvfyErrors(join(dir, output)) : undefined,
      };
      Object.defineProperty(c, 'previous', {
        get: () => (output.endsWith('.stl') ? prevStl() : previous()),
        enumerable: true,
      });
      out.push(c);
    }
  };
  add('convert', 'out.nii', (d) => [b.niiGz, '-o', join(d, 'out.nii')], 16);
  add('segment', 'out.nii', (d) => [b.niiGz, '-m', b.model, '-o', join(d, 'out.nii')], 8);
  add(
    'export-seg',
    'out.dcm',
    (d) => [b.labels, '--ref', b.series, '-o', join(d, 'out.dcm'), '--labels', b.labelTable],
    12,
  );
  add('import-seg', 'out.nii', (d) => [b.seg, '--ref', b.series, '-o', join(d, 'out.nii')], 8);
  add('mesh', 'mesh/label-1.stl', (d) => [b.labels, '-o', join(d, 'mesh'), '--smooth', '0'], 8, ['mesh']);
  return out;
}
