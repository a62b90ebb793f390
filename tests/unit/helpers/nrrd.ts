/**
 * Minimal NRRD reader for tests: attached data, raw or gzip encoding, 3-D scalar volumes with
 * 'space directions' / 'space origin'. The space ('left-posterior-superior' as Slicer writes, or
 * 'right-anterior-superior') is mapped to voxseg's LPS world; index axes stay the file's own.
 */
import { gunzipSync } from 'node:zlib';
import type { Mat3, Vec3, Volume, VoxelArray } from '../../../src/core/types';
import { createVolume } from '../../../src/volume/volume';

const TYPES: Record<string, [new (n: number) => VoxelArray, (dv: DataView, o: number, le: boolean) => number]> = {
  uchar: [Uint8Array, (dv, o) => dv.getUint8(o)],
  uint8: [Uint8Array, (dv, o) => dv.getUint8(o)],
  'unsigned char': [Uint8Array, (dv, o) => dv.getUint8(o)],
  short: [Int16Array, (dv, o, le) => dv.getInt16(o, le)],
  int16: [Int16Array, (dv, o, le) => dv.getInt16(o, le)],
  ushort: [Uint16Array, (dv, o, le) => dv.getUint16(o, le)],
  uint16: [Uint16Array, (dv, o, le) => dv.getUint16(o, le)],
  int: [Int32Array, (dv, o, le) => dv.getInt32(o, le)],
  int32: [Int32Array, (dv, o, le) => dv.getInt32(o, le)],
  float: [Float32Array, (dv, o, le) => dv.getFloat32(o, le)],
};

const vector = (s: string): number[] => s.replace(/[()]/g, '').split(',').map(Number);

export function readNrrd(bytes: Uint8Array): Volume {
  const end = Buffer.from(bytes).indexOf('\n\n');
  if (end < 0 || !Buffer.from(bytes.subarray(0, 4)).toString('latin1').startsWith('NRRD'))
    throw new Error('not an NRRD file');
  const fields = new Map<string, string>();
  for (const line of Buffer.from(bytes.subarray(0, end)).toString('latin1').split('\n').slice(1)) {
    if (line.startsWith('#') || !line.includes(':')) continue;
    const at = line.indexOf(':');
    fields.set(
      line.slice(0, at).trim().toLowerCase(),
      line
        .slice(at + 1)
        .replace(/^=/, '')
        .trim(),
    );
  }
  const get = (k: string) => {
    const v = fields.get(k);
    if (v === undefined) throw new Error(`NRRD field "${k}" missing`);
    return v;
  };
  if (fields.has('data file')) throw new Error('detached NRRD data is not supported');
  if (get('dimension') !== '3') throw new Error('only 3-D NRRD is supported');
  const type = TYPES[get('type').toLowerCase()];
  if (!type) throw new Error(`NRRD type ${get('type')} is not supported`);
  const dims = get('sizes').split(/\s+/).map(Number) as Vec3;
  const dirs = get('space directions')
    .match(/\([^)]*\)/g)!
    .map(vector);
  const space = get('space').toLowerCase();
  const ras = space === 'right-anterior-superior' || space === 'ras';
  if (!ras && space !== 'left-posterior-superior' && space !== 'lps')
    throw new Error(`NRRD space ${space} is not supported`);
  const toLps = (v: number[]): Vec3 => (ras ? [-v[0], -v[1], v[2]] : [v[0], v[1], v[2]]);
  const cols = dirs.map(toLps);
  const spacing = cols.map((c) => Math.hypot(...c)) as Vec3;
  const direction = [0, 1, 2].flatMap((r) => cols.map((c, ax) => c[r] / spacing[ax])) as Mat3;
  const origin = toLps(vector(get('space origin')));
  const encoding = get('encoding').toLowerCase();
  const payload = bytes.subarray(end + 2);
  const data =
    encoding === 'gzip' || encoding === 'gz'
      ? new Uint8Array(gunzipSync(payload))
      : encoding === 'raw'
        ? payload
        : undefined;
  if (!data) throw new Error(`NRRD encoding ${encoding} is not supported`);
  const n = dims[0] * dims[1] * dims[2];
  const voxels = new type[0](n);
  const bpe = voxels.BYTES_PER_ELEMENT;
  if (data.length < n * bpe) throw new Error(`NRRD data holds ${data.length} bytes, expected ${n * bpe}`);
  const le = (fields.get('endian') ?? 'little') === 'little';
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) voxels[i] = type[1](dv, i * bpe, le);
  return createVolume({ dims, spacing, origin, direction, voxels });
}
