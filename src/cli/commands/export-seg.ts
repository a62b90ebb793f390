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
  buildSeg,
  derivedUidsWarning,
  readSeg,
  segmentsFromTable,
  type LabelTableEntry,
  type SegLayerEntry,
  type SegSegment,
} from '../../io/seg/index';
import { loadInput } from '../inputs';
import { parse, usage, writeOutput, type CliIO, type Command } from '../util';
import { readRegularFile } from '../node-files';
import { checkReadBack, segmentStats, table } from './export-seg-check';
import { writeReferenceCopies } from './export-seg-writeref';

export { segmentStats, table };

const help = `Usage: voxseg export-seg LABELS.nii.gz --ref DICOM_DIR -o SEG.dcm [--labels TABLE.json]
                         [--series INDEX|UID] [--description TEXT] [--creator NAME] [--labelmap]
                         [--write-ref DIR]

Write a label map as a DICOM Segmentation (SEG, BINARY) that references the DICOM series
it was drawn on: one frame per segment and slice that has voxels, patient and study copied
from the series. The label map must lie on the series' voxel grid (as 'voxseg convert'
writes it; axes may be permuted or flipped, e.g. RAS); a 4-D label map holds one layer per
volume, so segments may overlap. Prints the segments with their slices and voxels (per
segment, the slices holding it: its frames in a BINARY SEG).

A series the loader resampled (gantry tilt, uneven gaps) gets its frames on the acquired
images: each frame is sampled from the label map at that image's pixel centres (nearest
neighbour) and references that image at its own position. A series whose Study or Series
Instance UID is blank gets derived, deterministic UIDs (2.25.…), named in a warning;
--write-ref writes the series back with them.

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
      --labelmap        write a Label Map Segmentation (SOP class 1.2.840.10008.5.1.4.1.1.66.7,
                        SegmentationType LABELMAP): one 8-bit frame per slice (16-bit past 255
                        segments), a pixel holds its segment number; far smaller for many
                        labels; segments must not overlap. Read by recent viewers (OHIF 3.9+,
                        highdicom); older ones read only the default BINARY SEG
      --write-ref DIR   also write copies of the --ref series' files into DIR with their
                        blank UIDs filled: Study/Series Instance UID as the SEG references
                        them, SOP Instance/Class UID from each file's meta; all else kept
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
      labelmap: { type: 'boolean' },
      'write-ref': { type: 'string' },
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
    let written: ReturnType<typeof buildSeg>;
    try {
      written = buildSeg(ref, { layers, segments: placement }, segments, {
        seriesDescription: values.description,
        contentCreator: values.creator,
        softwareVersion: packageVersion(),
        labelmap: !!values.labelmap,
      });
    } catch (e) {
      // name the file: the reference series, or else the label map
      if (!(e instanceof VoxsegError) || e.file) throw e;
      const file = /reference/.test(e.reason) ? values.ref : input;
      throw new VoxsegError(e.code, e.reason, { file, cause: e });
    }
    const { bytes } = written;
    const writeRef = values['write-ref'];
    const derived = derivedUidsWarning(
      written.source,
      values.ref,
      writeRef ? `--write-ref ${writeRef} does` : 'voxseg export-seg ... --write-ref DIR',
    );
    if (derived) warn(derived);
    const want = segmentStats(layers, placement);
    if (md.acquisition)
      warn(
        `the series in ${values.ref} was resampled for display (${md.acquisition.reason}): the SEG frames lie on its ${md.acquisition.slices.length} acquired images, sampled from the label map (nearest neighbour)`,
      );
    else checkReadBack(bytes, ref, out, segments, want, !!values.labelmap);
    await writeOutput(out, bytes);
    if (writeRef) {
      const r = await writeReferenceCopies(values.ref, md, written.source, writeRef);
      io.out(
        `wrote ${r.files} file${r.files > 1 ? 's' : ''} of the series to ${writeRef}${r.filled.size ? ` with ${[...r.filled].join(', ')} filled` : ' (no UID was blank)'}\n`,
      );
    }

    const rows = [['#', 'name', 'value', 'layer', 'slices', 'voxels', 'type']];
    const where = new Map(placement.map((p) => [p.number, p]));
    for (const s of segments) {
      const p = where.get(s.number)!;
      const st = want.get(s.number)!;
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
      `wrote ${out}: ${values.labelmap ? 'label map SEG, ' : ''}${segments.length} segment${segments.length > 1 ? 's' : ''}, ${written.frames} frames, ${bytes.length} bytes\n`,
    );
    return 0;
  },
};
