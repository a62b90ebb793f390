/**
 * .nii.gz integrity and decompression bombs. Files are gzipped by Node's zlib (an independent
 * encoder), and zlib's own verdict on the damaged ones is the reference: where zlib refuses a
 * stream (bad CRC, bad length), the NIfTI reader must refuse it too, naming the file.
 */
import { gunzipSync as zGunzip, gzipSync as zGzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import { crc32 } from '../../../../src/core/crc32';
import { DEFAULT_MEMORY_CEILING, setMemoryCeiling } from '../../../../src/io/limits';
import { parseNifti, writeNifti } from '../../../../src/io/nifti/index';
import { createVolume } from '../../../../src/volume/volume';
import { patchV1 } from './build';

function niftiBytes(dims: [number, number, number] = [16, 12, 8]): Uint8Array {
  const n = dims[0] * dims[1] * dims[2];
  const v = new Int16Array(n);
  for (let i = 0; i < n; i++) v[i] = ((i * 37) % 2000) - 1000;
  return writeNifti(createVolume({ dims, spacing: [1, 1, 2], voxels: v }), { gzip: false });
}

function refusal(fn: () => unknown): VoxsegError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VoxsegError);
    return e as VoxsegError;
  }
  throw new Error('expected a refusal');
}

afterEach(() => setMemoryCeiling(DEFAULT_MEMORY_CEILING));

describe('gzip integrity of .nii.gz', () => {
  it('crc32 matches zlib on known data', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32(data)).toBe(0xcbf43926); // the CRC-32 check value
    const gz = zGzip(niftiBytes());
    expect(crc32(niftiBytes())).toBe(new DataView(gz.buffer, gz.byteOffset).getUint32(gz.length - 8, true));
  });

  it('loads a zlib-compressed file identical to the plain one', () => {
    const raw = niftiBytes();
    const a = parseNifti(raw, 'a.nii').volume;
    const b = parseNifti(zGzip(raw), 'a.nii.gz').volume;
    expect(Array.from(b.voxels)).toEqual(Array.from(a.voxels));
  });

  it('refuses a bad CRC that zlib also refuses', () => {
    const gz = Uint8Array.from(zGzip(niftiBytes()));
    gz[gz.length - 8] ^= 0xff;
    expect(() => zGunzip(gz)).toThrow();
    const e = refusal(() => parseNifti(gz, 'crc.nii.gz'));
    expect(e.message).toMatch(/^crc\.nii\.gz: corrupt gzip data \(CRC-32 mismatch/);
  });

  it('refuses a wrong ISIZE that zlib also refuses', () => {
    const gz = Uint8Array.from(zGzip(niftiBytes()));
    gz[gz.length - 4] ^= 0x01;
    expect(() => zGunzip(gz)).toThrow();
    expect(refusal(() => parseNifti(gz, 'len.nii.gz')).message).toMatch(/length mismatch/);
  });

  it('refuses a flipped byte inside the compressed data', () => {
    const gz = Uint8Array.from(zGzip(niftiBytes()));
    gz[Math.floor(gz.length / 2)] ^= 0x10;
    expect(() => zGunzip(gz)).toThrow();
    expect(refusal(() => parseNifti(gz, 'flip.nii.gz')).message).toMatch(/^flip\.nii\.gz: corrupt gzip data/);
  });

  it('reads multi-member gzip (concatenated streams) as zlib does', () => {
    const raw = niftiBytes();
    const cut = 1000;
    const gz = Buffer.concat([zGzip(raw.subarray(0, cut)), zGzip(raw.subarray(cut))]);
    expect(Buffer.compare(zGunzip(gz), Buffer.from(raw))).toBe(0);
    const v = parseNifti(gz, 'multi.nii.gz').volume;
    expect(Array.from(v.voxels)).toEqual(Array.from(parseNifti(raw, 'a.nii').volume.voxels));
    // a bad CRC in the first member is found too
    const bad = Uint8Array.from(gz);
    const firstLen = zGzip(raw.subarray(0, cut)).length;
    bad[firstLen - 8] ^= 1;
    expect(refusal(() => parseNifti(bad, 'multi.nii.gz')).message).toMatch(/CRC-32 mismatch/);
  });

  it('ignores zero bytes after the last member (block-padded copies), still checking its CRC', () => {
    const raw = niftiBytes();
    const gz = zGzip(raw);
    const padded = Buffer.concat([gz, Buffer.alloc(4096)]);
    const v = parseNifti(padded, 'padded.nii.gz').volume;
    expect(Array.from(v.voxels)).toEqual(Array.from(parseNifti(raw, 'a.nii').volume.voxels));
    const badCrc = Uint8Array.from(padded);
    badCrc[gz.length - 8] ^= 1;
    expect(refusal(() => parseNifti(badCrc, 'padded.nii.gz')).message).toMatch(/corrupt gzip data/);
    const garbage = Uint8Array.from(padded);
    garbage[padded.length - 100] = 7;
    expect(refusal(() => parseNifti(garbage, 'padded.nii.gz')).message).toMatch(/corrupt gzip data/);
  });
});

