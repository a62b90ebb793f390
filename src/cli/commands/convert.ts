/** `voxseg convert <path...> -o out.nii[.gz] [--series INDEX|UID]`: one series -> NIfTI. */
import { writeNifti } from '../../io/nifti/index';
import { orientationCode } from '../../volume/geometry';
import { loadInput } from '../inputs';
import { fmtVec, parse, usage, writeOutput, type Command } from '../util';

const help = `Usage: voxseg convert <path...> -o OUT.nii.gz [--series INDEX|UID]

Load one image series (DICOM files/folders or a NIfTI file) and write it as NIfTI-1
(RAS+ sform and qform, real-world values such as HU, scl_slope 1). OUT ending in .gz is
gzip-compressed.

Options:
  -o, --output FILE     output .nii or .nii.gz (required)
  -s, --series SEL      which series when several are found: its index (as listed by
                        'voxseg info') or its UID
  -h, --help            show this help

Exit status: 0 ok, 1 bad input (the message names the file and cause), 2 usage
(including several series found without --series).
`;

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert one series to NIfTI (.nii / .nii.gz)',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      output: { type: 'string', short: 'o' },
      series: { type: 'string', short: 's' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (!positionals.length) throw usage('convert needs at least one input file or folder');
    const out = values.output;
    if (!out) throw usage('convert needs an output file: -o OUT.nii.gz');
    if (!/\.nii(\.gz)?$/i.test(out)) throw usage(`output ${JSON.stringify(out)} must end in .nii or .nii.gz`);

    const { volume } = await loadInput(positionals, values.series, (w) => io.err(`warning: ${w}\n`));
    const h = volume.header;
    const description = [h.metadata.modality, h.metadata.seriesDescription].filter(Boolean).join(' ');
    await writeOutput(out, writeNifti(volume, { gzip: /\.gz$/i.test(out), description, name: out }));
    io.out(
      `wrote ${out}: ${h.dims.join('x')} ${h.dtype}, spacing ${fmtVec(h.spacing)} mm, ${orientationCode(h.direction)}\n`,
    );
    return 0;
  },
};
