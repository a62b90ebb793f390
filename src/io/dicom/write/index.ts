export { writeDicomSeries, formatDS, CT_IMAGE_STORAGE, type DicomSeriesMeta, type DicomFileOut } from './series';
export { deterministicUid, contentSeed } from './uid';
