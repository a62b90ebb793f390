/**
 * Retrieving a series so that it shows while it arrives: the series metadata is planned like
 * local files (`planFromMetadata`), a progressive load (io/dicom/progressive.ts) is started on
 * that plan, each instance is decoded into its slices as it arrives, and the views are told which
 * slices changed, at most a few times a second.
 *
 * Decisions:
 * - The retrieval is the client's own (`retrieveSeries`: one request, resume from `received`);
 *   this only listens to it. Instances held from an earlier attempt are added first.
 * - When the metadata does not plan to exactly one series that can load progressively (several
 *   volumes, resampling, errors), nothing is previewed and the files open as before.
 * - The result carries `loaded`: the finished volume for the series scanned from the files, or
 *   null when that series is not the one planned (io/dicom/progressive.ts says when); the session
 *   then loads the files as it would local ones. Either way the volume is the local one.
 */
import type { Volume } from '../../core/types';
import type { DicomwebClient } from '../../io/dicomweb/client';
import type { RetrieveOptions } from '../../io/dicomweb/types';
import { memorySource, type SourceFile } from '../../io/dicom/source';
import { planFromMetadata, startLoad, type ProgressiveLoad, type SeriesInfo } from '../services';

/** What the session offers a retrieval to show its partial volume. */
export interface PreviewSink {
  /** Show `volume` (being filled) in the views instead of the open study, until the retrieval ends. */
  show(volume: Volume): void;
  /** Slices `slices` of the volume shown were written. */
  changed(volume: Volume, slices: number[]): void;
}

export interface Retrieved {
  files: SourceFile[];
  /** The volume already loaded for the series scanned from `files`, or null (load it). */
  loaded?: (series: SeriesInfo) => { volume: Volume; warnings: string[] } | null;
}

/** Milliseconds between two refreshes of the views. */
const REFRESH_MS = 250;

export async function retrieveProgressively(
  client: DicomwebClient,
  study: string,
  series: string,
  opts: RetrieveOptions,
  preview: PreviewSink,
): Promise<Retrieved> {
  const { signal, received } = opts;
  let load: ProgressiveLoad | null = null;
  const adds: Promise<void>[] = [];
  let pending: number[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    if (!load || signal?.aborted || pending.length === 0) return;
    preview.changed(load.volume, pending);
    pending = [];
  };
  const add = (file: SourceFile) => {
    const l = load;
    if (!l) return;
    const done = l.add(file, signal).then((ks) => {
      pending.push(...ks);
      timer ??= setTimeout(flush, REFRESH_MS);
    });
    // a failure shows in the files' own load (finish answers null); an abort ends the retrieval
    adds.push(done.catch(() => undefined));
  };
  const files = await client.retrieveSeries(study, series, {
    ...opts,
    onMetadata: (metadata, nameOf) => {
      const planned = planFromMetadata(metadata, nameOf);
      load = planned.length === 1 ? startLoad(planned[0]) : null;
      if (!load) return;
      preview.show(load.volume);
      for (const [sop, bytes] of received ?? []) add(memorySource(nameOf(sop), bytes));
    },
    onInstance: (file, n, total) => {
      add(file);
      opts.onInstance?.(file, n, total);
    },
  });
  await Promise.all(adds);
  if (timer) clearTimeout(timer);
  flush();
  const finished = load as ProgressiveLoad | null;
  return { files, loaded: finished ? (s) => finished.finish(s) : undefined };
}
