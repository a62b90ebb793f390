/**
 * What a NIfTI header declares about its data, checked before anything is allocated: dims,
 * datatype, where the voxels start and how many bytes the file must hold, against the memory
 * ceiling. Used twice: by the reader, and while a .nii.gz is inflated, to stop the stream as soon
 * as it passes what its header declares (a decompression bomb) instead of after.
 *
 * Decisions:
 * - dim[1..dim[0]] must be integers >= 1; the whole file (every volume) must fit the ceiling when
 *   gzip-compressed, since it is inflated whole (its CRC covers it all); for a plain .nii only the
 *   first volume, the part that is copied, counts.
 * - A stream may inflate to the declared size plus 64 kB (padding some writers leave), no more.
 */
import { VoxsegError } from '../../core/errors';
import type { DType } from '../../core/types';
import { formatSize, memoryCeiling, overCeiling } from '../limits';
import type { InflateBound } from '../inflate';
import { NIFTI_DTYPES, datatypeName, parseNiftiHeader, type NiftiHeader } from './header';

export interface NiftiLayout {
  /** Spatial dims of the first volume. */
  dims: [number, number, number];
  /** Volumes (product of dim[4..dim[0]]). */
  volumes: number;
  dtype: DType;
  bytesPerVoxel: number;
  /** Byte offset of the voxels (vox_offset, raised to the header's end when smaller). */
  offset: number;
  /** Bytes of the first volume's voxels. */
  volumeBytes: number;
  /** Bytes the whole file holds: offset + every volume. */
  fileBytes: number;
  warnings: string[];
}

const BYTES: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

/** Slack a gzip stream may inflate beyond the declared file size. */
export const INFLATE_SLACK = 65536;

/** The header's declared layout; throws (naming the file) on a header that cannot describe an image. */
export function niftiLayout(h: NiftiHeader, name?: string): NiftiLayout {
  const fail = (msg: string, code: 'invalid-nifti' | 'unsupported' = 'invalid-nifti'): never => {
    throw new VoxsegError(code, msg, { file: name });
  };
  if (h.magic === 'ni1' || h.magic === 'ni2')
    fail('two-file NIfTI (.hdr/.img pair) is not supported; use a single-file .nii or .nii.gz', 'unsupported');
  const warnings: string[] = [];
  const nd = h.dim[0];
  if (!(Number.isInteger(nd) && nd >= 1 && nd <= 7)) fail(`bad dim[0] ${nd} (must be 1..7)`);
  for (let i = 1; i <= nd; i++)
    if (!(Number.isSafeInteger(h.dim[i]) && h.dim[i] >= 1)) fail(`bad dim[${i}] ${h.dim[i]} (must be >= 1)`);
  const dims: [number, number, number] = [h.dim[1], nd >= 2 ? h.dim[2] : 1, nd >= 3 ? h.dim[3] : 1];
  let volumes = 1;
  for (let i = 4; i <= nd; i++) volumes *= h.dim[i];
  const dtype = NIFTI_DTYPES[h.datatype];
  if (!dtype) fail(`unsupported datatype ${h.datatype} (${datatypeName(h.datatype)})`, 'unsupported');
  const bpe = BYTES[dtype];
  if (h.bitpix !== bpe * 8) warnings.push(`bitpix ${h.bitpix} does not match datatype ${dtype}; using ${bpe * 8}`);
  let offset = Math.floor(h.voxOffset);
  const minOffset = h.headerSize + 4;
  if (!(offset >= minOffset)) {
    warnings.push(`vox_offset ${h.voxOffset} is smaller than ${minOffset}; reading voxels from ${minOffset}`);
    offset = minOffset;
  }
  const volumeBytes = dims[0] * dims[1] * dims[2] * bpe;
  const fileBytes = offset + volumeBytes * volumes;
  return { dims, volumes, dtype, bytesPerVoxel: bpe, offset, volumeBytes, fileBytes, warnings };
}

/** "256x256x180 int16 (23.6 MB)" */
export function describeLayout(l: NiftiLayout): string {
  const shape = [...l.dims, ...(l.volumes > 1 ? [l.volumes] : [])].join('x');
  return `${shape} ${l.dtype}`;
}

/** Refuse a layout whose `bytes` (what will be held in memory) pass the ceiling. */
export function checkCeiling(l: NiftiLayout, bytes: number, name?: string): void {
  if (bytes > memoryCeiling())
    throw new VoxsegError(
      'invalid-nifti',
      `header declares ${describeLayout(l)} voxels (${formatSize(bytes)}), ${overCeiling()}`,
      { file: name },
    );
}

/** The inflate limit of a .nii.gz, from its first inflated bytes (the header). */
export function niftiInflateBound(name?: string) {
  return (head: Uint8Array): InflateBound => {
    const layout = niftiLayout(parseNiftiHeader(head, name), name);
    checkCeiling(layout, layout.fileBytes, name);
    return { bytes: layout.fileBytes + INFLATE_SLACK, what: `the ${formatSize(layout.fileBytes)} its header declares` };
  };
}
