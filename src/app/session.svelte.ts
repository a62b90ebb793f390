/**
 * What is open: the series list, the selected series, the open study's `Workspace` (its volume,
 * the image on screen and its segmentation), and the task in progress. Every source of a study
 * (files, the demo, a series retrieved from a DICOMweb server: `openFrom`) ends in `select`,
 * which makes the workspace the same way. Components read the fields and call the methods;
 * nothing else changes them. Stores follow `events` ('workspace').
 *
 * Images made in the app from a series (the skull-stripped image of a brain extraction) join the
 * list as derived rows of the same study (derived.ts): shown like any series, and one study with
 * the series they came from, so they share its workspace and segmentation (`sameStudy`).
 */
import { Emitter } from '../core/events';
import { DEMO_OPTIONS, type DemoOptions } from './demo/protocol';
import type { Progress, Volume } from '../core/types';
import { errorMessage, errorReason, VoxsegError } from '../core/errors';
import type { SourceFile } from '../io/dicom/source';
import { catalogFiles, defaultRow, loadRow, type Rejected, type SeriesRow } from './catalog';
import { derivedRow, keptVolume, rowOf, sameStudy, withDerived } from './derived';
import type { Notice, Notices } from './notices.svelte';
import { generateDemo, type DemoTruth } from './demo/client';
import type { DemoFrom } from './demo/cache';
import { Workspace } from './workspace.svelte';
import type { PreviewSink, Retrieved } from './pacs/progressive';
import type { SeriesInfo } from './services';

export type SessionStatus = 'idle' | 'scanning' | 'loading' | 'ready' | 'failed';

/** Files not loaded that the banner names one by one. */
const MAX_LISTED = 200;

export class Session {
  rows = $state.raw<SeriesRow[]>([]);
  rejected = $state.raw<Rejected[]>([]);
  selectedId = $state<string | null>(null);
  /** The open study: its volume, the image on screen and its segmentation (null before one loads). */
  workspace = $state.raw<Workspace | null>(null);
  /** Says when `workspace` is replaced, and (`image`) which slices of `preview` were written. */
  readonly events = new Emitter<{ workspace: Workspace | null; image: { volume: Volume; slices: number[] } }>();
  /**
   * A series being retrieved, shown in the views (instead of the open study, which stays open
   * underneath) while its slices arrive; null otherwise. Not a study: nothing edits it, and it
   * goes when the retrieval ends (the finished series then opens like any files).
   */
  preview = $state.raw<Volume | null>(null);
  /** The task in progress, if any. */
  progress = $state.raw<Progress | null>(null);
  status = $state<SessionStatus>('idle');
  /** Where the open files came from, e.g. "Demo phantom" or "3 files". */
  sourceLabel = $state('');
  /** The signal of a retrieval from a server in progress (it can be cancelled), else null. */
  retrieving = $state.raw<AbortSignal | null>(null);
  /** The demo phantom's true labels while the demo is open (null otherwise). */
  demoTruth = $state.raw<DemoTruth | null>(null);
  /** Where the last demo came from: generated, or kept from an earlier generation ('memory', 'stored'). */
  demoFrom = $state<DemoFrom | ''>('');

  private task: AbortController | null = null;
  /** The last volume the viewer reported: on screen (ok) or not displayable. */
  private screen: { volume: Volume; ok: boolean } | null = null;
  /** The volume a retrieval already loaded, offered to the first `select` after `open` (see openFrom). */
  private preloaded: Retrieved['loaded'] | null = null;
  /** Load warnings already shown since the files were opened (row id + text): each is shown once. */
  private readonly warned = new Set<string>();

  constructor(private readonly notices: Notices) {}

  /** Volume of the selected series, once loaded (the workspace's image on screen). */
  get volume(): Volume | null {
    return this.workspace?.image ?? null;
  }

