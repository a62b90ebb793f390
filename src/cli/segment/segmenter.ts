/**
 * One model, opened once, segmenting volumes the way the app does: `native` runs the pipeline
 * on onnxruntime-node in this thread, `wasm` runs the browser's inference worker in a Node worker
 * thread. Shared by `voxseg segment` and `voxseg evaluate`.
 */
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { VoxsegError } from '../../core/errors';
import { checkPreModel } from '../../inference/model-check';
import { checkSha256 } from '../../inference/models';
import { inspectOnnx } from '../../inference/onnx/reader';
import type { Volume } from '../../core/types';
import type { ModelManifest } from '../../inference/manifest';
import { runPipeline, type ModelShape } from '../../inference/pipeline';
import { readFileInside } from '../node-files';

export interface SegmentRun {
  labels: Volume;
  /** The study image masked by the labels (brain extraction models). */
  maskedImage?: Volume;
  device: 'native' | 'wasm';
  threads: number;
  notes: string[];
  inferenceSeconds: number;
  patches: number;
  modelGrid: number[];
  peakBytes: number;
}

export interface Segmenter {
  /** The engine, as a report names it. */
  engine: string;
  segment(volume: Volume): Promise<SegmentRun>;
  release(): Promise<void>;
}

/** The crop pre-model the manifest names (beside the manifest), checked; undefined when it names none. */
export async function readPreModel(
  manifestFile: string,
  manifest: ModelManifest,
): Promise<{ bytes: Uint8Array; shape: ModelShape } | undefined> {
  const spec = manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.crop?.preModel : undefined;
  if (!spec) return undefined;
  const file = resolve(dirname(manifestFile), spec.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFileInside(dirname(manifestFile), file);
  } catch (e) {
    if (e instanceof VoxsegError) throw e;
    throw new VoxsegError('not-found', 'the pre-model the manifest names (preprocessing.crop.preModel) is missing', {
      file,
    });
  }
  await checkSha256(bytes, spec.sha256, file);
  return { bytes, shape: checkPreModel(inspectOnnx(bytes, file), spec, file, manifestFile) };
}

/**
 * `preModel`: the bytes and graph shape of the manifest's crop pre-model, when it names one;
 * `files`: the ONNX paths errors name (default: as the manifest names them).
 */
export async function openSegmenter(
  device: 'native' | 'wasm',
  bytes: Uint8Array,
  manifest: ModelManifest,
  shape: ModelShape,
  preModel?: { bytes: Uint8Array; shape: ModelShape },
  files: { model?: string; preModel?: string } = {},
): Promise<Segmenter> {
  const preSpec = manifest.preprocessing.mode === 'whole-volume' ? manifest.preprocessing.crop?.preModel : undefined;
  if (device === 'native') {
    const { nativePredictor } = await import('./native');
    const native = await nativePredictor(bytes, manifest.model, files.model ?? manifest.model.file);
    const pre =
      preModel && preSpec ? await nativePredictor(preModel.bytes, preSpec, files.preModel ?? preSpec.file) : undefined;
    const memoryBudget = Math.min(4 * 2 ** 30, totalmem() / 4);
    return {
      engine: 'onnxruntime-node',
      async segment(volume) {
        const r = await runPipeline(volume, manifest, native.predictor, shape, {
          memoryBudget,
          preModel: pre && preModel ? { predictor: pre.predictor, shape: preModel.shape } : undefined,
        });
        return {
          labels: r.labels,
          maskedImage: r.maskedImage,
          device,
          threads: native.threads,
          notes: r.notes,
          inferenceSeconds: r.inferenceSeconds,
          patches: r.patches,
          modelGrid: r.modelGrid,
          peakBytes: r.peakBytes,
        };
      },
      release: async () => {
        await native.release();
        await pre?.release();
      },
    };
  }
  const { wasmClient } = await import('./wasm');
  const client = wasmClient();
  return {
    engine: 'onnxruntime-web (WASM, worker thread)',
    async segment(volume) {
      const r = await client.segment(volume, {
        manifest,
        model: { bytes: bytes.slice().buffer },
        preModel: preModel && { bytes: preModel.bytes.slice().buffer },
        device: 'wasm',
        threads: cpus().length,
      });
      const s = r.summary;
      return {
        labels: r.labels,
        maskedImage: r.maskedImage,
        device,
        threads: s.device.threads,
        notes: s.device.notes ?? [],
        inferenceSeconds: s.inferenceSeconds,
        patches: s.patches,
        modelGrid: s.modelGrid,
        peakBytes: s.peakBytes,
      };
    },
    release: async () => client.dispose(),
  };
}
