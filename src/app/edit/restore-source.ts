/**
 * Where the study of a journal came from (kept with its saved session so the restore list can
 * open it again), and opening a DICOMweb series again. Kept small: the demo needs no more than
 * its kind (its options come from the address, as at start), a server series its server and UIDs,
 * local files what they were called and how many the series had (to ask for the same ones).
 */
import type { Volume } from '../../core/types';
import type { DicomwebClient } from '../../io/dicomweb/client';
import type { SeriesSummary, StudySummary } from '../../io/dicomweb/types';
import type { Remote } from '../pacs/remote.svelte';
import type { Session } from '../session.svelte';
import type { SavedSource } from './autosave';

/** The source of `study`, the study open in `session`. */
export function describeSource(session: Session, remote: Remote): (study: Volume) => SavedSource | null {
  return (study) => {
    if (session.demoTruth) return { kind: 'demo' };
    const what = session.seriesName(study) || 'series';
    const o = remote.current;
    if (o)
      return {
        kind: 'dicomweb',
        serverId: o.serverId,
        serverName: o.serverName,
        studyUid: o.studyUid,
        seriesUid: o.seriesUid,
        what,
      };
    const row = session.rows.find((r) => r.id === session.selectedId);
    return { kind: 'files', label: session.sourceLabel || what, files: row?.images ?? session.rows.length };
  };
}

/** Retrieve a saved DICOMweb series again; null when its server is no longer configured. */
export function retrieveAgain(
  remote: Pick<Remote, 'openSeries'>,
  client: (serverId: string) => DicomwebClient | null,
): (source: Extract<SavedSource, { kind: 'dicomweb' }>) => Promise<boolean> | null {
  return (s) => {
    if (!client(s.serverId)) return null;
    const study: StudySummary = {
      studyInstanceUid: s.studyUid,
      patientName: '',
      patientId: '',
      studyDate: '',
      studyDescription: s.what,
      accessionNumber: '',
      modalities: [],
    };
    const series: SeriesSummary = {
      studyInstanceUid: s.studyUid,
      seriesInstanceUid: s.seriesUid,
      modality: '',
      description: s.what,
    };
    return remote.openSeries(s.serverId, study, series);
  };
}
