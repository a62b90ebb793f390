/**
 * brainchop's whole inference pipeline with TensorFlow.js, the way brainchop runs it: the ORIGINAL
 * tfjs layers model (model.json + shards) loaded by @tensorflow/tfjs-layers on the tfjs CPU
 * backend with its input shape set to the crop, and tf ops where brainchop uses them (min-max or
 * quantile normalization, `greater` masks, `whereAsync` bounding box, slice / pad / transpose,
 * `argMax`). It shares no code with voxseg's pipeline nor with the Python reference
 * (training/brainchop_reference.py); its NIfTI reader and connected-component labeller are its
 * own. The tfjs CPU backend's Conv3D is a plain loop (about 0.15 billion multiply-adds a second
 * here): the light 5-filter model (model5_gw_ae) on the whole t1_crop costs about 7 CPU-minutes,
 * the other models are out of reach except on small crops.
 *
 * Steps (brainchop-mainthread.js): the volume buffer (i fastest) as a tensor [k, j, i]; an
 * optional pre-model on the whole volume whose argmax > 0 is the crop mask; the entry's
 * normalization; mask (pre-model, `autoThreshold`, or > 0); the mask's true bounding box (the box
 * of brainchop's `if (c < min) ... else if (c > max)` loop over whereAsync's coordinates is
 * returned too, as `boxQuirk`: it can only differ when one coordinate is both a new minimum and
 * the maximum); the box grown by cropPadding, clamped (cropAndGetCorner); crop; transpose when `enableTranspose`; the layers one by one, with
 * brainchop's per-channel normalization after every layer named `*_gn` (mindgrab); argmax; back;
 * paste; `filterOutWithPreMask`; largest 26-connected component of labels != 0; 0/1 mask
 * for Brain_Masking / Brain_Extraction (plus the masked image for Brain_Extraction).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sharedPath } from './shared';

type Json = Record<string, any>;
export type Dims = [number, number, number];
/** Inclusive voxel box, voxel order (i, j, k). */
export interface Box {
  min: Dims;
  max: Dims;
}
export interface Conformed {
  data: Uint8Array;
  dims: Dims;
}
export interface BrainchopRun {
  /** Labels in NIfTI voxel order (i fastest): channel index, or 0/1 for brain mask / extraction. */
  labels: Uint8Array;
  /** Brain_Extraction only: the input where the mask is set, 0 elsewhere. */
  masked?: Uint8Array;
  dims: Dims;
  seconds: number;
  box: Box;
  boxQuirk: Box;
  /** Voxels of each output value. */
  counts: Record<string, number>;
  /** 26-connected components of labels != 0 before the cleanup. */
  components: number;
}

export const brainchopZoo = (): string => sharedPath('models/brainchop-tfjs');

/** A 3-D uint8 NIfTI-1 (gzipped or not) read by hand: voxel buffer and dims. */
export function readConformed(path: string): Conformed {
  let b = readFileSync(path);
  if (b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getInt32(0, true) !== 348) throw new Error(`${path}: not a little-endian NIfTI-1 file`);
  const rank = v.getInt16(40, true);
  const dims: Dims = [v.getInt16(42, true), v.getInt16(44, true), v.getInt16(46, true)];
  const datatype = v.getInt16(70, true);
  if (rank < 3 || (rank > 3 && v.getInt16(48, true) > 1) || datatype !== 2)
    throw new Error(`${path}: expected a 3-D uint8 volume`);
  const offset = Math.round(v.getFloat32(108, true));
  const n = dims[0] * dims[1] * dims[2];
  return { data: new Uint8Array(b.buffer, b.byteOffset + offset, n).slice(), dims };
}

export function loadModelsList(zoo = brainchopZoo()): { entries: Map<number, Json>; opts: Json } {
  const doc = JSON.parse(readFileSync(join(zoo, 'models-list.json'), 'utf8'));
  return {
    entries: new Map(doc.inferenceModelsList.map((e: Json) => [Number(e.id), e])),
    opts: doc.brainChopOpts ?? {},
  };
}

function modelFile(zoo: string, entry: Json): string {
  const parts = String(entry.path).split('/');
  return join(zoo, parts[parts.length - 2], parts[parts.length - 1]);
}

/** The original layers model with its input shape set to `shape` (channels last, 1 channel). */
export async function loadModel(file: string, shape: number[]): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const topology = structuredClone(json.modelTopology);
  topology.model_config.config.layers[0].config.batch_input_shape = [null, ...shape, 1];
  const weightSpecs = json.weightsManifest.flatMap((g: Json) => g.weights);
  const parts: Buffer[] = json.weightsManifest.flatMap((g: Json) =>
    g.paths.map((p: string) => readFileSync(join(dirname(file), p))),
  );
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfl.loadLayersModel({ load: async () => ({ modelTopology: topology, weightSpecs, weightData }) });
}

