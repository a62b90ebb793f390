/**
 * The list of saved work shown at start: every study whose segmentation the autosave journal
 * holds (except the one on screen with its segmentation), with Open and Discard.
 *
 * Decisions:
 * - The list reads the session records only (`Autosave.list`), again whenever another study opens.
 * - Open brings the study back from where it came from, then restores its work (no second offer):
 *   the demo is opened again (kept after its first generation, so quick); a series retrieved from
 *   a DICOMweb server is retrieved again when that server is still configured; local files cannot
 *   be reopened by the page, so the row asks for the same folder or files (naming the study and
 *   its file count), and restores when the opened image is the saved study — of several series
 *   in the folder the saved one is selected — or says that the files hold another study.
 * - The study already on screen (the demo opened at start) is restored in place.
 */
import { errorMessage } from '../../core/errors';
import type { Volume } from '../../core/types';
import type { SourceFile } from '../../io/dicom/source';
import type { SeriesRow } from '../catalog';
import { followWorkspace, type Workspace, type WorkspaceSource } from '../workspace.svelte';
import { studyKey, studyOfKey, type Autosave, type SavedSession, type SavedSource } from './autosave';

type DicomwebSource = Extract<SavedSource, { kind: 'dicomweb' }>;

/** What the list uses of the session. */
export interface RestoreSession extends WorkspaceSource {
  readonly status: string;
  readonly rows: readonly SeriesRow[];
  readonly selectedId: string | null;
  openDemo(): Promise<void>;
  open(files: SourceFile[], label: string): Promise<void>;
  select(id: string): Promise<void>;
}

export interface RestoreDeps {
  autosave: Pick<Autosave, 'list' | 'load' | 'discard' | 'flush'>;
  session: RestoreSession;
  /** Retrieve a series again; null when its server is no longer configured. */
  retrieve: (source: DicomwebSource) => Promise<boolean> | null;
}

/** "Phantom, Demo — Demo phantom CT" (patient, then series), else the study label. */
export function savedName(s: SavedSession): string {
  const name = [s.patient, s.series].filter(Boolean).join(' — ') || s.study;
  return s.key === studyOfKey(s.key) ? name : `${name} (earlier work)`;
}

const busyStatus = (status: string) => status === 'scanning' || status === 'loading';

export class RestoreList {
  /** Saved sessions, the last changed first. */
  items = $state.raw<SavedSession[]>([]);
  /** The key of the row asking for its files, else null. */
  asking = $state<string | null>(null);
  /** The key of the row being opened, else null. */
  opening = $state<string | null>(null);
  /** Closed by the user (until the page is loaded again). */
  hidden = $state(false);
  /** One line per row (what failed, what to do). */
  notes = $state.raw<Record<string, string>>({});
  /** The study on screen with a segmentation (its row is not listed). */
  private openKey = $state<string | null>(null);
  readonly dispose: () => void;

  constructor(private readonly deps: RestoreDeps) {
    this.dispose = followWorkspace(deps.session, (ws) => {
      const look = () => (this.openKey = ws.seg ? studyKey(ws.study) : null);
      const off = ws.events.on('segmentation', look);
      look();
      void this.refresh();
      return () => {
        off();
        this.openKey = null;
      };
    });
    if (!deps.session.workspace) void this.refresh();
  }

  /** The rows to show. */
  get rows(): SavedSession[] {
    return this.items.filter((s) => s.segments > 0 && s.key !== this.openKey);
  }

  /** Whether the list is on screen with the saved work of `key` (the study's restore offer is then not shown twice). */
  lists(key: string): boolean {
    return !this.hidden && this.rows.some((s) => s.key === key);
  }

  async refresh(): Promise<void> {
    try {
      this.items = await this.deps.autosave.list();
    } catch (err) {
      console.warn(`saved work not listed: ${errorMessage(err)}`);
    }
  }

  async discard(key: string): Promise<void> {
    this.items = this.items.filter((s) => s.key !== key);
    if (this.asking === key) this.asking = null;
    await this.deps.autosave.discard(key);
  }

  /** Open the study of `key` and restore its work. */
  async open(key: string): Promise<void> {
    const item = this.items.find((s) => s.key === key);
    if (!item || this.opening) return;
    this.note(key, '');
    const { session } = this.deps;
    const source = item.source;
    this.opening = key;
    try {
      await this.settled();
      const ws = session.workspace;
      if (ws && studyKey(ws.study) === studyOfKey(key)) return await this.restoreInto(ws, item);
      if (source?.kind === 'demo') {
        await session.openDemo();
        return await this.restoreOpened(item);
      }
      if (source?.kind === 'dicomweb') {
        const retrieving = this.deps.retrieve(source);
        if (!retrieving)
          return this.note(
            key,
            `The server ${source.serverName} is no longer listed: add it under PACS, or open the files.`,
          );
        if (await retrieving) return await this.restoreOpened(item);
        return this.note(key, `Could not retrieve it from ${source.serverName} (see the notice).`);
      }
      this.asking = key;
    } finally {
      this.opening = null;
    }
  }

  /** Files picked for the row asking for them. */
  async picked(key: string, files: SourceFile[], label: string): Promise<void> {
    const item = this.items.find((s) => s.key === key);
    if (!item || files.length === 0) return;
    this.opening = key;
    try {
      await this.deps.session.open(files, label);
      await this.restoreOpened(item, label);
    } finally {
      this.opening = null;
    }
  }

  cancelAsk(): void {
    this.asking = null;
  }

  /** After opening the study's source: select the saved series and restore, or say what opened instead. */
  private async restoreOpened(item: SavedSession, picked?: string): Promise<void> {
    const { session } = this.deps;
    const key = studyOfKey(item.key);
    const uid = key.includes('|') && !key.startsWith('grid:') ? key.split('|')[0] : null;
    const row = uid ? session.rows.find((r) => r.source.kind === 'dicom' && r.source.series.uid === uid) : undefined;
    if (row && row.id !== session.selectedId) await session.select(row.id);
    const ws = session.workspace;
    if (ws && studyKey(ws.study) === studyOfKey(item.key)) {
      this.asking = null;
      return this.restoreInto(ws, item);
    }
    if (picked) {
      const shown = session.rows.find((r) => r.id === session.selectedId);
      const what = shown ? `${shown.description || 'a series'} (${shown.images} files)` : 'no readable series';
      this.note(item.key, `${picked} holds another study: ${what}. Pick the files of ${savedName(item)}.`);
    } else this.note(item.key, `The study that opened is not the saved one.`);
  }

  private async restoreInto(ws: Workspace, item: SavedSession): Promise<void> {
    try {
      const seg = await this.deps.autosave.load(ws.study as Volume, item.key);
      if (!seg) throw new Error('the saved journal is incomplete');
      if (this.deps.session.workspace !== ws) return;
      ws.restore(seg, item.savedAt);
      this.items = this.items.filter((s) => s.key !== item.key);
      // Work it replaced (restoring earlier work) is set aside: list it.
      void this.deps.autosave.flush().then(() => this.refresh());
    } catch (err) {
      this.note(item.key, `Could not restore: ${errorMessage(err)}`);
    }
  }

  /** Wait while a study is being opened (the demo opened at start). */
  private async settled(): Promise<void> {
    for (let t = 0; t < 3000 && busyStatus(this.deps.session.status); t++) await new Promise((r) => setTimeout(r, 100));
  }

  private note(key: string, text: string): void {
    const notes = { ...this.notes };
    if (text) notes[key] = text;
    else delete notes[key];
    this.notes = notes;
  }
}
