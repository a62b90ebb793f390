/** `voxseg info <path...> [--json]`: list every image series found in files/folders. */
import { VoxsegError } from '../../core/errors';
import type { AcquiredGeometry } from '../../io/dicom/index';
import { collectSeries } from '../inputs';
import { rejectedList, seriesTable } from '../table';
import { parse, usage, type Command } from '../util';

const help = `Usage: voxseg info <path...> [--json]

Scan files and folders (recursively) and print every image series found:
DICOM files are grouped into series; each .nii / .nii.gz file is one series.

Options:
  --json      print {series:[{uid, modality, description, files, dims, spacing,
              origin, direction, dtype, warnings, errors, acquired?}],
              rejected:[{file, reason}]}
              (direction: 9 numbers, row-major, LPS; column c = axis c)
              dims..direction are the grid the series loads on; 'acquired' is set
              when its slices did not lie on one (gantry tilt, uneven gaps) and are
              resampled onto it: {reason, slices, rows, columns, gaps:[min,max] mm
              along the slice normal, tiltDeg?}
  -h, --help  show this help

Exit status: 0 when at least one series was found, 1 when none (or a path is missing), 2 usage.
`;

function acquiredJson(a: AcquiredGeometry) {
  const [columns, rows, slices] = a.dims;
  return {
    reason: a.reason,
    slices,
    rows,
    columns,
    gaps: a.gaps,
    ...(a.tiltDeg !== undefined && { tiltDeg: a.tiltDeg }),
  };
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'list the image series in files/folders',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' } });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (!positionals.length) throw usage('info needs at least one file or folder');
    const { series, rejected } = await collectSeries(positionals);
    if (values.json) {
      const json = {
        series: series.map((s) => ({
          uid: s.uid,
          modality: s.modality,
          description: s.description,
          files: s.files,
          dims: [...s.dims],
          spacing: [...s.spacing],
          origin: [...s.origin],
          direction: [...s.direction],
          dtype: s.dtype,
          warnings: s.warnings,
          errors: s.errors,
          ...(s.acquired && { acquired: acquiredJson(s.acquired) }),
        })),
        rejected,
      };
      io.out(JSON.stringify(json, null, 2) + '\n');
    } else {
      if (series.length) io.out(seriesTable(series));
      if (rejected.length) io.out(rejectedList(rejected));
    }
    if (!series.length) {
      const why = rejected.length
        ? ` (${rejected.length} file(s) rejected, first: ${rejected[0].file}: ${rejected[0].reason})`
        : ' (no files)';
      throw new VoxsegError('not-image', `no image series found in ${positionals.join(', ')}${why}`);
    }
    return 0;
  },
};
