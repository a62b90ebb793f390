/**
 * DICOM SEG oddities, made by editing the suite's own SEG (written by `voxseg export-seg` on the
 * phantom) with dcmjs: SegmentNumber 0, two segments with one number, a frame naming a segment
 * that does not exist, NumberOfFrames 10 / 100 against 35 frames of data, pixel data cut in
 * half, frames 20 mm off in-plane or 1.2 mm between slices, a SEG of another series, no
 * segments; and variants that must import: deflated transfer syntax, FRACTIONAL, frames of
 * 45×45 that are not byte-aligned when bit-packed. Export side: 4,096 labels (seconds, not
 * minutes), labels off the series grid, a series whose UIDs are blank.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '../../src/io/nifti/read';
import { writeNifti } from '../../src/io/nifti/write';
import { createVolume } from '../../src/volume/volume';
import type { Base } from './fixtures';
import { writeSeries } from './cases-headers';
import type { Case, Expectation } from './types';
import {
  dciodvfyErrors,
  pydicomMaxLabel,
  deflatedSeg,
  editDicom,
  frames,
  pixels,
  refSeg,
  shift,
  toLabelmap,
  type Ds,
} from './seg-edit';

export function segCases(b: Base): Case[] {
  const out: Case[] = [];
  const imp = (
    id: string,
    make: (dir: string) => Uint8Array,
    e: Expectation,
    more: Partial<Case> = {},
    ref = b.series,
  ) =>
    out.push({
      id: `seg/${id}`,
      verb: 'import-seg',
      group: 'seg',
      setup: (dir) => writeFileSync(join(dir, 'seg.dcm'), make(dir)),
      args: (dir) => [join(dir, 'seg.dcm'), '--ref', ref, '-o', join(dir, 'out.nii.gz')],
      outputs: ['out.nii.gz'],
      expect: e,
      area: 'SEG-READ',
      ...more,
    });
  const ed = (edit: (ds: Ds) => void) => () => editDicom(b.seg, (ds) => edit(ds));
  const either = 'a named error or a warning that names the segment and what was done both satisfy the issue';
  imp(
    'segment-number-0',
    ed((ds) => {
      ds.SegmentSequence[0].SegmentNumber = 0;
      for (const f of frames(ds)) if (refSeg(f).ReferencedSegmentNumber === 1) refSeg(f).ReferencedSegmentNumber = 0;
    }),
    { exit: 'any', cause: /SegmentNumber|segment number/i },
    { issueClass: 'import-seg with SegmentNumber 0 writes the liver as background', debatable: either },
  );
  imp(
    'duplicate-segment-numbers',
    ed((ds) => {
      ds.SegmentSequence[1].SegmentNumber = 1;
      for (const f of frames(ds)) if (refSeg(f).ReferencedSegmentNumber === 2) refSeg(f).ReferencedSegmentNumber = 1;
    }),
    { exit: 'any', cause: /duplicate|twice|more than once|same (segment )?number|both have/i },
    { issueClass: 'two segments with one number drop the spleen', debatable: either },
  );
  imp(
    'frame-names-segment-99',
    ed((ds) => (refSeg(frames(ds)[0]).ReferencedSegmentNumber = 99)),
    {
      exit: 'any',
      cause: /99/,
    },
  );
  imp(
    'number-of-frames-10-of-35',
    ed((ds) => (ds.NumberOfFrames = 10)),
    { exit: 'any', cause: /NumberOfFrames|frame/i },
    {
      issueClass: 'NumberOfFrames 10 with 48 frames present loses 5 of 7 segments',
      debatable: either,
    },
  );
  imp(
    'number-of-frames-100-of-35',
    ed((ds) => (ds.NumberOfFrames = 100)),
    { exit: 1 },
    {
      issueClass: 'frame counts that disagree with the data',
    },
  );
  imp(
    'pixel-data-half',
    ed((ds) => (ds.PixelData = [pixels(ds).slice(0, pixels(ds).length >> 1).buffer])),
    { exit: 1 },
  );
  imp(
    'frames-20mm-off-in-plane',
    ed((ds) => shift(ds, [20, 0, 0])),
    { exit: 1, cause: /grid|slice|off|lie|position/i },
    {
      issueClass: 'frames 20 mm off in-plane snapped onto the slices with only a "gantry tilt" warning',
    },
  );
  imp(
    'frames-between-slices',
    ed((ds) => shift(ds, [0, 0, 1.2])),
    { exit: 1, cause: /grid|slice|off|lie|position/i },
    {
      issueClass: 'frames off the referenced grid',
    },
  );
  imp(
    'no-segments',
    ed((ds) => (ds.SegmentSequence = [])),
    { exit: 1 },
  );
  imp(
    'rows-24',
    ed((ds) => (ds.Rows = 24)),
    { exit: 1 },
  );
  imp(
    'another-series',
    () => new Uint8Array(readFileSync(b.seg)),
    { exit: 1, cause: /series|reference|grid|frame of reference/i },
    {},
    b.oddSeries,
  );
  imp('deflated-syntax', () => deflatedSeg(b.seg), { exit: 0 }, { issueClass: 'deflated SEG variants not read' });
  imp(
    'frames-45x45-not-byte-aligned',
    () => new Uint8Array(readFileSync(b.oddSeg)),
    { exit: 0 },
    { issueClass: 'bit-packed frames not byte-aligned' },
    b.oddSeries,
  );
  imp(
    'fractional-probability',
    ed((ds) => {
      const bits = pixels(ds);
      const bytes = new Uint8Array(bits.length * 8);
      for (let n = 0; n < bytes.length; n++) bytes[n] = (bits[n >> 3] >> (n & 7)) & 1 ? 255 : 0;
      Object.assign(ds, {
        SegmentationType: 'FRACTIONAL',
        SegmentationFractionalType: 'PROBABILITY',
        MaximumFractionalValue: 255,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelData: [bytes.buffer],
      });
      ds._vrMap = { ...(ds._vrMap ?? {}), PixelData: 'OB' };
    }),
    { exit: 0 },
    { issueClass: 'FRACTIONAL SEG variants' },
  );
  imp(
    'labelmap-sop-class',
    () => editDicom(b.seg, toLabelmap),
    { exit: 0, cause: /liver[\s\S]*spine[\s\S]*lungs/ },
    {
      issueClass: 'Label Map Segmentation SOP class (1.2.840.10008.5.1.4.1.1.66.7) not read',
    },
  );

  // export side
  const exp = (
    id: string,
    setup: (dir: string) => void,
    labels: string,
    ref: (dir: string) => string,
    e: Expectation,
    more: Partial<Case> = {},
  ) =>
    out.push({
      id: `seg/${id}`,
      verb: 'export-seg',
      group: 'seg',
      setup,
      args: (dir) => [join(dir, labels), '--ref', ref(dir), '-o', join(dir, 'out.dcm')],
      outputs: ['out.dcm'],
      expect: e,
      area: 'SEG-WRITE',
      ...more,
    });
  exp(
    'export-4096-labels',
    (dir) => writeManyLabels(b, join(dir, 'many.nii.gz')),
    'many.nii.gz',
    () => b.series,
    { exit: 'any', maxSeconds: 20 },
    { issueClass: 'export-seg with 4,096 labels runs past 2 minutes', timeoutSeconds: 30 },
  );
  // the Label Map SOP class writer: 4,096 labels in seconds; pydicom reads all 4,096 back (the
  // dciodvfy of Debian's dicom3tools does not know this IOD yet: it only says "not found")
  out.push({
    id: 'seg/export-labelmap-4096-labels',
    verb: 'export-seg',
    group: 'seg',
    setup: (dir) => writeManyLabels(b, join(dir, 'many.nii.gz')),
    args: (dir) => [join(dir, 'many.nii.gz'), '--ref', b.series, '-o', join(dir, 'out.dcm'), '--labelmap'],
    outputs: ['out.dcm'],
    expect: { exit: 0, maxSeconds: 20 },
    timeoutSeconds: 30,
    verify: (dir) => pydicomMaxLabel(join(dir, 'out.dcm'), 4096),
    issueClass: 'Label Map Segmentation export (--labelmap) for many labels',
    area: 'SEG-WRITE',
  });
  exp(
    'labels-off-grid',
    () => undefined,
    '',
    () => b.series,
    { exit: 1 },
    { args: (dir) => [b.oddLabels, '--ref', b.series, '-o', join(dir, 'out.dcm')] },
  );
  exp(
    'blank-uids',
    (dir) => {
      const blank = [0x0020000d, 0x0020000e, 0x00080018].map((tag) => ({ tag, vr: 'UI', value: '' }));
      writeSeries(dir, () => ({ override: blank }));
      const vol = createVolume({
        dims: [128, 128, 8],
        spacing: [0.9, 0.9, 2.5],
        origin: [-14, -14, 0],
        voxels: new Uint8Array(128 * 128 * 8).map((_, i) => ((i >> 4) % 3 === 0 ? 1 : 0)),
      });
      writeFileSync(join(dir, 'labels.nii.gz'), writeNifti(vol, { gzip: true }));
    },
    'labels.nii.gz',
    (dir) => join(dir, 's'),
    { exit: 'any', cause: /UID/i },
    {
      issueClass: 'SEG on a series with blank UIDs silently falls back to file-meta UIDs',
      debatable: 'derive UIDs and say so (exit 0) or refuse (exit 1); an exit-0 SEG must pass dciodvfy',
      verify: (dir) => dciodvfyErrors(join(dir, 'out.dcm')),
    },
  );
  return out;
}

/** A label map on the phantom series' grid holding 4,096 labels scattered over its voxels. */
function writeManyLabels(b: Base, path: string): void {
  const v = readNifti(new Uint8Array(readFileSync(b.labels)), 'labels.nii.gz');
  const lab = new Uint16Array(v.voxels.length);
  for (let i = 0; i < lab.length; i++) lab[i] = 1 + (((i * 2654435761) >>> 0) % 4096);
  writeFileSync(path, writeNifti(createVolume({ ...v.header, voxels: lab }), { gzip: true }));
}
