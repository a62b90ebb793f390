/**
 * Evaluation reports of the bundled brain tissue models (static/models/<id>/report.json + .md,
 * shown on their model cards): `voxseg evaluate` on a real skull-stripped T1 (bet.nii.gz) against
 * FSL FAST's partial-volume maps thresholded at 0.5 (white matter where pve_wm >= 0.5, grey
 * matter where pve_gm >= 0.5). Needs ../shared (or VOXSEG_SHARED_DATA); takes a few minutes.
 *   node bin/run-ts.js scripts/models/brain-reports.ts
 * Then `npm run models` writes `report: "report.json"` into those manifests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateCommand } from '../../src/cli/commands/evaluate';
import type { Mat3, Vec3 } from '../../src/core/types';
import { readNifti, writeNifti } from '../../src/io/nifti/index';
import { createVolume } from '../../src/volume/volume';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.VOXSEG_SHARED_DATA ?? join(root, '..', 'shared', 'data');
export const TISSUE_REPORTS = ['brainchop-tissue-light', 'brainchop-tissue'];
const PAIR_IMAGE = 'shared/data/nifti/mr/bet.nii.gz';
const PAIR_TRUTH = 'FSL FAST pve_2_wm / pve_1_gm >= 0.5 (shared/data/labels/fsl-fast)';

/** FAST pve map -> 0/1 at 0.5 (the reader applies scl_slope 1/255; raw bytes compare with 127.5). */
function pveMask(file: string) {
  const v = readNifti(new Uint8Array(readFileSync(join(shared, file))), file);
  const src = v.voxels as ArrayLike<number>;
  let max = 0;
  for (let n = 0; n < src.length; n++) if (src[n] > max) max = src[n];
  const scale = max <= 1 ? 255 : 1;
  return { volume: v, mask: Uint8Array.from(src as ArrayLike<number>, (x) => (Math.round(x * scale) >= 128 ? 1 : 0)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'voxseg-fast-'));
  try {
    const wm = pveMask('labels/fsl-fast/pve_2_wm.nii.gz');
    const gm = pveMask('labels/fsl-fast/pve_1_gm.nii.gz');
    const h = wm.volume.header;
    const labels = wm.mask.map((w, n) => (w ? 1 : gm.mask[n] ? 2 : 0));
    const truth = createVolume({
      dims: [...h.dims] as Vec3,
      spacing: [...h.spacing] as Vec3,
      origin: [...h.origin] as Vec3,
      direction: [...h.direction] as Mat3,
      voxels: labels,
    });
    const truthFile = join(dir, 'bet-fsl-fast.nii.gz');
    writeFileSync(truthFile, writeNifti(truth, { gzip: true, description: 'FSL FAST pve >= 0.5' }));
    writeFileSync(
      join(dir, 'bet-fsl-fast.json'),
      JSON.stringify([
        { value: 1, name: 'White Matter' },
        { value: 2, name: 'Grey Matter' },
      ]),
    );
    const io = { out: (t: string) => void process.stdout.write(t), err: (t: string) => void process.stderr.write(t) };
    for (const id of TISSUE_REPORTS) {
      const out = join(root, 'static/models', id);
      const code = await evaluateCommand.run(
        [
          out,
          '--pair',
          join(shared, 'nifti/mr/bet.nii.gz'),
          truthFile,
          '-o',
          join(out, 'report.json'),
          '--markdown',
          join(out, 'report.md'),
        ],
        io,
      );
      if (code !== 0) process.exit(code);
      // Name the files as a reader finds them, not by this machine's paths.
      for (const f of ['report.json', 'report.md']) {
        const text = readFileSync(join(out, f), 'utf8')
          .split(join(shared, 'nifti/mr/bet.nii.gz'))
          .join(PAIR_IMAGE)
          .split(truthFile)
          .join(PAIR_TRUTH);
        writeFileSync(join(out, f), text);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
