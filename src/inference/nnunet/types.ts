/**
 * Shared shapes of the nnU-Net v2 import: checkpoint tensors, the parsed plans of one
 * configuration, and the files of a result folder (or of the zip it is published in).
 *
 * Axis order: every per-axis array of a plan (`patchSize`, `spacing`, kernel sizes, strides) is in
 * nnU-Net's own order, i.e. the axes of its numpy array AFTER `transposeForward` (for images read
 * the SimpleITK way the untransposed order is z, y, x = voxseg's k, j, i).
 */

/** A floating-point tensor read from a checkpoint; `data` is float32 whatever the stored dtype. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
  /** The dtype it was stored in. */
  dtype: 'float32' | 'float16' | 'bfloat16' | 'float64';
}

/** state_dict name -> tensor (e.g. 'encoder.stages.0.0.convs.0.conv.weight'). */
export type WeightMap = Map<string, WeightTensor>;

/** One file of a result folder or zip, by its path relative to the root ('/' separators). */
export interface SourceFile {
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

export interface NnunetArchitecture {
  network: 'PlainConvUNet' | 'ResidualEncoderUNet';
  inputChannels: number;
  numClasses: number;
  featuresPerStage: number[];
  /** Per stage, per axis. */
  kernelSizes: number[][];
  /** Per stage, per axis (stage 0 is usually [1, 1, 1]). */
  strides: number[][];
  /** Convolutions (PlainConvUNet) or residual blocks (ResidualEncoderUNet) per encoder stage. */
  nPerStageEncoder: number[];
  /** Convolutions per decoder stage (n_stages - 1 entries). */
  nConvPerStageDecoder: number[];
  convBias: boolean;
  /** Instance norm epsilon (1e-5) and affine (true) as nnU-Net sets them. */
  normEps: number;
  /** LeakyReLU negative slope (0.01). */
  negativeSlope: number;
}

export interface NnunetResampling {
  /** e.g. 'resample_data_or_seg_to_shape' */
  fn: string;
  order: number;
  orderZ: number;
  /** null: decide from the spacing's anisotropy (nnU-Net's default). */
  forceSeparateZ: boolean | null;
  /** Ratio max/min spacing above which the low-resolution axis is resampled separately (3). */
  anisotropyThreshold: number;
}

export interface NnunetIntensityProperties {
  mean: number;
  std: number;
  percentile_00_5: number;
  percentile_99_5: number;
  min?: number;
  max?: number;
  median?: number;
}

/** One configuration of a plans.json, both schemas resolved (inherits_from followed). */
export interface NnunetPlan {
  datasetName: string;
  plansName: string;
  configuration: string;
  architecture: NnunetArchitecture;
  patchSize: number[];
  spacing: number[];
  transposeForward: number[];
  transposeBackward: number[];
  /** Per input channel, e.g. 'CTNormalization', 'ZScoreNormalization'. */
  normalizationSchemes: string[];
  useMaskForNorm: boolean[];
  /** foreground_intensity_properties_per_channel, keyed '0', '1', ... */
  intensityProperties: Record<string, NnunetIntensityProperties>;
  resamplingData: NnunetResampling;
  resamplingProbabilities: NnunetResampling;
  batchSize?: number;
}
