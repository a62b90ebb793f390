/** Shared CLI plumbing: output sinks, usage errors, argument helpers, safe file writes. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VoxsegError } from '../core/errors';
import type { Vec3 } from '../core/types';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Text bound for a terminal with the control characters that strings from files may carry (a
 * SeriesDescription with escape sequences, a file name with a bell) shown as `\uNNNN` (which
 * `--json` output keeps valid); newline, tab and carriage return (progress lines) pass.
 */
export function terminalSafe(text: string): string {
  return text.replace(
    /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export const processIO: CliIO = {
  out: (t) => void process.stdout.write(terminalSafe(t)),
  err: (t) => void process.stderr.write(terminalSafe(t)),
};

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export function usage(message: string): VoxsegError {
  return new VoxsegError('usage', message);
}

/** node:util parseArgs with parse errors turned into usage errors. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e));
  }
}

/** "X,Y,Z" -> three numbers (integers when `int`). */
export function parseTriple(text: string | undefined, what: string, int: boolean): Vec3 | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/[,x]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))))
    throw usage(
      `--${what} needs three positive ${int ? 'integers' : 'numbers'} like 512,512,100, got ${JSON.stringify(text)}`,
    );
  return parts as Vec3;
}

export function parseInteger(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isSafeInteger(v)) throw usage(`--${what} needs an integer, got ${JSON.stringify(text)}`);
  return v;
}

/** A temporary name beside `path`: `.NAME.<pid>-<random>.part`, hidden and unique to this run. */
export function tempPath(path: string, ext = 'part'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.${ext}`);
}

/** The short cause of a file-system error: its code (EFBIG, ENOSPC, ...) or its message. */
export function fsCause(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * Write a file (creating its folder) atomically: the bytes go to a temporary file beside it, which
 * is renamed onto `path` only once complete, so a failed write (disk full, file too big, killed)
 * leaves whatever was there before intact. File-system errors become VoxsegErrors naming the path.
 */
export async function writeOutput(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeOutputs([{ path, bytes }]);
}

/**
 * Write several files as one output (a mesh per label): every file goes to its temporary file
 * first, and only when all are complete are they renamed into place, so a failure part-way leaves
 * every earlier file as it was, never a mix of old and new. Other files in the folders are left alone.
 */
export async function writeOutputs(files: { path: string; bytes: Uint8Array | string }[]): Promise<void> {
  const temps: string[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.path;
      const temp = tempPath(f.path);
      await mkdir(dirname(f.path), { recursive: true });
      temps.push(temp);
      await writeFile(temp, f.bytes, { flag: 'wx' });
    }
    for (let i = 0; i < files.length; i++) {
      current = files[i].path;
      await rename(temps[i], files[i].path);
    }
  } catch (cause) {
    await Promise.all(temps.map((t) => rm(t, { force: true }).catch(() => undefined)));
    throw new VoxsegError('unreadable', `cannot write file (${fsCause(cause)}); the earlier output is kept`, {
      file: current,
      cause,
    });
  }
}

export function fmtNum(v: number, digits = 3): string {
  return String(Number(v.toFixed(digits)));
}

export function fmtVec(v: readonly number[], digits = 3, sep = 'x'): string {
  return v.map((x) => fmtNum(x, digits)).join(sep);
}
