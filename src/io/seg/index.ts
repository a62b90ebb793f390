/**
 * DICOM SEG export/import and the label table that goes with a NIfTI label map.
 * See ./README.md for the format decisions.
 */
export { buildSeg, writeSeg, LABELMAP_SEGMENTATION_STORAGE } from './write';
export { sourceUids, derivedUidsWarning, instanceUidsOf, uidFromText, type SourceUids } from './write-uids';
export { fillBlankUids, type FilledFile } from './write-back';
export { readSeg, readSegAsync } from './read';
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
