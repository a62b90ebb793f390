/**
 * The browser model store on in-memory fakes of the OPFS directory API (a file is replaced only
 * when its writable is closed, as in Chromium; writes beyond a quota throw QuotaExceededError)
 * and of a Cache: save, list after a "reload" (a new store over the same storage), remove, and
 * never a half-written entry (failed saves leave nothing; folders without a manifest are ignored
 * and cleaned up once stale; an entry whose model.onnx is missing or short is removed).
 */
import { describe, expect, it } from 'vitest';
import {
  CacheBackend,
  ModelStore,
  OpfsBackend,
  type CacheLike,
  type DirectoryLike,
  type FileHandleLike,
} from '../../../src/app/segment/model-store';
import { parseManifest, type ModelManifest } from '../../../src/inference/manifest';

class FakeFs {
  used = 0;
  constructor(
    public quota = Infinity,
    public now = 1_000_000,
  ) {}
}

class FakeFile implements FileHandleLike {
  readonly kind = 'file' as const;
  data = new Uint8Array(0);
  lastModified: number;
  constructor(
    private readonly fs: FakeFs,
    readonly name: string,
  ) {
    this.lastModified = fs.now;
  }
  async getFile() {
    return new File([this.data as Uint8Array<ArrayBuffer>], this.name, { lastModified: this.lastModified });
  }
  async createWritable() {
    const parts: Uint8Array[] = [];
    let pending = 0;
    return {
      write: async (d: Blob | Uint8Array | string) => {
        const bytes =
          typeof d === 'string'
            ? new TextEncoder().encode(d)
            : d instanceof Uint8Array
              ? d
              : new Uint8Array(await d.arrayBuffer());
        if (this.fs.used + pending + bytes.length > this.fs.quota)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        pending += bytes.length;
        parts.push(bytes.slice());
      },
      close: async () => {
        const all = new Uint8Array(pending);
        let o = 0;
        for (const p of parts) all.set(p, (o += p.length) - p.length);
        this.fs.used += all.length - this.data.length;
        this.data = all;
        this.lastModified = this.fs.now;
      },
      abort: async () => {},
    };
  }
}

class FakeDir implements DirectoryLike {
  readonly kind = 'directory' as const;
  children = new Map<string, FakeDir | FakeFile>();
  constructor(private readonly fs: FakeFs) {}
  async getDirectoryHandle(name: string, o: { create?: boolean } = {}) {
    let c = this.children.get(name);
    if (!c && o.create) this.children.set(name, (c = new FakeDir(this.fs)));
    if (!c) throw new DOMException(`${name} not found`, 'NotFoundError');
    if (c.kind !== 'directory') throw new DOMException(`${name} is a file`, 'TypeMismatchError');
    return c;
  }
  async getFileHandle(name: string, o: { create?: boolean } = {}) {
    let c = this.children.get(name);
    if (!c && o.create) this.children.set(name, (c = new FakeFile(this.fs, name)));
    if (!c) throw new DOMException(`${name} not found`, 'NotFoundError');
    if (c.kind !== 'file') throw new DOMException(`${name} is a directory`, 'TypeMismatchError');
    return c;
  }
  async removeEntry(name: string, o: { recursive?: boolean } = {}) {
    const c = this.children.get(name);
    if (!c) throw new DOMException(`${name} not found`, 'NotFoundError');
    if (c.kind === 'directory' && c.children.size && !o.recursive)
      throw new DOMException('not empty', 'InvalidModificationError');
    this.fs.used -= bytesOf(c);
    this.children.delete(name);
  }
  async *entries(): AsyncGenerator<[string, FakeDir | FakeFile]> {
    for (const e of [...this.children]) yield e;
  }
}

function bytesOf(h: FakeDir | FakeFile): number {
  return h.kind === 'file' ? h.data.length : [...h.children.values()].reduce((a, c) => a + bytesOf(c), 0);
}

function manifest(id: string, name = id): ModelManifest {
  return parseManifest({
    schema: 'voxseg-model/1',
    id,
    name,
    version: '1',
    license: 'Apache-2.0',
    provenance: {
      source:
        'nnU-Net v2 result folder Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres (fold 0, checkpoint_final.pth)',
    },
    intended: { modality: ['CT'], bodyPart: 'abdomen' },
    model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 3 },
    labels: [
      { value: 1, name: 'liver', color: [221, 130, 101] },
      { value: 2, name: 'spleen', color: [157, 108, 162] },
    ],
    preprocessing: {
      mode: 'sliding-window',
      spacing: [3, 3, 3],
      orientation: 'RAS',
      patch: [32, 32, 32],
      normalization: { kind: 'none' },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  });
}

