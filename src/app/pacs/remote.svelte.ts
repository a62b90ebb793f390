/**
 * Opening a series from a DICOMweb server, and a stored SEG onto it.
 *
 * Decisions:
 * - The series' instances come whole (WADO-RS, `DicomwebClient.retrieveSeries`) and go to
 *   `Session.openFrom` → `Session.open`, so geometry, sorting, warnings, the restore offer,
 *   autosave and everything else are exactly the local path; the top progress bar shows instances
 *   and bytes, and its Cancel stops the retrieval. Meanwhile the series is shown as it arrives
 *   (planned from its metadata, filled slice by slice: ./progressive.ts), and the volume it
 *   filled is the one that opens when it is exactly what loading the files gives.
 * - The instances received (`received`) of the last retrieval that failed are kept until it
 *   opens (one retrieval at a time: they are in memory): a failure
 *   (server down, connection dropped) is one error notice naming the server and the cause with a
 *   Retry that resumes where it stopped; the study on screen and its edits stay as they were.
 * - `origin` remembers which server and series the open study came from (while its rows are the
 *   ones on screen), so _Send to PACS_ goes back there, and a stored SEG of that series loads
 *   onto it without retrieving the images again.
 */
import type { DicomwebClient } from '../../io/dicomweb/client';
import type { RetrieveProgress, SeriesSummary, StoredSeg, StudySummary } from '../../io/dicomweb/types';
import type { Session } from '../session.svelte';
import type { SeriesRow } from '../catalog';
import type { Transfer } from '../edit/transfer.svelte';
import type { Notices } from '../notices.svelte';
import { errorMessage } from '../../core/errors';
import { retrieveStage } from './query';
import { retrieveProgressively } from './progressive';

export interface Origin {
  serverId: string;
  serverName: string;
  studyUid: string;
  seriesUid: string;
  /** The session's rows when the series opened: the origin holds while they are on screen. */
  rows: readonly SeriesRow[];
}

interface Pending {
  serverId: string;
  studyUid: string;
  seriesUid: string;
  what: string;
  received: Map<string, Uint8Array>;
}

export class Remote {
  /** Where the open study came from (see `current`). */
  origin = $state.raw<Origin | null>(null);
  /** A stored SEG is being retrieved (its SOP Instance UID). */
  loadingSeg = $state<string | null>(null);
  /**
   * The last retrieval that failed or was cancelled, kept to resume. Only one: its instances are
   * held in memory (a Retry on an older notice brings its own back).
   */
  private pending: { key: string; job: Pending } | null = null;

  constructor(
    private readonly session: Session,
    private readonly notices: Notices,
    private readonly transfer: Transfer,
    private readonly client: (serverId: string) => DicomwebClient | null,
  ) {}

  /** The origin of the study on screen, or null when it did not come from a server. */
  get current(): Origin | null {
    const o = this.origin;
    return o && o.rows === this.session.rows && this.session.volume ? o : null;
  }

  /** Retrieve `series` of `study` from server `serverId` and open it; true when it opened. */
  async openSeries(serverId: string, study: StudySummary, series: SeriesSummary): Promise<boolean> {
    const what = series.description || study.studyDescription || `series ${series.seriesNumber ?? ''}`.trim();
    const key = `${serverId}\n${series.seriesInstanceUid}`;
    const job = (this.pending?.key === key ? this.pending.job : null) ?? {
      serverId,
      studyUid: study.studyInstanceUid,
      seriesUid: series.seriesInstanceUid,
      what,
      received: new Map<string, Uint8Array>(),
    };
    return this.run(key, job);
  }

  /** Resume the retrieval of a series that failed (instances already received are not fetched again). */
  retry(serverId: string, seriesUid: string): Promise<boolean> {
    const key = `${serverId}\n${seriesUid}`;
    return this.pending?.key === key ? this.run(key, this.pending.job) : Promise.resolve(false);
  }

  private async run(key: string, job: Pending): Promise<boolean> {
    this.pending = { key, job };
    const client = this.client(job.serverId);
    const name = client?.server.name ?? 'the server';
    const ok = await this.session.openFrom(
      (signal, report, preview) => {
        if (!client) throw new Error(`the server of ${job.what} is no longer listed`);
        const opts = {
          signal,
          received: job.received,
          onProgress: (p: RetrieveProgress) =>
            report({ done: p.instances, total: p.totalInstances, stage: retrieveStage(job.what, name, p) }),
        };
        return retrieveProgressively(client, job.studyUid, job.seriesUid, opts, preview);
      },
      `${name}: ${job.what}`,
      `Could not retrieve ${job.what} from ${name}`,
      { label: 'Retry', testid: 'pacs-retry', run: () => void this.run(key, job) },
    );
    if (!ok) return false;
    if (this.pending?.key === key) this.pending = null;
    this.origin = {
      serverId: job.serverId,
      serverName: name,
      studyUid: job.studyUid,
      seriesUid: job.seriesUid,
      rows: this.session.rows,
    };
    return true;
  }

  /**
   * Load a stored SEG onto the series it references: the series on screen when it is that one,
   * else `series` (retrieved first). Through the same import as a SEG file.
   */
  async loadSeg(serverId: string, study: StudySummary, seg: StoredSeg, series: SeriesSummary | null): Promise<void> {
    const client = this.client(serverId);
    if (!client) return;
    this.loadingSeg = seg.sopInstanceUid;
    try {
      const here = this.current;
      const onScreen = here && here.serverId === serverId && seg.referencedSeriesUids.includes(here.seriesUid);
      if (!onScreen) {
        if (!series) throw new Error('the series it references is not on this server');
        if (!(await this.openSeries(serverId, study, series))) return;
      }
      const bytes = await client.retrieveInstance(seg.studyInstanceUid, seg.seriesInstanceUid, seg.sopInstanceUid);
      const ws = this.session.workspace;
      if (!ws) return;
      await this.transfer.importSeg(bytes, `${client.server.name}: ${seg.description || 'SEG'}`, ws.study);
    } catch (err) {
      this.notices.push({
        level: 'error',
        title: `Could not load the SEG from ${client.server.name}`,
        message: errorMessage(err),
      });
    } finally {
      this.loadingSeg = null;
    }
  }
}
