/** `voxseg phantom -o DIR ...`: write the synthetic abdominal CT phantom (and its labels). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { VoxsegError } from '../../core/errors';
import { writeNifti } from '../../io/nifti/index';
import { generatePhantom } from '../../phantom/index';
import { writeFolder } from '../folder-output';
import { fmtVec, parse, parseInteger, parseTriple, usage, writeOutput, type Command } from '../util';

const help = `Usage: voxseg phantom -o DIR [--seed N] [--format dicom|nifti] [--labels]
                      [--dims X,Y,Z] [--spacing X,Y,Z] [--force]

Generate the deterministic synthetic abdominal CT phantom (int16 HU, LPS, axial slices
feet to head, head-first supine, centred on world 0,0,0).

Writes DIR/ct/IM0001.dcm... (one CT Image Storage file per slice; --format dicom, the
default) or DIR/ct.nii.gz (--format nifti). With --labels also DIR/labels.nii.gz (uint8:
1 liver, 2 spleen, 3 kidney_right, 4 kidney_left, 5 aorta, 6 spine, 7 lungs) and
DIR/labels.json (the label table: value, name, color).

Options:
  -o, --output DIR      output folder (required)
  --seed N              integer seed (default 1); same seed -> identical files
  --format F            dicom (default) or nifti
  --labels              also write the label map and label table
  --dims X,Y,Z          voxels (default 384,384,120)
  --spacing X,Y,Z       mm (default 0.9,0.9,2.5)
  --force               replace IM*.dcm files left in DIR/ct by an earlier run
  -h, --help            show this help
`;

async function prepareDicomDir(dir: string, force: boolean): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return; // does not exist yet
  }
  if (!names.length) return;
  const ours = names.filter((n) => /^IM\d+\.dcm$/.test(n));
  if (!force || ours.length !== names.length)
    throw new VoxsegError(
      'usage',
      `output folder ${dir} is not empty; use an empty folder${ours.length === names.length ? ' or --force' : ''}`,
    );
  // with --force the old series is replaced as a whole once the new one is written (writeFolder)
}

export const phantomCommand: Command = {
  name: 'phantom',
  summary: 'write the synthetic abdominal CT phantom (DICOM or NIfTI, optional labels)',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      seed: { type: 'string' },
      format: { type: 'string' },
      labels: { type: 'boolean' },
      dims: { type: 'string' },
      spacing: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const dir = values.output;
    if (!dir) throw usage('phantom needs an output folder: -o DIR');
    const format = values.format ?? 'dicom';
    if (format !== 'dicom' && format !== 'nifti')
      throw usage(`--format must be dicom or nifti, got ${JSON.stringify(format)}`);
    const seed = parseInteger(values.seed, 'seed') ?? 1;
    const dims = parseTriple(values.dims, 'dims', true);
    const spacing = parseTriple(values.spacing, 'spacing', false);

    const t0 = performance.now();
    const ph = generatePhantom({ seed, dims, spacing });
    const h = ph.ct.header;
    const what = `${h.dims.join('x')}, spacing ${fmtVec(h.spacing)} mm, seed ${seed}`;
    if (format === 'dicom') {
      const ctDir = join(dir, 'ct');
      await prepareDicomDir(ctDir, !!values.force);
      const { writeDicomSeries } = await import('../../io/dicom/write/index');
      const files = writeDicomSeries(ph.ct, { seed });
      // the series appears whole or not at all (an earlier one stays intact on a failed write)
      await writeFolder(ctDir, files);
      io.out(`wrote ${ctDir}: ${files.length} DICOM files (${what})\n`);
    } else {
      const path = join(dir, 'ct.nii.gz');
      await writeOutput(path, writeNifti(ph.ct, { gzip: true, level: 1, description: 'voxseg phantom CT' }));
      io.out(`wrote ${path} (${what})\n`);
    }
    if (values.labels) {
      const lp = join(dir, 'labels.nii.gz');
      await writeOutput(lp, writeNifti(ph.labels, { gzip: true, description: 'voxseg phantom labels' }));
      await writeOutput(join(dir, 'labels.json'), JSON.stringify(ph.labelTable, null, 2) + '\n');
      io.out(`wrote ${lp} and ${join(dir, 'labels.json')} (${ph.labelTable.length} labels)\n`);
    }
    io.err(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
