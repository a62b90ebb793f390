/**
 * Checks of a loaded ONNX graph against its manifest, shared by the worker and the CLI: input and
 * output names, rank and channels, which spatial dims are fixed, and operators WebGPU cannot run
 * (after the rewrite of onnx/webgpu-rewrite.ts, which the worker applies for WebGPU).
 */
import { VoxsegError } from '../core/errors';
import type { ModelManifest, PreModel } from './manifest';
import { opsetVersion, type OnnxInfo } from './onnx/reader';
import { maxPoolRewriteRefusal } from './onnx/webgpu-rewrite';
import type { ModelShape } from './pipeline';

/**
 * Operators the WebGPU execution provider cannot run for 3-D models (ConvTranspose, pooling). A
 * 3-D MaxPool that `rewriteForWebgpu` turns into strided slices (no padding, ceil_mode 0, ...) is
 * not a blocker: the worker rewrites it before it creates a WebGPU session.
 */
export function webgpuBlockers(info: OnnxInfo): string[] {
  const rank = info.inputs[0]?.dims.length ?? 0;
  const blocked = info.convs.filter(
    (c) => c.opType === 'ConvTranspose' && (c.kernelRank === 3 || (c.kernelRank === null && rank === 5)),
  );
  const out = blocked.length
    ? [`ConvTranspose with a 3-D kernel (${blocked.length} node${blocked.length > 1 ? 's' : ''})`]
    : [];
  // Its pooling kernels are 1-D/2-D only ("kernelShape.length > 2 is not supported").
  const opset = opsetVersion(info);
  for (const op of ['MaxPool', 'AveragePool', 'LpPool']) {
    const pools = info.pools.filter((p) => p.opType === op && (p.kernelShape ? p.kernelShape.length > 2 : rank === 5));
    if (op !== 'MaxPool') {
      if (pools.length) out.push(`3-D ${op}`);
      continue;
    }
    const reasons = pools.map((p) => maxPoolRewriteRefusal(p, opset)).filter((r): r is string => r !== null);
    if (reasons.length)
      out.push(
        `3-D MaxPool (${reasons.length} node${reasons.length > 1 ? 's' : ''}: ${[...new Set(reasons)].join('; ')})`,
      );
  }
  return out;
}

/**
 * Check the ONNX graph against the manifest; returns the input shape the pipeline needs.
 * `manifestFile` is named beside `file` when the two disagree on the output channels.
 */
export function checkModel(info: OnnxInfo, manifest: ModelManifest, file: string, manifestFile?: string): ModelShape {
  return checkGraph(info, manifest.model, file, manifestFile ? `${manifestFile} (model.channels)` : 'the manifest');
}

/** The same checks for a pre-model (`preprocessing.crop.preModel`). */
export function checkPreModel(info: OnnxInfo, spec: PreModel, file: string, manifestFile?: string): ModelShape {
  return checkGraph(
    info,
    spec,
    file,
    manifestFile ? `${manifestFile} (preprocessing.crop.preModel.channels)` : 'the manifest',
  );
}

function checkGraph(
  info: OnnxInfo,
  io: { input: string; output: string; channels: number },
  file: string,
  manifestName: string,
): ModelShape {
  const input = info.inputs.find((i) => i.name === io.input);
  if (!input)
    throw new VoxsegError(
      'invalid-model',
      `the manifest names input "${io.input}", but the model's inputs are ${info.inputs.map((i) => `"${i.name}"`).join(', ')}`,
      { file },
    );
  if (!info.outputs.some((o) => o.name === io.output))
    throw new VoxsegError(
      'invalid-model',
      `the manifest names output "${io.output}", but the model's outputs are ${info.outputs.map((o) => `"${o.name}"`).join(', ')}`,
      { file },
    );
  if (input.dims.length !== 5)
    throw new VoxsegError(
      'invalid-model',
      `input "${input.name}" has rank ${input.dims.length}; a 3-D segmentation model takes [batch, 1, d, h, w]`,
      { file },
    );
  if (typeof input.dims[1] === 'number' && input.dims[1] !== 1)
    throw new VoxsegError(
      'invalid-model',
      `input "${input.name}" has ${input.dims[1]} channels; voxseg feeds one image channel`,
      { file },
    );
  // Fail early: the output's channel axis (dim 1 in both layouts) when the graph fixes it
  const output = info.outputs.find((o) => o.name === io.output);
  const outChannels = output && output.dims.length >= 2 ? output.dims[1] : null;
  if (typeof outChannels === 'number' && outChannels > 0 && outChannels !== io.channels)
    throw new VoxsegError(
      'invalid-model',
      `the graph's output "${io.output}" has ${outChannels} channel${outChannels > 1 ? 's' : ''}, but ${manifestName} says ${io.channels}`,
      { file },
    );
  const fixed = (d: number | string | null) => (typeof d === 'number' && d > 0 ? d : null);
  return { batch: fixed(input.dims[0]), spatial: input.dims.slice(2).map(fixed) };
}