const onnx = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const info = {
  source: 'tiny.zip',
  importedAt: '2025-01-01T00:00:00.000Z',
  notes: ['1 fold'],
  cost: { parameters: 10, macsPerVoxel: 20, convs: 1, nodes: 3, firstConvChannels: 8, unknownConvs: 0 },
};

function opfs(quota = Infinity) {
  const fs = new FakeFs(quota);
  const root = new FakeDir(fs);
  return {
    fs,
    root,
    store: () =>
      new ModelStore(new OpfsBackend(root), { now: () => fs.now, estimate: async () => ({ usage: fs.used, quota }) }),
  };
}

describe('ModelStore on OPFS', () => {
  it('keeps a saved model across a reload: manifest, ONNX bytes, license, import info and size', async () => {
    const { root, store } = opfs();
    const saved = await store().save({
      manifest: manifest('tiny-3d'),
      onnx: onnx(5000),
      license: 'Apache License 2.0',
      info,
    });
    expect(saved.id).toBe('tiny-3d');
    expect(saved.info.onnxBytes).toBe(5000);
    const dir = root.children.get('tiny-3d') as FakeDir;
    expect([...dir.children.keys()].sort()).toEqual(['import.json', 'license.txt', 'manifest.json', 'model.onnx']);
    expect(saved.bytes).toBe(bytesOf(dir));

    // A new store over the same storage, as after a page reload.
    const { models, problems } = await store().list();
    expect(problems).toEqual([]);
    expect(models).toHaveLength(1);
    const m = models[0];
    expect(m.manifest).toEqual(manifest('tiny-3d'));
    expect(new Uint8Array(await m.onnx.arrayBuffer())).toEqual(onnx(5000));
    expect(m.license).toBe('Apache License 2.0');
    expect(m.info).toEqual({ ...info, onnxBytes: 5000 });
    expect(m.bytes).toBe(saved.bytes);
  });

  it('lists several models sorted by name and removes one', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('b-model', 'Zeta'), onnx: onnx(10), info });
    await store().save({ manifest: manifest('a-model', 'Alpha'), onnx: onnx(20), info });
    expect((await store().list()).models.map((m) => m.manifest.name)).toEqual(['Alpha', 'Zeta']);
    await store().remove('b-model');
    expect([...root.children.keys()]).toEqual(['a-model']);
    expect((await store().list()).models.map((m) => m.id)).toEqual(['a-model']);
  });

  it('replaces a model saved again under the same id (and drops a license the new one lacks)', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(100, 1), license: 'old license', info });
    await store().save({ manifest: manifest('tiny-3d', 'Tiny v2'), onnx: onnx(200, 2), info });
    const { models } = await store().list();
    expect(models).toHaveLength(1);
    expect(models[0].manifest.name).toBe('Tiny v2');
    expect(new Uint8Array(await models[0].onnx.arrayBuffer())).toEqual(onnx(200, 2));
    expect(models[0].license).toBeUndefined();
    expect((root.children.get('tiny-3d') as FakeDir).children.has('license.txt')).toBe(false);
  });

  it('leaves nothing when the quota runs out, and says how much space there is', async () => {
    const { fs, root, store } = opfs(3_000_000);
    await store().save({ manifest: manifest('small'), onnx: onnx(1_000_000), info });
    const err = await store()
      .save({ manifest: manifest('big', 'Big model'), onnx: onnx(2_500_000), info })
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err?.message).toMatch(
      /not enough browser storage to keep Big model: it needs 3 MB; 2 MB of 3 MB are free for this site/,
    );
    expect([...root.children.keys()]).toEqual(['small']);
    expect(fs.used).toBe(bytesOf(root));
    expect((await store().list()).models.map((m) => m.id)).toEqual(['small']);
  });

  it('leaves nothing when the manifest, written last, fails; a model replaced that way is gone, not half-new', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(100), info });
    const backend = new OpfsBackend(root);
    const write = backend.write.bind(backend);
    backend.write = async (id, name, data) => {
      if (name === 'manifest.json') throw new DOMException('disk I/O error', 'InvalidStateError');
      return write(id, name, data);
    };
    const err = await new ModelStore(backend).save({ manifest: manifest('tiny-3d'), onnx: onnx(300), info }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/could not keep tiny-3d in the browser's storage \(disk I\/O error\)/);
    expect(root.children.size).toBe(0);
    expect((await store().list()).models).toEqual([]);
  });

  it('never lists a replaced model whose save stopped half-way, even when the cleanup could not run (tab closed)', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(100), info });
    const backend = new OpfsBackend(root);
    const write = backend.write.bind(backend);
    backend.write = async (id, name, data) => {
      if (name === 'import.json') throw new DOMException('the tab went away', 'AbortError');
      return write(id, name, data);
    };
    backend.remove = async () => {
      throw new DOMException('the tab went away', 'AbortError');
    };
    await expect(
      new ModelStore(backend).save({ manifest: manifest('tiny-3d', 'New'), onnx: onnx(300), info }),
    ).rejects.toThrow(/could not keep New/);
    // The new model.onnx is there, the old manifest is not: not listed.
    expect([...(root.children.get('tiny-3d') as FakeDir).children.keys()].sort()).toEqual([
      'import.json',
      'model.onnx',
    ]);
    expect((await store().list()).models).toEqual([]);
  });

  it('ignores a folder without a manifest (another tab may be writing it) and removes it once stale', async () => {
    const { fs, root, store } = opfs();
    const dir = await root.getDirectoryHandle('partial', { create: true });
    const w = await (await dir.getFileHandle('model.onnx', { create: true })).createWritable();
    await w.write(onnx(50));
    await w.close();
    expect((await store().list()).models).toEqual([]);
    expect(root.children.has('partial')).toBe(true);
    fs.now += 2 * 60 * 60 * 1000;
    expect((await store().list()).models).toEqual([]);
    expect(root.children.has('partial')).toBe(false);
  });

  it('removes an entry whose model.onnx is not the size written, and reports it', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(100), info });
    const file = (root.children.get('tiny-3d') as FakeDir).children.get('model.onnx') as FakeFile;
    file.data = file.data.slice(0, 60);
    const { models, problems } = await store().list();
    expect(models).toEqual([]);
    expect(problems).toEqual([
      {
        id: 'tiny-3d',
        message: 'the stored model was incomplete (model.onnx has 60 bytes, 100 were written) and was removed',
      },
    ]);
    expect(root.children.size).toBe(0);
  });

  it('keeps but reports an entry whose manifest it cannot read (a newer version may have written it)', async () => {
    const { root, store } = opfs();
    await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(100), info });
    const mf = (root.children.get('tiny-3d') as FakeDir).children.get('manifest.json') as FakeFile;
    mf.data = new TextEncoder().encode('{"schema": "voxseg-model/2"}');
    const { models, problems } = await store().list();
    expect(models).toEqual([]);
    expect(problems[0].id).toBe('tiny-3d');
    expect(problems[0].message).toMatch(/tiny-3d\/manifest\.json: manifest field schema/);
    expect(root.children.has('tiny-3d')).toBe(true);
  });
});

