/**
 * Headers that contradict their data, written byte by byte (dicom-bytes.ts) as small 8-slice CT
 * series: BitsAllocated 1/8 on 16-bit data, Rows/Columns 64 over 128, pixel data shorter or
 * longer than declared, RescaleSlope 0 / 1e308 / NaN, ImagePositionPatient 1e300 / NaN; strings
 * with terminal control characters; 130 000 frames of 1×1; a gantry-tilted series with
 * alternating gaps; NaN/Inf voxels in a NIfTI. The series helpers are shared with cases-codecs.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '../../src/io/nifti/read';
import { writeNifti } from '../../src/io/nifti/write';
import { createVolume } from '../../src/volume/volume';
import type { CtSliceSpec, Element } from './dicom-bytes';
import { ctElements, ctSlice, part10, rampPixels } from './dicom-bytes';
import type { Base } from './fixtures';
import type { Case, Expectation, Verb } from './types';

export const N = 8;
export const has = (tool: string) => spawnSync('which', [tool]).status === 0;

/** Write an N-slice series into dir/s; `spec(k)` adjusts each slice. */
export function writeSeries(dir: string, spec: (k: number) => Partial<CtSliceSpec> = () => ({}), n = N): string {
  const s = join(dir, 's');
  mkdirSync(s, { recursive: true });
  for (let k = 0; k < n; k++) {
    const base: CtSliceSpec = { rows: 128, columns: 128, index: k, series: '10' };
    writeFileSync(join(s, `IM${String(k + 1).padStart(4, '0')}.dcm`), ctSlice({ ...base, ...spec(k) }));
  }
  return s;
}

export const us = (tag: number, v: number): Element => ({ tag, vr: 'US', value: [v] });
export const ds = (tag: number, v: string): Element => ({ tag, vr: 'DS', value: v });
export const BITS = (a: number, s: number) => [us(0x00280100, a), us(0x00280101, s), us(0x00280102, s - 1)];
const CONTRA = /BitsAllocated|Rows|Columns|pixel data|declare|expect|bytes|length/i;
const RES = 'RESOURCES';

export function seriesCase(
  id: string,
  verb: Verb,
  spec: (k: number) => Partial<CtSliceSpec>,
  extra: Partial<Case>,
): Case {
  return {
    id: `header/${id}-${verb}`,
    verb,
    group: 'header',
    setup: (dir) => void writeSeries(dir, spec),
    // a contradiction may split the series: --series 0 keeps convert from stopping at "several series" (exit 2)
    args: (dir) =>
      verb === 'info' ? [join(dir, 's')] : [join(dir, 's'), '-o', join(dir, 'out.nii.gz'), '--series', '0'],
    outputs: verb === 'info' ? [] : ['out.nii.gz'],
    area: RES,
    ...extra,
  };
}

