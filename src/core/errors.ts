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
  | 'not-found';

export class VoxsegError extends Error {
  readonly code: ErrorCode;
  /** File (name or path) the problem is about, if any. */
  readonly file?: string;

  constructor(code: ErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'VoxsegError';
    this.code = code;
    this.file = options.file;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
