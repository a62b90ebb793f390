/**
 * `voxseg pull URL|dicomweb:NAME/studies/S[/series/R] -o DIR`: retrieve a series (WADO-RS, the
 * instances as stored) into DIR/<SOPInstanceUID>.dcm, or every series of a study into
 * DIR/<SeriesInstanceUID>/<SOPInstanceUID>.dcm. Each series is written as one output
 * (writeOutputs: every file complete before any is renamed into place), so a failed pull leaves
 * no half series. UIDs the server sends are used as file names only when they are plain UIDs.
 */
import { join } from 'node:path';
import { VoxsegError } from '../../core/errors';
import { clientFor, dicomwebHelp, dicomwebOptions, isDicomwebRef, parseRef } from '../dicomweb';
import { retrieveInstances, SAFE_UID, seriesOfStudy } from '../dicomweb-input';
import { parse, usage, writeOutputs, type Command } from '../util';

const help = `Usage: voxseg pull URL|dicomweb:NAME/studies/STUDY[/series/SERIES] -o DIR [options]

Retrieve a series from a DICOMweb server (WADO-RS, the instances as the server stores them)
and write each instance as DIR/<SOPInstanceUID>.dcm; a study (no /series/…) is written one
folder per series, DIR/<SeriesInstanceUID>/<SOPInstanceUID>.dcm. URL is the series or
study URL, e.g. https://pacs/dicom-web/studies/1.2.3/series/4.5.6 (the server's base is
everything before /studies/).

Options:
  -o, --output DIR      output folder (required)
${dicomwebHelp}
  -h, --help            show this help

Exit status: 0 ok, 1 the server refused or failed (the message names it), 2 usage.
`;

export const pullCommand: Command = {
  name: 'pull',
  summary: 'retrieve a series or study from a DICOMweb server into a folder',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, { output: { type: 'string', short: 'o' }, ...dicomwebOptions });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1 || !isDicomwebRef(positionals[0]))
      throw usage('pull needs one series or study: dicomweb:NAME/studies/… or an http(s) URL');
    if (!values.output) throw usage('pull needs an output folder: -o DIR');
    const ref = parseRef(positionals[0], values);
    const client = clientFor(ref.server);
    const series = ref.series ? [ref.series] : await seriesOfStudy(client, ref.study);
    let total = 0;
    for (const s of series) {
      if (!SAFE_UID.test(s))
        throw new VoxsegError(
          'server',
          `${ref.server.name}: the server lists a series UID that is not a UID: ${JSON.stringify(s)}`,
        );
      const received = await retrieveInstances(client, ref.study, s, io);
      const dir = ref.series ? values.output : join(values.output, s);
      const files = [...received].map(([sop, bytes]) => {
        if (!SAFE_UID.test(sop))
          throw new VoxsegError(
            'server',
            `${ref.server.name}: the server sent an instance UID that is not a UID: ${JSON.stringify(sop)}`,
          );
        return { path: join(dir, `${sop}.dcm`), bytes };
      });
      await writeOutputs(files);
      total += files.length;
      io.out(`wrote ${files.length} instance${files.length === 1 ? '' : 's'} of series ${s} to ${dir}\n`);
    }
    if (series.length > 1) io.out(`wrote ${total} instances of ${series.length} series to ${values.output}\n`);
    return 0;
  },
};
