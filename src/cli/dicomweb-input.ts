/**
 * Retrieving from a DICOMweb server for the CLI: one series (or every series of a study) over
 * WADO-RS with progress on stderr, and a retrieved series loaded through the same `io/dicom` code
 * as local files (scanFiles + loadSeries), so `segment dicomweb:…` and `segment DIR` see the same
 * volume.
 *
 * Progress: on a terminal one line rewritten in place; otherwise (a log, a test) only the summary
 * line when the series is complete, so logs are not flooded.
 */
import { VoxsegError } from '../core/errors';
import type { Volume } from '../core/types';
import type { DicomwebClient } from '../io/dicomweb/index';
import { clientFor, type DicomwebRef } from './dicomweb';
import { dicomSeries, type InputSeries } from './inputs';
import type { CliIO } from './util';

/** A UID usable as a file name (a hostile server could send anything as a UID). */
export const SAFE_UID = /^[0-9][0-9.]{0,63}$/;

function size(bytes: number): string {
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Every instance of one series as SOP Instance UID → Part-10 bytes (in the series' order),
 * progress on stderr.
 */
export async function retrieveInstances(
  client: DicomwebClient,
  study: string,
  series: string,
  io: CliIO,
  tty = !!process.stderr.isTTY,
): Promise<Map<string, Uint8Array>> {
  const received = new Map<string, Uint8Array>();
  const t0 = performance.now();
  let last = 0;
  let lastBytes = 0;
  const what = `${client.server.name}: series ${series}`;
  await client.retrieveSeries(study, series, {
    received,
    onProgress: (p) => {
      lastBytes = p.bytes;
      const now = performance.now();
      if (!tty || (now - last < 200 && p.instances < p.totalInstances)) return;
      last = now;
      // padded: the CLI's output filter shows escape sequences as text, so no erase-line code
      io.err(`\rretrieving ${what}: ${p.instances}/${p.totalInstances} instances, ${size(p.bytes)}`.padEnd(100));
    },
  });
  if (tty) io.err(`\r${' '.repeat(100)}\r`);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  io.err(`retrieved ${what}: ${received.size} instances, ${size(lastBytes)} in ${seconds} s\n`);
  return received;
}

/** The image series of a study (SEG, SR and other non-image series too: the server lists them all). */
export async function seriesOfStudy(client: DicomwebClient, study: string): Promise<string[]> {
  const series = await client.searchSeries(study);
  if (!series.length) throw new VoxsegError('not-found', `${client.server.name}: study ${study} has no series`);
  return series.map((s) => s.seriesInstanceUid);
}

/**
 * Retrieve the series `ref` names and load it as local files would be. A study reference works
 * when the study holds exactly one series the loader can read as a volume.
 */
export async function loadDicomwebInput(
  ref: DicomwebRef,
  io: CliIO,
  warn: (message: string) => void,
): Promise<{ volume: Volume; series: InputSeries; client: DicomwebClient }> {
  const client = clientFor(ref.server);
  let seriesUid = ref.series;
  if (!seriesUid) {
    const all = (await client.searchSeries(ref.study)).filter(
      (s) => !['SEG', 'SR', 'RTSTRUCT', 'PR'].includes(s.modality),
    );
    if (all.length !== 1)
      throw new VoxsegError(
        'usage',
        `${ref.server.name}: study ${ref.study} has ${all.length} image series; name one: …/studies/${ref.study}/series/SERIES_UID${all.length ? ` (${all.map((s) => `${s.seriesInstanceUid} ${s.modality} ${s.description}`.trim()).join('; ')})` : ''}`,
      );
    seriesUid = all[0].seriesInstanceUid;
  }
  const received = await retrieveInstances(client, ref.study, seriesUid, io);
  const { memorySource } = await import('../io/dicom/source');
  const dicom = await import('../io/dicom/index');
  const files = [...received].map(([sop, bytes]) => memorySource(`${ref.server.name}/${seriesUid}/${sop}.dcm`, bytes));
  const scan = await dicom.scanFiles(files);
  for (const r of scan.rejected.slice(0, 5)) warn(`${r.file}: ${r.reason}`);
  const where = `${ref.server.name}: series ${seriesUid}`;
  if (scan.series.length !== 1)
    throw new VoxsegError(
      scan.series.length ? 'inconsistent-series' : 'not-image',
      scan.series.length
        ? `the instances form ${scan.series.length} series, expected one`
        : `no image series in what the server sent${scan.rejected[0] ? ` (${scan.rejected[0].reason})` : ''}`,
      { file: where },
    );
  const s = scan.series[0];
  if (s.errors.length)
    throw new VoxsegError('inconsistent-series', `cannot be loaded: ${s.errors.join('; ')}`, { file: where });
  const { volume, warnings } = await dicom.loadSeries(s);
  for (const w of [...new Set([...s.warnings, ...warnings])]) warn(w);
  const series = dicomSeries(s, where, async () => ({ volume, warnings }));

  return { volume, series, client };
}
