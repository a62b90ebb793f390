/**
 * The image a brain extraction returns besides its labels (the study with everything outside the
 * brain set to background, on the study's grid): what the app keeps of it, its file name, and
 * saving it as .nii.gz with the study's own header and voxel type.
 */
import type { Volume } from '../../core/types';
import { writeNifti } from '../../io/nifti/index';
import { downloadBlob } from '../surfaces/export';

/** What the derived series is called after ("<series> — brain extracted"). */
export const MASKED_SUFFIX = 'brain extracted';

/** A run's masked image and the study it was made from. */
export interface MaskedImage {
  image: Volume;
  study: Volume;
  /** The model that made it, e.g. "Brain extraction (skull strip)". */
  model: string;
}

/**
 * File name for the masked image of series `series` (its description or file name):
 * "t1_crop.nii.gz" -> "t1_crop_brain.nii.gz"; any character a file system may refuse becomes "_".
 */
export function maskedFileName(series: string): string {
  const stem = series
    .replace(/\.nii(\.gz)?$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[_.]+|[_.]+$/g, '');
  return `${stem || 'image'}_brain.nii.gz`;
}

/** The NIfTI-1 bytes (gzip) of `image`: its grid, voxel type and values as they are. */
export function maskedNifti(m: MaskedImage): Uint8Array {
  return writeNifti(m.image, { gzip: true, description: `${m.model}: ${MASKED_SUFFIX}` });
}

/** Download the masked image as `name`; returns the size in bytes. */
export function saveMasked(m: MaskedImage, name: string): number {
  const bytes = maskedNifti(m);
  downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/gzip' }), name);
  return bytes.length;
}
