import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../../src/core/errors';
import type { DType, Mat3, Vec3, Volume } from '../../../../src/core/types';
import { parseNifti, readNifti, writeNifti } from '../../../../src/io/nifti/index';
import { directionFromAxes, indexToWorldAffine } from '../../../../src/volume/geometry';
import { allocateVoxels, createVolume } from '../../../../src/volume/volume';
import { buildNifti2, patchV1, toBigEndianV1 } from './build';

function rotation(ax: number, ay: number, az: number): Mat3 {
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  const rx = [1, 0, 0, 0, ca, -sa, 0, sa, ca];
  const ry = [cb, 0, sb, 0, 1, 0, -sb, 0, cb];
  const rz = [cc, -sc, 0, sc, cc, 0, 0, 0, 1];
  const mul = (a: number[], b: number[]) =>
    [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c]));
  return mul(mul(rz, ry), rx) as Mat3;
}

function testVolume(dtype: DType, direction: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1], dims: Vec3 = [7, 5, 4]): Volume {
  const n = dims[0] * dims[1] * dims[2];
  const v = allocateVoxels(dtype, n);
  for (let i = 0; i < n; i++)
    v[i] = dtype.startsWith('float') ? ((i * 7.25) % 113) - 50.5 : (i * 37) % (dtype === 'int8' ? 120 : 250);
  return createVolume({ dims, spacing: [0.8, 1.25, 2.5], origin: [-10.5, 20.25, 33], direction, voxels: v });
}

function expectSameGeometry(a: Volume, b: Volume, tol = 1e-4): void {
  expect(b.header.dims).toEqual(a.header.dims);
  const fa = indexToWorldAffine(a.header);
  const fb = indexToWorldAffine(b.header);
  for (let i = 0; i < 16; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(tol);
  for (let i = 0; i < 9; i++) expect(Math.abs(a.header.direction[i] - b.header.direction[i])).toBeLessThan(1e-5);
}

describe('NIfTI write -> read round trip', () => {
  const dtypes: DType[] = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];
  for (const dtype of dtypes) {
    for (const gzip of [false, true]) {
      it(`${dtype}, gzip ${gzip}: identical voxels and geometry`, () => {
        const vol = testVolume(dtype);
        const bytes = writeNifti(vol, { gzip, description: 'round trip' });
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        const back = parseNifti(bytes, 'rt.nii');
        expect(back.warnings).toEqual([]);
        expect(back.volume.header.dtype).toBe(dtype);
        expect(Array.from(back.volume.voxels)).toEqual(Array.from(vol.voxels));
        expectSameGeometry(vol, back.volume);
        expect(back.volume.header.metadata.seriesDescription).toBe('round trip');
      });
    }
  }

  it('oblique, left-handed and permuted directions survive via sform and via qform alone', () => {
    const dirs: Mat3[] = [
      rotation(0.3, -0.2, 0.7),
      rotation(1.2, 0.4, -2.5),
      directionFromAxes([0, 0, -1], [1, 0, 0], [0, -1, 0]), // sagittal-like
      (() => {
        const r = rotation(0.1, 0.25, -0.05);
        return [r[0], r[1], -r[2], r[3], r[4], -r[5], r[6], r[7], -r[8]] as Mat3; // det -1
      })(),
      [1, 0, 0, 0, 1, 0, 0, 0, -1], // LPI: qfac -1
      [-1, 0, 0, 0, -1, 0, 0, 0, 1], // RAS: quaternion a = 0 branch
    ];
    for (const d of dirs) {
      const vol = testVolume('int16', d);
      const bytes = writeNifti(vol);
      expectSameGeometry(vol, readNifti(bytes));
      // sform_code 0 -> the reader must take the qform (quaternion + qfac) path
      const qOnly = patchV1(bytes, { i16: [[254, 0]] });
      expectSameGeometry(vol, readNifti(qOnly));
    }
  });

  it('writes consistent sform and qform with code 1 and scl_slope 1 / scl_inter 0', () => {
    const bytes = writeNifti(testVolume('int16', rotation(0.2, 0.1, 0.3)));
    const r = parseNifti(bytes);
    expect(r.header.sformCode).toBe(1);
    expect(r.header.qformCode).toBe(1);
    expect(r.header.sclSlope).toBe(1);
    expect(r.header.sclInter).toBe(0);
    expect(r.header.magic).toBe('n+1');
    expect(r.header.voxOffset).toBe(352);
  });

  it('reads big-endian files', () => {
    for (const dtype of ['int16', 'float32', 'float64', 'uint8'] as DType[]) {
      const vol = testVolume(dtype, rotation(0.1, 0.2, 0.3));
      const be = toBigEndianV1(writeNifti(vol), vol.voxels.BYTES_PER_ELEMENT);
      const back = readNifti(be, 'be.nii');
      expect(Array.from(back.voxels)).toEqual(Array.from(vol.voxels));
      expectSameGeometry(vol, back);
      expectSameGeometry(vol, readNifti(gzipSync(be), 'be.nii.gz'));
    }
  });

  it('detects gzip by magic bytes, not by name', () => {
    const vol = testVolume('int16');
    expect(Array.from(readNifti(writeNifti(vol, { gzip: true }), 'misnamed.nii').voxels)).toEqual(
      Array.from(vol.voxels),
    );
    expect(Array.from(readNifti(writeNifti(vol), 'misnamed.nii.gz').voxels)).toEqual(Array.from(vol.voxels));
  });
});