describe('decompression bombs', () => {
  it('stops a stream that inflates past what its header declares, with the numbers', () => {
    const raw = niftiBytes([16, 12, 8]); // 352 + 3072 bytes
    const zeros = zGzip(new Uint8Array(64 << 20), { level: 9 }); // 64 MiB of zeros in ~64 kB
    const bomb = Buffer.concat([zGzip(raw), zeros]);
    expect(bomb.length).toBeLessThan(200_000);
    const t = performance.now();
    const e = refusal(() => parseNifti(bomb, 'bomb.nii.gz'));
    expect(performance.now() - t).toBeLessThan(2000);
    expect(e.code).toBe('invalid-nifti');
    expect(e.message).toMatch(
      /^bomb\.nii\.gz: inflates past the 3\.4 kB its header declares \(stopped at [\d.]+ [kM]B inflated/,
    );
  });

  it('refuses a header declaring more than the memory ceiling before inflating the data', () => {
    const raw = patchV1(niftiBytes(), {
      i16: [
        [42, 4096],
        [44, 4096],
        [46, 4096],
      ],
    }); // 4096^3 int16
    const gz = zGzip(raw);
    const e = refusal(() => parseNifti(gz, 'huge.nii.gz'));
    expect(e.message).toBe(
      'huge.nii.gz: header declares 4096x4096x4096 int16 voxels (137.4 GB), more than the 4.0 GB memory ceiling',
    );
    // the same for the plain file, whatever it holds
    expect(refusal(() => parseNifti(raw, 'huge.nii')).message).toMatch(/137\.4 GB\), more than the 4\.0 GB/);
  });

  it('the ceiling is configurable and its hint ends the message', () => {
    setMemoryCeiling(1000, 'raise it with VOXSEG_MEMORY_CEILING');
    const e = refusal(() => parseNifti(zGzip(niftiBytes()), 'small.nii.gz'));
    expect(e.message).toMatch(
      /\(3\.4 kB\), more than the 1.0 kB memory ceiling \(raise it with VOXSEG_MEMORY_CEILING\)$/,
    );
  });
});

describe('header/data contradictions', () => {
  it('refuses data shorter than declared, with both sizes', () => {
    const raw = niftiBytes();
    const e = refusal(() => parseNifti(raw.subarray(0, raw.length - 100), 'short.nii'));
    expect(e.message).toMatch(
      /short\.nii: truncated data: expected 3072 bytes .* got 2972 \(the header declares 16x12x8 int16/,
    );
  });

  it('refuses absurd dims', () => {
    const raw = patchV1(niftiBytes(), { i16: [[42, -5]] });
    expect(refusal(() => parseNifti(raw, 'neg.nii')).message).toMatch(/bad dim\[1\] -5/);
  });

  it('refuses a non-finite or absurd sform and qform instead of falling back silently', () => {
    const raw = niftiBytes();
    const sform = patchV1(raw, { f32: [[280 + 12, Infinity]], i16: [[254, 1]] });
    expect(refusal(() => parseNifti(sform, 's.nii')).message).toMatch(
      /s\.nii: sform \(code 1\) has a non-finite entry: srow_x\[3\] = Infinity/,
    );
    const far = patchV1(raw, { f32: [[296 + 12, 1e30]], i16: [[254, 1]] });
    expect(refusal(() => parseNifti(far, 'far.nii')).message).toMatch(/srow_y\[3\] = 1\.0\d*e\+30 mm is absurd/);
    const q = patchV1(raw, {
      f32: [[268, NaN]],
      i16: [
        [252, 1],
        [254, 0],
      ],
    });
    expect(refusal(() => parseNifti(q, 'q.nii')).message).toMatch(/qform \(code 1\) has a non-finite qoffset_x/);
  });
});

describe('non-finite voxels', () => {
  it('are counted in a warning on load', () => {
    const v = new Float32Array(24).fill(1);
    v[3] = NaN;
    v[4] = NaN;
    v[10] = Infinity;
    v[11] = -Infinity;
    const bytes = writeNifti(createVolume({ dims: [4, 3, 2], voxels: v }), { gzip: true });
    const r = parseNifti(bytes, 'nan.nii.gz');
    expect(r.warnings.join('\n')).toMatch(/4 of 24 voxels are not finite \(2 NaN, 1 \+Inf, 1 -Inf\)/);
    const clean = parseNifti(writeNifti(createVolume({ dims: [4, 3, 2], voxels: new Float32Array(24) })), 'ok.nii');
    expect(clean.warnings.join('\n')).not.toMatch(/not finite/);
  });

  it('rescaling that overflows float32 is reported too', () => {
    // scl_slope 1e38, scl_inter 0.5 on int16 values up to 999: float32 output, |value| > 3.4e38
    const raw = patchV1(niftiBytes(), {
      f32: [
        [112, 1e38],
        [116, 0.5],
      ],
    });
    const r = parseNifti(raw, 'slope.nii');
    expect(r.warnings.join('\n')).toMatch(/voxels are not finite \(\d+ \+Inf, \d+ -Inf\)/);
  });
});
