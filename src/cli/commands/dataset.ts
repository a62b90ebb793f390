/** `voxseg dataset -o DIR --seeds 1-40 ...`: phantom cases as an nnU-Net style training set. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNifti } from '../../io/nifti/index';
import { PHANTOM_LABELS, generatePhantom, parseSeeds, phantomCase, type CaseKind } from '../../phantom/index';
import { fmtVec, parse, usage, writeOutput, type Command } from '../util';

const help = `Usage: voxseg dataset -o DIR --seeds LIST [--kind varied|demo] [--split train|test]

Write phantom cases in the nnU-Net layout: DIR/imagesTr/case_SEED_0000.nii.gz (CT, int16 HU)
and DIR/labelsTr/case_SEED.nii.gz (uint8 labels: ${PHANTOM_LABELS.map((l) => `${l.value} ${l.name}`).join(', ')}),
or imagesTs/labelsTs with --split test, and DIR/dataset.json (channel names, labels, cases and
each case's acquisition: dims, spacing, noise, contrast phase).

Cases:
  varied (default)  field of view, in-plane spacing (0.9-1.6 mm), slice thickness (1.5-5 mm),
                    noise (4-25 HU), organ sizes and positions, body drift and contrast phase
                    (native, arterial, portal, delayed), all drawn from the seed
  demo              the demo study's acquisition (256x256x100 at 1.35x1.35x3 mm, 12 HU noise)

Options:
  -o, --output DIR   output folder (required); dataset.json lists every case written there
  --seeds LIST       seeds, e.g. 1-40 or 1001,1002,1010-1020 (required)
  --kind K           varied (default) or demo
  --split S          train (default) or test
  -h, --help         show this help
`;

interface CaseRecord {
  seed: number;
  kind: CaseKind;
  split: 'train' | 'test';
  image: string;
  label: string;
  dims: number[];
  spacing: number[];
  noise: number;
  phase: string;
}

export const datasetCommand: Command = {
  name: 'dataset',
  summary: 'write phantom cases as an nnU-Net style training or test set',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      seeds: { type: 'string' },
      kind: { type: 'string' },
      split: { type: 'string' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length) throw usage(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const dir = values.output;
    if (!dir) throw usage('dataset needs an output folder: -o DIR');
    if (!values.seeds) throw usage('dataset needs --seeds, e.g. --seeds 1-40');
    const kind = (values.kind ?? 'varied') as CaseKind;
    if (kind !== 'varied' && kind !== 'demo')
      throw usage(`--kind must be varied or demo, got ${JSON.stringify(values.kind)}`);
    const split = (values.split ?? 'train') as 'train' | 'test';
    if (split !== 'train' && split !== 'test')
      throw usage(`--split must be train or test, got ${JSON.stringify(values.split)}`);
    let seeds: number[];
    try {
      seeds = parseSeeds(values.seeds);
    } catch (err) {
      throw usage((err as Error).message);
    }
    const suffix = split === 'train' ? 'Tr' : 'Ts';
    const t0 = performance.now();
    const cases: CaseRecord[] = await readCases(join(dir, 'dataset.json'));
    for (const seed of seeds) {
      const opts = phantomCase(seed, kind);
      const ph = generatePhantom(opts);
      const name = `case_${String(seed).padStart(4, '0')}`;
      const image = `images${suffix}/${name}_0000.nii.gz`;
      const label = `labels${suffix}/${name}.nii.gz`;
      await writeOutput(
        join(dir, image),
        writeNifti(ph.ct, { gzip: true, level: 1, description: `voxseg phantom ${kind} seed ${seed}` }),
      );
      await writeOutput(
        join(dir, label),
        writeNifti(ph.labels, { gzip: true, level: 1, description: 'voxseg phantom labels' }),
      );
      const rec: CaseRecord = {
        seed,
        kind,
        split,
        image,
        label,
        dims: [...opts.dims],
        spacing: [...opts.spacing],
        noise: opts.noise ?? 12,
        phase: ph.phase,
      };
      const at = cases.findIndex((c) => c.image === image);
      if (at >= 0) cases[at] = rec;
      else cases.push(rec);
      io.err(
        `${name}: ${opts.dims.join('x')} at ${fmtVec(opts.spacing)} mm, ${ph.phase} phase, noise ${rec.noise.toFixed(1)} HU\n`,
      );
    }
    const labels: Record<string, number> = { background: 0 };
    for (const l of PHANTOM_LABELS) labels[l.name] = l.value;
    const dataset = {
      name: 'voxseg abdominal phantom',
      description:
        "Synthetic abdominal CT phantoms written by voxseg (voxseg dataset); labels are the phantom generator's own.",
      channel_names: { '0': 'CT' },
      labels,
      numTraining: cases.filter((c) => c.split === 'train').length,
      file_ending: '.nii.gz',
      cases,
    };
    await writeOutput(join(dir, 'dataset.json'), JSON.stringify(dataset, null, 1) + '\n');
    io.out(`wrote ${seeds.length} ${kind} cases to ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    return 0;
  },
};

async function readCases(path: string): Promise<CaseRecord[]> {
  try {
    const d = JSON.parse(await readFile(path, 'utf8')) as { cases?: CaseRecord[] };
    return Array.isArray(d.cases) ? d.cases : [];
  } catch {
    return [];
  }
}
