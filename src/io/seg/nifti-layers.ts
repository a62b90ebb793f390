/**
 * Label layers <-> one NIfTI file: a single layer is a plain 3-D label map; several layers (the
 * overlapping segments of a SEG) are the volumes of a 4-D file (dim[4] = layers) on one grid.
 * Reading takes every volume of a 4-D file (../nifti's reader keeps only the first).
 */
import { gzipSync } from 'fflate';
import { VoxsegError } from '../../core/errors';
import type { Mat3, Vec3, Volume, VoxelArray } from '../../core/types';
import { allocateVoxels, createVolume } from '../../volume/volume';
import { maybeGunzip, parseNifti, writeNifti } from '../nifti/index';
import { NIFTI_DTYPES } from '../nifti/header';

export function readLabelLayers(input: Uint8Array, name?: string): { layers: Volume[]; warnings: string[] } {
  const bytes = maybeGunzip(input, name);
  const r = parseNifti(bytes, name);
  const h = r.header;
  let count = 1;
  for (let i = 4; i <= h.dim[0]; i++) count *= h.dim[i];
  const warnings = r.warnings.filter((w) => !/only the first is loaded/.test(w));
  if (count === 1) return { layers: [r.volume], warnings };
  if (count > 256)
    throw new VoxsegError('invalid-nifti', `${count} volumes is too many label layers (at most 256)`, { file: name });
  const dtype = NIFTI_DTYPES[h.datatype];
  const first = r.volume;
  const n = first.voxels.length;
  const bpe = allocateVoxels(dtype, 0).BYTES_PER_ELEMENT;
  const offset = Math.max(Math.floor(h.voxOffset), h.headerSize + 4);
  if (bytes.length < offset + count * n * bpe)
    throw new VoxsegError(
      'invalid-nifti',
      `truncated data: ${count} volumes of ${n} voxels need ${count * n * bpe} bytes after offset ${offset}`,
      { file: name },
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slope = Number.isFinite(h.sclSlope) && h.sclSlope !== 0 ? h.sclSlope : 1;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  const layers = [first];
  for (let t = 1; t < count; t++) {
    const out = allocateVoxels(first.header.dtype, n);
    const base = offset + t * n * bpe;
    for (let i = 0; i < n; i++) out[i] = readValue(dv, base + i * bpe, dtype, h.littleEndian) * slope + inter;
    const g = first.header;
    layers.push(
      createVolume({
        dims: [...g.dims] as Vec3,
        spacing: [...g.spacing] as Vec3,
        origin: [...g.origin] as Vec3,
        direction: [...g.direction] as Mat3,
        voxels: out,
        metadata: g.metadata,
      }),
    );
  }
  return { layers, warnings };
}

function readValue(dv: DataView, o: number, dtype: string, le: boolean): number {
  switch (dtype) {
    case 'uint8':
      return dv.getUint8(o);
    case 'int8':
      return dv.getInt8(o);
    case 'int16':
      return dv.getInt16(o, le);
    case 'uint16':
      return dv.getUint16(o, le);
    case 'int32':
      return dv.getInt32(o, le);
    case 'uint32':
      return dv.getUint32(o, le);
    case 'float32':
      return dv.getFloat32(o, le);
    default:
      return dv.getFloat64(o, le);
  }
}

/** One NIfTI file holding the layers (3-D for one layer, else 4-D); all layers share a grid and dtype. */
export function writeLabelLayers(
  layers: readonly Volume[],
  opts: { gzip?: boolean; description?: string } = {},
): Uint8Array {
  if (!layers.length) throw new VoxsegError('usage', 'no label layers to write');
  if (layers.length === 1) return writeNifti(layers[0], { gzip: opts.gzip, description: opts.description });
  const dtype = layers[0].header.dtype;
  if (layers.some((l) => l.header.dtype !== dtype || l.voxels.length !== layers[0].voxels.length))
    throw new VoxsegError('invalid-volume', 'label layers differ in size or voxel type');
  const head = writeNifti(layers[0], { description: opts.description });
  const bytesPer = layers[0].voxels.length * layers[0].voxels.BYTES_PER_ELEMENT;
  const out = new Uint8Array(head.length + (layers.length - 1) * bytesPer);
  out.set(head);
  const dv = new DataView(out.buffer);
  dv.setInt16(40, 4, true); // dim[0]
  dv.setInt16(48, layers.length, true); // dim[4]
  layers.slice(1).forEach((l, i) => out.set(bytesOf(l.voxels), head.length + i * bytesPer));
  return opts.gzip ? gzipSync(out) : out;
}

const bytesOf = (v: VoxelArray) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
