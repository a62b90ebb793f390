/**
 * Converted models kept in the browser, so the next visit lists them at once and runs them without
 * converting again. One folder per model id: `model.onnx`, `license.txt` (when the source had one),
 * `import.json` (source, date, notes, network cost, ONNX size) and `manifest.json`.
 *
 * Where: the Origin Private File System (navigator.storage.getDirectory(), folder `models/`).
 * It holds files of hundreds of MB without copying them through JavaScript memory on read
 * (getFile() is a disk-backed File; the worker fetches it through an object URL), and writes go
 * through createWritable(), which replaces a file only when closed. Where OPFS or createWritable()
 * is missing (older Safari and Firefox) the store falls back to Cache Storage (Response bodies under
 * synthetic same-origin URLs): the same quota, also disk-backed Blobs, and it lists its keys;
 * IndexedDB would work too but structured-clones every value.
 *
 * Never a half-converted entry: only a finished conversion is saved; the manifest is written
 * last (an old one is deleted first when a model is replaced), and listing ignores folders
 * without a manifest (removing them once they are an hour old, i.e. not another tab's write in
 * progress) and removes entries whose model.onnx is missing or not the size import.json recorded.
 * A failed save removes what it wrote. Quota errors become a message with the numbers.
 *
 * The backends are small interfaces over the real APIs, so tests run the whole logic on in-memory
 * fakes of the OPFS directory handle and of a Cache.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import { parseManifestText, type ModelManifest } from '../../inference/manifest';
import type { OnnxCost } from '../../inference/onnx/cost';

/** The subset of FileSystemDirectoryHandle the store uses. */
export interface DirectoryLike {
  readonly kind: 'directory';
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  entries(): AsyncIterable<[string, DirectoryLike | FileHandleLike]>;
}

export interface FileHandleLike {
  readonly kind: 'file';
  getFile(): Promise<Blob & { lastModified?: number }>;
  createWritable(): Promise<{
    write(data: Blob | Uint8Array | string): Promise<void>;
    close(): Promise<void>;
    abort?(): Promise<void>;
  }>;
}

/** The subset of a Cache the fallback uses. */
export interface CacheLike {
  put(url: string, response: Response): Promise<void>;
  match(url: string): Promise<Response | undefined>;
  delete(url: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}

export interface StoredFile {
  size: number;
  /** ms since the epoch (0 when unknown). */
  lastModified: number;
  blob(): Promise<Blob>;
}

export interface StoreBackend {
  readonly kind: 'opfs' | 'cache';
  ids(): Promise<string[]>;
  files(id: string): Promise<Map<string, StoredFile>>;
  write(id: string, name: string, data: Uint8Array | string): Promise<void>;
  removeFile(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
}

/** What `import.json` records about a conversion. */
export interface ImportInfo {
  /** The folder or zip it was converted from. */
  source: string;
  /** ISO date. */
  importedAt: string;
  notes: string[];
  cost?: OnnxCost;
  /** Operators that keep the model off WebGPU (empty: WebGPU can run it). */
  webgpuBlockers?: string[];
  /** Bytes of model.onnx as written. */
  onnxBytes: number;
}

export interface StoredModel {
  id: string;
  manifest: ModelManifest;
  /** The stored ONNX file (disk-backed). */
  onnx: Blob;
  license?: string;
  info: ImportInfo;
  /** Bytes of all its files. */
  bytes: number;
}

export interface StoreListing {
  models: StoredModel[];
  /** Entries that could not be listed (kept, except broken ones that were removed). */
  problems: { id: string; message: string }[];
}

const MODEL = 'model.onnx';
const MANIFEST = 'manifest.json';
const LICENSE = 'license.txt';
const INFO = 'import.json';
/** A folder without a manifest younger than this may be another tab's save in progress. */
const STALE_MS = 60 * 60 * 1000;

export class ModelStore {
  constructor(
    readonly backend: StoreBackend,
    private readonly opts: { now?: () => number; estimate?: () => Promise<{ usage?: number; quota?: number }> } = {},
  ) {}

  get kind(): 'opfs' | 'cache' {
    return this.backend.kind;
  }