describe('NIfTI-2', () => {
  it('reads little- and big-endian NIfTI-2 with sform', () => {
    const voxels = new Int16Array(4 * 3 * 2).map((_, i) => i * 3 - 10);
    for (const littleEndian of [true, false]) {
      const bytes = buildNifti2({
        dims: [4, 3, 2],
        datatype: 4,
        voxels,
        pixdim: [1, 2, 3, 4, 1, 1, 1, 1],
        srow: [
          [-2, 0, 0, 10],
          [0, 3, 0, -20],
          [0, 0, 4, 30],
        ],
        sformCode: 2,
        littleEndian,
      });
      const v = readNifti(bytes, 'v2.nii');
      expect(v.header.dims).toEqual([4, 3, 2]);
      expect(Array.from(v.voxels)).toEqual(Array.from(voxels));
      expect(v.header.spacing).toEqual([2, 3, 4]);
      // RAS (-2, 3, 4 columns) -> LPS: x flips, y flips
      expect(v.header.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
      expect(v.header.origin).toEqual([-10, 20, 30]);
    }
  });

  it('uses pixdim only when neither sform nor qform is set, with a warning', () => {
    const r = parseNifti(
      buildNifti2({ dims: [2, 2, 2], datatype: 16, voxels: new Float32Array(8), pixdim: [1, 0.5, 0.7, 2, 1, 1, 1, 1] }),
    );
    expect(r.volume.header.spacing).toEqual([0.5, 0.7, 2]);
    expect(r.volume.header.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]); // RAS identity in LPS terms
    expect(r.warnings.join()).toMatch(/no sform or qform/);
  });
});

describe('scl_slope / scl_inter', () => {
  const base = () => {
    const vol = createVolume({ dims: [4, 2, 1], voxels: new Int16Array([0, 1, 2, 100, 1000, 2000, 3000, 4095]) });
    return writeNifti(vol);
  };
  const read = (slope: number, inter: number, bytes = base()) =>
    readNifti(
      patchV1(bytes, {
        f32: [
          [112, slope],
          [116, inter],
        ],
      }),
    );

  it('integer slope/intercept keeps integers (int16 when it fits, like DICOM)', () => {
    const v = read(1, -1024);
    expect(v.header.dtype).toBe('int16');
    expect(Array.from(v.voxels)).toEqual([-1024, -1023, -1022, -924, -24, 976, 1976, 3071]);
    const w = read(20, 0);
    expect(w.header.dtype).toBe('int32');
    expect(w.voxels[7]).toBe(81900);
  });
  it('fractional scaling gives float32; slope 0 means no scaling', () => {
    const v = read(0.5, 0.25);
    expect(v.header.dtype).toBe('float32');
    expect(v.voxels[3]).toBeCloseTo(50.25);
    const none = read(0, 7);
    expect(none.header.dtype).toBe('int16');
    expect(none.voxels[3]).toBe(100);
  });
});

describe('NIfTI errors name the cause', () => {
  const good = () => writeNifti(testVolume('int16'));
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(VoxsegError);
      return `${(e as VoxsegError).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  it('bad sizeof_hdr', () => {
    expect(codeOf(() => readNifti(patchV1(good(), { i32: [[0, 123]] }), 'x.nii'))).toMatch(
      /^invalid-nifti: x\.nii: bad sizeof_hdr 123/,
    );
    expect(codeOf(() => readNifti(new TextEncoder().encode('hello world, not nifti'), 't.nii'))).toMatch(
      /bad sizeof_hdr/,
    );
  });
  it('truncated data and header', () => {
    const b = good();
    expect(codeOf(() => readNifti(b.subarray(0, b.length - 10), 'cut.nii'))).toMatch(
      /cut\.nii: truncated data: expected 280 bytes .* got 270/,
    );
    expect(codeOf(() => readNifti(b.subarray(0, 200), 'h.nii'))).toMatch(/truncated header/);
    expect(codeOf(() => readNifti(gzipSync(b).subarray(0, 100), 'z.nii.gz'))).toMatch(
      /invalid-nifti: z\.nii\.gz: (corrupt gzip|truncated)/,
    );
  });
  it('unsupported datatype, missing magic, two-file pairs', () => {
    expect(codeOf(() => readNifti(patchV1(good(), { i16: [[70, 128]] }), 'rgb.nii'))).toMatch(
      /unsupported: rgb\.nii: unsupported datatype 128 \(rgb24\)/,
    );
    const noMagic = good().slice();
    noMagic.fill(0, 344, 348);
    expect(codeOf(() => readNifti(noMagic, 'a.hdr'))).toMatch(/missing NIfTI-1 magic/);
    const pair = good().slice();
    pair.set([0x6e, 0x69, 0x31, 0], 344);
    expect(codeOf(() => readNifti(pair, 'p.hdr'))).toMatch(/two-file NIfTI/);
  });
  it('more than one volume: the first is loaded with a warning', () => {
    const vol = testVolume('int16', undefined, [3, 2, 2]);
    const twoVolumes = new Uint8Array(352 + 2 * 24);
    twoVolumes.set(writeNifti(vol));
    const b = patchV1(twoVolumes, {
      i16: [
        [40, 4],
        [48, 2],
      ],
    });
    const r = parseNifti(b, 'fmri.nii');
    expect(Array.from(r.volume.voxels)).toEqual(Array.from(vol.voxels));
    expect(r.warnings.join()).toMatch(/2 volumes .* only the first is loaded/);
  });
});
