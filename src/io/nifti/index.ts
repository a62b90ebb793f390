export { readNifti, parseNifti, isGzip, maybeGunzip, type NiftiReadResult } from './read';
export { writeNifti, type WriteNiftiOptions } from './write';
export { parseNiftiHeader, type NiftiHeader } from './header';
export { rasAffineToLps, qformToAffine, rotationToQuaternion, orthonormalize } from './affine';

/** True for names ending in .nii or .nii.gz (case-insensitive). */
export function isNiftiName(name: string): boolean {
  return /\.nii(\.gz)?$/i.test(name);
}
