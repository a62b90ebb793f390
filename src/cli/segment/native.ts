/**
 * onnxruntime-node predictor for `voxseg segment --device native` (batch use and speed
 * comparisons). The CLI is the only place that imports onnxruntime-node.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../../inference/manifest';
import type { Predictor, Tensor } from '../../inference/tensor';

export async function nativePredictor(bytes: Uint8Array, manifest: ModelManifest): Promise<{ predictor: Predictor; release(): Promise<void>; threads: number }> {
  const threads = Math.max(1, cpus().length);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  // One output tensor per batch shape, written by every run: the engine reads each output before
  // the next run, and a fresh volume-sized output per patch costs page faults.
  let out: { key: string; tensor: ort.Tensor } | null = null;
  const predictor: Predictor = async (input: Tensor) => {
    const dims = [input.dims[0], manifest.model.channels, ...input.dims.slice(2)];
    const key = dims.join('x');
    if (out?.key !== key) out = { key, tensor: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims) };
    const feeds = { [manifest.model.input]: new ort.Tensor('float32', input.data, input.dims) };
    const result = await session.run(feeds, { [manifest.model.output]: out.tensor });
    const t = result[manifest.model.output];
    return { data: out.tensor.data as Float32Array, dims: [...t.dims] };
  };
  return { predictor, threads, release: () => session.release() };
}