  /**
   * Scan `files`, list their series, and load the largest one. Replaces what was open.
   * `demoTruth`: the true labels that come with the demo's files.
   */
  async open(
    files: SourceFile[],
    label = `${files.length} file${files.length === 1 ? '' : 's'}`,
    demoTruth: DemoTruth | null = null,
    loaded?: Retrieved['loaded'],
  ): Promise<void> {
    const signal = this.begin('scanning');
    this.notices.clear();
    try {
      if (files.length === 0) throw new VoxsegError('usage', 'no files were given (an empty folder?)');
      const catalog = await catalogFiles(files, { signal, onProgress: (p) => this.report(signal, p) });
      if (signal.aborted) return;
      const first = defaultRow(catalog.rows);
      // Nothing to open: what was open stays open (its rows, its study, its edits).
      if (!first) return this.failOpen(signal, files.length, catalog.rejected);
      this.rows = catalog.rows;
      this.rejected = catalog.rejected;
      this.selectedId = null;
      this.sourceLabel = label;
      this.demoTruth = demoTruth;
      this.warned.clear();
      this.reportRejected(catalog.rejected);
      this.end(signal);
      this.preloaded = loaded ?? null;
      await this.select(first.id);
    } catch (err) {
      this.fail(signal, 'Could not open files', err);
    }
  }

  /** Generate the demo phantom as DICOM files and open them like any user files. */
  async openDemo(): Promise<void> {
    const signal = this.begin('scanning');
    this.progress = { done: 0, total: 2, stage: 'Generating demo phantom' };
    try {
      const { files, truth, from } = await generateDemo((p) => this.report(signal, p), demoOptionsFromUrl());
      if (signal.aborted) return;
      this.demoFrom = from;
      this.end(signal);
      await this.open(files, 'Demo phantom', truth);
    } catch (err) {
      this.fail(signal, 'Could not create the demo', err);
    }
  }

  /**
   * Fetch files (a series from a DICOMweb server) under the progress bar, then open them like any
   * files. A failure is one error notice (`action`: e.g. Retry) and leaves what was open as it was.
   * True when the files arrived and were opened. While they arrive, `fetchFiles` may show the
   * series being filled (`preview`): it replaces the study in the views only until the end (the
   * status stays 'loading', so nothing edits); a failure or Cancel puts the open study back, and
   * success opens the files (with the volume already loaded, `Retrieved.loaded`).
   */
  async openFrom(
    fetchFiles: (
      signal: AbortSignal,
      report: (p: Progress) => void,
      preview: PreviewSink,
    ) => Promise<SourceFile[] | Retrieved>,
    label: string,
    failTitle: string,
    action?: Notice['action'],
  ): Promise<boolean> {
    const signal = this.begin('loading');
    this.progress = { done: 0, total: 0, stage: `Retrieving ${label}` };
    this.retrieving = signal;
    let shown: Volume | null = null;
    const preview: PreviewSink = {
      show: (volume) => {
        if (signal.aborted) return;
        if (!this.preview) this.workspace?.covered();
        shown = volume;
        this.preview = volume;
      },
      changed: (volume, slices) => {
        if (!signal.aborted && volume === this.preview) this.events.emit('image', { volume, slices });
      },
    };
    try {
      const got = await fetchFiles(signal, (p) => this.report(signal, p), preview).finally(() => {
        if (this.retrieving === signal) this.retrieving = null;
      });
      if (signal.aborted) return false;
      this.end(signal);
      const before = this.rows;
      const { files, loaded } = Array.isArray(got) ? { files: got, loaded: undefined } : got;
      await this.open(files, label, null, loaded);
      return this.rows !== before;
    } catch (err) {
      this.fail(signal, failTitle, err, undefined, action);
      return false;
    } finally {
      // the partial series never stays: the opened one (or the study that was open) shows instead
      if (shown && this.preview === shown) this.preview = null;
    }
  }

  /** Stop the retrieval in progress (`retrieving`); what was open stays. */
  cancel(): void {
    if (!this.task || this.task.signal !== this.retrieving) return;
    this.retrieving = null;
    this.task.abort();
    this.task = null;
    this.progress = null;
    this.preview = null;
    this.status = this.statusAfterFailure();
  }

