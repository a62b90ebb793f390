/**
 * DICOMweb (QIDO-RS search, WADO-RS retrieve, STOW-RS store): the shapes the app and the CLI use.
 * See ./README.md.
 */
import type { SourceFile } from '../dicom/source';

export type DicomwebAuth =
  { kind: 'none' } | { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

export interface DicomwebServer {
  /** What the user calls it; named in every message about it ("PACS 'Orthanc': …"). */
  name: string;
  /** Base URL of the DICOMweb service, absolute or same-origin (e.g. `/dicomweb/orthanc`), no trailing slash. */
  url: string;
  auth: DicomwebAuth;
}

/** A QIDO-RS study search. Empty fields are left out; names match with wildcards (`*`). */
export interface StudyQuery {
  patientName?: string;
  patientId?: string;
  /** YYYYMMDD, inclusive. */
  dateFrom?: string;
  dateTo?: string;
  modality?: string;
  accessionNumber?: string;
  description?: string;
  /** Page size (default 25) and offset. */
  limit?: number;
  offset?: number;
}

export interface StudySummary {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  /** YYYYMMDD as stored. */
  studyDate: string;
  studyDescription: string;
  accessionNumber: string;
  modalities: string[];
  seriesCount?: number;
  instanceCount?: number;
}

export interface SeriesSummary {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  description: string;
  seriesNumber?: number;
  instanceCount?: number;
}

/** A DICOM SEG stored on the server, with the image series it references. */
export interface StoredSeg {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  description: string;
  /** SeriesInstanceUIDs of the images it segments (ReferencedSeriesSequence), when the metadata has them. */
  referencedSeriesUids: string[];
  /** SeriesDate/ContentDate + Time when known, e.g. '20261207 101500'. */
  created?: string;
}

/** One instance of the DICOM JSON model (PS3.18 F.2): tag → { vr, Value | InlineBinary | BulkDataURI }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string; BulkDataURI?: string }>;

export interface RetrieveProgress {
  /** Instances received so far / in the series. */
  instances: number;
  totalInstances: number;
  /** Bytes received so far (all instances, including those held from an earlier attempt). */
  bytes: number;
}

export interface RetrieveOptions {
  signal?: AbortSignal;
  onProgress?: (p: RetrieveProgress) => void;
  /** Requests in flight at once (default 6). */
  concurrency?: number;
  /**
   * Instances already received (SOP Instance UID → Part-10 bytes). Filled as instances arrive;
   * pass the same map again to resume a retrieval that failed or was cancelled.
   */
  received?: Map<string, Uint8Array>;
  /**
   * Called as each instance arrives (not for those already in `received`), with the count held so
   * far: a viewer can show the first slices before the last arrive.
   */
  onInstance?: (file: SourceFile, instances: number, totalInstances: number) => void;
  /**
   * Called with the series metadata once it is in, before any instance is asked for, with the
   * name each instance's SourceFile gets: the series can be planned (and shown) before its pixels.
   */
  onMetadata?: (metadata: DicomJson[], nameOf: (sopInstanceUid: string) => string) => void;
  /**
   * Fetch the series in one WADO-RS request (`…/series/{uid}`) instead of one request per
   * instance (`concurrency` then does not apply); same progress. Used when none of the series is
   * in `received`; a retry fetches the rest instance by instance. Default true: on Orthanc the
   * per-request cost made one request per instance ~1.9× slower in the bench (300 × 512²).
   */
  seriesRequest?: boolean;
}

/** The server's answer to a STOW-RS request, instance by instance. */
export interface StowResult {
  /** HTTP status: 200 all stored, 202 stored with warnings or some failed, 409 none stored. */
  status: number;
  stored: { sopInstanceUid: string; warning?: string }[];
  failed: { sopInstanceUid: string; reason: string }[];
}
