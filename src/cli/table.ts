/** Human-readable listing of series and rejected files. */
import { orientationCode } from '../volume/geometry';
import type { InputSeries, Rejected } from './inputs';
import { fmtVec } from './util';

/** Text columns two spaces apart (first row: header); the last column is not padded. */
export function pad(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function seriesTable(series: InputSeries[], details = true): string {
  const rows = [['#', 'format', 'modality', 'files', 'dims', 'spacing (mm)', 'orient', 'dtype', 'description']];
  series.forEach((s, i) =>
    rows.push([
      String(i),
      s.kind === 'dicom' ? 'DICOM' : 'NIfTI',
      s.modality || '-',
      String(s.files),
      s.dims.join('x'),
      fmtVec(s.spacing),
      orientationCode(s.direction),
      s.dtype,
      s.description || '-',
    ]),
  );
  const lines = [pad(rows)];
  if (details) {
    series.forEach((s, i) => {
      lines.push(`[${i}] uid ${s.uid}`);
      lines.push(`    origin ${fmtVec(s.origin, 3, ', ')} mm; first file ${s.firstFile}`);
      if (s.acquired)
        lines.push(
          `    acquired: ${s.acquired.dims[2]} slices of ${s.acquired.dims[0]}x${s.acquired.dims[1]} (${s.acquired.reason}), resampled onto the grid above`,
        );
      for (const w of s.warnings) lines.push(`    warning: ${w}`);
      for (const e of s.errors) lines.push(`    error: ${e}`);
    });
  }
  return lines.join('\n') + '\n';
}

export function rejectedList(rejected: Rejected[]): string {
  if (!rejected.length) return '';
  return `Rejected ${rejected.length} file(s):\n` + rejected.map((r) => `  ${r.file}: ${r.reason}\n`).join('');
}
