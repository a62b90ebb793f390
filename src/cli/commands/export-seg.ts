/**
 * `voxseg export-seg LABELS.nii.gz --ref DICOM_DIR -o SEG.dcm [--labels TABLE.json]`: a label map
 * on a DICOM series' grid -> one DICOM SEG referencing that series (src/io/seg). The written
 * SEG is read back onto the series as a check before the summary is printed.
 */
import { readFileSync } from 'node:fs';
import { VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import {
  alignToGrid,
  readLabelLayers,
  readLabelTable,
  readSeg,
  segmentsFromTable,
  writeSeg,
  type LabelTableEntry,
  type SegLayerEntry,
} from '../../io/seg/index';
import { loadInput } from '../inputs';
import { parse, usage, writeOutput, type CliIO, type Command } from '../util';
import { readRegularFile } from '../node-files';

const help = `Usage: voxseg export-seg LABELS.nii.gz --ref DICOM_DIR -o SEG.dcm [--labels TABLE.json]
                         [--series INDEX|UID] [--description TEXT] [--creator NAME]

Write a label map as a DICOM Segmentation (SEG, BINARY) that references the DICOM series
it was drawn on: one frame per segment and slice that has voxels, patient and study copied
from the series. The label map must lie on the series' voxel grid (as 'voxseg convert'
writes it; axes may be permuted or flipped, e.g. RAS); a 4-D label map holds one layer per
volume, so segments may overlap. Prints the segments with their frames and voxels.

Options:
  -r, --ref DIR         the DICOM series (files or folder) the labels belong to (required)
  -o, --output FILE     output SEG file, e.g. seg.dcm (required)
  -l, --labels FILE     label table JSON {"segments": [{"value": 1, "name": "Liver",
                        "color": [r, g, b], "category": {...}, "type": {...},
                        "algorithmType": "AUTOMATIC", "algorithmName": "...", "layer": 0}]}
                        (as 'voxseg import-seg' writes it). Without it segments are named
                        'Segment <value>'; known organ names get SNOMED CT codes, others the
                        generic 'Tissue'
  -s, --series SEL      which series under --ref when there are several (index or UID)
      --description T   SEG series description (default 'Segmentation')
      --creator NAME    Content Creator's Name, DICOM person name like Doe^Jane
  -h, --help            show this help

Exit status: 0 ok, 1 bad input (the message names the file and cause), 2 usage.
`;

/** Read a whole file; a missing file or a folder is a VoxsegError naming it. */
export async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(file);
  } catch (cause) {
    if (cause instanceof VoxsegError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new VoxsegError('unreadable', `is a folder; expected ${what}`, { file, cause });
    throw new VoxsegError(
      'not-found',
      code === 'ENOENT' ? 'no such file' : `cannot read file (${code ?? String(cause)})`,
      { file, cause },
    );
  }
}

/** The DICOM reference series (a NIfTI reference cannot be referenced by a SEG). */
export async function loadReference(ref: string, series: string | undefined, io: CliIO): Promise<Volume> {
  const { volume, series: chosen } = await loadInput([ref], series, (w) => io.err(`warning: ${w}\n`));
  if (chosen.kind !== 'dicom')
    throw usage(
      `--ref must be the DICOM series (a SEG references its images); ${ref} is ${chosen.kind === 'nifti' ? 'a NIfTI file' : 'not DICOM'}`,
    );
  return volume;
}

