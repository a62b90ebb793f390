/**
 * Read the weights of a PyTorch checkpoint (the zip format torch.save has written since 1.6) such
 * as nnU-Net's `checkpoint_final.pth`, safely: the pickle is interpreted by our own unpickler with
 * an allow-list of exactly what nnU-Net checkpoints contain (`torch-pickle.ts`), so nothing in
 * the file is ever run.
 *
 * Layout: `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one raw storage per
 * key, little-endian), `<archive>/byteorder` ('little'; absent before torch 1.10 = little).
 *
 * Decisions:
 * - Lazy tensors. The persistent-load callback only records a storage reference and
 *   `_rebuild_tensor_v2` only records (storage, offset, shape, stride), so the optimizer state and
 *   logging are parsed past without touching their storages; only tensors under `opts.key`
 *   (default 'network_weights') are read, CRC-checked and converted.
 * - Conversion to float32: float16 and bfloat16 exactly (bit manipulation), float64 rounded to
 *   nearest like torch's `.float()`; `WeightTensor.dtype` keeps the stored dtype. Non-contiguous
 *   tensors (any strides, e.g. a saved transposed view) are gathered into C order; tensors sharing
 *   a storage at different offsets each get their own copy (weights never alias the file bytes).
 * - Integer / bool tensors under the key (e.g. BatchNorm's num_batches_tracked) and non-tensor
 *   values are not weights: they are listed in `info.skipped` with the reason.
 * - Plain data for `info` is converted to JSON-like values (see `JsonLike`): dicts -> objects
 *   (keys as strings), tuples/lists/sets -> arrays, numpy scalars -> numbers, numpy arrays ->
 *   `{ dtype, shape, data }`, torch.device -> 'cpu' / 'cuda:0', tensors -> null, ints beyond 2^53
 *   -> the nearest number. The walk is iterative (no recursion) and shares converted sub-objects.
 * - The host is assumed little-endian (every platform browsers and Node ship on).
 */
import { VoxsegError } from '../../core/errors';
import { PickleGlobal, isTuple, unpickle, type PickleValue } from './pickle';
import {
  ELEMENT_SIZE,
  FLOAT_DTYPES,
  NumpyArray,
  NumpyDtype,
  StorageRef,
  TensorRef,
  bad,
  halfBits,
  persistentLoad,
  torchAllowList,
} from './torch-pickle';
import type { WeightMap, WeightTensor } from './types';
import { isZip, openZip, type ZipArchive } from './zip';

export type JsonLike = null | boolean | number | string | JsonLike[] | { [key: string]: JsonLike };

/** What else an nnU-Net checkpoint says besides its weights (null where absent). */
export interface CheckpointInfo {
  /** The checkpoint dict's top-level keys, in order. */
  keys: string[];
  /** The key the weights were read from. */
  weightsKey: string;
  /** `trainer_name`, e.g. 'nnUNetTrainer'. */
  trainerName: string | null;
  /** `current_epoch` (nnU-Net stores the number of finished epochs). */
  currentEpoch: number | null;
  /** `inference_allowed_mirroring_axes`: a tuple of axis indices, or null (None / absent). */
  inferenceAllowedMirroringAxes: number[] | null;
  /** `init_args.configuration`, e.g. '3d_fullres'. */
  configuration: string | null;
  /** `init_args.fold`: a number, or 'all'. */
  fold: number | string | null;
  /** `init_args.plans` as JSON-like data (the trainer's plans.json content). */
  plans: { [key: string]: JsonLike } | null;
  /** `init_args.dataset_json` as JSON-like data. */
  datasetJson: { [key: string]: JsonLike } | null;
  /** Entries under the weights key that are not floating-point tensors, with the reason. */
  skipped: { name: string; reason: string }[];
}

export interface ReadCheckpointOptions {
  /** Top-level key holding the state_dict (default 'network_weights'). */
  key?: string;
}

