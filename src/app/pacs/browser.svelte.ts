/**
 * The PACS panel's state: the servers (through `ServerStore`), the server in use, the search
 * form, one page of studies, and for each study the user expanded its series with the stored
 * SEGs under them. Searches and expansions run on the DICOMweb client; a newer search cancels the
 * one in flight. A failure is one line in the panel naming the server and the cause (the client's
 * VoxsegError) — nothing on screen is closed by it.
 */
import { errorMessage } from '../../core/errors';
import { DicomwebClient } from '../../io/dicomweb/client';
import type { DicomwebServer, StoredSeg, StudySummary } from '../../io/dicomweb/types';
import {
  EMPTY_FORM,
  pageOf,
  PAGE_SIZE,
  seriesWithSegs,
  studyQuery,
  type SearchForm,
  type SeriesWithSegs,
} from './query';
import { ServerStore, type Secret, type ServerEntry } from './servers';

export interface StudyDetail {
  state: 'loading' | 'done' | 'failed';
  rows: SeriesWithSegs[];
  unlinked: StoredSeg[];
  error: string;
}

/** Web storage where the browser offers it (null where it throws: blocked cookies, sandboxed frames). */
function storage(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window[kind];
  } catch {
    return null;
  }
}

export class StudyBrowser {
  servers = $state.raw<ServerEntry[]>([]);
  serverId = $state<string | null>(null);
  form = $state<SearchForm>({ ...EMPTY_FORM });
  page = $state(0);
  studies = $state.raw<StudySummary[]>([]);
  hasNext = $state(false);
  searching = $state(false);
  /** A search has answered (an empty list then means "no study matches"). */
  searched = $state(false);
  error = $state('');
  details = $state.raw<Record<string, StudyDetail>>({});
  readonly store: ServerStore;
  private search: AbortController | null = null;

  constructor(
    store = new ServerStore(storage('localStorage'), storage('sessionStorage')),
    private readonly makeClient: (s: DicomwebServer) => DicomwebClient = (s) => new DicomwebClient(s),
  ) {
    this.store = store;
    try {
      if (typeof location !== 'undefined') store.addFromQuery(location.search);
    } catch (err) {
      this.error = errorMessage(err);
    }
    this.reload();
    this.serverId = this.servers[0]?.id ?? null;
  }

  get server(): ServerEntry | null {
    return this.servers.find((s) => s.id === this.serverId) ?? null;
  }

  /** The client for server `id` (default: the one in use), or null when it is not listed. */
  client(id = this.serverId): DicomwebClient | null {
    const s = id ? this.store.server(id) : null;
    return s ? this.makeClient(s) : null;
  }

  /** Add or change a server; returns the problem as text, or null when saved (and selected). */
  saveServer(entry: Omit<ServerEntry, 'id'> & { id?: string }, secret: Secret): string | null {
    try {
      const saved = this.store.save(entry, secret);
      this.reload();
      this.useServer(saved.id);
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  }

  removeServer(id: string): void {
    this.store.remove(id);
    this.reload();
    if (this.serverId === id) this.useServer(this.servers[0]?.id ?? null);
  }

  useServer(id: string | null): void {
    if (id === this.serverId) return;
    this.serverId = id;
    this.clearResults();
  }

  /** Search from the first page. */
  find(): Promise<void> {
    return this.goto(0);
  }

  async goto(page: number): Promise<void> {
    const client = this.client();
    if (!client) {
      this.error = 'add a DICOMweb server first';
      return;
    }
    let query;
    try {
      query = studyQuery(this.form, page, PAGE_SIZE);
    } catch (err) {
      this.error = errorMessage(err);
      return;
    }
    this.search?.abort();
    const ctl = (this.search = new AbortController());
    this.searching = true;
    this.error = '';
    try {
      const found = await client.searchStudies(query, ctl.signal);
      if (ctl.signal.aborted) return;
      const { items, hasNext } = pageOf(found, PAGE_SIZE);
      this.studies = items;
      this.hasNext = hasNext;
      this.page = page;
      this.details = {};
      this.searched = true;
    } catch (err) {
      if (!ctl.signal.aborted) this.error = errorMessage(err);
    } finally {
      if (this.search === ctl) {
        this.search = null;
        this.searching = false;
      }
    }
  }

  /** Show or hide a study's series (with its stored SEGs); `refresh` lists them again. */
  async toggle(studyUid: string, refresh = false): Promise<void> {
    const had = this.details[studyUid];
    if (had && !refresh) {
      const { [studyUid]: _gone, ...rest } = this.details;
      this.details = rest;
      return;
    }
    const client = this.client();
    if (!client) return;
    this.setDetail(studyUid, { state: 'loading', rows: had?.rows ?? [], unlinked: had?.unlinked ?? [], error: '' });
    try {
      const [series, segs] = await Promise.all([client.searchSeries(studyUid), client.storedSegs(studyUid)]);
      this.setDetail(studyUid, { state: 'done', ...seriesWithSegs(series, segs), error: '' });
    } catch (err) {
      this.setDetail(studyUid, { state: 'failed', rows: [], unlinked: [], error: errorMessage(err) });
    }
  }

  private setDetail(uid: string, d: StudyDetail): void {
    this.details = { ...this.details, [uid]: d };
  }

  private clearResults(): void {
    this.search?.abort();
    this.studies = [];
    this.details = {};
    this.hasNext = false;
    this.page = 0;
    this.searched = false;
    this.error = '';
  }

  private reload(): void {
    this.servers = this.store.list();
  }
}
