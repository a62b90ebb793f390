/**
 * `voxseg push FILE|DIR… --to BASEURL|dicomweb:NAME [--fill-uids]`: store DICOM Part-10 files on
 * a DICOMweb server (STOW-RS) and print the server's answer per instance.
 *
 * Decisions:
 * - Requests carry at most BATCH_BYTES / BATCH_FILES (one file at least), so a big series does
 *   not meet a server's request size limit (413) in one request, and memory stays bounded.
 * - Files whose Study/Series/SOP Instance UID is blank are refused before anything is sent (an
 *   archive refuses them or cannot link them), unless --fill-uids: then they get the UIDs
 *   `export-seg --write-ref` gives them (derived from the series, so a SEG exported from the
 *   same series references them). Files that are not DICOM Part 10 are skipped with a warning.
 * - Exit 1 when any instance failed; warnings are printed and do not fail the push.
 */
import dicomParser from 'dicom-parser';
import { VoxsegError } from '../../core/errors';
import { fillBlankUids, sourceUids } from '../../io/seg/index';
import { memorySource, type SourceFile } from '../../io/dicom/source';
import { clientFor, dicomwebHelp, dicomwebOptions, parseServer, storedInstanceUids } from '../dicomweb';
import { listFiles } from '../node-files';
import { parse, usage, type CliIO, type Command } from '../util';

const BATCH_BYTES = 32 * 1024 * 1024;
const BATCH_FILES = 200;

const help = `Usage: voxseg push FILE|DIR... --to BASEURL|dicomweb:NAME [--fill-uids] [options]

Store DICOM files (folders are searched recursively) on a DICOMweb server with STOW-RS,
in requests of at most 32 MB, and print the server's answer for each instance: stored,
stored with a warning (e.g. already there), or failed with the reason.

Options:
      --to SERVER       the server's DICOMweb base URL (e.g. https://pacs/dicom-web) or
                        dicomweb:NAME with --dicomweb NAME=URL (required)
      --fill-uids       fill blank Study/Series/SOP Instance UIDs first, as
                        'voxseg export-seg ... --write-ref DIR' does (without it such files
                        are refused)
${dicomwebHelp}
  -h, --help            show this help

Exit status: 0 all stored, 1 some instance failed or the server refused (the message names
it), 2 usage.
`;

interface Item {
  file: string;
  bytes: Uint8Array;
  sop: string;
  blank: string[];
}

/** Study and Series Instance UID of a Part-10 file ('' when blank or unreadable). */
function seriesKey(bytes: Uint8Array): { study: string; series: string } {
  try {
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
    return { study: (ds.string('x0020000d') ?? '').trim(), series: (ds.string('x0020000e') ?? '').trim() };
  } catch {
    return { study: '', series: '' };
  }
}

/** The items' SOP Instance UIDs the server already holds, one QIDO-RS query per series. */
async function alreadyStored(server: Parameters<typeof storedInstanceUids>[0], items: Item[]): Promise<Set<string>> {
  const groups = new Map<string, { study: string; series: string }>();
  for (const it of items) {
    const k = seriesKey(it.bytes);
    if (k.study && k.series) groups.set(`${k.study}/${k.series}`, k);
  }
  const found = new Set<string>();
  for (const { study, series } of groups.values())
    for (const uid of await storedInstanceUids(server, study, series)) found.add(uid);
  return found;
}

async function readItems(paths: string[], io: CliIO): Promise<Item[]> {
  const items: Item[] = [];
  let skipped = 0;
  for (const f of await listFiles(paths)) {
    const bytes = await f.slice(0, f.size);
    let probe;
    try {
      probe = fillBlankUids(bytes, { studyInstanceUid: '1', seriesInstanceUid: '1' }, f.name);
    } catch (e) {
      if (!(e instanceof VoxsegError)) throw e;
      const why = /DICM/.test(e.reason) ? 'not a DICOM Part 10 file' : `its UIDs cannot be checked (${e.reason})`;
      if (skipped++ < 5) io.err(`warning: skipped ${f.name}: ${why}\n`);
      continue;
    }
    items.push({ file: f.name, bytes, sop: probe.sopInstanceUid, blank: probe.filled });
  }
  if (skipped > 5) io.err(`warning: skipped ${skipped - 5} more files\n`);
  return items;
}

