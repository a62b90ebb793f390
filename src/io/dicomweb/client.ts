/**
 * A DICOMweb client over `fetch` (browser and Node 20): QIDO-RS search, WADO-RS retrieval of
 * whole instances (transfer syntax as stored, so that a series retrieved from a server and the same
 * files opened locally are the same bytes and load through the same `io/dicom` code), STOW-RS.
 * Every failure is a VoxsegError('server', …) naming the server and the cause; an abort of the
 * caller's signal passes through as is. URLs are always built from the configured base (never
 * from RetrieveURLs in the answers, which name the server's own idea of its host).
 */
import type { SourceFile } from '../dicom/source';
import { isAbort, networkCause, request, serverError, type FetchFn } from './http';
import { parseJsonArray, seriesQueryString, studyQueryString, toSeries, toStoredSeg, toStudy } from './qido';
import { fetchInstance, fetchMetadata, retrieveSeries, type RetrieveContext } from './retrieve';
import { stow } from './stow';
import type {
  DicomJson,
  DicomwebServer,
  RetrieveOptions,
  SeriesSummary,
  StoredSeg,
  StowResult,
  StudyQuery,
  StudySummary,
} from './types';

export class DicomwebClient {
  private readonly ctx: RetrieveContext;

  constructor(
    readonly server: DicomwebServer,
    private readonly opts: { fetch?: typeof fetch } = {},
  ) {
    const base = { ...server, url: server.url.replace(/\/+$/, '') };
    // bound: `fetch` called unbound throws "Illegal invocation" in browsers
    const f: FetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.ctx = { server: base, fetch: f, state: { asStored: true } };
  }

  /** QIDO-RS /studies with the query's filters and paging. */
  async searchStudies(query: StudyQuery, signal?: AbortSignal): Promise<StudySummary[]> {
    const arr = await this.qido(`/studies?${studyQueryString(query)}`, signal);
    return arr.map(toStudy).filter((s) => s.studyInstanceUid !== '');
  }

  /** QIDO-RS /studies/{study}/series (SEG series included, modality 'SEG'). */
  async searchSeries(studyUid: string, signal?: AbortSignal): Promise<SeriesSummary[]> {
    const arr = await this.qido(`/studies/${encodeURIComponent(studyUid)}/series?${seriesQueryString()}`, signal);
    return arr
      .map((ds) => toSeries(ds, studyUid))
      .filter((s) => s.seriesInstanceUid !== '')
      .sort((a, b) => (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity));
  }

  /** The DICOM SEGs stored in a study, each with the image series it references. */
  async storedSegs(studyUid: string, signal?: AbortSignal): Promise<StoredSeg[]> {
    const segSeries = (await this.searchSeries(studyUid, signal)).filter((s) => s.modality.toUpperCase() === 'SEG');
    const out: StoredSeg[] = [];
    for (const s of segSeries) {
      const md = await this.seriesMetadata(studyUid, s.seriesInstanceUid, signal);
      for (const ds of md) {
        const seg = toStoredSeg(ds, studyUid, s.seriesInstanceUid);
        if (!seg.description) seg.description = s.description;
        if (seg.sopInstanceUid) out.push(seg);
      }
    }
    return out;
  }

  /** WADO-RS /studies/{study}/series/{series}/metadata: one DICOM JSON object per instance. */
  seriesMetadata(studyUid: string, seriesUid: string, signal?: AbortSignal): Promise<DicomJson[]> {
    return fetchMetadata(this.ctx, studyUid, seriesUid, signal);
  }

  /**
   * Every instance of a series as Part-10 bytes (metadata first for the instance list, then the
   * instances with `opts.concurrency` requests in flight), as SourceFiles for `scanFiles`.
   * Instances in `opts.received` are not fetched again (resume after a failure).
   */
  retrieveSeries(studyUid: string, seriesUid: string, opts: RetrieveOptions = {}): Promise<SourceFile[]> {
    return retrieveSeries(this.ctx, studyUid, seriesUid, opts);
  }

  /** One instance as Part-10 bytes. */
  retrieveInstance(
    studyUid: string,
    seriesUid: string,
    sopInstanceUid: string,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    return fetchInstance(this.ctx, studyUid, seriesUid, sopInstanceUid, signal);
  }

  /** STOW-RS: store Part-10 instances (one multipart request); the server's answer per instance. */
  store(instances: Uint8Array[], signal?: AbortSignal): Promise<StowResult> {
    return stow(this.ctx.server, this.ctx.fetch, instances, signal);
  }

  private async qido(path: string, signal?: AbortSignal): Promise<DicomJson[]> {
    const res = await request(this.ctx.server, this.ctx.fetch, path, {
      headers: { Accept: 'application/dicom+json' },
      signal,
    });
    let text: string;
    try {
      text = res.status === 204 ? '' : await res.text();
    } catch (err) {
      if (isAbort(err, signal)) throw err;
      throw serverError(this.ctx.server, `the connection dropped (${networkCause(err)})`, { cause: err });
    }
    const arr = parseJsonArray(text);
    if (!arr) throw serverError(this.ctx.server, `the search answer is not DICOM JSON (${path.split('?')[0]})`);
    return arr;
  }
}
