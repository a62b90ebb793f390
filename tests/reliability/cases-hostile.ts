/**
 * Decompression bombs and gzip damage: a 10 GiB .nii.gz, a NIfTI whose gzip stream runs far past
 * its header's size, a gzip-wrapped and a deflated-syntax DICOM of 4 GiB, a .nii declaring
 * 10 GiB; bad gzip CRC / ISIZE on NIfTI, label maps and DICOM. Bombs must be refused in under
 * 2 s of CPU with a peak RSS under 500 MiB (the issue's numbers).
 */
import { concatBytes } from '../../src/core/bytes';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gzipWithZeros, deflateWithZeros, withBadCrc, withBadLength } from './bombs';
import { ctElements, DEFLATED_LE, elementHeader, encodeDataset, part10 } from './dicom-bytes';
import type { Base } from './fixtures';
import type { Case, Verb } from './types';

export const FAST = { maxSeconds: 2, maxRssMb: 500 };
const SIZE = /gzip|inflat|decompress|exceed|limit|too large|GiB|GB|MiB|bytes/i;
export const RES = 'RESOURCES';

export function mkfifo(path: string): void {
  if (spawnSync('mkfifo', [path]).status !== 0) throw new Error(`mkfifo ${path} failed`);
}

/** A NIfTI-1 header (the base file's) declaring other dims. */
function niftiHeader(b: Base, dims: number[]): Uint8Array {
  const h = new Uint8Array(gunzipSync(readFileSync(b.niiGz)).subarray(0, 352));
  const dv = new DataView(h.buffer);
  dv.setInt16(40, dims.length, true);
  dims.forEach((d, i) => dv.setInt16(42 + 2 * i, d, true));
  return h;
}

/** The elements of a 4 GiB two-frame 16-bit CT, up to its PixelData header (native, explicit LE). */
function bombDataset(frames = 2): Uint8Array {
  const rows = 32768;
  const cols = 32767;
  const el = ctElements({ rows, columns: cols, index: 0, series: '90' });
  el.push({ tag: 0x00280008, vr: 'IS', value: String(frames) });
  return concatBytes([encodeDataset(el), elementHeader(0x7fe00010, 'OW', rows * cols * 2 * frames)]);
}
const BOMB_PIXELS = 32768 * 32767 * 2 * 2;

function verbArgs(verb: Verb, input: string, dir: string, b: Base): string[] {
  if (verb === 'info') return [input];
  if (verb === 'convert') return [input, '-o', join(dir, 'out.nii.gz')];
  if (verb === 'segment') return [input, '-m', b.model, '-o', join(dir, 'out.nii.gz')];
  if (verb === 'mesh') return [input, '-o', join(dir, 'mesh')];
  if (verb === 'export-seg') return [input, '--ref', b.series, '-o', join(dir, 'out.dcm')];
  return [input, '--ref', b.series, '-o', join(dir, 'out.nii.gz')];
}
const outputsOf = (verb: Verb) =>
  verb === 'info' ? [] : verb === 'mesh' ? ['mesh'] : verb === 'export-seg' ? ['out.dcm'] : ['out.nii.gz'];

