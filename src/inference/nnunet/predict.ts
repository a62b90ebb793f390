/**
 * Prediction of an imported nnU-Net v2 model, step for step as nnU-Net's predictor does it
 * (nnunetv2 DefaultPreprocessor.run_case_npy, nnUNetPredictor.predict_sliding_window_return_logits,
 * export_prediction.convert_predicted_logits_to_segmentation_with_correct_shape), with
 * TotalSegmentator's own steps around it when the manifest asks for them.
 *
 * Axes: a voxseg voxel buffer is array[k][j][i], which is exactly the numpy array nnU-Net gets from
 * SimpleITK (axes z, y, x of the file's voxel order; spacing reversed). `transpose` permutes those
 * axes; the model grid is the transposed array, whose i axis is its last (fastest) numpy axis.
 *
 * Steps:
 * 1. TotalSegmentator only: reorient to the closest canonical code (exact), resample to its
 *    spacing with an order-3 zoom and integer values (its change_spacing).
 * 2. transpose_forward; crop to the non-zero region (holes filled); normalization (CT: clip to the
 *    foreground 0.5/99.5 percentiles, subtract the mean, divide by the std; z-score, in the
 *    non-zero region when use_mask_for_norm); resample to the configuration spacing (order 3,
 *    "separate z" for anisotropic spacing).
 * 3. Sliding window (tile step 1 - overlap, Gaussian sigma 1/8, zero padding centred, mirroring on
 *    the chosen axes), the fold average is inside the ONNX graph.
 * 4. Back: when the configuration grid differs from the cropped grid the logits are kept whole and
 *    resampled as nnU-Net resamples them (order 1, separate z order 0), argmax per voxel without
 *    materialising the resampled logits; otherwise the argmax streams slab by slab. Un-crop,
 *    transpose_backward, undo TotalSegmentator's resampling (order 0) and reorientation.
 */
import { VoxsegError } from '../../core/errors';
import type { Mat3, Vec3, Volume } from '../../core/types';
import { orientationCode } from '../../volume/geometry';
import { gridMismatch } from '../../volume/grid';
import { permuteAxes, reorientToCode } from '../../volume/reorient';
import { gridOf, resampleToGrid, SNAP } from '../../volume/resample';
import { createVolume, voxelCount } from '../../volume/volume';
import { decideSlab } from '../decide';
import type { ModelManifest, NnunetPreprocessing } from '../manifest';
import { channelLabelValues } from '../manifest';
import { normalizeIntensity, meanStd } from '../normalize';
import { checkAborted, checkFixedDims, type ModelShape, type PipelineOptions, type PipelineResult } from '../pipeline';
import { slidingWindow, tilePositions } from '../sliding-window';
import type { Predictor } from '../tensor';
import { cropToNonzero, uncropArray } from './crop';
import { computeNewShape, resampleDataToShape, resampleLogitsArgmax } from './resampling';
import { totalsegPlan, totalsegResample } from './totalseg-resample';

type Shape3 = [number, number, number];

/** numpy shape (slowest first) of a voxseg grid. */
function npShape(dims: Readonly<Vec3>): Shape3 {
  return [dims[2], dims[1], dims[0]];
}

/** voxseg permutation (target axis <- source axis) of nnU-Net's transpose over numpy axes. */
function gridPerm(transpose: readonly number[]): number[] {
  return [2 - transpose[2], 2 - transpose[1], 2 - transpose[0]];
}

function inversePerm(p: readonly number[]): number[] {
  const inv = [0, 0, 0];
  p.forEach((src, t) => (inv[src] = t));
  return inv;
}

/** Logits of the whole model grid, filled slab by slab ([channel][voxel]). */
function logitsStore(channels: number, voxels: number, budget: number | undefined): Float32Array {
  const bytes = channels * voxels * 4;
  if (budget !== undefined && bytes > budget)
    throw new VoxsegError(
      'out-of-memory',
      `resampling ${channels} channels of logits back from the model grid needs ${(bytes / 2 ** 20).toFixed(0)} MiB, above the memory budget of ${(budget / 2 ** 20).toFixed(0)} MiB`,
    );
  try {
    return new Float32Array(channels * voxels);
  } catch (err) {
    throw new VoxsegError('out-of-memory', `cannot allocate ${(bytes / 2 ** 20).toFixed(0)} MiB of logits`, {
      cause: err,
    });
  }
}

