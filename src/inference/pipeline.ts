/**
 * The whole segmentation of one volume, independent of the runtime: preprocessing as the manifest
 * says, the sliding window (a whole-volume model is one window covering the conformed grid), the
 * decision (argmax / thresholds) streamed slab by slab, the manifest's largest-component cleanup, and
 * the labels mapped back onto the study's own grid. The ONNX runtime is injected as a `Predictor`.
 */
import { VoxsegError } from '../core/errors';
import type { Grid, Mat3, Vec3, Volume } from '../core/types';
import { reorientedGrid, reorientToCode } from '../volume/reorient';
import { FOREGROUND, keepLargestComponent } from '../volume/edit/components';
import { gridMismatch } from '../volume/grid';
import { gridOf, gridWithSpacing, resampleToGrid, SNAP } from '../volume/resample';
import { createVolume, valueRange, voxelCount } from '../volume/volume';
import { conformVolume } from './conform';
import { withFiniteVoxels } from './finite';
import { boxAbove, boxDims, cropArray, growBox, pasteArray, type Box } from './crop';
import { decideSlab } from './decide';
import { channelLabelValues, type CropSpec, type ModelManifest } from './manifest';
import { normalizeIntensity } from './normalize';
import { runNnunetPipeline } from './nnunet/predict';
import { slidingWindow, tilePositions, type WindowOptions } from './sliding-window';
import type { Predictor } from './tensor';

/** What the engine knows about the loaded model's input (from the ONNX graph). */
export interface ModelShape {
  /** Spatial input dims in tensor order (d, h, w), null where dynamic. */
  spatial: (number | null)[];
  /** Batch dim, null when dynamic. */
  batch: number | null;
}

export interface PipelineOptions {
  onProgress?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
  /** Bytes allowed for logits accumulation. */
  memoryBudget?: number;
  /** Upper bound on patches per model run (the manifest's batch is used when lower). */
  maxBatch?: number;
  /** The pre-model the manifest's crop names (`preprocessing.crop.preModel`), loaded by the caller. */
  preModel?: { predictor: Predictor; shape: ModelShape };
}

export interface PipelineResult {
  labels: Volume;
  modelGrid: Vec3;
  patches: number;
  inferenceSeconds: number;
  peakBytes: number;
  notes: string[];
  /** The study image outside the labels set to background (`postprocessing.maskedImage`). */
  maskedImage?: Volume;
}

export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new VoxsegError('cancelled', 'segmentation cancelled');
}

/** Spatial dims in tensor order for a grid (i, j, k) under a layout. */
function tensorSpatial(dims: Readonly<Vec3>, layout: 'NCDHW' | 'NCWHD'): number[] {
  return layout === 'NCDHW' ? [dims[2], dims[1], dims[0]] : [dims[0], dims[1], dims[2]];
}

/** A fixed-size ONNX input must match the patch (i, j, k) the pipeline feeds it. */
export function checkFixedDims(shape: ModelShape, patch: Vec3, layout: 'NCDHW' | 'NCWHD', what: string): void {
  const want = tensorSpatial(patch, layout);
  shape.spatial.forEach((d, n) => {
    if (d !== null && d !== want[n])
      throw new VoxsegError(
        'invalid-model',
        `the ONNX input has fixed spatial size ${shape.spatial.join('x')}, but the ${what} needs ${want.join('x')} (tensor order)`,
      );
  });
}

/**
 * Run the model over `volume` and return labels on the volume's own grid. NaN/infinite voxels are
 * replaced with the image minimum first, with a note (`finite.ts`).
 */
export async function runPipeline(
  volume: Volume,
  manifest: ModelManifest,
  predictor: Predictor,
  shape: ModelShape,
  opts: PipelineOptions = {},
): Promise<PipelineResult> {
  const finite = withFiniteVoxels(volume);
  const result =
    manifest.preprocessing.mode === 'nnunet'
      ? await runNnunetPipeline(finite.volume, manifest, predictor, shape, opts)
      : await runPlainPipeline(finite.volume, manifest, predictor, shape, opts);
  if (finite.note) result.notes.unshift(finite.note);
  return result;
}

