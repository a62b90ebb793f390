/**
 * Memory limits of the CLI, from the machine and the environment:
 * - the image memory ceiling every reader checks declared sizes against (io/limits.ts), default
 *   4 GB, set with VOXSEG_MEMORY_CEILING (e.g. "8G", "500MB", bytes);
 * - the inference memory budget a manifest's estimate must fit (inference/budget.ts), default half
 *   the machine's memory, set with `segment --memory-budget SIZE` or VOXSEG_MEMORY_BUDGET (the flag
 *   wins).
 * A malformed value is a usage error naming the variable or flag.
 */
import { totalmem } from 'node:os';
import { DEFAULT_MEMORY_CEILING, parseSize, setMemoryCeiling } from '../io/limits';
import { usage } from './util';

export const CEILING_ENV = 'VOXSEG_MEMORY_CEILING';
export const BUDGET_ENV = 'VOXSEG_MEMORY_BUDGET';

function sizeOf(text: string, what: string): number {
  const bytes = parseSize(text);
  if (!(bytes > 0) || !Number.isFinite(bytes))
    throw usage(`${what} must be a size such as 8G, 500MB or a number of bytes, got ${JSON.stringify(text)}`);
  return bytes;
}

/** Apply VOXSEG_MEMORY_CEILING, when set, to the readers. */
export function applyMemoryCeiling(env: NodeJS.ProcessEnv = process.env): void {
  const text = env[CEILING_ENV];
  const hint = `set ${CEILING_ENV} to change it`;
  setMemoryCeiling(text ? sizeOf(text, CEILING_ENV) : DEFAULT_MEMORY_CEILING, hint);
}

/** The inference memory budget: the flag, else VOXSEG_MEMORY_BUDGET, else half the machine's memory. */
export function memoryBudget(flag?: string, env: NodeJS.ProcessEnv = process.env): { bytes: number; hint: string } {
  const hint = `change it with --memory-budget or ${BUDGET_ENV}`;
  if (flag !== undefined) return { bytes: sizeOf(flag, '--memory-budget'), hint };
  const text = env[BUDGET_ENV];
  if (text) return { bytes: sizeOf(text, BUDGET_ENV), hint };
  return { bytes: totalmem() / 2, hint: `half this machine's memory; ${hint}` };
}