class FakeCache implements CacheLike {
  map = new Map<string, { body: Uint8Array; headers: Headers }>();
  async put(url: string, res: Response) {
    this.map.set(url, { body: new Uint8Array(await res.arrayBuffer()), headers: new Headers(res.headers) });
  }
  async match(url: string) {
    const e = this.map.get(url);
    return e ? new Response(e.body as Uint8Array<ArrayBuffer>, { headers: e.headers }) : undefined;
  }
  async delete(url: string) {
    return this.map.delete(url);
  }
  async keys() {
    return [...this.map.keys()].map((url) => ({ url }));
  }
}

describe('ModelStore on Cache Storage (the fallback)', () => {
  it('saves, lists after a reload, replaces and removes', async () => {
    const cache = new FakeCache();
    cache.map.set('http://localhost/other.js', { body: new Uint8Array(3), headers: new Headers() });
    const store = () => new ModelStore(new CacheBackend(cache, 'http://localhost/'));
    const saved = await store().save({ manifest: manifest('tiny-3d'), onnx: onnx(700), license: 'MIT', info });
    expect(saved.bytes).toBeGreaterThan(700);
    const { models, problems } = await store().list();
    expect(problems).toEqual([]);
    expect(models.map((m) => m.id)).toEqual(['tiny-3d']);
    expect(new Uint8Array(await models[0].onnx.arrayBuffer())).toEqual(onnx(700));
    expect(models[0].license).toBe('MIT');
    expect(models[0].bytes).toBe(saved.bytes);
    await store().remove('tiny-3d');
    expect([...cache.map.keys()]).toEqual(['http://localhost/other.js']);
    expect((await store().list()).models).toEqual([]);
  });
});
