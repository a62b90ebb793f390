export interface LoadedVolume {
  dims: [number, number, number];
  dtype: string;
  /** The voxel values (rescale applied), i + j*nx + k*nx*ny order. Called only after memory is read. */
  voxels(): ArrayLike<number> | Promise<ArrayLike<number>>;
  warnings?: string[];
  /** Optional breakdown of the load, ms (e.g. scan / decode); printed per run, not compared. */
  phases?: Record<string, number>;
  /** Bytes the loader received over the network (DICOMweb loaders), when it knows them. */
  netBytes?: number;
}

/** A series on a DICOMweb server that the page reaches same-origin (through the serving proxy). */
export interface WebSeries {
  /** Same-origin DICOMweb base, e.g. `/dicomweb/orthanc` (no trailing slash). */
  base: string;
  studyUid: string;
  seriesUid: string;
}

export interface BrowserLoader {
  /** One-time set-up done before the memory baseline and the clock start (module init, codec URLs). */
  prepare(): Promise<void>;
  /** Load the selected local files (file loaders). */
  load?(files: File[]): Promise<LoadedVolume>;
  /** Load a series from a DICOMweb server (DICOMweb loaders). */
  loadWeb?(series: WebSeries): Promise<LoadedVolume>;
}
