/**
 * Adding nnU-Net models (a result folder or its published zip) to the model picker: conversion in
 * the worker with progress and cancel, then the converted model kept in the browser's storage
 * (`model-store.ts`) and listed as an imported model; at start-up the kept models are listed again,
 * ready to run without converting. Remove deletes a kept model.
 *
 * The stored ONNX is handed to the inference worker as an object URL of its disk-backed File, so
 * listing a 250 MB model reads nothing and a run fetches it in the worker, off the page.
 * Persistent storage is asked for once, before the first model is kept (browsers may evict
 * non-persistent site data under storage pressure). A model that converts but cannot be kept
 * (quota, no storage) is still added for this tab, with a warning that says why.
 */
import { errorMessage, errorReason, VoxsegError } from '../../core/errors';
import type { ModelEntry } from '../../inference/models';
import { convertSourceOf, type ConvertProgress, type NnunetConverter } from '../../inference/nnunet/convert-client';
import type { ConvertSource } from '../../inference/nnunet/convert-protocol';
import type { Notices } from '../notices.svelte';
import { createConverter } from './engine';
import { openModelStore, type ImportInfo, type ModelStore, type StoredModel } from './model-store';
import type { ImportedModel, ModelChoice, Segmenter } from './segmenter.svelte';

export type ImportStatus = 'idle' | 'converting' | 'saving' | 'done' | 'failed' | 'cancelled';

export class Importer {
  status = $state<ImportStatus>('idle');
  progress = $state.raw<ConvertProgress | null>(null);
  /** The folder or zip being converted (or last converted). */
  source = $state<string | null>(null);
  /** Where converted models are kept ('none': this browser offers no storage for them). */
  storage = $state<'loading' | 'opfs' | 'cache' | 'none'>('loading');
  /** Whether the browser granted persistent storage (null: not asked yet). */
  persisted = $state<boolean | null>(null);
  /** The models kept by earlier visits have been listed (or there is no storage). */
  listed = $state(false);

  private store: Promise<ModelStore | null> | null = null;
  private converter: NnunetConverter | null = null;
  private abort: AbortController | null = null;
  private urls = new Map<string, string>();
  private askedPersistence = false;

  constructor(
    private readonly notices: Notices,
    private readonly segmenter: Segmenter,
    private readonly deps: {
      openStore?: () => Promise<ModelStore | null>;
      createConverter?: () => NnunetConverter;
    } = {},
  ) {}

  get busy(): boolean {
    return this.status === 'converting' || this.status === 'saving';
  }

  private openStore(): Promise<ModelStore | null> {
    this.store ??= (this.deps.openStore ?? openModelStore)().then((s) => {
      this.storage = s ? s.kind : 'none';
      return s;
    });
    return this.store;
  }

  /** List the models kept by earlier visits (start-up). */
  async loadStored(): Promise<void> {
    const store = await this.openStore();
    if (!store) {
      this.listed = true;
      return;
    }
    try {
      const { models, problems } = await store.list();
      this.segmenter.add(models.map((m) => this.choiceOf(m, store.kind)));
      for (const p of problems)
        this.notices.push({
          level: 'warning',
          title: 'A stored model could not be listed',
          file: p.id,
          message: p.message,
        });
      if (models.length && typeof globalThis.navigator?.storage?.persisted === 'function')
        this.persisted = await navigator.storage.persisted().catch(() => null);
    } catch (err) {
      console.warn(`stored models could not be listed: ${errorMessage(err)}`);
    }
    this.listed = true;
  }

