/** Tiny markdown table helpers shared by every bench section. */

export type Cell = string | number | null | undefined;

/** Format a number with a fixed number of decimals; null/undefined/NaN print as an em dash. */
export function fmt(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Ratio like "1.72x"; dash when either side is missing. */
export function ratio(num: number | null | undefined, den: number | null | undefined, decimals = 2): string {
  if (num == null || den == null || !Number.isFinite(num) || !Number.isFinite(den) || den === 0) return '—';
  return `${(num / den).toFixed(decimals)}x`;
}

/** Markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => headers.map((_, i) => cellText(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...text.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => text.length > 0 && text.every((r) => /^[-+]?[\d,.]+[x%]?$|^—$/.test(r[i])));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), sep, ...text.map(line)].join('\n');
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '—';
  return typeof c === 'number' ? fmt(c, Number.isInteger(c) ? 0 : 2) : c.replace(/\|/g, '\\|');
}
