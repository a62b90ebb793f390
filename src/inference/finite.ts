/**
 * NaN and infinite voxels before inference. They are not measurements (masked-out regions of a
 * registered image, a rescale that overflowed), and a model labels them as anything: every
 * normalization turns them into NaN, and argmax over NaN logits picks channel 0 or an arbitrary one.
 *
 * Decision: replace them with the image's finite minimum (background in CT and MR alike) and say
 * so, with the count, rather than refuse: images with NaN outside the field of view are common
 * and segment correctly that way. An image without one finite voxel is refused.
 */
import { VoxsegError } from '../core/errors';
import type { Volume } from '../core/types';
import { createVolume } from '../volume/volume';

interface Scan {
  count: number;
  min: number;
}

function scan(volume: Volume): Scan {
  const v = volume.voxels;
  if (!(v instanceof Float32Array || v instanceof Float64Array)) return { count: 0, min: 0 };
  let count = 0;
  let min = Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x !== 0) count++;
    else if (x < min) min = x;
  }
  return { count, min };
}

function note(s: Scan, total: number): string {
  return `${s.count.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} voxels are NaN or infinite; replaced with the image minimum (${s.min}) before inference`;
}

/** The warning for `volume`'s non-finite voxels, or undefined when every voxel is finite. */
export function nonFiniteNote(volume: Volume): string | undefined {
  const s = scan(volume);
  if (!s.count) return undefined;
  if (s.count === volume.voxels.length)
    throw new VoxsegError('invalid-volume', 'every voxel is NaN or infinite: there is no image to segment');
  return note(s, volume.voxels.length);
}

/** `volume` with non-finite voxels replaced by the finite minimum (a copy), and the note saying so. */
export function withFiniteVoxels(volume: Volume): { volume: Volume; note?: string } {
  const s = scan(volume);
  if (!s.count) return { volume };
  if (s.count === volume.voxels.length)
    throw new VoxsegError('invalid-volume', 'every voxel is NaN or infinite: there is no image to segment');
  const voxels = volume.voxels.slice() as Float32Array | Float64Array;
  for (let i = 0; i < voxels.length; i++) if (voxels[i] - voxels[i] !== 0) voxels[i] = s.min;
  return { volume: createVolume({ ...volume.header, voxels }), note: note(s, voxels.length) };
}
