/** Typed errors. Every error a user can see names its cause and, where relevant, the file. */
export type ErrorCode =
  | 'unreadable' // not a file we can parse at all
  | 'truncated' // file ends early
  | 'not-dicom'
  | 'not-image' // valid DICOM without pixel data (SR, RT structure set, ...)
  | 'unsupported' // a valid feature we do not handle (e.g. a transfer syntax or photometric interpretation)
  | 'decode-failed'
  | 'inconsistent-series'
  | 'invalid-volume'
  | 'invalid-nifti'
  | 'out-of-memory'
  | 'invalid-model' // a model manifest or ONNX file we cannot use (names the field or file)
  | 'inference-failed'
  | 'mesh-failed'
  | 'cancelled'
  | 'usage'
  | 'not-found'
  | 'server'; // a DICOMweb server refused, failed or could not be reached (names the server)

/**
 * `message` is "file: reason" (what logs and the CLI print); `reason` is the cause alone, for
 * places that already show the file (a per-file listing) or carry the error elsewhere (a worker
 * reply sends `code`, `file` and `reason` apart and the other side rebuilds the same error).
 */
export class VoxsegError extends Error {
  readonly code: ErrorCode;
  /** File (name or path) the problem is about, if any. */
  readonly file?: string;
  /** The cause without the file name. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${reason}` : reason, { cause: options.cause });
    this.name = 'VoxsegError';
    this.code = code;
    this.file = options.file;
    this.reason = reason;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An error's cause without the file it names (a VoxsegError's `reason`, else the message). */
export function errorReason(err: unknown): string {
  return err instanceof VoxsegError ? err.reason : errorMessage(err);
}
