/**
 * Compressed and colour-mapped pixel data: JPEG 2000 and HTJ2K series (encoded by the OpenJPEG
 * and OpenJPH command-line encoders; skipped when missing) with one slice's codestream zeroed
 * from its middle or cut at 60 %, which must be refused or warned about by name, never decoded
 * to plausible garbage silently; 12-bit lossy JPEG (DCMTK dcmcjpeg, extended process 2 & 4);
 * PALETTE COLOR; Modality LUT and VOI LUT sequences. The good variants must load (exit 0).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CtSliceSpec, Element } from './dicom-bytes';
import { ctElements, encapsulated, part10, rampPixels, sequence } from './dicom-bytes';
import { BITS, ds, has, seriesCase, us, writeSeries } from './cases-headers';
import type { Case, Expectation } from './types';

/** A 64×64 12-bit slice as a 16-bit binary PGM (values offset by 1024, as stored). */
function pgm(k: number): Uint8Array {
  const px = new DataView(new ArrayBuffer(64 * 64 * 2));
  for (let j = 0; j < 64; j++)
    for (let i = 0; i < 64; i++)
      px.setUint16((j * 64 + i) * 2, (i - 32) ** 2 + (j - 32) ** 2 < 700 ? 1064 + ((i * j + k * 13) % 400) : 24, false);
  return new Uint8Array([...Buffer.from('P5\n64 64\n4095\n'), ...new Uint8Array(px.buffer)]);
}

function encode(tool: string, dir: string, k: number, ext: string): Uint8Array {
  const src = join(dir, `f${k}.pgm`);
  const dst = join(dir, `f${k}.${ext}`);
  writeFileSync(src, pgm(k));
  const args = tool === 'opj_compress' ? ['-i', src, '-o', dst] : ['-i', src, '-o', dst, '-reversible', 'true'];
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return new Uint8Array(readFileSync(dst));
}

