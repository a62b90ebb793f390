/**
 * The loader functions the app uses, in one place (the app never reaches into their internals).
 * The demo's phantom generator and DICOM writer are imported by demo/build.ts only, so that
 * they (and dcmjs) stay in the demo worker's bundle.
 */
export { scanFiles, loadSeries, type SeriesInfo, type ScanResult } from '../io/dicom/index';
export { readNifti, isNiftiName } from '../io/nifti/index';
export { startLoad, type ProgressiveLoad } from '../io/dicom/progressive';
export { planFromMetadata } from '../io/dicomweb/header';
