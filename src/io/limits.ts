/**
 * The memory ceiling every reader checks a file's declared size against before it allocates or
 * inflates, and the byte formatting of the messages that name it.
 *
 * Decisions:
 * - One process-wide ceiling (default 4 GB, decimal: just under the 4 GiB a single typed array may
 *   hold in V8), set by the embedder: the CLI from the environment, the app may lower it. A file
 *   that declares more is refused with both numbers before anything is allocated.
 * - The embedder may attach a hint saying how to raise it; it ends every ceiling message.
 * - Sizes are printed in decimal units ("12.6 MB"), as the inference estimate and browsers do.
 */
export const DEFAULT_MEMORY_CEILING = 4e9;

let ceiling = DEFAULT_MEMORY_CEILING;
let ceilingHint = '';

/** Bytes one decoded image (or inflated stream) may take. */
export function memoryCeiling(): number {
  return ceiling;
}

/** Set the ceiling (bytes > 0) and an optional hint on how to change it ("set VOXSEG_MEMORY_CEILING"). */
export function setMemoryCeiling(bytes: number, hint = ''): void {
  if (!(bytes > 0) || !Number.isFinite(bytes))
    throw new RangeError(`memory ceiling must be a positive number of bytes, got ${bytes}`);
  ceiling = bytes;
  ceilingHint = hint;
}

/** "more than the 4.0 GB memory ceiling (hint)" for messages. */
export function overCeiling(): string {
  return `more than the ${formatSize(ceiling)} memory ceiling${ceilingHint ? ` (${ceilingHint})` : ''}`;
}

/** "1.2 GB", "340.0 MB", "12.6 MB", "3.4 kB", "512 B" (decimal units). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(1)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(bytes >= 1e5 ? 0 : 1)} kB`;
  return `${Math.round(bytes)} B`;
}

/** Parse "4G", "512MB", "2.5GiB", "1e9" (k/M/G/T decimal, Ki/Mi/Gi/Ti binary, bytes without a unit); NaN when malformed. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(?:([kmgt])(i?)b?|b?)\s*$/i.exec(text);
  if (!m) return NaN;
  const power = m[2] ? 'kmgt'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** power;
}
