/**
 * Checks of a loaded ONNX graph against its manifest, shared by the worker and the CLI: input and
 * output names, rank and channels, which spatial dims are fixed, and operators WebGPU cannot run.
 */
import { VoxsegError } from '../core/errors';
import type { ModelManifest } from './manifest';
import type { OnnxInfo } from './onnx/reader';
import type { ModelShape } from './pipeline';

/** Operators the WebGPU execution provider cannot run for 3-D models (ConvTranspose, pooling). */
export function webgpuBlockers(info: OnnxInfo): string[] {
  const rank = info.inputs[0]?.dims.length ?? 0;
  const blocked = info.convs.filter((c) => c.opType === 'ConvTranspose' && (c.kernelRank === 3 || (c.kernelRank === null && rank === 5)));
  const out = blocked.length ? [`ConvTranspose with a 3-D kernel (${blocked.length} node${blocked.length > 1 ? 's' : ''})`] : [];
  // Its pooling kernels are 1-D/2-D only ("kernelShape.length > 2 is not supported").
  if (rank === 5) for (const op of ['MaxPool', 'AveragePool', 'LpPool']) if (info.ops.includes(op)) out.push(`3-D ${op}`);
  return out;
}

/** Check the ONNX graph against the manifest; returns the input shape the pipeline needs. */
export function checkModel(info: OnnxInfo, manifest: ModelManifest, file: string): ModelShape {
  const input = info.inputs.find((i) => i.name === manifest.model.input);
  if (!input)
    throw new VoxsegError('invalid-model', `the manifest names input "${manifest.model.input}", but the model's inputs are ${info.inputs.map((i) => `"${i.name}"`).join(', ')}`, { file });
  if (!info.outputs.some((o) => o.name === manifest.model.output))
    throw new VoxsegError('invalid-model', `the manifest names output "${manifest.model.output}", but the model's outputs are ${info.outputs.map((o) => `"${o.name}"`).join(', ')}`, { file });
  if (input.dims.length !== 5)
    throw new VoxsegError('invalid-model', `input "${input.name}" has rank ${input.dims.length}; a 3-D segmentation model takes [batch, 1, d, h, w]`, { file });
  if (typeof input.dims[1] === 'number' && input.dims[1] !== 1)
    throw new VoxsegError('invalid-model', `input "${input.name}" has ${input.dims[1]} channels; voxseg feeds one image channel`, { file });
  const fixed = (d: number | string | null) => (typeof d === 'number' && d > 0 ? d : null);
  return { batch: fixed(input.dims[0]), spatial: input.dims.slice(2).map(fixed) };
}
