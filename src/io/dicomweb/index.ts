/** DICOMweb: search (QIDO-RS), retrieve (WADO-RS) and store (STOW-RS). See ./README.md. */
export { DicomwebClient } from './client';
export type * from './types';