async function runPlainPipeline(
  volume: Volume,
  manifest: ModelManifest,
  predictor: Predictor,
  shape: ModelShape,
  opts: PipelineOptions,
): Promise<PipelineResult> {
  const pre = manifest.preprocessing;
  if (pre.mode === 'nnunet') throw new Error('nnU-Net models run in nnunet/predict.ts');
  const post = manifest.postprocessing;
  const notes: string[] = [];
  const report = opts.onProgress ?? (() => {});
  const channels = manifest.model.channels;
  const maxLabel = Math.max(0, ...channelLabelValues(manifest));
  const LabelArray = maxLabel > 255 ? Uint16Array : Uint8Array;

  // 1. The model grid and its normalized image.
  report('Preparing the image', 0, 1);
  let image: Float32Array;
  let grid: Grid;
  let box: Box | null = null;
  let window: WindowOptions;
  if (pre.mode === 'sliding-window') {
    const rh = reorientedGrid(volume.header, pre.orientation);
    grid = gridWithSpacing(rh, pre.spacing);
    checkAborted(opts.signal);
    // Already at the model's spacing: an exact axis permutation, no interpolation. The tolerance
    // is the resampler's SNAP (1e-4 voxel), not gridMismatch's default, on purpose: within it
    // resampling would copy the voxels exactly, while a grid a hundredth of a voxel off is
    // resampled, as the model's own pipeline would.
    if (gridMismatch(grid, rh, SNAP) === null) {
      image = normalizeIntensity(reorientToCode(volume, pre.orientation).voxels, pre.normalization);
    } else {
      // Resample straight from the study onto the reoriented grid (no reoriented copy first),
      // then normalize that image in place.
      const onGrid = resampleToGrid(volume, grid, { interpolation: 'linear', dtype: 'float32' }).voxels as Float32Array;
      image = normalizeIntensity(onGrid, pre.normalization, onGrid);
    }
    checkFixedDims(shape, pre.patch, manifest.model.layout, 'manifest patch');
    window = {
      patch: pre.patch,
      overlap: pre.overlap,
      blending: pre.blending,
      sigmaScale: pre.sigmaScale,
      mirrorAxes: pre.mirrorAxes,
      batch: Math.max(1, Math.min(pre.batch ?? 1, opts.maxBatch ?? Infinity, shape.batch ?? Infinity)),
      channels,
      layout: manifest.model.layout,
      memoryBudget: opts.memoryBudget,
    };
  } else {
    const conformed = conformVolume(volume, pre.conform);
    grid = gridOf(conformed.header);
    checkAborted(opts.signal);
    const full = normalizeIntensity(conformed.voxels, pre.normalization);
    image = full;
    let dims: Vec3 = [...grid.dims] as Vec3;
    const dynamic = shape.spatial.every((d) => d === null);
    if (pre.crop && dynamic) {
      box = await cropBox(conformed.voxels, full, grid.dims, pre.crop, manifest, opts);
      if (box) {
        box = growBox(box, pre.crop.padding, grid.dims);
        image = cropArray(full, grid.dims, box);
        dims = boxDims(box);
      } else notes.push('the crop mask is empty, so the whole conformed volume was used');
    } else if (pre.crop) {
      notes.push('the model has a fixed input size, so the head crop was skipped');
    }
    checkFixedDims(shape, dims, manifest.model.layout, 'conformed grid');
    window = {
      patch: dims,
      overlap: 0,
      blending: 'constant',
      batch: 1,
      channels,
      layout: manifest.model.layout,
      memoryBudget: opts.memoryBudget,
    };
  }
  checkAborted(opts.signal);

  // 2. Sliding window with the decision streamed per finished slab.
  const runDims: Vec3 = pre.mode === 'sliding-window' ? ([...grid.dims] as Vec3) : ([...window.patch] as Vec3);
  const slice = runDims[0] * runDims[1];
  const runLabels = new LabelArray(voxelCount({ dims: runDims }));
  // Announce the stage before the first (possibly only, possibly long) model run.
  report('Running the model', 0, tilePositions(runDims, window.patch, window.overlap).length);
  const result = await slidingWindow(
    image,
    runDims,
    window,
    predictor,
    (k0, k1, logits) => decideSlab(logits, channels, (k1 - k0) * slice, post, runLabels, k0 * slice),
    { signal: opts.signal, onProgress: (done, total) => report('Running the model', done, total) },
  );
  checkAborted(opts.signal);

  // 3. Back onto the study's grid.
  report('Mapping labels to the study grid', 0, 1);
  let modelLabels = runLabels;
  if (box) {
    modelLabels = new LabelArray(voxelCount({ dims: grid.dims }));
    pasteArray(modelLabels, grid.dims, box, runLabels);
  }
  const whole = { lo: [0, 0, 0] as Vec3, hi: [...grid.dims] as Vec3 };
  for (const value of post.largestComponent ?? []) {
    checkAborted(opts.signal);
    keepLargestComponent(modelLabels, grid.dims, whole, value);
  }
  if (post.largestForeground) keepLargestComponent(modelLabels, grid.dims, whole, FOREGROUND, 26);
  const onModelGrid = createVolume({ ...grid, voxels: modelLabels });
  const target = gridOf(volume.header);
  const interpolation = post.labelResampling === 'linear' ? 'label-linear' : 'nearest';
  // Resampling is skipped only when it would copy the voxels (SNAP tolerance, as above).
  const native =
    gridMismatch(grid, target, SNAP) === null
      ? onModelGrid
      : resampleToGrid(onModelGrid, target, { interpolation, fill: 0 });
  const labels = createVolume({
    ...target,
    metadata: { ...volume.header.metadata, unit: undefined, valueRange: undefined },
    voxels: native.voxels,
  });
  const maskedImage = post.maskedImage ? maskOutside(volume, labels.voxels) : undefined;
  return {
    labels,
    modelGrid: [...grid.dims] as Vec3,
    patches: result.patches,
    inferenceSeconds: result.inferenceSeconds,
    peakBytes:
      result.peakBytes +
      image.byteLength +
      runLabels.byteLength +
      labels.voxels.byteLength +
      (maskedImage?.voxels.byteLength ?? 0),
    notes,
    maskedImage,
  };
}

