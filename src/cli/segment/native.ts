/**
 * onnxruntime-node predictor for `voxseg segment --device native` (batch use and speed
 * comparisons). The CLI is the only place that imports onnxruntime-node.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Predictor, Tensor } from '../../inference/tensor';
import { sessionError } from '../../inference/session-error';

/**
 * `io`: the graph's input and output names (a manifest's `model`, or its crop pre-model); `file`
 * names the model in errors (a session that cannot be created: "not a valid ONNX model (...)").
 */
export async function nativePredictor(
  bytes: Uint8Array,
  io: { input: string; output: string },
  file = 'model.onnx',
): Promise<{ predictor: Predictor; release(): Promise<void>; threads: number }> {
  const threads = Math.max(1, cpus().length);
  // No CPU memory arena: it keeps the largest activations of every run reserved (a 128^3 nnU-Net
  // patch: 5.8 GB with it, 3.7 GB without, same speed).
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    enableCpuMemArena: false,
  }).catch((err: unknown) => {
    throw sessionError(err, file);
  });
  const predictor: Predictor = async (input: Tensor) => {
    const out = await session.run({ [io.input]: new ort.Tensor('float32', input.data, input.dims) }, [io.output]);
    const t = out[io.output];
    return { data: t.data as Float32Array, dims: [...t.dims] };
  };
  return { predictor, threads, release: () => session.release() };
}