  /** Load and show series `id`. */
  async select(id: string): Promise<void> {
    const row = this.rows.find((r) => r.id === id);
    if (!row) return;
    // A series an image was derived from keeps the volume it showed: one study with that image.
    const held = keptVolume(this.rows, id) ?? (row.source.kind === 'dicom' ? undefined : row.source.volume);
    // Already open (on screen, or loaded and being drawn): selecting it again changes nothing.
    const open = id === this.selectedId && !this.task && this.status !== 'failed' && this.volume;
    if (open && (held ?? this.volume) === this.volume) return;
    const signal = this.begin('loading');
    const before = this.selectedId;
    this.selectedId = id;
    const finish = row.source.kind === 'dicom' ? this.preloaded : null;
    this.preloaded = null;
    try {
      // a series retrieved from a server arrives loaded (the same volume loadRow would give)
      const preloaded = finish && row.source.kind === 'dicom' ? finish(row.source.series) : null;
      const { volume, warnings } = held
        ? { volume: held, warnings: [] }
        : (preloaded ?? (await loadRow(row, { signal, onProgress: (p) => this.report(signal, p) })));
      if (signal.aborted) return;
      this.reportWarnings(row, warnings);
      this.enter(volume);
      this.end(signal);
      this.status = 'loading'; // until the viewer reports it on screen
    } catch (err) {
      this.fail(
        signal,
        `Could not load ${row.description || 'series'}`,
        err,
        row.source.kind === 'nifti' ? row.source.file : undefined,
      );
      // The study on screen stays open, and its row selected.
      if (!signal.aborted && this.volume) this.selectedId = before;
    }
  }

  /**
   * Show `image`, made from `base` ("brain extracted" says how), as a series of the same study:
   * a row under the series `base` belongs to (replacing one made the same way before), selected.
   * False when `base` is no longer open.
   */
  async showDerived(base: Volume, image: Volume, suffix: string): Promise<boolean> {
    const baseRow = rowOf(this.rows, base, { id: this.selectedId, volume: this.volume });
    if (!baseRow) return false;
    const row = derivedRow(baseRow, base, image, suffix);
    this.rows = withDerived(this.rows, row);
    await this.select(row.id);
    return true;
  }

  /** Select the series holding `volume` (one shown before); false when no open series does. */
  async showVolume(volume: Volume): Promise<boolean> {
    const row = rowOf(this.rows, volume, { id: this.selectedId, volume: this.volume });
    if (!row) return false;
    await this.select(row.id);
    return true;
  }

  /** The description of the series holding `volume` ('' when none does). */
  seriesName(volume: Volume): string {
    return rowOf(this.rows, volume, { id: this.selectedId, volume: this.volume })?.description ?? '';
  }

  /** `a` and `b` are one study for a segmentation: the same volume, or images derived from one origin on one grid. */
  sameStudy(a: Volume, b: Volume): boolean {
    return sameStudy(this.rows, a, b);
  }

  /** Called by the viewer once the volume is rendered. */
  shown(volume: Volume): void {
    this.screen = { volume, ok: true };
    if (volume !== this.volume) return;
    if (!this.task) this.status = 'ready';
    this.workspace?.shown(volume);
  }

  /** `volume` is the image to show: an image of the open study keeps its workspace, another study gets a new one. */
  private enter(volume: Volume): void {
    const ws = this.workspace;
    if (ws && (ws.image === volume || this.sameStudy(ws.study, volume))) {
      ws.setImage(volume);
      return;
    }
    ws?.dispose();
    this.notices.dropStudy();
    this.workspace = new Workspace(volume);
    this.events.emit('workspace', this.workspace);
  }

  /** Called by the viewer when it could not display the volume (the error is in the notices). */
  displayFailed(volume: Volume): void {
    this.screen = { volume, ok: false };
    if (volume === this.volume && !this.task) this.status = 'failed';
  }

