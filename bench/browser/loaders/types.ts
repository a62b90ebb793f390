export interface LoadedVolume {
  dims: [number, number, number];
  dtype: string;
  /** The voxel values (rescale applied), i + j*nx + k*nx*ny order. Called only after memory is read. */
  voxels(): ArrayLike<number> | Promise<ArrayLike<number>>;
  warnings?: string[];
  /** Optional breakdown of the load, ms (e.g. scan / decode); printed per run, not compared. */
  phases?: Record<string, number>;
}

export interface BrowserLoader {
  /** One-time set-up done before the memory baseline and the clock start (module init, codec URLs). */
  prepare(): Promise<void>;
  load(files: File[]): Promise<LoadedVolume>;
}