function normalize(x: tf.Tensor3D, quantile: boolean): tf.Tensor3D {
  if (!quantile) return tf.tidy(() => tf.div(tf.sub(x, tf.min(x)), tf.sub(tf.max(x), tf.min(x))));
  const sorted = (x.dataSync() as Float32Array).slice().sort();
  const n = sorted.length;
  const qmin = sorted[Math.floor(n * 0.05)];
  const qmax = sorted[Math.ceil(n * 0.95) - 1];
  return tf.tidy(() => tf.div(tf.sub(x, tf.scalar(qmin)), tf.sub(tf.scalar(qmax), tf.scalar(qmin))));
}

/**
 * The layers one by one, as brainchop applies them; after a layer whose name ends in `_gn`
 * (mindgrab) brainchop normalizes each channel over the spatial axes (its LayerNormInPlace:
 * tf.moments, eps 1e-5, no affine), which model.json does not describe.
 */
export async function forwardLayers(model: tfl.LayersModel, input: tf.Tensor): Promise<tf.Tensor> {
  let h = tf.clone(input);
  for (const layer of model.layers.slice(1)) {
    const next = tf.tidy(() => {
      const out = layer.apply(h) as tf.Tensor;
      if (!layer.name.endsWith('_gn')) return out;
      const { mean, variance } = tf.moments(out, [1, 2, 3], true);
      return tf.mul(tf.sub(out, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    });
    h.dispose();
    h = next;
  }
  return h;
}

/** Argmax labels (int32, x's shape and axis order) of the model on x. */
async function runModel(file: string, x: tf.Tensor3D, transpose: boolean): Promise<tf.Tensor3D> {
  const [a, b, c] = x.shape;
  const shape: Dims = transpose ? [c, b, a] : [a, b, c];
  const input = tf.tidy(() => tf.reshape(transpose ? tf.transpose(x) : x, [1, ...shape, 1]));
  const model = await loadModel(file, shape);
  const out = await forwardLayers(model, input);
  const labels = tf.tidy(() => {
    const arg = tf.reshape(tf.argMax(out, -1), shape) as tf.Tensor3D;
    return transpose ? tf.transpose(arg) : arg;
  });
  tf.dispose([input, out]);
  model.dispose();
  return labels;
}

/** True box and brainchop's loop's box of a bool [nz, ny, nx] mask, in mask axis order. */
async function boxes(mask: tf.Tensor3D): Promise<{ lo: Dims; hi: Dims; quirkLo: Dims; quirkHi: Dims }> {
  const coords = await tf.whereAsync(mask);
  const c = coords.dataSync() as Int32Array;
  coords.dispose();
  if (c.length === 0) throw new Error('the crop mask is empty');
  const [nz, ny, nx] = mask.shape;
  const lo: Dims = [Infinity, Infinity, Infinity];
  const hi: Dims = [-1, -1, -1];
  const qlo: Dims = [ny, nx, nz]; // brainchop: row_min = slice_height, col_min = slice_width, depth_min = num_of_slices
  const qhi: Dims = [0, 0, 0];
  for (let p = 0; p < c.length; p += 3)
    for (let a = 0; a < 3; a++) {
      const v = c[p + a];
      if (v < lo[a]) lo[a] = v;
      if (v > hi[a]) hi[a] = v;
      if (qlo[a] > v) qlo[a] = v;
      else if (qhi[a] < v) qhi[a] = v;
    }
  return { lo, hi, quirkLo: qlo, quirkHi: qhi };
}

/** Largest 26-connected component of labels != 0 ([nz, ny, nx] buffer, in place); ties: the one found last. */
export function keepLargestComponent(labels: Uint8Array, dims: Dims): number {
  const [nx, ny, nz] = dims;
  const parent = new Int32Array(labels.length).fill(-1);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        if (!labels[v]) continue;
        parent[v] = v;
        // the 13 neighbours that come earlier in voxel order
        for (let dk = -1; dk <= 0; dk++)
          for (let dj = -1; dj <= 1; dj++)
            for (let di = -1; di <= 1; di++) {
              if (dk === 0 && (dj > 0 || (dj === 0 && di >= 0))) continue;
              const ii = i + di;
              const jj = j + dj;
              const kk = k + dk;
              if (ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny) continue;
              const u = ii + nx * (jj + ny * kk);
              if (labels[u]) union(v, u);
            }
      }
  const size = new Map<number, number>();
  for (let v = 0; v < labels.length; v++) if (labels[v]) size.set(find(v), (size.get(find(v)) ?? 0) + 1);
  let best = -1;
  let bestSize = 0;
  for (const [root, n] of size) if (n > bestSize || (n === bestSize && root > best)) [best, bestSize] = [root, n];
  for (let v = 0; v < labels.length; v++) if (labels[v] && find(v) !== best) labels[v] = 0;
  return size.size;
}

const ijk = (lo: Dims, hi: Dims): Box => ({ min: [lo[2], lo[1], lo[0]], max: [hi[2], hi[1], hi[0]] });

/** brainchop's pipeline for models-list entry `id` on a conformed volume, with tfjs. */
export async function brainchopTfjs(opts: {
  id: number;
  input: string | Conformed;
  zoo?: string;
}): Promise<BrainchopRun> {
  const zoo = opts.zoo ?? brainchopZoo();
  await tf.setBackend('cpu');
  const { entries, opts: bcOpts } = loadModelsList(zoo);
  const entry = entries.get(opts.id);
  if (!entry) throw new Error(`models-list.json has no entry with id ${opts.id}`);
  const vol = typeof opts.input === 'string' ? readConformed(opts.input) : opts.input;
  const [nx, ny, nz] = vol.dims;
  const t0 = performance.now();
  const s = tf.tensor3d(Float32Array.from(vol.data), [nz, ny, nx]); // slices stacked: [k, j, i]

  let preMask: tf.Tensor3D | null = null;
  if (entry.preModelId) {
    const pre = entries.get(Number(entry.preModelId))!;
    const x = normalize(s, !!pre.enableQuantileNorm);
    const arg = await runModel(modelFile(zoo, pre), x, !!pre.enableTranspose);
    x.dispose();
    preMask = tf.tidy(() => tf.greater(arg, 0));
    arg.dispose();
  }

  const y = normalize(s, !!entry.enableQuantileNorm);
  const thr = Number(entry.autoThreshold ?? 0);
  let mask: tf.Tensor3D;
  if (preMask) mask = tf.clone(preMask);
  else if (thr > 0 && thr <= 1) {
    const t = tf.tidy(() => tf.mul(tf.max(y), thr));
    const level = (await t.data())[0];
    t.dispose();
    mask = tf.tidy(() => tf.greater(y, level));
  } else mask = tf.tidy(() => tf.greater(y, 0));
  const { lo: maskLo, hi: maskHi, quirkLo, quirkHi } = await boxes(mask);
  mask.dispose();
  const lo = [...maskLo] as Dims;
  const hi = [...maskHi] as Dims;

  // brainchop's cropAndGetCorner: the box grown by cropPadding voxels of the image, stopping at the edge.
  const pad = Number(entry.cropPadding ?? 0);
  const shape = [nz, ny, nx];
  for (let a = 0; a < 3; a++) {
    lo[a] = Math.max(0, lo[a] - pad);
    hi[a] = Math.min(shape[a] - 1, hi[a] + pad);
  }
  const size = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const crop = tf.tidy(() => tf.slice(y, lo, size) as tf.Tensor3D);
  y.dispose();
  const arg = await runModel(modelFile(zoo, entry), crop, !!entry.enableTranspose);
  crop.dispose();
  const full = tf.tidy(() => {
    const out = tf.pad(arg, [
      [lo[0], nz - hi[0] - 1],
      [lo[1], ny - hi[1] - 1],
      [lo[2], nx - hi[2] - 1],
    ]);
    return preMask && entry.filterOutWithPreMask ? tf.mul(out, tf.cast(preMask, 'int32')) : out;
  });
  arg.dispose();
  preMask?.dispose();
  const labels = Uint8Array.from(full.dataSync() as Int32Array);
  full.dispose();
  s.dispose();

  const components = bcOpts.isPostProcessEnable === false ? 0 : keepLargestComponent(labels, vol.dims);
  let masked: Uint8Array | undefined;
  if (entry.type === 'Brain_Masking' || entry.type === 'Brain_Extraction') {
    for (let v = 0; v < labels.length; v++) labels[v] = labels[v] ? 1 : 0;
    if (entry.type === 'Brain_Extraction') masked = vol.data.map((x, v) => x * labels[v]);
  }
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return {
    labels,
    masked,
    dims: vol.dims,
    seconds: (performance.now() - t0) / 1000,
    box: ijk(maskLo, maskHi),
    boxQuirk: ijk(quirkLo, quirkHi),
    counts,
    components,
  };
}