export async function runNnunetPipeline(
  volume: Volume,
  manifest: ModelManifest,
  predictor: Predictor,
  shape: ModelShape,
  opts: PipelineOptions = {},
): Promise<PipelineResult> {
  const pre = manifest.preprocessing as NnunetPreprocessing;
  const post = manifest.postprocessing;
  const report = opts.onProgress ?? (() => {});
  const signal = opts.signal;
  const channels = manifest.model.channels;
  const notes: string[] = [];
  const LabelArray = Math.max(0, ...channelLabelValues(manifest)) > 255 ? Uint16Array : Uint8Array;

  // 1. TotalSegmentator's steps around nnU-Net.
  report('Preparing the image', 0, 1);
  const oriented = pre.orientation ? reorientToCode(volume, pre.orientation) : volume;
  checkAborted(signal);
  const work = pre.presample ? totalsegPresample(oriented, pre.presample.spacing) : oriented;
  checkAborted(signal);

  // 2. nnU-Net preprocessing on the transposed array.
  const perm = gridPerm(pre.transpose);
  const transposed = permuteAxes(work, perm, [false, false, false]);
  const tShape = npShape(transposed.header.dims);
  const tSpacing = npShape(transposed.header.spacing);
  // nnU-Net works on a float32 copy it normalizes in place; a transpose of float32 voxels already is one.
  const image =
    transposed !== work && transposed.voxels instanceof Float32Array
      ? transposed.voxels
      : Float32Array.from(transposed.voxels as ArrayLike<number>);
  const crop = cropToNonzero([image], tShape);
  const cShape: Shape3 = crop.shape;
  const cropped = crop.channels[0];
  normalizeCropped(cropped, pre, pre.normalizeInMask ? crop.mask : null);
  checkAborted(signal);
  const mSpacing = npShape(pre.spacing);
  const mShape = computeNewShape(cShape, tSpacing, mSpacing) as Shape3;
  const resample = mShape.some((n, a) => n !== cShape[a]);
  const data = resample
    ? resampleDataToShape(cropped, cShape, mShape, tSpacing, mSpacing, {
        fn: 'resample_data_or_seg_to_shape',
        ...pre.resampling.data,
      })
    : cropped;
  checkAborted(signal);

  // 3. Sliding window over the model grid.
  const runDims: Vec3 = [mShape[2], mShape[1], mShape[0]];
  const window = {
    patch: pre.patch,
    overlap: pre.overlap,
    blending: 'gaussian' as const,
    sigmaScale: pre.sigmaScale,
    mirrorAxes: pre.mirrorAxes,
    batch: Math.max(1, Math.min(pre.batch, opts.maxBatch ?? Infinity, shape.batch ?? Infinity)),
    channels,
    layout: manifest.model.layout,
    memoryBudget: opts.memoryBudget,
  };
  checkFixedDims(shape, pre.patch, manifest.model.layout, 'manifest patch');
  const slice = runDims[0] * runDims[1];
  const mVoxels = voxelCount({ dims: runDims });
  const croppedLabels = new LabelArray(cShape[0] * cShape[1] * cShape[2]);
  const store = resample ? logitsStore(channels, mVoxels, opts.memoryBudget) : null;
  report(
    'Running the model',
    0,
    tilePositions(runDims.map((d, a) => Math.max(d, pre.patch[a])) as Vec3, pre.patch, pre.overlap).length,
  );
  const result = await slidingWindow(
    data,
    runDims,
    window,
    predictor,
    (k0, k1, logits) => {
      const n = (k1 - k0) * slice;
      if (!store) return decideSlab(logits, channels, n, post, croppedLabels, k0 * slice);
      for (let c = 0; c < channels; c++) store.set(logits.subarray(c * n, (c + 1) * n), c * mVoxels + k0 * slice);
    },
    { signal, onProgress: (done, total) => report('Running the model', done, total) },
  );
  checkAborted(signal);

  // 4. Back onto the study grid.
  report('Mapping labels to the study grid', 0, 1);
  if (store)
    resampleLogitsArgmax(
      store,
      channels,
      mShape,
      cShape,
      mSpacing,
      tSpacing,
      { fn: 'resample_data_or_seg_to_shape', ...pre.resampling.probabilities },
      croppedLabels,
      post.channelLabels,
    );
  const tLabels = uncropArray(croppedLabels, crop.bbox, tShape);
  const onTransposed = createVolume({ ...gridOf(transposed.header), voxels: tLabels });
  const onWork = permuteAxes(onTransposed, inversePerm(perm), [false, false, false]);
  if (pre.presample && LabelArray !== Uint8Array)
    throw new VoxsegError(
      'unsupported',
      "TotalSegmentator's label resampling is uint8, but the model has labels above 255",
    );
  const onOriented = pre.presample ? labelsBack(onWork, oriented) : onWork;
  let labels = onOriented;
  if (pre.orientation) labels = reorientToCode(onOriented, orientationCode(volume.header.direction));
  const target = gridOf(volume.header);
  // Resampled unless it would copy the voxels anyway (the resampler's SNAP, not the default tolerance).
  if (gridMismatch(labels.header, target, SNAP) !== null) {
    notes.push('labels were mapped back onto the study grid by nearest neighbour (oblique study)');
    labels = resampleToGrid(labels, target, { interpolation: 'nearest', fill: 0 });
  }
  const out = createVolume({
    ...target,
    metadata: { ...volume.header.metadata, unit: undefined, valueRange: undefined },
    voxels: labels.voxels,
  });
  return {
    labels: out,
    modelGrid: runDims,
    patches: result.patches,
    inferenceSeconds: result.inferenceSeconds,
    peakBytes:
      result.peakBytes + data.byteLength + image.byteLength + (store?.byteLength ?? 0) + tLabels.byteLength * 2,
    notes,
  };
}

