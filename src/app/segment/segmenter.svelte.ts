/**
 * Auto-segmentation: the models to pick from (bundled + loaded by the user), the device
 * preference, and one run at a time in the inference worker with progress, device report,
 * cancel, and the result handed to the overlay.
 *
 * Models are matched to the study on screen (inference/fit.ts): `ranked` lists them in the order
 * to propose them, each with its fit. A new study selects the best-suited model unless the one
 * selected suits it too; a model the user picked stays selected while it suits the study. A study
 * no model can segment (a 2-D image, a 4-D series) is refused before anything runs.
 */
import { errorMessage, errorReason, VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import type { InferenceClient } from '../../inference/client';
import {
  checkRunnable,
  rankModels,
  runnableProblem,
  studyFacts,
  type ModelFit,
  type StudyFacts,
} from '../../inference/fit';
import { BROWSER_BUDGET, checkMemoryBudget } from '../../inference/budget';
import { listBundledModels, modelFromFiles, type ModelEntry, type PickedFile } from '../../inference/models';
import type { DeviceInfo, DeviceRequest, ModelBytes, SegmentSummary } from '../../inference/protocol';
import type { ImportInfo } from './model-store';
import type { Notices } from '../notices.svelte';
import { createInferenceClient } from './engine';
import type { LabelContent } from '../labels-content';
import { followWorkspace, type Workspace, type WorkspaceSource } from '../workspace.svelte';

/** Where a finished run's labels go: the segmentation of the workspace the run was for. */
export type ResultSink = (c: LabelContent, ws: Workspace) => unknown;
import { deviceText, estimateEta, formatSeconds, type StageProgress } from './stats';
import { saveMasked, type MaskedImage } from './masked';

/** An imported (converted) model: where it is kept and what the conversion recorded. */
export interface ImportedModel {
  info: ImportInfo;
  license?: string;
  /** Bytes kept in the browser's storage (the ONNX size when it could not be kept). */
  bytes: number;
  /** Where it is kept; null: only in this tab (storage full or unavailable). */
  storage: 'opfs' | 'cache' | null;
}

export interface ModelChoice {
  /** `bundled/<id>`, `user/<id>` or `imported/<id>`. */
  key: string;
  entry: ModelEntry;
  imported?: ImportedModel;
}

export type RunStatus = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

/** A model in the proposed order, with how it suits the study on screen (null: no study). */
export interface RankedChoice {
  choice: ModelChoice;
  fit: ModelFit | null;
}

export interface RunProgress extends StageProgress {
  /** Seconds left, when known. */
  eta?: number;
}

export class Segmenter {
  models = $state.raw<ModelChoice[]>([]);
  /** 'none': no bundled catalogue in this build (models can still be loaded from files). */
  catalog = $state<'loading' | 'ready' | 'none'>('loading');
  selectedKey = $state<string | null>(null);
  device = $state<DeviceRequest>('auto');
  /** The device the running or last run actually uses, with the engine's notes. */
  deviceInfo = $state.raw<DeviceInfo | null>(null);
  status = $state<RunStatus>('idle');
  progress = $state.raw<RunProgress | null>(null);
  summary = $state.raw<SegmentSummary | null>(null);
  /** The skull-stripped image of the last brain extraction, while its study (or it) is on screen. */
  masked = $state.raw<MaskedImage | null>(null);
  /** The study on screen and what the matching rules measured on it. */
  study = $state.raw<{ volume: Volume; facts: StudyFacts } | null>(null);

  /** The models in the order to propose them for the study on screen (catalogue order without one). */
  readonly ranked = $derived.by((): RankedChoice[] => {
    const facts = this.study?.facts;
    if (!facts) return this.models.map((choice) => ({ choice, fit: null }));
    return rankModels(this.models, facts, (c) => c.entry.manifest).map(({ item, fit }) => ({ choice: item, fit }));
  });

  /** Why the study on screen cannot be segmented at all (2-D image, 4-D series), or null. */
  readonly blocked = $derived(this.study ? runnableProblem(this.study.facts) : null);

  /** The user chose the selected model (rather than it being proposed). */
  private picked = false;
  private client: InferenceClient | null = null;
  private running: { ws: Workspace; abort: AbortController } | null = null;
  private stage = { name: '', start: 0 };

  readonly unfollow: () => void;

  /** Follows the open workspace: models are matched to its image on screen; a run is for its study. */
  constructor(
    private readonly notices: Notices,
    private readonly sink: ResultSink,
    private readonly source: WorkspaceSource,
  ) {
    this.unfollow = followWorkspace(source, (ws) => {
      this.imageChanged(ws.image);
      const off = ws.events.on('image', (image) => this.imageChanged(image));
      return () => {
        off();
        this.imageChanged(null);
      };
    });
  }

  get selected(): ModelEntry | undefined {
    return this.selectedChoice?.entry;
  }

  get selectedChoice(): ModelChoice | undefined {
    return this.models.find((m) => m.key === this.selectedKey);
  }

  /** How the selected model suits the study on screen (null: no study or no model). */
  get selectedFit(): ModelFit | null {
    return this.ranked.find((r) => r.choice.key === this.selectedKey)?.fit ?? null;
  }

  /** Read the bundled catalogue (models/index.json); its absence is not an error. */
  async loadCatalog(): Promise<void> {
    try {
      const entries = await listBundledModels(import.meta.env.BASE_URL);
      this.addModels(entries.map((entry) => ({ key: `bundled/${entry.manifest.id}`, entry })));
      this.catalog = entries.length ? 'ready' : 'none';
    } catch (err) {
      this.catalog = 'none';
      if (err instanceof VoxsegError && err.code === 'invalid-model')
        this.report('A bundled model could not be read', err);
      else console.info(`no bundled models: ${errorMessage(err)}`);
    }
  }

  /** A model from files the user picked (a folder, or .onnx + manifest.json). Errors go to the banner. */
  async loadFromFiles(files: PickedFile[]): Promise<void> {
    if (files.length === 0) return;
    try {
      const entry = await modelFromFiles(files);
      // A manifest beyond the tab's memory (a 1024³ patch) is refused now, not when it runs.
      const json = files.filter((f) => /\.json$/i.test(f.name) && !/report/i.test(f.name));
      const manifestName = (json.find((f) => f.name === 'manifest.json') ?? json[0])?.name ?? 'manifest.json';
      checkMemoryBudget(entry.manifest, BROWSER_BUDGET, manifestName);
      const key = `user/${entry.manifest.id}`;
      this.addModels([{ key, entry }]);
      this.selectedKey = key;
      this.picked = true;
    } catch (err) {
      this.report('Could not load the model', err);
    }
  }

  /** Add (or replace, by key) models; `select`: pick the first of them. */
  add(choices: ModelChoice[], select = false): void {
    this.addModels(choices);
    if (select && choices.length) {
      this.selectedKey = choices[0].key;
      this.picked = true;
    }
  }

  /** Take a model off the list (an imported model the user removed). */
  remove(key: string): void {
    if (this.running && this.selectedKey === key) this.cancel();
    this.models = this.models.filter((m) => m.key !== key);
    if (this.selectedKey === key) this.proposeBest();
  }

  /** The user picks a model. */
  select(key: string): void {
    if (!this.models.some((m) => m.key === key)) return;
    this.selectedKey = key;
    this.picked = true;
  }

  setDevice(device: DeviceRequest): void {
    this.device = device;
  }

  /** Segment `study` with the selected model and show the result. */
  async run(study: Volume): Promise<void> {
    const entry = this.selected;
    const ws = this.source.workspace;
    if (!entry || this.running || !ws) return;
    const { manifest } = entry;
    try {
      const facts = this.study?.volume === study ? this.study.facts : studyFacts(study);
      checkRunnable(facts, study.header.metadata.seriesDescription || undefined);
    } catch (err) {
      this.report('This study cannot be segmented', err);
      return;
    }
    const abort = new AbortController();
    this.running = { ws, abort };
    this.status = 'running';
    this.summary = null;
    this.deviceInfo = null;
    this.stage = { name: '', start: performance.now() };
    this.progress = { stage: 'Starting the engine', done: 0, total: 0 };
    this.client ??= createInferenceClient();
    try {
      const result = await this.client.segment(study, {
        manifest,
        model: reusableModel(entry.model),
        preModel: entry.preModel && reusableModel(entry.preModel),
        device: this.device,
        signal: abort.signal,
        onProgress: (p) => this.onProgress(abort.signal, p),
        onDevice: (info) => {
          if (!abort.signal.aborted) this.deviceInfo = info;
        },
      });
      if (abort.signal.aborted) return;
      this.running = null;
      this.progress = null;
      this.summary = result.summary;
      if (result.maskedImage) this.masked = { image: result.maskedImage, study, model: manifest.name };
      this.status = 'done';
      this.sink(
        {
          study,
          labels: result.labels,
          segments: manifest.labels,
          voxelsPerLabel: result.summary.voxelsPerLabel,
          title: `${manifest.name} ${manifest.version}`,
          note: `${formatSeconds(result.summary.seconds)} on ${deviceText(result.summary.device)}`,
        },
        ws,
      );
    } catch (err) {
      if (this.running?.abort !== abort) return;
      this.running = null;
      this.progress = null;
      if (err instanceof VoxsegError && err.code === 'cancelled') this.status = 'cancelled';
      else {
        this.status = 'failed';
        this.report(`Auto-segmentation with ${manifest.name} failed`, err);
      }
    }
  }

  /** Download the skull-stripped image as .nii.gz (`name`); false when there is none or it failed (said in the banner). */
  saveMasked(name: string): boolean {
    const m = this.masked;
    if (!m) return false;
    try {
      saveMasked(m, name);
      return true;
    } catch (err) {
      this.report(`Could not save ${name}`, err);
      return false;
    }
  }

  /** Stop the run at once (the worker is terminated). */
  cancel(): void {
    const run = this.running;
    if (!run) return;
    this.running = null;
    run.abort.abort();
    this.client?.cancel();
    this.progress = null;
    this.status = 'cancelled';
  }

  /**
   * The image on screen changed: a run for another study is pointless (one for this study goes
   * on across its images); the models are matched to the new image and the best-suited is
   * proposed unless the selected one suits it.
   */
  private imageChanged(volume: Volume | null): void {
    if (this.masked && volume !== this.masked.study && volume !== this.masked.image) this.masked = null;
    if (this.running && this.running.ws !== this.source.workspace) this.cancel();
    if (volume === (this.study?.volume ?? null)) return;
    let facts: StudyFacts | null = null;
    if (volume) {
      try {
        facts = studyFacts(volume);
      } catch (err) {
        console.warn(`the study could not be measured for model matching: ${errorMessage(err)}`);
      }
    }
    this.study = volume && facts ? { volume, facts } : null;
    if (!this.picked || this.selectedFit?.fits === false) this.proposeBest();
  }

  dispose(): void {
    this.unfollow();
    this.cancel();
    this.client?.dispose();
    this.client = null;
  }

  get busy(): boolean {
    return this.status === 'running';
  }

  private onProgress(signal: AbortSignal, p: StageProgress): void {
    if (signal.aborted) return;
    const now = performance.now();
    if (p.stage !== this.stage.name) this.stage = { name: p.stage, start: now };
    this.progress = { ...p, eta: estimateEta(p, (now - this.stage.start) / 1000) };
  }

  private addModels(choices: ModelChoice[]): void {
    const keys = new Set(choices.map((c) => c.key));
    this.models = [...this.models.filter((m) => !keys.has(m.key)), ...choices];
    if (!this.picked || this.selectedKey === null) this.proposeBest();
  }

  /** Select the model ranked first, when it suits the study (or there is no study); keep the selection otherwise. */
  private proposeBest(): void {
    const top = this.ranked[0];
    if (!top) this.selectedKey = null;
    else if (top.fit?.fits !== false || !this.models.some((m) => m.key === this.selectedKey))
      this.selectedKey = top.choice.key;
    else return;
    this.picked = false;
  }

  private report(title: string, err: unknown): void {
    const file = err instanceof VoxsegError ? err.file : undefined;
    this.notices.push({ level: 'error', title, file, message: errorReason(err) });
  }
}

/** The client transfers model bytes to the worker; send a copy so the model can run again. */
function reusableModel(model: ModelBytes): ModelBytes {
  return 'bytes' in model ? { bytes: model.bytes.slice(0) } : model;
}