export function codecCases(): Case[] {
  const out: Case[] = [];
  const damaged = /JPEG 2000|J2K|HTJ2K|codestream|damaged|corrupt|decode/i;
  const j2k = (
    id: string,
    tool: string,
    ts: string,
    hurt: (c: Uint8Array) => Uint8Array,
    e: Expectation,
    more: Partial<Case>,
  ) =>
    out.push({
      id: `codec/${id}`,
      verb: 'convert',
      group: 'codec',
      skip: has(tool) ? undefined : `${tool} not installed`,
      setup: (dir) => {
        const tmp = join(dir, 'enc');
        mkdirSync(tmp);
        const s = join(dir, 's');
        mkdirSync(s);
        for (let k = 0; k < 4; k++) {
          let cs = encode(tool, tmp, k, tool === 'opj_compress' ? 'j2k' : 'j2c');
          if (k === 1) cs = hurt(cs);
          const el = ctElements({
            rows: 64,
            columns: 64,
            index: k,
            series: '12',
            override: [us(0x00280101, 12), us(0x00280102, 11), us(0x00280103, 0), ds(0x00281052, '-1024')],
          });
          const file = part10(el, {
            sopInstance: `1.2.826.0.1.3680043.9.7433.12.${k + 1}`,
            transferSyntax: ts,
            tail: encapsulated([cs]),
          });
          writeFileSync(join(s, `IM000${k + 1}.dcm`), file);
        }
      },
      args: (dir) => [join(dir, 's'), '-o', join(dir, 'out.nii.gz')],
      outputs: ['out.nii.gz'],
      expect: e,
      area: 'CODECS',
      ...more,
    });
  const zeroHalf = (c: Uint8Array) => {
    const d = c.slice();
    d.fill(0, Math.floor(d.length / 2), d.length - 2); // keep the EOC marker
    return d;
  };
  const cut = (c: Uint8Array) => c.slice(0, Math.floor(c.length * 0.6));
  const J2K = '1.2.840.10008.1.2.4.90';
  const HT = '1.2.840.10008.1.2.4.201';
  const cls = 'J2K codestream with its second half zeroed decodes to plausible garbage';
  const either = 'a named error or a visible warning naming the slice both satisfy the issue';
  j2k('j2k-good', 'opj_compress', J2K, (c) => c, { exit: 0 }, {});
  j2k(
    'j2k-second-half-zeroed',
    'opj_compress',
    J2K,
    zeroHalf,
    { exit: 'any', cause: damaged },
    { issueClass: cls, debatable: either },
  );
  j2k(
    'j2k-cut-at-60pct',
    'opj_compress',
    J2K,
    cut,
    { exit: 'any', cause: damaged },
    { issueClass: cls, debatable: either },
  );
  j2k('htj2k-good', 'ojph_compress', HT, (c) => c, { exit: 0 }, { issueClass: 'HTJ2K refused' });
  j2k(
    'htj2k-second-half-zeroed',
    'ojph_compress',
    HT,
    zeroHalf,
    { exit: 'any', cause: damaged },
    { issueClass: cls, debatable: either },
  );

  // 12-bit lossy JPEG (extended process 2 & 4), encoded by DCMTK's dcmcjpeg
  out.push({
    id: 'codec/jpeg-12bit-lossy',
    verb: 'convert',
    group: 'codec',
    skip: has('dcmcjpeg') ? undefined : 'dcmcjpeg (DCMTK) not installed',
    setup: (dir) => {
      const plain = writeSeries(
        join(dir, 'plain'),
        (k) => ({
          override: [us(0x00280101, 12), us(0x00280102, 11), us(0x00280103, 0), ds(0x00281052, '-1024')],
          pixels: new Uint8Array(
            Int16Array.from(new Int16Array(rampPixels(128, 128, k).buffer), (v) => v + 1024).buffer,
          ),
        }),
        4,
      );
      mkdirSync(join(dir, 's'));
      for (let k = 1; k <= 4; k++) {
        const name = `IM000${k}.dcm`;
        const r = spawnSync('dcmcjpeg', ['+ee', join(plain, name), join(dir, 's', name)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`dcmcjpeg failed: ${r.stderr}`);
      }
    },
    args: (dir) => [join(dir, 's'), '-o', join(dir, 'out.nii.gz')],
    outputs: ['out.nii.gz'],
    expect: { exit: 0 },
    issueClass: '12-bit lossy JPEG refused',
    area: 'CODECS',
  });

  // PALETTE COLOR and LUT sequences on native 8/16-bit data
  const lut = (n: number, f: (i: number) => number) => {
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++) a[i] = f(i);
    return new Uint8Array(a.buffer);
  };
  const native = (id: string, spec: (k: number) => Partial<CtSliceSpec>, cls: string) =>
    out.push({
      ...seriesCase(id, 'convert', spec, { expect: { exit: 0 }, issueClass: cls, area: 'CODECS' }),
      id: `codec/${id}`,
      group: 'codec',
    });
  const desc = (tag: number) => ({ tag, vr: 'US', value: [256, 0, 16] }) as Element;
  native(
    'palette-color',
    (k) => ({
      pixels: new Uint8Array(128 * 128).map((_, i) => (i + k) & 0xff),
      override: [
        ...BITS(8, 8),
        us(0x00280103, 0),
        { tag: 0x00280004, vr: 'CS', value: 'PALETTE COLOR' },
        desc(0x00281101),
        desc(0x00281102),
        desc(0x00281103),
        { tag: 0x00281201, vr: 'OW', value: lut(256, (i) => i * 257) },
        { tag: 0x00281202, vr: 'OW', value: lut(256, (i) => (255 - i) * 257) },
        { tag: 0x00281203, vr: 'OW', value: lut(256, () => 32768) },
      ],
    }),
    'PALETTE COLOR refused',
  );
  const lutItem = (first: number, f: (i: number) => number): Element[] => [
    { tag: 0x00283002, vr: 'US', value: [4096, first, 16] },
    { tag: 0x00283006, vr: 'OW', value: lut(4096, f) },
  ];
  native(
    'modality-lut-sequence',
    () => ({
      override: [
        us(0x00280103, 0),
        ...BITS(16, 12),
        {
          tag: 0x00283000,
          vr: 'SQ',
          value: sequence([[...lutItem(0, (i) => i), { tag: 0x00283004, vr: 'LO', value: 'HU' }]]),
        },
      ],
      pixels: new Uint8Array(new Uint16Array(128 * 128).map((_, i) => i % 4096).buffer),
    }),
    'Modality LUT sequence ignored',
  );
  native(
    'voi-lut-sequence',
    () => ({
      override: [{ tag: 0x00283010, vr: 'SQ', value: sequence([lutItem(0, (i) => Math.min(65535, i * 16))]) }],
    }),
    'VOI LUT sequence ignored',
  );
  return out;
}