/** Read the state_dict under `opts.key` and the plain-data facts of a torch.save zip. */
export function readTorchCheckpoint(
  bytes: Uint8Array,
  file: string,
  opts: ReadCheckpointOptions = {},
): { weights: WeightMap; info: CheckpointInfo } {
  const { zip, prefix, root } = openCheckpoint(bytes, file);
  const keys = [...root.keys()].map((k) => String(k));
  const key = opts.key ?? 'network_weights';
  if (!root.has(key)) {
    throw new VoxsegError(
      'invalid-model',
      `checkpoint has no '${key}' entry; top-level keys: ${keys.join(', ') || '(none)'}`,
      { file },
    );
  }
  const stateDict = root.get(key);
  if (!(stateDict instanceof Map))
    throw new VoxsegError('invalid-model', `checkpoint entry '${key}' is not a dict of tensors`, { file });

  const weights: WeightMap = new Map();
  const skipped: { name: string; reason: string }[] = [];
  const storageBytes = new Map<string, Uint8Array>();
  const readStorage = (s: StorageRef): Uint8Array => {
    let b = storageBytes.get(s.key);
    if (!b) {
      const path = `${prefix}data/${s.key}`;
      const entry = zip.get(path);
      if (!entry) throw new VoxsegError('invalid-model', `checkpoint is missing storage ${path}`, { file });
      b = zip.read(entry);
      storageBytes.set(s.key, b);
    }
    return b;
  };
  for (const [k, v] of stateDict) {
    const name = String(k);
    if (!(v instanceof TensorRef)) skipped.push({ name, reason: 'not a tensor' });
    else if (!FLOAT_DTYPES.has(v.dtype)) skipped.push({ name, reason: `${v.dtype} tensor` });
    else weights.set(name, materialize(v, readStorage(v.storage), name, file));
  }
  return { weights, info: checkpointInfo(root, keys, key, skipped, file) };
}

/** A top-level entry of a checkpoint (e.g. 'logging') as JSON-like data; tensors become null. */
export function readCheckpointEntry(bytes: Uint8Array, file: string, key: string): JsonLike {
  const { root } = openCheckpoint(bytes, file);
  if (!root.has(key)) throw new VoxsegError('invalid-model', `checkpoint has no '${key}' entry`, { file });
  return toJsonLike(root.get(key) ?? null, file);
}

// ---------------------------------------------------------------------------------------------

/** Open the zip, check the byte order, unpickle data.pkl (storages only referenced). */
function openCheckpoint(
  bytes: Uint8Array,
  file: string,
): { zip: ZipArchive; prefix: string; root: Map<PickleValue, PickleValue> } {
  if (!isZip(bytes)) throw notZip(bytes, file);
  const zip = openZip(bytes, file);
  const pkl = findDataPkl(zip, file);
  const prefix = pkl.path.slice(0, -'data.pkl'.length);
  const order = zip.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(zip.read(order)).trim();
    if (text !== 'little') {
      throw new VoxsegError(
        'unsupported',
        `checkpoint was saved as ${text}-endian data; only little-endian checkpoints are supported (re-save it on a little-endian machine)`,
        { file },
      );
    }
  }
  const storages = new Map<string, StorageRef>();
  const root = unpickle(zip.read(pkl), {
    file,
    globals: torchAllowList(file),
    persistentLoad: (pid) => persistentLoad(pid, storages, file),
  });
  if (!(root instanceof Map))
    throw new VoxsegError('invalid-model', 'checkpoint is not a dict (expected an nnU-Net checkpoint)', { file });
  return { zip, prefix, root };
}

function notZip(bytes: Uint8Array, file: string): VoxsegError {
  // Legacy torch.save: a pickled magic number first (protocol 2, LONG1 of 10 bytes).
  const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  const legacyPickle =
    bytes[0] === 0x80 && bytes[2] === 0x8a && bytes[3] === 0x0a && magic.every((m, i) => bytes[4 + i] === m);
  // Even older torch.save wrote a tar archive.
  const tar = bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar';
  if (legacyPickle || tar) {
    return new VoxsegError(
      'unsupported',
      "this is PyTorch's legacy checkpoint format (torch.save before 1.6, or _use_new_zipfile_serialization=False), which is not supported; re-save it with a current PyTorch: torch.save(torch.load(path, weights_only=False), path)",
      { file },
    );
  }
  return new VoxsegError('invalid-model', 'not a PyTorch checkpoint (not a zip archive)', { file });
}