  /** Convert picked or dropped files (a result folder or a zip) and add the model. */
  async importFiles(files: { path: string; blob: Blob }[]): Promise<void> {
    if (this.busy || files.length === 0) return;
    let source: ConvertSource;
    try {
      source = convertSourceOf(files);
    } catch (err) {
      this.report('error', 'Could not import the model', err);
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.status = 'converting';
    this.source = source.name;
    this.progress = { stage: 'Starting the converter', done: 0, total: 0 };
    this.converter ??= (this.deps.createConverter ?? createConverter)();
    try {
      const out = await this.converter.convert(source, {
        signal: abort.signal,
        onProgress: (p) => {
          if (!abort.signal.aborted) this.progress = p;
        },
      });
      if (abort.signal.aborted) return;
      this.status = 'saving';
      this.progress = { stage: 'Keeping the model in this browser', done: 0, total: 0 };
      const info: Omit<ImportInfo, 'onnxBytes'> = {
        source: source.name,
        importedAt: new Date().toISOString(),
        notes: out.notes,
        cost: out.cost,
        webgpuBlockers: out.webgpuBlockers,
      };
      const store = await this.openStore();
      let choice: ModelChoice | null = null;
      if (store) {
        await this.askPersistence();
        try {
          choice = this.choiceOf(
            await store.save({ manifest: out.manifest, onnx: out.onnx, license: out.license, info }),
            store.kind,
          );
        } catch (err) {
          this.report(
            'warning',
            `${out.manifest.name} was converted but could not be kept in this browser; it works until you close the tab`,
            err,
          );
        }
      } else {
        this.notices.push({
          level: 'warning',
          title: `${out.manifest.name} cannot be kept`,
          message: 'this browser offers no storage for models here (private window?); it works until you close the tab',
        });
      }
      choice ??= this.sessionChoice(out.manifest, out.onnx, out.license, { ...info, onnxBytes: out.onnx.byteLength });
      this.segmenter.add([choice], true);
      this.status = 'done';
      this.progress = null;
    } catch (err) {
      if (this.abort !== abort) return;
      this.progress = null;
      if (err instanceof VoxsegError && err.code === 'cancelled') this.status = 'cancelled';
      else {
        this.status = 'failed';
        this.report('error', 'Could not import the model', err);
      }
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  /** Picked files that are no model at all: say what a model looks like. */
  notAModel(names: readonly string[]): void {
    const shown = names
      .slice(0, 3)
      .map((n) => n.slice(n.lastIndexOf('/') + 1))
      .join(', ');
    this.notices.push({
      level: 'error',
      title: 'Not a model',
      message: `${shown}${names.length > 3 ? ` and ${names.length - 3} more` : ''}: pick an nnU-Net result folder or its zip (plans.json, dataset.json, fold_K/checkpoint_final.pth), or a voxseg model (.onnx file + manifest.json)`,
    });
  }

  /** Stop the conversion at once (the worker is terminated; nothing was kept). */
  cancel(): void {
    if (this.status !== 'converting' || !this.abort) return;
    const abort = this.abort;
    this.abort = null;
    abort.abort();
    this.converter?.cancel();
    this.progress = null;
    this.status = 'cancelled';
  }

  /** Delete a kept model and take it off the list. */
  async remove(key: string): Promise<void> {
    const choice = this.segmenter.models.find((m) => m.key === key);
    if (!choice || choice.entry.origin !== 'imported') return;
    try {
      if (choice.imported?.storage) await (await this.openStore())?.remove(choice.entry.manifest.id);
    } catch (err) {
      this.report('error', `Could not remove ${choice.entry.manifest.name}`, err);
      return;
    }
    this.segmenter.remove(key);
    this.revoke(key);
  }

  dispose(): void {
    this.cancel();
    this.converter?.dispose();
    for (const key of [...this.urls.keys()]) this.revoke(key);
  }

  private async askPersistence(): Promise<void> {
    if (this.askedPersistence) return;
    this.askedPersistence = true;
    const s = globalThis.navigator?.storage;
    if (!s?.persist) return;
    try {
      this.persisted = (await s.persisted?.()) || (await s.persist());
    } catch {
      this.persisted = false;
    }
  }

  private choiceOf(m: StoredModel, storage: 'opfs' | 'cache'): ModelChoice {
    const key = `imported/${m.id}`;
    this.revoke(key);
    const url = URL.createObjectURL(m.onnx);
    this.urls.set(key, url);
    const entry: ModelEntry = { manifest: m.manifest, model: { url }, origin: 'imported' };
    const imported: ImportedModel = { info: m.info, license: m.license, bytes: m.bytes, storage };
    return { key, entry, imported };
  }

  private sessionChoice(
    manifest: ModelEntry['manifest'],
    onnx: Uint8Array,
    license: string | undefined,
    info: ImportInfo,
  ): ModelChoice {
    const key = `imported/${manifest.id}`;
    this.revoke(key);
    const bytes =
      onnx.byteOffset === 0 && onnx.byteLength === onnx.buffer.byteLength
        ? (onnx.buffer as ArrayBuffer)
        : onnx.slice().buffer;
    return {
      key,
      entry: { manifest, model: { bytes }, origin: 'imported' },
      imported: { info, license, bytes: onnx.byteLength, storage: null },
    };
  }

  private revoke(key: string): void {
    const url = this.urls.get(key);
    if (url) URL.revokeObjectURL(url);
    this.urls.delete(key);
  }

  private report(level: 'error' | 'warning', title: string, err: unknown): void {
    const file = err instanceof VoxsegError ? err.file : undefined;
    this.notices.push({ level, title, file, message: errorReason(err) });
  }
}
