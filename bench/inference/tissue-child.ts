/**
 * Child process of the tissue-accuracy rows: one brain tissue model on `bet.nii.gz`, scored against
 * FSL FAST, then one JSON line (TissueRun) on stdout.
 *   node --import tsx bench/inference/tissue-child.ts MODEL_ID
 * Before the clock: the brainchop tfjs model is converted to ONNX + manifest exactly as
 * `voxseg import-model --settings models-list.json --id N` does (meshnet-gwm: its ONNX file and the
 * fixture manifest), and the input is read as `voxseg segment` reads it (`loadInput`). Timed, as
 * `voxseg segment --device native`: checkModel + openSegmenter('native') (onnxruntime-node, all
 * cores) running runPipeline (conform to 256^3 1 mm LIA uint8, head crop, normalization, model, argmax, labels back
 * on bet.nii.gz's grid). Then Dice per class against FAST's partial-volume maps thresholded at 0.5.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3, Volume } from '../../src/core/types';
import { readNifti } from '../../src/io/nifti/index';
import { loadInput } from '../../src/cli/inputs';
import { openSegmenter } from '../../src/cli/segment/segmenter';
import { gridMismatch } from '../../src/volume/grid';
import { importBrainchop, loadBrainchopModel } from '../../src/cli/commands/import-model';
import { convertBrainchop, selectBrainchopSettings } from '../../src/inference/brainchop/convert';
import { parseManifest, parseManifestText, type ModelManifest } from '../../src/inference/manifest';
import { checkModel } from '../../src/inference/model-check';
import { inspectOnnx } from '../../src/inference/onnx/reader';
import { indexToWorld } from '../../src/volume/geometry';
import { dice } from '../../src/volume/metrics';
import { gridOf, resampleToGrid } from '../../src/volume/resample';
import { REPO, SHARED } from '../loading/datasets';
import { TISSUE_INPUT, TISSUE_MODELS, TISSUE_TRUTH, type TissueRun } from './tissue-models';

const id = process.argv[2];
const spec = TISSUE_MODELS.find((m) => m.id === id);
if (!spec) throw new Error(`usage: tissue-child.ts ${TISSUE_MODELS.map((m) => m.id).join('|')}`);

// ---- the model (outside the clock) -----------------------------------------------------------
const zoo = join(SHARED, 'models/brainchop-tfjs');
const list = join(zoo, 'models-list.json');
let onnx: Uint8Array;
let manifest: ModelManifest;
const t0conv = performance.now();
if (spec.kind === 'onnx') {
  onnx = new Uint8Array(readFileSync(join(SHARED, spec.onnx)));
  const file = join(REPO, spec.manifest);
  manifest = parseManifestText(readFileSync(file, 'utf8'), file);
} else if (spec.bundled) {
  // The bundled model's committed files (npm run models converted them with list entry N).
  const dir = join(REPO, 'static/models', spec.bundled);
  manifest = parseManifestText(readFileSync(join(dir, 'manifest.json'), 'utf8'), join(dir, 'manifest.json'));
  onnx = new Uint8Array(readFileSync(join(dir, manifest.model.file)));
} else if (!spec.borrowColormap) {
  // Exactly `voxseg import-model ../shared/.../MODEL --settings models-list.json --id N`.
  const r = await importBrainchop(join(zoo, spec.folder), { settingsFile: list, id: spec.settingsId });
  onnx = r.onnx;
  manifest = r.manifest;
} else {
  // A gw_ae model that brainchop only lists as a brain mask/extraction model (its 3 channels
  // binarised): converted with that entry's preprocessing but as a 3-class segmentation, with the
  // labels of its sibling's colormap (its own folder has none).
  const src = await loadBrainchopModel(join(zoo, spec.folder));
  const borrowed = JSON.parse(readFileSync(join(zoo, spec.borrowColormap), 'utf8')) as unknown;
  const cmName = spec.borrowColormap.split('/').pop()!;
  src.colormaps = { ...src.colormaps, [cmName]: borrowed };
  const entry = selectBrainchopSettings(
    JSON.parse(readFileSync(list, 'utf8')),
    src.modelId,
    src.modelFile,
    spec.settingsId,
  );
  const r = convertBrainchop(src, {
    settings: { ...entry, type: 'Segmentation', colormapPath: `./${cmName}` },
    name: `${spec.folder} (3-class tissue)`,
  });
  inspectOnnx(r.onnx, 'model.onnx');
  onnx = r.onnx;
  manifest = parseManifest(JSON.parse(JSON.stringify(r.manifest)), 'manifest.json');
}
const convertSeconds = (performance.now() - t0conv) / 1000;

const labelOf = (re: RegExp) => manifest.labels.find((l) => re.test(l.name));
const wmLabel = labelOf(/white/i);
const gmLabel = labelOf(/gr[ae]y/i);
if (!wmLabel || !gmLabel)
  throw new Error(
    `${manifest.id}: no white/grey matter label among ${manifest.labels.map((l) => `${l.value} ${l.name}`).join(', ')}`,
  );

// ---- input and truth (outside the clock) -------------------------------------------------------
const warnings: string[] = [];
const { volume } = await loadInput([join(SHARED, TISSUE_INPUT)], undefined, (w) => warnings.push(w));

// ---- the timed job, as `voxseg segment --device native` --------------------------------------
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const shape = checkModel(inspectOnnx(onnx, `${spec.id}.onnx`), manifest, `${spec.id}.onnx`);
const segmenter = await openSegmenter('native', onnx, manifest, shape);
let result;
try {
  result = await segmenter.segment(volume);
} finally {
  await segmenter.release();
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const labels = result.labels;

// ---- scoring ---------------------------------------------------------------------------------
const notes = [...result.notes, ...warnings];
const target = gridOf(labels.header);
const sameGrid = (v: Volume) => gridMismatch(v.header, target) === null;

/** FAST map → 0/1 truth on the labels' grid: (raw uint8 value) / 255 >= 0.5. */
function truthMask(file: string): { mask: Uint8Array; resampled: boolean } {
  let v = readNifti(new Uint8Array(readFileSync(join(SHARED, file))), file);
  let resampled = false;
  if (!sameGrid(v)) {
    v = resampleToGrid(v, target, { interpolation: 'nearest', fill: 0 });
    resampled = true;
  }
  const src = v.voxels as ArrayLike<number>;
  let max = 0;
  for (let n = 0; n < src.length; n++) if (src[n] > max) max = src[n];
  // The reader applies the file's scl_slope (1/255): values come back as probabilities; without it
  // they are the raw bytes. Either way, compare the raw byte with 127.5 (value/255 >= 0.5).
  const scale = max <= 1 ? 255 : 1;
  const mask = new Uint8Array(src.length);
  for (let n = 0; n < src.length; n++) mask[n] = Math.round(src[n] * scale) >= 128 ? 1 : 0;
  return { mask, resampled };
}