function findDataPkl(zip: ZipArchive, file: string) {
  const candidates = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.path));
  if (candidates.length === 0) {
    const some = zip.entries
      .slice(0, 5)
      .map((e) => e.path)
      .join(', ');
    throw new VoxsegError(
      'invalid-model',
      `not a PyTorch checkpoint: no <archive>/data.pkl in the zip (entries: ${some || 'none'})`,
      { file },
    );
  }
  const first = zip.entries[0].path.split('/')[0];
  return candidates.find((e) => e.path === `${first}/data.pkl`) ?? candidates[0];
}

// --- tensor data ------------------------------------------------------------------------------

let halfTable: Uint32Array | null = null;

function halfToFloatTable(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBits(h);
  }
  return halfTable;
}

/** A typed view of the storage bytes (copied to an aligned buffer when the bytes are not). */
function typedView(
  b: Uint8Array,
  dtype: 'float32' | 'float16' | 'bfloat16' | 'float64',
): Float32Array | Uint16Array | Float64Array {
  const size = ELEMENT_SIZE[dtype];
  const n = Math.floor(b.byteLength / size);
  const src = b.byteOffset % size === 0 ? b : b.slice();
  if (dtype === 'float32') return new Float32Array(src.buffer, src.byteOffset, n);
  if (dtype === 'float64') return new Float64Array(src.buffer, src.byteOffset, n);
  return new Uint16Array(src.buffer, src.byteOffset, n);
}

function materialize(t: TensorRef, bytes: Uint8Array, name: string, file: string): WeightTensor {
  const dtype = t.dtype as 'float32' | 'float16' | 'bfloat16' | 'float64';
  const size = ELEMENT_SIZE[dtype];
  const available = Math.floor(bytes.byteLength / size);
  if (t.storage.numel * ELEMENT_SIZE[t.storage.dtype] > bytes.byteLength) {
    throw bad(file, `storage ${t.storage.key} of ${name} is shorter (${bytes.byteLength} bytes) than declared`);
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  if (n > 0) {
    let last = t.offset;
    for (let d = 0; d < t.shape.length; d++) last += (t.shape[d] - 1) * t.stride[d];
    if (last >= available) throw bad(file, `tensor ${name} reaches past the end of its storage ${t.storage.key}`);
    gather(typedView(bytes, dtype), dtype, t, data);
  }
  return { shape: [...t.shape], data, dtype };
}

/**
 * Dimensions merged where memory allows (a dim whose stride is its inner neighbour's extent), size-1
 * dims dropped: a contiguous tensor becomes one run, a transposed one a few long runs.
 */
function coalesce(shape: number[], stride: number[]): { shape: number[]; stride: number[] } {
  const s: number[] = [];
  const st: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = s.length - 1;
    if (k >= 0 && st[k] === shape[d] * stride[d]) {
      s[k] *= shape[d];
      st[k] = stride[d];
    } else {
      s.push(shape[d]);
      st.push(stride[d]);
    }
  }
  return { shape: s, stride: st };
}

/** Copy the strided elements of `t` into `out` in C order, converting to float32. */
function gather(
  src: Float32Array | Uint16Array | Float64Array,
  dtype: 'float32' | 'float16' | 'bfloat16' | 'float64',
  t: TensorRef,
  out: Float32Array,
): void {
  const { shape, stride } = coalesce(t.shape, t.stride);
  const rank = shape.length;
  const inner = rank ? shape[rank - 1] : 1;
  const step = rank ? stride[rank - 1] : 1;
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const table = dtype === 'float16' ? halfToFloatTable() : null;
  const run = (from: number, to: number): void => {
    let j = from;
    const end = to + inner;
    if (dtype === 'bfloat16') for (let i = to; i < end; i++, j += step) out32[i] = src[j] << 16;
    else if (table) for (let i = to; i < end; i++, j += step) out32[i] = table[src[j]];
    else if (step === 1 && inner >= 64) out.set(src.subarray(from, from + inner), to);
    else for (let i = to; i < end; i++, j += step) out[i] = src[j];
  };
  // Odometer over the outer dimensions.
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let base = t.offset;
  for (let to = 0; to < out.length; to += inner) {
    run(base, to);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      base += stride[d];
      if (idx[d] < shape[d]) break;
      base -= idx[d] * stride[d];
      idx[d] = 0;
    }
  }
}