/**
 * The crop box on the conformed grid, as brainchop finds it: the non-zero labels of the pre-model
 * (run on the whole conformed volume with its own normalization), else the normalized image above
 * `threshold` times its maximum (compared in float32, as brainchop's tensors), else above 0.
 */
async function cropBox(
  conformed: ArrayLike<number>,
  normalized: Float32Array,
  dims: Readonly<Vec3>,
  crop: CropSpec,
  manifest: ModelManifest,
  opts: PipelineOptions,
): Promise<Box | null> {
  const spec = crop.preModel;
  if (!spec) {
    if (!crop.threshold) return boxAbove(normalized, dims, 0);
    let max = -Infinity;
    for (let i = 0; i < normalized.length; i++) if (normalized[i] > max) max = normalized[i];
    return boxAbove(normalized, dims, Math.fround(max * crop.threshold));
  }
  const pm = opts.preModel;
  if (!pm)
    throw new VoxsegError('invalid-model', `the crop needs the pre-model ${spec.file}, which was not loaded`, {
      file: spec.file,
    });
  checkFixedDims(pm.shape, [...dims] as Vec3, manifest.model.layout, 'conformed grid (pre-model)');
  const input = normalizeIntensity(conformed, spec.normalization);
  const slice = dims[0] * dims[1];
  const labels = spec.channels > 256 ? new Uint16Array(input.length) : new Uint8Array(input.length);
  const report = opts.onProgress ?? (() => {});
  report('Finding the brain (pre-model)', 0, 1);
  await slidingWindow(
    input,
    [...dims] as Vec3,
    {
      patch: [...dims] as Vec3,
      overlap: 0,
      blending: 'constant',
      batch: 1,
      channels: spec.channels,
      layout: manifest.model.layout,
      memoryBudget: opts.memoryBudget,
    },
    pm.predictor,
    (k0, k1, logits) =>
      decideSlab(
        logits,
        spec.channels,
        (k1 - k0) * slice,
        { activation: 'none', decision: 'argmax' },
        labels,
        k0 * slice,
      ),
    { signal: opts.signal },
  );
  checkAborted(opts.signal);
  return boxAbove(labels, dims, 0);
}

/** `volume` with every voxel whose label is 0 set to the background: 0, or the image's minimum when lower. */
function maskOutside(volume: Volume, labels: ArrayLike<number>): Volume {
  const src = volume.voxels;
  const out = new (src.constructor as new (n: number) => typeof src)(src.length);
  const h = volume.header;
  const min = Math.min(0, (h.metadata.valueRange ?? valueRange(src))[0]);
  for (let i = 0; i < src.length; i++) out[i] = labels[i] !== 0 ? src[i] : min;
  const description = [h.metadata.seriesDescription, 'brain extracted'].filter(Boolean).join(' — ');
  return createVolume({
    dims: [...h.dims] as Vec3,
    spacing: [...h.spacing] as Vec3,
    origin: [...h.origin] as Vec3,
    direction: [...h.direction] as Mat3,
    metadata: { ...h.metadata, seriesDescription: description },
    voxels: out,
  });
}