function count(a: ArrayLike<number>, value: number): number {
  let c = 0;
  for (let n = 0; n < a.length; n++) if (a[n] === value) c++;
  return c;
}

/** Centroid of the voxels equal to `value`, in world (LPS) mm. */
function centroid(a: ArrayLike<number>, value: number): Vec3 {
  const [nx, ny] = labels.header.dims;
  const s = [0, 0, 0];
  let c = 0;
  for (let n = 0; n < a.length; n++)
    if (a[n] === value) {
      s[0] += n % nx;
      s[1] += Math.floor(n / nx) % ny;
      s[2] += Math.floor(n / (nx * ny));
      c++;
    }
  return indexToWorld(labels.header, [s[0] / c, s[1] / c, s[2] / c]);
}
const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/**
 * Alignment check: Dice of the model's mask moved by one voxel along each index axis (±1) against
 * the truth. On aligned grids no shift beats the unshifted Dice; returns the best shift [di, dj, dk].
 */
function bestShift(a: ArrayLike<number>, value: number, truth: Uint8Array): { shift: Vec3; dice: number } {
  const [nx, ny, nz] = labels.header.dims;
  let best = { shift: [0, 0, 0] as Vec3, dice: -1 };
  const shifts: Vec3[] = [
    [0, 0, 0],
    [1, 0, 0],
    [-1, 0, 0],
    [0, 1, 0],
    [0, -1, 0],
    [0, 0, 1],
    [0, 0, -1],
  ];
  let nt = 0;
  for (let n = 0; n < truth.length; n++) nt += truth[n];
  for (const [di, dj, dk] of shifts) {
    let na = 0;
    let both = 0;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const [si, sj, sk] = [i + di, j + dj, k + dk];
          if (si < 0 || sj < 0 || sk < 0 || si >= nx || sj >= ny || sk >= nz || a[(sk * ny + sj) * nx + si] !== value)
            continue;
          na++;
          both += truth[(k * ny + j) * nx + i];
        }
    const d = (2 * both) / (na + nt);
    if (d > best.dice + 1e-9) best = { shift: [di, dj, dk], dice: d };
  }
  return best;
}

const wmTruth = truthMask(TISSUE_TRUTH.wm);
const gmTruth = truthMask(TISSUE_TRUTH.gm);
if (wmTruth.resampled || gmTruth.resampled) notes.push('FAST maps resampled (nearest) onto the input grid');
const lv = labels.voxels as ArrayLike<number>;
const run: TissueRun = {
  id: spec.id,
  manifestId: manifest.id,
  name: manifest.name,
  normalization: manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.normalization.kind : '?',
  crop:
    manifest.preprocessing.mode === 'whole-volume' && manifest.preprocessing.crop
      ? manifest.preprocessing.crop.padding
      : null,
  wmLabel: `${wmLabel.value} ${wmLabel.name}`,
  gmLabel: `${gmLabel.value} ${gmLabel.name}`,
  dims: [...labels.header.dims] as Vec3,
  wmDice: dice(lv, wmLabel.value, wmTruth.mask, 1),
  gmDice: dice(lv, gmLabel.value, gmTruth.mask, 1),
  wmModel: count(lv, wmLabel.value),
  wmFast: count(wmTruth.mask, 1),
  gmModel: count(lv, gmLabel.value),
  gmFast: count(gmTruth.mask, 1),
  wmCentroidMm: dist(centroid(lv, wmLabel.value), centroid(wmTruth.mask, 1)),
  gmCentroidMm: dist(centroid(lv, gmLabel.value), centroid(gmTruth.mask, 1)),
  wmBestShift: bestShift(lv, wmLabel.value, wmTruth.mask).shift,
  gmBestShift: bestShift(lv, gmLabel.value, gmTruth.mask).shift,
  truthResampled: wmTruth.resampled || gmTruth.resampled,
  seconds,
  modelSeconds: result.inferenceSeconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  convertSeconds,
  modelGrid: [...result.modelGrid] as Vec3,
  threads: result.threads,
  notes,
};
process.stdout.write(JSON.stringify(run) + '\n');
process.exit(0);