/** TotalSegmentator's change_spacing to `spacing` (order 3, int32 values); same origin and direction. */
function totalsegPresample(volume: Volume, spacing: Vec3): Volume {
  const h = volume.header;
  const plan = totalsegPlan(h.dims, h.spacing, { spacing });
  if (plan.identity) return volume;
  const voxels = totalsegResample(volume.voxels as ArrayLike<number>, plan, { order: 3, dtype: 'int32' });
  return createVolume({
    dims: plan.outDims,
    spacing: plan.newSpacing,
    origin: [...h.origin] as Vec3,
    direction: [...h.direction] as Mat3,
    voxels,
    metadata: h.metadata,
  });
}

/** TotalSegmentator's way back: uint8 labels zoomed (order 0) to the shape of `like`, on its grid. */
function labelsBack(labels: Volume, like: Volume): Volume {
  const plan = totalsegPlan(labels.header.dims, labels.header.spacing, { shape: like.header.dims });
  const voxels = plan.identity
    ? (labels.voxels as Uint8Array)
    : (totalsegResample(labels.voxels as ArrayLike<number>, plan, { order: 0, dtype: 'uint8' }) as Uint8Array);
  return createVolume({ ...gridOf(like.header), voxels });
}

/** nnU-Net's normalization of the cropped image, in place. */
function normalizeCropped(image: Float32Array, pre: NnunetPreprocessing, mask: ArrayLike<number> | null): void {
  const n = pre.normalization;
  if (n.kind === 'zscore' && mask) {
    // Statistics and normalization over the non-zero region only; the rest (zeros) stays as is.
    const inside = new Float32Array(countNonzero(mask));
    let m = 0;
    for (let v = 0; v < image.length; v++) if (mask[v]) inside[m++] = image[v];
    const s = meanStd(inside, -Infinity);
    const std = Math.max(s.std, 1e-8);
    for (let v = 0; v < image.length; v++) if (mask[v]) image[v] = (image[v] - s.mean) / std;
    return;
  }
  normalizeIntensity(image, n, image);
}

function countNonzero(a: ArrayLike<number>): number {
  let c = 0;
  for (let v = 0; v < a.length; v++) if (a[v]) c++;
  return c;
}
