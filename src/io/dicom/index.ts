/**
 * DICOM ingestion: scan files (headers only) into series, then load a series into one volume.
 * See ./README.md for the flow and the decisions (dtype, gantry tilt, colour, missing slices).
 */
export { scanFiles, type SeriesInfo, type ScanResult, type ScanOptions, type AcquiredGeometry } from './scan';
export { loadSeries } from './load';
export { isDicom } from './sniff';
export { warmLoadWorkers } from './worker/pool';