  /** Every complete stored model, sorted by name. */
  async list(): Promise<StoreListing> {
    const out: StoreListing = { models: [], problems: [] };
    const now = this.opts.now?.() ?? Date.now();
    for (const id of await this.backend.ids()) {
      try {
        const files = await this.backend.files(id);
        const manifestFile = files.get(MANIFEST);
        if (!manifestFile) {
          const newest = Math.max(0, ...[...files.values()].map((f) => f.lastModified));
          if (files.size === 0 || now - newest > STALE_MS) await this.backend.remove(id);
          continue;
        }
        const manifest = parseManifestText(await (await manifestFile.blob()).text(), `${id}/${MANIFEST}`);
        const infoFile = files.get(INFO);
        const info = infoFile ? parseInfo(await (await infoFile.blob()).text()) : undefined;
        const onnx = files.get(MODEL);
        if (!onnx || !info || onnx.size !== info.onnxBytes) {
          await this.backend.remove(id);
          out.problems.push({
            id,
            message: `the stored model was incomplete (${!onnx ? `no ${MODEL}` : !info ? `no ${INFO}` : `${MODEL} has ${onnx.size} bytes, ${info.onnxBytes} were written`}) and was removed`,
          });
          continue;
        }
        const licenseFile = files.get(LICENSE);
        const license = licenseFile ? await (await licenseFile.blob()).text() : undefined;
        const bytes = [...files.values()].reduce((a, f) => a + f.size, 0);
        out.models.push({ id, manifest, onnx: await onnx.blob(), license, info, bytes });
      } catch (err) {
        out.problems.push({ id, message: errorMessage(err) });
      }
    }
    out.models.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name) || a.id.localeCompare(b.id));
    return out;
  }

  /**
   * Store a finished conversion under its manifest id (replacing a model with the same id).
   * On any failure nothing of it is left; quota errors say how much space there is.
   */
  async save(model: {
    manifest: ModelManifest;
    onnx: Uint8Array;
    license?: string;
    info: Omit<ImportInfo, 'onnxBytes'>;
  }): Promise<StoredModel> {
    const id = model.manifest.id;
    const info: ImportInfo = { ...model.info, onnxBytes: model.onnx.byteLength };
    const manifestText = JSON.stringify(model.manifest, null, 2);
    try {
      await this.backend.removeFile(id, MANIFEST);
      await this.backend.write(id, MODEL, model.onnx);
      if (model.license) await this.backend.write(id, LICENSE, model.license);
      else await this.backend.removeFile(id, LICENSE);
      await this.backend.write(id, INFO, JSON.stringify(info, null, 2));
      await this.backend.write(id, MANIFEST, manifestText);
    } catch (err) {
      await this.backend.remove(id).catch(() => {});
      throw await this.storageError(err, model.onnx.byteLength, model.manifest.name);
    }
    const files = await this.backend.files(id);
    const bytes = [...files.values()].reduce((a, f) => a + f.size, 0);
    return { id, manifest: model.manifest, onnx: await files.get(MODEL)!.blob(), license: model.license, info, bytes };
  }

  async remove(id: string): Promise<void> {
    await this.backend.remove(id);
  }

  private async storageError(err: unknown, need: number, name: string): Promise<VoxsegError> {
    const quota = (err as { name?: string })?.name === 'QuotaExceededError' || /quota/i.test(errorMessage(err));
    if (!quota)
      return new VoxsegError('unreadable', `could not keep ${name} in the browser's storage (${errorMessage(err)})`, {
        cause: err,
      });
    const est = await this.opts.estimate?.().catch(() => undefined);
    const free =
      est?.quota !== undefined && est.usage !== undefined
        ? ` ${mb(Math.max(0, est.quota - est.usage))} of ${mb(est.quota)} are free for this site;`
        : '';
    return new VoxsegError(
      'out-of-memory',
      `not enough browser storage to keep ${name}: it needs ${mb(need)};${free} remove stored models or free disk space, then import again (the model is usable until you close the tab)`,
      { cause: err },
    );
  }
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

function parseInfo(text: string): ImportInfo {
  const o = JSON.parse(text) as Partial<ImportInfo>;
  if (typeof o.onnxBytes !== 'number' || typeof o.source !== 'string')
    throw new VoxsegError('invalid-model', `${INFO} lacks source or onnxBytes`);
  return {
    source: o.source,
    importedAt: String(o.importedAt ?? ''),
    notes: Array.isArray(o.notes) ? o.notes.map(String) : [],
    cost: o.cost,
    webgpuBlockers: o.webgpuBlockers,
    onnxBytes: o.onnxBytes,
  };
}

// ---- OPFS ----------------------------------------------------------------------------------

export class OpfsBackend implements StoreBackend {
  readonly kind = 'opfs' as const;
  constructor(private readonly root: DirectoryLike) {}

  async ids(): Promise<string[]> {
    const out: string[] = [];
    for await (const [name, h] of this.root.entries()) if (h.kind === 'directory') out.push(name);
    return out.sort();
  }

  async files(id: string): Promise<Map<string, StoredFile>> {
    const out = new Map<string, StoredFile>();
    const dir = await this.dir(id, false);
    if (!dir) return out;
    for await (const [name, h] of dir.entries()) {
      if (h.kind !== 'file') continue;
      const file = await h.getFile();
      out.set(name, { size: file.size, lastModified: file.lastModified ?? 0, blob: async () => file });
    }
    return out;
  }