/** Fill the blank UIDs of `blank` items as export-seg --write-ref would, series by series. */
async function fillUids(blank: Item[]): Promise<void> {
  const dicom = await import('../../io/dicom/index');
  const byName = new Map(blank.map((it) => [it.file, it]));
  const scan = await dicom.scanFiles(blank.map((it): SourceFile => memorySource(it.file, it.bytes)));
  for (const r of scan.rejected)
    throw new VoxsegError('unreadable', `has blank UIDs and cannot be read as an image to derive them: ${r.reason}`, {
      file: r.file,
    });
  for (const s of scan.series) {
    const { volume } = await dicom.loadSeries(s);
    const uids = sourceUids(volume.header.metadata);
    for (const f of s.files) {
      const it = byName.get(f.name)!;
      const filled = fillBlankUids(it.bytes, uids, it.file);
      Object.assign(it, { bytes: filled.bytes, sop: filled.sopInstanceUid, blank: [] });
    }
  }
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'store DICOM files on a DICOMweb server (STOW-RS)',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      to: { type: 'string' },
      'fill-uids': { type: 'boolean' },
      ...dicomwebOptions,
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (!positionals.length) throw usage('push needs DICOM files or folders');
    if (!values.to) throw usage('push needs a server: --to BASEURL or --to dicomweb:NAME');
    const server = parseServer(values.to, values);
    const items = await readItems(positionals, io);
    if (!items.length) throw new VoxsegError('not-found', `no DICOM Part 10 file found in ${positionals.join(', ')}`);
    const blank = items.filter((it) => it.blank.length);
    if (blank.length && !values['fill-uids'])
      throw new VoxsegError(
        'unreadable',
        `${blank.length} file${blank.length > 1 ? 's have' : ' has'} blank UIDs (${blank[0].blank.join(', ')}), which a server refuses or cannot link: give --fill-uids to fill them, or write filled copies first with 'voxseg export-seg … --write-ref DIR'`,
        { file: blank[0].file },
      );
    if (blank.length) await fillUids(blank);

    const client = clientFor(server);
    const before = await alreadyStored(server, items);
    let stored = 0;
    let again = 0;
    let warned = 0;
    let failed = 0;
    for (let i = 0; i < items.length;) {
      const batch: Item[] = [];
      let bytes = 0;
      while (
        i < items.length &&
        (!batch.length || (bytes + items[i].bytes.length <= BATCH_BYTES && batch.length < BATCH_FILES))
      ) {
        bytes += items[i].bytes.length;
        batch.push(items[i++]);
      }
      const r = await client.store(batch.map((it) => it.bytes));
      const ok = new Map(r.stored.map((s) => [s.sopInstanceUid, s]));
      const bad = new Map(r.failed.map((s) => [s.sopInstanceUid, s]));
      for (const it of batch) {
        const s = ok.get(it.sop);
        const f = bad.get(it.sop);
        if (f) {
          failed++;
          io.out(`failed  ${it.sop}  ${it.file}: ${f.reason}\n`);
        } else if (s) {
          stored++;
          if (s.warning) warned++;
          if (before.has(it.sop)) again++;
          const notes = [
            ...(before.has(it.sop) ? ['already there'] : []),
            ...(s.warning ? [`warning: ${s.warning}`] : []),
          ];
          io.out(`stored  ${it.sop}  ${it.file}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
        } else {
          failed++;
          io.out(`failed  ${it.sop}  ${it.file}: the server's answer (HTTP ${r.status}) does not mention it\n`);
        }
      }
    }
    io.out(
      `${server.name}: ${stored} stored${again ? ` (${again} already there)` : ''}${warned ? `, ${warned} with warnings` : ''}, ${failed} failed of ${items.length}\n`,
    );
    return failed ? 1 : 0;
  },
};