export function headerCases(b: Base): Case[] {
  const out: Case[] = [];
  const both = (
    id: string,
    spec: (k: number) => Partial<CtSliceSpec>,
    e: Expectation,
    cls?: string,
    more: Partial<Case> = {},
  ) => {
    for (const verb of ['info', 'convert'] as Verb[])
      out.push(seriesCase(id, verb, spec, { expect: e, issueClass: cls, ...more }));
  };
  const big = (k: number) => rampPixels(128, 128, k);
  both(
    'bits-allocated-1',
    () => ({ override: BITS(1, 1) }),
    { exit: 1, cause: CONTRA },
    'BitsAllocated 1 on 16-bit data accepted',
  );
  both(
    'bits-allocated-8',
    () => ({ override: BITS(8, 8) }),
    { exit: 1, cause: CONTRA },
    'BitsAllocated 8 on 16-bit data accepted',
  );
  both(
    'rows-64-of-128',
    () => ({ override: [us(0x00280010, 64)] }),
    { exit: 1, cause: CONTRA },
    'Rows 64 over 128 rows of data accepted',
  );
  both(
    'columns-64-of-128',
    () => ({ override: [us(0x00280011, 64)] }),
    { exit: 1, cause: CONTRA },
    'pixel data longer than declared accepted',
  );
  both(
    'data-double-length',
    (k) => ({ pixels: new Uint8Array([...big(k), ...big(k)]) }),
    { exit: 1, cause: CONTRA },
    'pixel data longer than declared accepted',
  );
  both(
    'data-half-length',
    (k) => ({ pixels: big(k).slice(0, 128 * 64 * 2) }),
    { exit: 1 },
    'pixel data shorter than declared',
  );
  both('rows-0', () => ({ override: [us(0x00280010, 0)] }), { exit: 1 });
  both('frames-1000-declared', () => ({ override: [{ tag: 0x00280008, vr: 'IS', value: '1000' }] }), { exit: 1 });
  const slope = /slope/i;
  out.push(
    seriesCase('slope-0', 'convert', () => ({ override: [ds(0x00281053, '0')] }), {
      expect: { exit: 1, cause: slope },
      issueClass: 'RescaleSlope 0 (constant volume) accepted',
    }),
  );
  out.push(
    seriesCase('slope-1e308', 'convert', () => ({ override: [ds(0x00281053, '1e308')] }), {
      expect: { exit: 1, cause: slope },
      issueClass: 'RescaleSlope 1e308 (78% ±Inf) accepted',
    }),
  );
  out.push(
    seriesCase('slope-nan', 'convert', () => ({ override: [ds(0x00281053, 'NaN')] }), {
      expect: { exit: 1, cause: slope },
      issueClass: 'non-finite rescale',
    }),
  );
  out.push(
    seriesCase('intercept-1e308', 'convert', () => ({ override: [ds(0x00281052, '-1e308')] }), {
      expect: { exit: 1, cause: /intercept|finite/i },
      issueClass: 'non-finite rescale',
      debatable: 'the issue names slope; an intercept that overflows float32 is the same class',
    }),
  );
  out.push(
    seriesCase('slope-0-one-slice', 'convert', (k) => ({ override: k === 3 ? [ds(0x00281053, '0')] : [] }), {
      expect: { exit: 'any', cause: slope },
      issueClass: 'RescaleSlope 0 (constant volume) accepted',
      debatable: 'refusing the series or leaving that slice out are both fine, but the reason (slope 0) must be shown',
    }),
  );
  const pos = /position|ImagePositionPatient|finite/i;
  const ipp = (x: string) => (k: number) => ({ override: [ds(0x00200032, `${x}\\-14\\${(k * 2.5).toFixed(1)}`)] });
  out.push(
    seriesCase('ipp-1e300', 'convert', ipp('1e300'), {
      expect: { exit: 1, cause: pos },
      issueClass: 'ImagePositionPatient 1e300 (Inf in the written affine)',
    }),
  );
  out.push(seriesCase('ipp-1e300', 'info', ipp('1e300'), { expect: { exit: 'any' } }));
  out.push(
    seriesCase('ipp-nan-one-slice', 'convert', (k) => (k === 2 ? ipp('NaN')(k) : {}), {
      expect: { exit: 'any', cause: pos },
      issueClass: 'non-finite positions',
      debatable: 'one bad slice may be dropped with a warning naming it instead of refusing the series',
    }),
  );
  both('pixel-spacing-0', () => ({ override: [ds(0x00280030, '0\\0')] }), { exit: 'any' });
  both('orientation-zero', () => ({ override: [ds(0x00200037, '0\\0\\0\\0\\0\\0')] }), { exit: 'any' });
  both('bits-stored-20', () => ({ override: [us(0x00280101, 20), us(0x00280102, 19)] }), { exit: 'any' });
  both('samples-3-monochrome', () => ({ override: [us(0x00280002, 3)] }), { exit: 1 });

  // terminal control characters from files
  const evil = 'x\x1b[2J\x1b]0;owned\x07y\x9bz';
  const ctl = /[\x1b\x07\x9b]/;
  for (const verb of ['info', 'convert'] as Verb[])
    out.push(
      seriesCase('control-chars-description', verb, () => ({ description: evil }), {
        group: 'terminal',
        expect: { exit: 0, absent: ctl },
        issueClass: 'info prints ANSI escape sequences from SeriesDescription',
        area: 'RESOURCES (cli util)',
      }),
    );
  out.push(
    seriesCase(
      'control-chars-patient',
      'info',
      () => ({ override: [{ tag: 0x00100010, vr: 'PN', value: `A\x1b[31m^B\x07` }] }),
      { group: 'terminal', expect: { exit: 0, absent: ctl } },
    ),
  );

  // 130 000 frames of 1×1 in one file
  for (const verb of ['info', 'convert'] as Verb[])
    out.push({
      id: `scale/130000-frames-1x1-${verb}`,
      verb,
      group: 'scale',
      setup: (dir) => {
        const el = ctElements({ rows: 1, columns: 1, index: 0, series: '11' });
        el.push({ tag: 0x00280008, vr: 'IS', value: '130000' }, ds(0x00180050, '1'));
        el.push({ tag: 0x7fe00010, vr: 'OW', value: new Uint8Array(260000) });
        writeFileSync(join(dir, 'frames.dcm'), part10(el, { sopInstance: '1.2.826.0.1.3680043.9.7433.11.1' }));
      },
      args: (dir) =>
        verb === 'info' ? [join(dir, 'frames.dcm')] : [join(dir, 'frames.dcm'), '-o', join(dir, 'out.nii.gz')],
      outputs: verb === 'info' ? [] : ['out.nii.gz'],
      expect: { exit: 'any', absent: /call stack/i },
      issueClass: '130,000+ frames of 1×1 crash with Maximum call stack size exceeded',
      area: 'GEOMETRY/RESOURCES',
    });

  out.push(...niftiCases(b));
  return out;
}