  private begin(status: SessionStatus): AbortSignal {
    this.task?.abort();
    this.task = new AbortController();
    this.status = status;
    this.progress = { done: 0, total: 1, stage: status === 'scanning' ? 'Scanning files' : 'Loading series' };
    return this.task.signal;
  }

  private report(signal: AbortSignal, p: Progress): void {
    if (!signal.aborted) this.progress = p;
  }

  private end(signal: AbortSignal): void {
    if (this.task?.signal !== signal) return;
    this.task = null;
    this.progress = null;
  }

  private fail(signal: AbortSignal, title: string, err: unknown, file?: string, action?: Notice['action']): void {
    if (signal.aborted) return;
    this.end(signal);
    this.status = this.statusAfterFailure();
    const f = file ?? (err instanceof VoxsegError ? err.file : undefined);
    // The banner names the file apart: the cause alone, unless the error is about another file.
    const other = err instanceof VoxsegError && err.file !== undefined && err.file !== f;
    this.notices.push({
      level: 'error',
      title,
      file: f,
      message: other ? errorMessage(err) : errorReason(err),
      action,
    });
  }

  /** A failed task leaves the study that was open as it was: still ready when it is on screen. */
  private statusAfterFailure(): SessionStatus {
    const v = this.volume;
    if (!v) return 'failed';
    if (this.screen?.volume !== v) return 'loading'; // the viewer reports it shown (or not) later
    return this.screen.ok ? 'ready' : 'failed';
  }

  /** None of the files opened holds an image: one error naming the file (or each file) and why. */
  private failOpen(signal: AbortSignal, count: number, rejected: Rejected[]): void {
    if (signal.aborted) return;
    this.end(signal);
    this.status = this.statusAfterFailure();
    if (rejected.length === 1) {
      this.notices.push({
        level: 'error',
        title: 'Could not open',
        file: rejected[0].file,
        message: rejected[0].reason,
      });
      return;
    }
    this.notices.push({
      level: 'error',
      title: 'Could not open files',
      message: `none of the ${count} files holds a readable image series`,
      details: rejected
        .slice(0, 5)
        .map((r) => `${r.file}: ${r.reason}`)
        .concat(rejected.length > 5 ? [`… and ${rejected.length - 5} more`] : []),
    });
  }

  /** A series' load warnings, each once per opening of the files (not again when it is selected again). */
  private reportWarnings(row: SeriesRow, warnings: string[]): void {
    const file = row.source.kind === 'nifti' ? row.source.file : undefined;
    const title = `${row.description || 'Series'} loaded with a warning`;
    for (const w of warnings) {
      const key = `${row.id}\n${w}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.notices.push({ level: 'warning', title, file, message: w });
    }
  }

  private reportRejected(rejected: Rejected[]): void {
    if (rejected.length === 0) return;
    const n = rejected.length;
    // The one place that lists them (the banner scrolls a long list).
    this.notices.push({
      level: 'warning',
      title: `${n} file${n === 1 ? '' : 's'} not loaded`,
      file: n === 1 ? rejected[0].file : undefined,
      message: n === 1 ? rejected[0].reason : 'not part of any image series',
      details:
        n === 1
          ? undefined
          : rejected
              .slice(0, MAX_LISTED)
              .map((r) => `${r.file}: ${r.reason}`)
              .concat(n > MAX_LISTED ? [`… and ${n - MAX_LISTED} more`] : []),
      testid: 'rejected',
    });
  }
}

/**
 * The demo's grid: the default, or `?demo-dims=512,512,500` (e.g. to try the tools on a study of
 * clinical size); spacing scales so the anatomy keeps its size.
 */
function demoOptionsFromUrl(): DemoOptions {
  const raw = typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('demo-dims');
  const dims = raw?.split(',').map(Number);
  if (!dims || dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 16 || d > 1024)) return DEMO_OPTIONS;
  const d = dims as [number, number, number];
  const spacing = DEMO_OPTIONS.spacing.map((s, i) => (s * DEMO_OPTIONS.dims[i]) / d[i]) as [number, number, number];
  return { ...DEMO_OPTIONS, dims: d, spacing };
}
