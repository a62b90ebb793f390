/**
 * `voxseg import-seg SEG.dcm --ref DICOM_DIR -o labels.nii.gz`: a DICOM SEG onto the grid of the
 * series it segments -> a NIfTI label map (4-D, one volume per layer, when segments overlap) and
 * its label table (labels.json beside it: names, colours, codes, layer and value of each segment).
 */
import { readSegAsync, tableFromSegments, writeLabelLayers, writeLabelTable } from '../../io/seg/index';
import { parse, usage, writeOutput, type Command } from '../util';
import { loadReference, readInput, segmentStats, table } from './export-seg';

const help = `Usage: voxseg import-seg SEG.dcm --ref DICOM_DIR -o LABELS.nii.gz [--series INDEX|UID]

Read a DICOM Segmentation onto the grid of the DICOM series it segments and write it as
a NIfTI label map whose voxel values are the segment numbers, plus a label table
LABELS.json beside it (same name, .json) with each segment's name, colour, codes,
algorithm, layer and value. When segments overlap, the label map is 4-D: one volume
(layer) per group of non-overlapping segments, so no voxel is lost.

Read: Segmentation Storage (BINARY; FRACTIONAL probability/occupancy, binarized at half
the MaximumFractionalValue, with a warning per segment) and Label Map Segmentation
Storage (8/16 bit, grey or palette colour); uncompressed (little or big endian),
deflated, RLE and JPEG 2000 / JPEG-LS pixel data. Frames more than 0.1 voxel off the
series' slices are an error giving the distance, never snapped; on a series that was
resampled (gantry tilt, uneven gaps) frames on its acquired images are resampled onto
the regular grid (nearest neighbour). Invalid, duplicate or unknown segment numbers and
frame counts that disagree with the pixel data are errors, or warnings that name the
segment and what was done.

Options:
  -r, --ref DIR         the DICOM series the SEG was made on (files or folder; required)
  -o, --output FILE     output .nii or .nii.gz (required); the table goes to FILE's name + .json
  -s, --series SEL      which series under --ref when there are several (index or UID)
  -h, --help            show this help

Exit status: 0 ok, 1 bad input (the message names the file and cause), 2 usage.
`;

export const importSegCommand: Command = {
  name: 'import-seg',
  summary: 'read a DICOM SEG onto its series as a NIfTI label map + label table',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ref: { type: 'string', short: 'r' },
      output: { type: 'string', short: 'o' },
      series: { type: 'string', short: 's' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1) throw usage('import-seg needs exactly one DICOM SEG file');
    const [input] = positionals;
    if (!values.ref) throw usage('import-seg needs the DICOM series the SEG belongs to: --ref DICOM_DIR');
    const out = values.output;
    if (!out) throw usage('import-seg needs an output file: -o LABELS.nii.gz');
    if (!/\.nii(\.gz)?$/i.test(out)) throw usage(`output ${JSON.stringify(out)} must end in .nii or .nii.gz`);
    const tableFile = out.replace(/\.nii(\.gz)?$/i, '.json');

    const bytes = await readInput(input, 'a DICOM SEG file');
    const ref = await loadReference(values.ref, values.series, io);
    const seg = await readSegAsync(bytes, ref, input);
    for (const w of seg.warnings) io.err(`warning: ${input}: ${w}\n`);
    const description = seg.layers[0].header.metadata.seriesDescription ?? 'SEG';
    await writeOutput(out, writeLabelLayers(seg.layers, { gzip: /\.gz$/i.test(out), description }));
    await writeOutput(tableFile, writeLabelTable(tableFromSegments(seg.segments, seg.segmentLayer)));

    const stats = segmentStats(seg.layers, seg.segmentLayer);
    const rows = [['#', 'name', 'layer', 'value', 'slices', 'voxels']];
    for (const s of seg.segments) {
      const p = seg.segmentLayer.find((x) => x.number === s.number)!;
      const st = stats.get(s.number)!;
      rows.push([String(s.number), s.label, String(p.layer), String(p.value), String(st.slices), String(st.voxels)]);
    }
    io.out(table(rows));
    const n = seg.layers.length;
    const layers = n > 1 ? `, ${n} layers (overlapping segments)` : '';
    io.out(
      `wrote ${out} (${ref.header.dims.join('x')}${layers}) and ${tableFile}: ${seg.segments.length} segment${seg.segments.length > 1 ? 's' : ''}\n`,
    );
    return 0;
  },
};
