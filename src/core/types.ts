/**
 * Shared value types. Conventions used everywhere in voxseg:
 * - World coordinates are LPS millimetres (DICOM patient coordinates).
 * - Voxel index (i, j, k) maps to the flat offset i + j*nx + k*nx*ny.
 * - `direction` is a 3x3 matrix stored row-major (as ITK/SimpleITK do): column c is the unit
 *   LPS vector of index axis c, so world = origin + direction * (spacing ⊙ index).
 */
export type Vec3 = [number, number, number];

/** Voxel index box: `lo` inclusive, `hi` exclusive, per index axis. */
export interface IndexBox {
  lo: Vec3;
  hi: Vec3;
}

/** Row-major 3x3 matrix; column c = LPS direction of index axis c. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export type VoxelArray =
  Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export type DType = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** Descriptive metadata carried with a volume (all optional; strings are plain text, never HTML). */
export interface VolumeMetadata {
  modality?: string;
  patientName?: string;
  patientId?: string;
  studyDate?: string;
  studyDescription?: string;
  seriesDescription?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
  /** Patient / study attributes a derived DICOM object (e.g. a SEG) copies from its source. */
  patientBirthDate?: string;
  patientSex?: string;
  studyId?: string;
  studyTime?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
  /** SOP Class UID of the source images (DICOM volumes only). */
  sopClassUid?: string;
  /**
   * SOP Instance UID of the image behind each k-slice, in volume slice order (DICOM volumes only;
   * '' for a slot filled in for a missing slice). A multi-frame source repeats its one UID.
   */
  sopInstanceUids?: string[];
  /** Multi-frame sources: the 1-based frame number of each k-slice in that instance (0 for a filled slot). */
  frameNumbers?: number[];
  /**
   * DICOM InstanceNumber (0020,0013) of the image behind each k-slice, in volume slice order
   * (single-frame DICOM series whose images all carry one; 0 for a filled slot): the image
   * number a PACS shows, which may run either way along k.
   */
  instanceNumbers?: number[];
  /** Suggested display window from the source, if any. */
  windowCenter?: number;
  windowWidth?: number;
  /** Every display window the source offers (DICOM WindowCenter/Width with explanations, VOI LUT tables approximated). */
  windowPresets?: { center: number; width: number; name?: string }[];
  /** Physical unit of voxel values, e.g. 'HU'. */
  unit?: string;
  /** DICOM BodyPartExamined (0018,0015), e.g. 'HEAD', 'ABDOMEN'. */
  bodyPartExamined?: string;
  /** Volumes in the source when it held more than one (a 4-D NIfTI); only the first was loaded. */
  sourceVolumes?: number;
  /** Exact [min, max] of the voxels, when the loader measured them on the way (saves a pass). */
  valueRange?: [number, number];
  /** Set when the acquired slices did not lie on one regular grid and the loader resampled them (tilt, uneven gaps). */
  acquisition?: Acquisition;
}

/** One acquired source image plane of a resampled volume (see `Acquisition`). */
export interface AcquiredSlice {
  /** LPS mm, centre of pixel (0,0). */
  position: Vec3;
  sopInstanceUid: string;
  /** 1-based, 0 single-frame. */
  frameNumber: number;
}

/**
 * The acquired geometry of a volume that was resampled onto a regular grid because its slices did
 * not lie on one (gantry tilt, uneven gaps). Volume slices are then not source images: derived
 * objects (e.g. a DICOM SEG) map back onto these planes.
 */
export interface Acquisition {
  /** e.g. 'gantry tilt 18.5°; uneven slice gaps 4.2–7.4 mm' */
  reason: string;
  rows: number;
  columns: number;
  /** Unit LPS vectors of the acquired image rows/columns (DICOM ImageOrientationPatient). */
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** [between rows, between columns] as DICOM PixelSpacing. */
  pixelSpacing: [number, number];
  /** In the order of increasing position along the slice normal. */
  slices: AcquiredSlice[];
}

/**
 * A voxel grid: where every voxel centre lies, world = origin + direction * (spacing ⊙ index).
 * Two volumes whose voxels correspond one to one share it; compare grids only with
 * `gridMismatch` (src/volume/grid.ts), never field by field.
 */
export interface Grid {
  readonly dims: Readonly<Vec3>;
  /** Millimetres between voxel centres along each index axis. */
  readonly spacing: Readonly<Vec3>;
  /** LPS mm of voxel (0, 0, 0). */
  readonly origin: Readonly<Vec3>;
  /** Row-major 3x3; column c is the unit LPS vector of index axis c. */
  readonly direction: Readonly<Mat3>;
}

/** Immutable geometry + description of a volume. */
export interface VolumeHeader extends Grid {
  readonly dtype: DType;
  readonly metadata: Readonly<VolumeMetadata>;
}

/** A volume: header + one typed voxel array holding real-world values (rescale already applied). */
export interface Volume {
  readonly header: VolumeHeader;
  readonly voxels: VoxelArray;
}

/** Progress report for long operations. */
export interface Progress {
  done: number;
  total: number;
  /** Short human-readable stage, e.g. 'Decoding slices'. */
  stage?: string;
}

export type ProgressCallback = (p: Progress) => void;
