/**
 * Errors of the ONNX runtimes, mapped to messages that name the file and the cause: a session that
 * cannot be created means the file is not a valid ONNX model (protobuf parsing failed, a node input
 * that nothing produces, an unknown operator), or that memory ran out. Shared by the browser worker
 * (onnxruntime-web) and the CLI (onnxruntime-node), which import the runtimes themselves.
 */
import { VoxsegError, errorMessage } from '../core/errors';

/** Why creating a session for `file` failed, as a VoxsegError naming it. */
export function sessionError(err: unknown, file: string): VoxsegError {
  if (err instanceof VoxsegError) return err;
  // onnxruntime prefixes its messages with the API that failed; keep the cause, on one line
  const msg = errorMessage(err)
    .replace(/^\S*\.cc:\d+\s+[^\s(]+\(.*?\)\s*/, '') // source location and function of a native error
    .replace(
      /^(Error: )?(failed to load model( because)?|Load model from .*? failed:|Can't create a session\.?)\s*/i,
      '',
    )
    .replace(/\.\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
  if (err instanceof RangeError || /out of memory|bad_alloc|failed to allocate|allocation failed/i.test(msg))
    return new VoxsegError('out-of-memory', `not enough memory to load the model (${msg})`, { file, cause: err });
  return new VoxsegError('invalid-model', `not a valid ONNX model (${msg || 'the runtime refused it'})`, {
    file,
    cause: err,
  });
}