function niftiCases(b: Base): Case[] {
  const out: Case[] = [];
  const nanFile = (dir: string) => {
    const v = readNifti(new Uint8Array(readFileSync(b.niiGz)), 'ct.nii.gz');
    const f = Float32Array.from(v.voxels as ArrayLike<number>);
    for (let i = 0; i < f.length; i += 97) f[i] = i % 2 ? NaN : i % 3 ? Infinity : -Infinity;
    const vol = createVolume({ ...v.header, voxels: f });
    writeFileSync(join(dir, 'nan.nii.gz'), writeNifti(vol, { gzip: true }));
  };
  const cause = /NaN|Inf|non-finite|not finite/i;
  for (const verb of ['info', 'convert', 'segment'] as Verb[])
    out.push({
      id: `header/nifti-nan-inf-${verb}`,
      verb,
      group: 'header',
      setup: nanFile,
      args: (dir) =>
        verb === 'info'
          ? [join(dir, 'nan.nii.gz')]
          : verb === 'convert'
            ? [join(dir, 'nan.nii.gz'), '-o', join(dir, 'out.nii.gz')]
            : [join(dir, 'nan.nii.gz'), '-m', b.model, '-o', join(dir, 'out.nii.gz')],
      outputs: verb === 'info' ? [] : ['out.nii.gz'],
      expect: verb === 'segment' ? { exit: 'any', cause } : { exit: 'any' },
      issueClass: verb === 'segment' ? 'NaN/Inf voxels in a NIfTI are labelled "soft tissue" silently' : undefined,
      area: RES,
      debatable: verb === 'segment' ? 'reported before inference: a warning (exit 0) or a refusal (exit 1)' : undefined,
    });
  // a gantry-tilted series with alternating 4.2 / 7.4 mm gaps
  const tilt = (18.5 * Math.PI) / 180;
  const tilted = (k: number): Partial<CtSliceSpec> => {
    const z = Math.floor(k / 2) * 11.6 + (k % 2) * 4.2;
    return {
      override: [
        ds(0x00200037, `1\\0\\0\\0\\${Math.cos(tilt).toFixed(6)}\\${(-Math.sin(tilt)).toFixed(6)}`),
        ds(0x00200032, `-14\\-14\\${z.toFixed(2)}`),
        ds(0x00181120, '18.5'),
      ],
    };
  };
  for (const verb of ['info', 'convert'] as Verb[])
    out.push(
      seriesCase('tilted-uneven', verb, tilted, {
        group: 'geometry',
        args: (dir) => (verb === 'info' ? ['--json', join(dir, 's')] : [join(dir, 's'), '-o', join(dir, 'out.nii.gz')]),
        expect: { exit: 0, cause: verb === 'info' ? /"acquired"|"acquisition"/ : /(?<!not )resampled/i },
        issueClass: 'tilted, unevenly spaced series placed 36 mm off instead of resampled',
        area: 'GEOMETRY',
        debatable:
          'the notice\'s exact wording may change: matched loosely ("resampled", not "not resampled"; info --json: an "acquired" or "acquisition" field)',
      }),
    );
  return out;
}
