/**
 * What the autosave keeps about a saved study besides its journal: the session record (names,
 * date, segments, last change, undo steps, where the study came from), read by the list of saved
 * work without touching the journal; and the key that identifies a study.
 */
import type { Volume } from '../../core/types';
import { hashSeed } from '../../core/hash';
import { formatDicomDate, formatPersonName } from '../catalog';

/** Where a saved study came from, so that it can be opened again. */
export type SavedSource =
  | { kind: 'demo' }
  | { kind: 'dicomweb'; serverId: string; serverName: string; studyUid: string; seriesUid: string; what: string }
  | { kind: 'files'; label: string; files: number };

/** What is saved for a study, as offered for restoring. */
export interface SavedSession {
  key: string;
  savedAt: string;
  /** e.g. "CT Abdomen — 512×512×20". */
  study: string;
  segments: number;
  changes: number;
  /** Patient name (display form), series description and study date (YYYY-MM-DD), when known. */
  patient?: string;
  series?: string;
  date?: string;
  /** Undo steps kept with the work. */
  undo?: number;
  source?: SavedSource;
}

/** Key of a study: its series UID and grid, or a fingerprint of grid and voxels when it has no UID. */
export function studyKey(study: Volume): string {
  const { dims, spacing, origin, metadata } = study.header;
  const grid = `${dims.join('x')}@${origin.map((o) => o.toFixed(2)).join(',')}/${spacing.map((s) => s.toFixed(3)).join(',')}`;
  if (metadata.seriesInstanceUid) return `${metadata.seriesInstanceUid}|${grid}`;
  const v = study.voxels;
  const samples: number[] = [];
  const step = Math.max(1, Math.floor(v.length / 4096));
  for (let i = 0; i < v.length; i += step) samples.push(Math.round(v[i] * 16));
  return `grid:${grid}|${hashSeed(...samples).toString(16)}`;
}

/** The facts of a study a session record repeats at every write. */
export type StudyFacts = Omit<SavedSession, 'key' | 'savedAt' | 'segments' | 'changes' | 'undo'>;

export function aboutStudy(study: Volume, source: SavedSource | null): StudyFacts {
  const h = study.header;
  const m = h.metadata;
  const about: StudyFacts = { study: `${m.seriesDescription || m.modality || 'Study'} — ${h.dims.join('×')}` };
  if (m.patientName) about.patient = formatPersonName(m.patientName);
  if (m.seriesDescription || m.studyDescription) about.series = m.seriesDescription || m.studyDescription;
  if (m.studyDate) about.date = formatDicomDate(m.studyDate);
  if (source) about.source = source;
  return about;
}