// --- info -------------------------------------------------------------------------------------

function checkpointInfo(
  root: Map<PickleValue, PickleValue>,
  keys: string[],
  weightsKey: string,
  skipped: { name: string; reason: string }[],
  file: string,
): CheckpointInfo {
  const str = (v: PickleValue): string | null => (typeof v === 'string' ? v : null);
  const num = (v: PickleValue): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
  const initArgs = root.get('init_args');
  const init = initArgs instanceof Map ? initArgs : new Map<PickleValue, PickleValue>();
  const object = (v: PickleValue): { [key: string]: JsonLike } | null => {
    if (!(v instanceof Map)) return null;
    return toJsonLike(v, file) as { [key: string]: JsonLike };
  };
  const axes = root.get('inference_allowed_mirroring_axes');
  const fold = init.get('fold');
  return {
    keys,
    weightsKey,
    trainerName: str(root.get('trainer_name') ?? null),
    currentEpoch: num(root.get('current_epoch') ?? null),
    inferenceAllowedMirroringAxes:
      Array.isArray(axes) && axes.every((a) => typeof a === 'number') ? [...(axes as number[])] : null,
    configuration: str(init.get('configuration') ?? null),
    fold: typeof fold === 'string' ? fold : num(fold ?? null),
    plans: object(init.get('plans') ?? null),
    datasetJson: object(init.get('dataset_json') ?? null),
    skipped,
  };
}

/** Python data -> JSON-like, iteratively (deep nesting cannot overflow the stack); cycles are errors. */
export function toJsonLike(root: PickleValue, file: string): JsonLike {
  const done = new Map<object, JsonLike>();
  const open = new Set<object>();
  interface Frame {
    src: object;
    items: [string | number, PickleValue][];
    out: JsonLike[] | { [key: string]: JsonLike };
    i: number;
  }
  const stack: Frame[] = [];
  /** A leaf's value, or a new container (pushed as a frame, filled later). */
  const convert = (v: PickleValue): JsonLike => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v !== 'object') return null;
    if (open.has(v)) throw bad(file, 'cyclic data in the checkpoint');
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    let items: [string | number, PickleValue][];
    let out: JsonLike[] | { [key: string]: JsonLike } = {};
    if (v instanceof Map)
      items = [...v].map(([k, x]) => [typeof k === 'string' ? k : String(isTuple(k) ? k.join(',') : k), x]);
    else if (Array.isArray(v)) {
      items = v.map((x, i) => [i, x]);
      out = [];
    } else if (v instanceof Set) {
      items = [...v].map((x, i) => [i, x]);
      out = [];
    } else if (v instanceof Uint8Array) return Array.from(v);
    else if (v instanceof PickleGlobal) return v.fullName;
    else if (v instanceof NumpyDtype) return v.str;
    else if (v instanceof NumpyArray)
      items = [
        ['dtype', v.dtype],
        ['shape', v.shape],
        ['data', v.data instanceof Uint8Array ? Array.from(v.data) : v.data],
      ];
    else if (v instanceof TensorRef || v instanceof StorageRef) return null;
    else items = Object.entries(v) as [string, PickleValue][];
    open.add(v);
    done.set(v, out);
    stack.push({ src: v, items, out, i: 0 });
    return out;
  };
  const result = convert(root);
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.i >= f.items.length) {
      open.delete(f.src);
      stack.pop();
      continue;
    }
    const [k, x] = f.items[f.i++];
    const child = convert(x);
    if (Array.isArray(f.out)) f.out.push(child);
    else Object.defineProperty(f.out, k, { value: child, enumerable: true, writable: true, configurable: true });
  }
  return result;
}