/** Voxels and slices of each segment in the layers. */
export function segmentStats(
  layers: readonly Volume[],
  placement: readonly SegLayerEntry[],
): Map<number, { voxels: number; slices: number }> {
  const out = new Map<number, { voxels: number; slices: number }>();
  for (const p of placement) {
    const l = layers[p.layer];
    const [nx, ny, nz] = l.header.dims;
    let voxels = 0;
    let slices = 0;
    for (let k = 0; k < nz; k++) {
      let n = 0;
      for (let i = k * nx * ny, end = i + nx * ny; i < end; i++) if (l.voxels[i] === p.value) n++;
      voxels += n;
      if (n) slices++;
    }
    const prev = out.get(p.number);
    out.set(
      p.number,
      prev ? { voxels: prev.voxels + voxels, slices: Math.max(prev.slices, slices) } : { voxels, slices },
    );
  }
  return out;
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Non-zero values of each layer (whole numbers 1..65535, else a VoxsegError naming the file). */
function valuesOf(layers: readonly Volume[], file: string): Set<number>[] {
  return layers.map((l, li) => {
    const seen = new Set<number>();
    let last = 0;
    for (const v of l.voxels) {
      if (v === 0 || v === last) continue;
      if (!Number.isInteger(v) || v < 0 || v > 65535)
        throw new VoxsegError(
          'invalid-volume',
          `label map${layers.length > 1 ? ` layer ${li}` : ''} holds ${v}; labels must be whole numbers 0..65535`,
          { file },
        );
      last = v;
      seen.add(v);
    }
    return seen;
  });
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const exportSegCommand: Command = {
  name: 'export-seg',
  summary: 'write a label map on a DICOM series as a DICOM SEG',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ref: { type: 'string', short: 'r' },
      output: { type: 'string', short: 'o' },
      labels: { type: 'string', short: 'l' },
      series: { type: 'string', short: 's' },
      description: { type: 'string' },
      creator: { type: 'string' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1) throw usage('export-seg needs exactly one label map (.nii or .nii.gz)');
    const [input] = positionals;
    if (!/\.nii(\.gz)?$/i.test(input)) throw usage(`label map ${JSON.stringify(input)} must be a .nii or .nii.gz file`);
    if (!values.ref) throw usage('export-seg needs the DICOM series of the labels: --ref DICOM_DIR');
    const out = values.output;
    if (!out) throw usage('export-seg needs an output file: -o SEG.dcm');
    const warn = (w: string) => io.err(`warning: ${w}\n`);

    const table0 = values.labels
      ? readLabelTable(
          new TextDecoder().decode(await readInput(values.labels, 'a label table JSON file')),
          values.labels,
        )
      : undefined;
    const read = readLabelLayers(await readInput(input, 'a NIfTI label map'), input);
    for (const w of read.warnings) warn(`${input}: ${w}`);
    const ref = await loadReference(values.ref, values.series, io);
    const md = ref.header.metadata;
    if (!md.seriesInstanceUid)
      warn(
        `the series in ${values.ref} has no SeriesInstanceUID: the SEG cannot name it (ReferencedSeriesSequence), viewers may not link them`,
      );
    if (!md.frameOfReferenceUid)
      warn(`the series in ${values.ref} has no FrameOfReferenceUID: the SEG has none either`);
    const layers = read.layers.map((l) => alignToGrid(l, ref, input));
    const present = valuesOf(layers, input);

    // table entries that have voxels, plus values the table does not name
    let entries: LabelTableEntry[] = [];
    if (table0) {
      const missing = table0.filter((e) => !present[e.layer ?? 0]?.has(e.value));
      if (missing.length)
        warn(
          `${missing.length} label table entr${missing.length > 1 ? 'ies have' : 'y has'} no voxels and ${missing.length > 1 ? 'are' : 'is'} left out: ${missing
            .slice(0, 8)
            .map((e) => `${e.value} ${e.name}`)
            .join(', ')}${missing.length > 8 ? ', ...' : ''}`,
        );
      entries = table0.filter((e) => !missing.includes(e));
    }
    present.forEach((vals, layer) => {
      for (const value of [...vals].sort((a, b) => a - b)) {
        if (entries.some((e) => (e.layer ?? 0) === layer && e.value === value)) continue;
        const name = layers.length > 1 ? `Segment ${value} (layer ${layer})` : `Segment ${value}`;
        if (table0)
          warn(
            `label value ${value}${layers.length > 1 ? ` (layer ${layer})` : ''} is not in ${values.labels}; written as '${name}'`,
          );
        entries.push({ value, name, layer });
      }
    });
    if (!entries.length)
      throw new VoxsegError('invalid-volume', 'label map has no labelled voxels (all 0): nothing to export', {
        file: input,
      });

    const { segments, placement } = segmentsFromTable(entries);
    const bytes = writeSeg(ref, { layers, segments: placement }, segments, {
      seriesDescription: values.description,
      contentCreator: values.creator,
      softwareVersion: packageVersion(),
    });
    // read it back onto the series: a check, and the numbers for the summary
    const back = readSeg(bytes, ref, out);
    const want = segmentStats(layers, placement);
    const got = segmentStats(back.layers, back.segmentLayer);
    for (const s of segments)
      if (got.get(s.number)?.voxels !== want.get(s.number)?.voxels)
        throw new VoxsegError(
          'invalid-volume',
          `internal check failed: segment ${s.number} (${s.label}) has ${got.get(s.number)?.voxels} voxels in the SEG, ${want.get(s.number)?.voxels} in the label map`,
        );
    await writeOutput(out, bytes);

    const rows = [['#', 'name', 'value', 'layer', 'frames', 'voxels', 'type']];
    let frames = 0;
    for (const s of segments) {
      const p = placement.find((x) => x.number === s.number)!;
      const st = got.get(s.number)!;
      frames += st.slices;
      rows.push([
        String(s.number),
        s.label,
        String(p.value),
        String(p.layer),
        String(st.slices),
        String(st.voxels),
        `${s.type.scheme} ${s.type.value} ${s.type.meaning}`,
      ]);
    }
    io.out(table(rows));
    io.out(
      `wrote ${out}: ${segments.length} segment${segments.length > 1 ? 's' : ''}, ${frames} frames, ${bytes.length} bytes\n`,
    );
    return 0;
  },
};
