/**
 * The reliability suite's case model. A case is one `voxseg VERB ...` run on generated input:
 * `setup` writes its files into the case's own folder, `args` names them. Every case is held to
 * the general contract (exit 0 or 1, within its time and memory limits, a message naming the
 * file and a cause when it fails, no stack trace, no half-written output); a case that stands
 * for one of the issue's failure classes also carries the exact expectation (`expect`).
 */

export type Verb = 'info' | 'convert' | 'segment' | 'mesh' | 'export-seg' | 'import-seg';

export interface Expectation {
  /** The exit status the failure class demands; 'any' = 0 or 1 (then `cause` must still appear). */
  exit?: 0 | 1 | 'any';
  /** Must match stderr + stdout (the refusal's reason, or a visible warning). */
  cause?: RegExp;
  /** Must NOT match stderr + stdout (e.g. an escape sequence, a printed sha256). */
  absent?: RegExp;
  /** Limit on CPU seconds (user + system) of the run (bombs, oversized manifests: 2). */
  maxSeconds?: number;
  /** Peak RSS limit, MiB (bombs, oversized manifests: 500). */
  maxRssMb?: number;
}

export interface Case {
  /** Unique, path-safe: 'fuzz/nii-gz/flip-017'. */
  id: string;
  verb: Verb;
  /** Family for the summary: fuzz, bomb, manifest, pipe, header, seg, codec, write, terminal, ... */
  group: string;
  /** Write the inputs into `dir` (the case's own empty folder). */
  setup?: (dir: string) => void | Promise<void>;
  /** Arguments after the verb; paths are absolute (built from `dir`). */
  args: (dir: string) => string[];
  /** Outputs the run may create, relative to `dir` (a file, or a folder for mesh). */
  outputs?: string[];
  /** Write these bytes at outputs[0] before the run: a failed run must leave them byte-identical. */
  previous?: Uint8Array;
  /** Run with this file-size limit (KiB) and SIGXFSZ ignored: writes fail with EFBIG. */
  fileLimitKiB?: number;
  /** Seconds before the run is killed and counted as a hang (default 20). */
  timeoutSeconds?: number;
  expect?: Expectation;
  /** The failure class of the issue this case stands for (regression cases only). */
  issueClass?: string;
  /** Whose area the behaviour is (for the failure report). */
  area?: string;
  /** After an exit-0 run: a further check of its output (e.g. dciodvfy); returns the problem, if any. */
  verify?: (dir: string) => string | undefined;
  /** Why the expectation may be debatable (reported beside the case). */
  debatable?: string;
  /** Skip with this reason (a missing tool or reference data). */
  skip?: string;
}

export interface CaseResult {
  id: string;
  verb: Verb;
  group: string;
  status: 'passed' | 'failed' | 'skipped';
  exit: number | null;
  signal: string | null;
  seconds: number;
  cpuSeconds: number;
  rssMb: number;
  /** hang, kill, signal, exit, stack, unnamed, leftover, clobbered, incomplete, cause, slow, memory */
  problems: string[];
  details: string[];
  issueClass?: string;
  area?: string;
  debatable?: string;
  skip?: string;
  /** Last lines of stderr (for the report). */
  stderr: string;
}
