import type { DType, Mat3, Vec3, Volume, VolumeHeader, VolumeMetadata, VoxelArray } from '../core/types';
import { VoxsegError } from '../core/errors';

const ARRAY_TYPES = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function dtypeOf(a: VoxelArray): DType {
  for (const [name, ctor] of Object.entries(ARRAY_TYPES)) if (a instanceof ctor) return name as DType;
  throw new VoxsegError('invalid-volume', `unsupported voxel array type ${Object.prototype.toString.call(a)}`);
}

export function allocateVoxels(dtype: DType, count: number): VoxelArray {
  try {
    return new ARRAY_TYPES[dtype](count);
  } catch (cause) {
    const mb = Math.round((count * ARRAY_TYPES[dtype].BYTES_PER_ELEMENT) / 2 ** 20);
    throw new VoxsegError('out-of-memory', `cannot allocate ${mb} MB for ${count} ${dtype} voxels`, { cause });
  }
}

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export interface VolumeInit {
  dims: Readonly<Vec3>;
  spacing?: Readonly<Vec3>;
  origin?: Readonly<Vec3>;
  direction?: Readonly<Mat3>;
  metadata?: VolumeMetadata;
  voxels: VoxelArray;
}

/** Build a frozen, validated volume. Throws 'invalid-volume' with the bad value quoted. */
export function createVolume(init: VolumeInit): Volume {
  const { dims, voxels } = init;
  const spacing = init.spacing ?? [1, 1, 1];
  const origin = init.origin ?? [0, 0, 0];
  const direction = init.direction ?? IDENTITY;
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new VoxsegError('invalid-volume', `dims must be 3 positive integers, got ${JSON.stringify(dims)}`);
  if (spacing.length !== 3 || spacing.some((s) => !(s > 0) || !Number.isFinite(s)))
    throw new VoxsegError('invalid-volume', `spacing must be 3 positive numbers, got ${JSON.stringify(spacing)}`);
  if (origin.length !== 3 || origin.some((o) => !Number.isFinite(o)))
    throw new VoxsegError('invalid-volume', `origin must be 3 finite numbers, got ${JSON.stringify(origin)}`);
  if (direction.length !== 9 || direction.some((v) => !Number.isFinite(v)))
    throw new VoxsegError('invalid-volume', `direction must be 9 finite numbers, got ${JSON.stringify(direction)}`);
  const n = dims[0] * dims[1] * dims[2];
  if (voxels.length !== n)
    throw new VoxsegError(
      'invalid-volume',
      `voxel count ${voxels.length} does not match dims ${dims.join('x')} (${n})`,
    );
  const header: VolumeHeader = Object.freeze({
    dims: Object.freeze([...dims]) as unknown as Vec3,
    spacing: Object.freeze([...spacing]) as unknown as Vec3,
    origin: Object.freeze([...origin]) as unknown as Vec3,
    direction: Object.freeze([...direction]) as unknown as Mat3,
    dtype: dtypeOf(voxels),
    metadata: Object.freeze({ ...(init.metadata ?? {}) }),
  });
  return Object.freeze({ header, voxels });
}

export function voxelCount(h: Pick<VolumeHeader, 'dims'>): number {
  return h.dims[0] * h.dims[1] * h.dims[2];
}

/** Min and max of the voxel values (one pass). */
export function valueRange(voxels: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < voxels.length; i++) {
    const v = voxels[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
