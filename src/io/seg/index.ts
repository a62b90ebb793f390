/**
 * DICOM SEG export/import and the label table that goes with a NIfTI label map.
 * See ./README.md for the format decisions.
 */
export { writeSeg } from './write';
export { readSeg } from './read';
export {
  readLabelTable,
  writeLabelTable,
  segmentsFromTable,
  tableFromSegments,
  type LabelTableEntry,
} from './label-table';
export { ANATOMICAL_STRUCTURE, TISSUE, structureCode, codesForName } from './codes';
export { rgbToDicomLab, dicomLabToRgb } from './color';
export { alignToGrid } from './grid';
export { readLabelLayers, writeLabelLayers } from './nifti-layers';
export type {
  Code,
  Rgb,
  SegSegment,
  SegAlgorithmType,
  SegLayerEntry,
  SegMaskSource,
  WriteSegOptions,
  ReadSegResult,
} from './types';