export function hostileCases(b: Base): Case[] {
  const cases: Case[] = [];
  /** One case per verb reading `name` written by `make`. */
  const onVerbs = (id: string, verbs: Verb[], name: string, make: (dir: string) => void, extra: Partial<Case>) => {
    for (const verb of verbs)
      cases.push({
        id: `${id}-${verb}`,
        verb,
        group: extra.group ?? 'bomb',
        setup: make,
        args: (dir) => verbArgs(verb, join(dir, name), dir, b),
        outputs: outputsOf(verb),
        ...extra,
      });
  };

  // --- bombs ---------------------------------------------------------------------------------
  const tenGiB = (dir: string) =>
    writeFileSync(join(dir, 'bomb.nii.gz'), gzipWithZeros(niftiHeader(b, [2048, 2048, 1280]), 10 * 2 ** 30));
  onVerbs('bomb/nii-gz-10gib', ['info', 'convert', 'segment', 'mesh'], 'bomb.nii.gz', tenGiB, {
    expect: { exit: 1, cause: SIZE, ...FAST },
    issueClass: 'a .nii.gz of 9 MB that inflates to 10 GiB keeps info/convert busy',
    area: RES,
  });
  const lying = (dir: string) =>
    writeFileSync(join(dir, 'lying.nii.gz'), gzipWithZeros(niftiHeader(b, [48, 48, 12]), 4 * 2 ** 30));
  onVerbs('bomb/nii-gz-past-header', ['info', 'convert'], 'lying.nii.gz', lying, {
    expect: { exit: 1, cause: SIZE, ...FAST },
    issueClass: 'gzip streams inflated without a size limit derived from the header',
    area: RES,
    debatable: 'a stream longer than its header declares could also be read up to the declared size and warned',
  });
  const dcmGz = (dir: string) => {
    const head = part10([], { sopInstance: '1.2.826.0.1.3680043.9.7433.90.1', body: bombDataset() });
    writeFileSync(join(dir, 'bomb.dcm'), gzipWithZeros(head, BOMB_PIXELS));
  };
  onVerbs('bomb/dicom-gzip', ['info', 'convert'], 'bomb.dcm', dcmGz, {
    expect: { exit: 1, ...FAST },
    issueClass: 'a DICOM gzip bomb keeps info/convert busy past 2 minutes',
    area: RES,
  });
  const deflated = (dir: string) => {
    const body = deflateWithZeros(bombDataset(), BOMB_PIXELS);
    const file = part10([], { sopInstance: '1.2.826.0.1.3680043.9.7433.90.2', transferSyntax: DEFLATED_LE, body });
    writeFileSync(join(dir, 'deflated.dcm'), file);
  };
  onVerbs('bomb/dicom-deflated', ['info', 'convert'], 'deflated.dcm', deflated, {
    expect: { exit: 1, ...FAST },
    issueClass: 'a 4 MB deflated-syntax DICOM reaches 4.6 GB RSS',
    area: RES,
  });
  // half the size (2 GiB of pixels, 2 MB on disk): under a 4 GB ceiling, but listing it needs no pixels
  const deflatedHalf = (dir: string) => {
    const body = deflateWithZeros(bombDataset(1), BOMB_PIXELS / 2);
    const file = part10([], { sopInstance: '1.2.826.0.1.3680043.9.7433.90.3', transferSyntax: DEFLATED_LE, body });
    writeFileSync(join(dir, 'deflated.dcm'), file);
  };
  onVerbs('bomb/dicom-deflated-2gib', ['info'], 'deflated.dcm', deflatedHalf, {
    expect: { exit: 'any', ...FAST },
    issueClass: 'a 4 MB deflated-syntax DICOM reaches 4.6 GB RSS',
    area: RES,
    debatable:
      'info only lists series: it may list this one (exit 0) or refuse it, but must not inflate 2 GiB to do so',
  });
  const hugeNii = (dir: string) => writeFileSync(join(dir, 'huge.nii'), niftiHeader(b, [2048, 2048, 1280]));
  onVerbs('bomb/nii-declares-10gib', ['info', 'convert'], 'huge.nii', hugeNii, {
    expect: { exit: 1, ...FAST },
    issueClass: 'declared sizes checked against the file before allocating',
    area: RES,
  });
  const manyVolumes = (dir: string) =>
    writeFileSync(join(dir, 'many.nii.gz'), gzipWithZeros(niftiHeader(b, [48, 48, 12, 30000]), 2 ** 20));
  onVerbs('bomb/nii-4d-30000-volumes', ['info', 'convert'], 'many.nii.gz', manyVolumes, {
    expect: { exit: 'any', ...FAST },
    area: RES,
  });

  // --- gzip damage ---------------------------------------------------------------------------
  const crc = (dir: string) => writeFileSync(join(dir, 'crc.nii.gz'), withBadCrc(readFileSync(b.niiGz)));
  onVerbs('gzip/nii-bad-crc', ['info', 'convert', 'segment'], 'crc.nii.gz', crc, {
    group: 'gzip',
    expect: { exit: 1, cause: /CRC|checksum/i },
    issueClass: 'a .nii.gz with a bad gzip CRC is accepted',
    area: RES,
  });
  const labCrc = (dir: string) => writeFileSync(join(dir, 'crc.nii.gz'), withBadCrc(readFileSync(b.labels)));
  onVerbs('gzip/labels-bad-crc', ['mesh', 'export-seg'], 'crc.nii.gz', labCrc, {
    group: 'gzip',
    expect: { exit: 1, cause: /CRC|checksum/i },
    issueClass: 'a .nii.gz with a bad gzip CRC is accepted',
    area: RES,
  });
  const len = (dir: string) => writeFileSync(join(dir, 'len.nii.gz'), withBadLength(readFileSync(b.niiGz)));
  onVerbs('gzip/nii-bad-length', ['info', 'convert'], 'len.nii.gz', len, {
    group: 'gzip',
    expect: { exit: 1, cause: /length|size|ISIZE/i },
    issueClass: 'gzip length (ISIZE) not checked',
    area: RES,
  });
  const dcmCrc = (dir: string) => {
    const f = readFileSync(join(b.series, b.seriesFiles[0]));
    writeFileSync(join(dir, 'slice.dcm.gz'), withBadCrc(gzipSync(f)));
  };
  onVerbs('gzip/dicom-bad-crc', ['info'], 'slice.dcm.gz', dcmCrc, {
    group: 'gzip',
    expect: { exit: 1, cause: /CRC|checksum/i },
    area: RES,
  });
  return cases;
}