  async write(id: string, name: string, data: Uint8Array | string): Promise<void> {
    const dir = (await this.dir(id, true))!;
    const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
    try {
      await w.write(data);
      await w.close();
    } catch (err) {
      await w.abort?.().catch(() => {});
      throw err;
    }
  }

  async removeFile(id: string, name: string): Promise<void> {
    const dir = await this.dir(id, false);
    await dir?.removeEntry(name).catch((err: unknown) => {
      if ((err as { name?: string })?.name !== 'NotFoundError') throw err;
    });
  }

  async remove(id: string): Promise<void> {
    await this.root.removeEntry(id, { recursive: true }).catch((err: unknown) => {
      if ((err as { name?: string })?.name !== 'NotFoundError') throw err;
    });
  }

  private async dir(id: string, create: boolean): Promise<DirectoryLike | null> {
    try {
      return await this.root.getDirectoryHandle(id, { create });
    } catch (err) {
      if (!create && (err as { name?: string })?.name === 'NotFoundError') return null;
      throw err;
    }
  }
}

// ---- Cache Storage ------------------------------------------------------------------------

export class CacheBackend implements StoreBackend {
  readonly kind = 'cache' as const;
  /** `base`: the origin's URL; keys are `${base}voxseg-models/<id>/<file>`. */
  constructor(
    private readonly cache: CacheLike,
    private readonly base: string,
  ) {}

  private url(id: string, name: string): string {
    return new URL(`voxseg-models/${encodeURIComponent(id)}/${encodeURIComponent(name)}`, this.base).href;
  }

  private async keys(): Promise<{ id: string; name: string; url: string }[]> {
    const prefix = new URL('voxseg-models/', this.base).href;
    return (await this.cache.keys())
      .filter((k) => k.url.startsWith(prefix))
      .map((k) => {
        const [id, name] = k.url.slice(prefix.length).split('/').map(decodeURIComponent);
        return { id, name, url: k.url };
      })
      .filter((k) => k.id && k.name);
  }

  async ids(): Promise<string[]> {
    return [...new Set((await this.keys()).map((k) => k.id))].sort();
  }

  async files(id: string): Promise<Map<string, StoredFile>> {
    const out = new Map<string, StoredFile>();
    for (const k of await this.keys()) {
      if (k.id !== id) continue;
      const res = await this.cache.match(k.url);
      if (!res) continue;
      const size = Number(res.headers.get('content-length') ?? -1);
      const lastModified = Date.parse(res.headers.get('last-modified') ?? '') || 0;
      const blob = size >= 0 ? null : await res.clone().blob();
      out.set(k.name, {
        size: blob ? blob.size : size,
        lastModified,
        blob: async () => (await this.cache.match(k.url))!.blob(),
      });
    }
    return out;
  }

  async write(id: string, name: string, data: Uint8Array | string): Promise<void> {
    const body = typeof data === 'string' ? new Blob([data]) : new Blob([data as Uint8Array<ArrayBuffer>]);
    const headers = {
      'content-length': String(body.size),
      'last-modified': new Date().toUTCString(),
      'content-type': 'application/octet-stream',
    };
    await this.cache.put(this.url(id, name), new Response(body, { headers }));
  }

  async removeFile(id: string, name: string): Promise<void> {
    await this.cache.delete(this.url(id, name));
  }

  async remove(id: string): Promise<void> {
    for (const k of await this.keys()) if (k.id === id) await this.cache.delete(k.url);
  }
}

/**
 * The browser's store: OPFS when it can write files, else Cache Storage, else null (no storage:
 * imported models last until the tab closes).
 */
export async function openModelStore(): Promise<ModelStore | null> {
  const storage = globalThis.navigator?.storage;
  const estimate = storage?.estimate ? () => storage.estimate() : undefined;
  try {
    const canWrite = typeof FileSystemFileHandle !== 'undefined' && 'createWritable' in FileSystemFileHandle.prototype;
    if (storage?.getDirectory && canWrite) {
      const root = await storage.getDirectory();
      const models = await root.getDirectoryHandle('models', { create: true });
      return new ModelStore(new OpfsBackend(models as unknown as DirectoryLike), { estimate });
    }
  } catch (err) {
    console.warn(`OPFS unavailable (${errorMessage(err)}); trying Cache Storage`);
  }
  try {
    if (globalThis.caches) {
      const cache = await caches.open('voxseg-models');
      const base = globalThis.location?.origin ? `${location.origin}/` : 'http://localhost/';
      return new ModelStore(new CacheBackend(cache as unknown as CacheLike, base), { estimate });
    }
  } catch (err) {
    console.warn(`Cache Storage unavailable (${errorMessage(err)})`);
  }
  return null;
}
