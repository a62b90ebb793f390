/**
 * What a PyTorch checkpoint's pickle may contain, as data: the allow-list of globals that nnU-Net
 * checkpoints use (torch 1.6 to 2.x, numpy 1 and 2) and the inert values they become. Tensors and
 * storages are only references here (`TensorRef`, `StorageRef`); reading their bytes is the
 * caller's choice, so whatever is not needed (optimizer state) is never touched.
 *
 * Allowed: collections.OrderedDict; torch._utils._rebuild_tensor / _v2 / _v3, _rebuild_parameter
 * (_with_state); the legacy typed storage classes torch.{Float,Half,BFloat16,Double,Long,Int,Short,
 * Char,Byte,Bool}Storage and torch.UntypedStorage (what the persistent id names; torch 2.x still
 * pickles the legacy class of a tensor's dtype); torch.<dtype> (v3's dtype argument); torch.device;
 * torch.Size; builtins / __builtin__ set, frozenset, slice; _codecs.encode (protocol 2 bytes);
 * numpy.dtype (with its BUILD state), numpy.ndarray, numpy.core / numpy._core .multiarray.scalar
 * and ._reconstruct (ndarray BUILD state decoded to numbers when numeric).
 */
import { VoxsegError } from '../../core/errors';
import { PickleGlobal, isTuple, type PickleAllowList, type PickleValue } from './pickle';

export type TorchDtype =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const ELEMENT_SIZE: Record<TorchDtype, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Legacy typed storage classes (what torch pickles in the persistent id, 1.6 to 2.x). */
const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** torch.<dtype> globals (the dtype argument of `_rebuild_tensor_v3`). */
const TORCH_DTYPES: Record<string, TorchDtype> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

export const FLOAT_DTYPES = new Set<TorchDtype>(['float32', 'float16', 'bfloat16', 'float64']);

export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    /** Elements of `dtype`. */
    readonly numel: number,
  ) {}
}

export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** In elements of `dtype`. */
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly dtype: TorchDtype,
  ) {}
}

export class NumpyDtype {
  byteorder = '=';
  constructor(readonly str: string) {}
}

export class NumpyArray {
  shape: number[] = [];
  dtype = '';
  fortranOrder = false;
  data: number[] | bigint[] | boolean[] | PickleValue[] | Uint8Array = [];
}

export function bad(file: string, msg: string): VoxsegError {
  return new VoxsegError('invalid-model', msg, { file });
}

function toInt(v: PickleValue, what: string, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw bad(file, `bad ${what} ${String(v)} in the checkpoint`);
  return v;
}

function intList(v: PickleValue, what: string, file: string): number[] {
  if (!Array.isArray(v)) throw bad(file, `bad ${what} in the checkpoint (not a tuple)`);
  return v.map((x) => toInt(x, what, file));
}

/** ('storage', storage_type, key, location, numel) -> a reference; bytes are read later, if at all. */
export function persistentLoad(pid: PickleValue, storages: Map<string, StorageRef>, file: string): StorageRef {
  if (!isTuple(pid) || pid.length < 5 || pid[0] !== 'storage')
    throw bad(file, 'unsupported pickle content: persistent id other than a storage');
  const [, type, rawKey, , rawNumel] = pid;
  const known =
    type instanceof PickleGlobal &&
    (type.module === 'torch' || type.module === 'torch.storage') &&
    Object.hasOwn(STORAGE_DTYPES, type.name);
  if (!known) throw bad(file, 'unsupported pickle content: unknown storage type');
  const dtype = STORAGE_DTYPES[(type as PickleGlobal).name];
  const key = String(rawKey);
  const numel = toInt(rawNumel, 'storage size', file);
  const seen = storages.get(key);
  if (seen) {
    if (seen.dtype !== dtype) throw bad(file, `storage ${key} is used with two dtypes (${seen.dtype}, ${dtype})`);
    return seen;
  }
  const ref = new StorageRef(key, dtype, numel);
  storages.set(key, ref);
  return ref;
}

function tensorRef(
  storage: PickleValue,
  offset: PickleValue,
  size: PickleValue,
  stride: PickleValue,
  dtype: TorchDtype | null,
  file: string,
): TensorRef {
  if (!(storage instanceof StorageRef)) throw bad(file, 'unsupported pickle content: tensor without a storage');
  const shape = intList(size, 'tensor shape', file);
  const strides = intList(stride, 'tensor stride', file);
  if (strides.length !== shape.length) throw bad(file, 'tensor shape and stride differ in length');
  return new TensorRef(storage, toInt(offset, 'storage offset', file), shape, strides, dtype ?? storage.dtype);
}

/** The only globals a checkpoint may name, each building data (never running anything). */
export function torchAllowList(file: string): PickleAllowList {
  const list: PickleAllowList = {};
  const value = {}; // referenced as a value only (no call)
  for (const name of Object.keys(STORAGE_DTYPES)) list[`torch.${name}`] = value;
  list['torch.storage.UntypedStorage'] = value;
  for (const name of Object.keys(TORCH_DTYPES)) list[`torch.${name}`] = value;

  list['collections.OrderedDict'] = {
    call: (args: readonly PickleValue[]) => {
      const m = new Map<PickleValue, PickleValue>();
      const items = args[0];
      if (Array.isArray(items))
        for (const pair of items) if (Array.isArray(pair) && pair.length === 2) m.set(pair[0], pair[1]);
      return m;
    },
    // Instance attributes (a state_dict's `_metadata`) are not needed.
    build: () => undefined,
  };
  list['torch._utils._rebuild_tensor'] = (a) => tensorRef(a[0], a[1], a[2], a[3], null, file);
  list['torch._utils._rebuild_tensor_v2'] = (a) => tensorRef(a[0], a[1], a[2], a[3], null, file);
  list['torch._utils._rebuild_tensor_v3'] = (a) => {
    const dt = a[6];
    if (!(dt instanceof PickleGlobal) || !Object.hasOwn(TORCH_DTYPES, dt.name))
      throw bad(file, 'unsupported pickle content: tensor dtype');
    return tensorRef(a[0], a[1], a[2], a[3], TORCH_DTYPES[dt.name], file);
  };
  list['torch._utils._rebuild_parameter'] = (a) => a[0];
  list['torch._utils._rebuild_parameter_with_state'] = (a) => a[0];
  list['torch.device'] = (a) => (a.length > 1 && a[1] !== null ? `${String(a[0])}:${String(a[1])}` : String(a[0]));
  list['torch.Size'] = (a) => Object.freeze(Array.isArray(a[0]) ? [...a[0]] : []);

  for (const b of ['builtins', '__builtin__']) {
    list[`${b}.set`] = (a) => new Set(Array.isArray(a[0]) ? a[0] : []);
    list[`${b}.frozenset`] = (a) => new Set(Array.isArray(a[0]) ? a[0] : []);
    list[`${b}.slice`] = (a) => ({ start: a[0] ?? null, stop: a[1] ?? null, step: a[2] ?? null });
  }
  list['_codecs.encode'] = (a) => {
    const [s, enc] = a;
    if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1' && enc !== 'iso-8859-1'))
      throw bad(file, 'unsupported pickle content: _codecs.encode other than latin1');
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw bad(file, 'bad latin1 bytes in the pickle');
      out[i] = c;
    }
    return out;
  };

  const dtypeHandler = {
    call: (a: readonly PickleValue[]) => new NumpyDtype(String(a[0])),
    build: (obj: PickleValue, state: PickleValue) => {
      if (obj instanceof NumpyDtype && Array.isArray(state) && typeof state[1] === 'string') obj.byteorder = state[1];
    },
  };
  list['numpy.dtype'] = dtypeHandler;
  list['numpy.ndarray'] = value;
  for (const core of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    list[`${core}.scalar`] = (a) => numpyScalar(a[0], a[1], file);
    list[`${core}._reconstruct`] = {
      call: () => new NumpyArray(),
      build: (obj, state) => {
        if (obj instanceof NumpyArray) fillNumpyArray(obj, state, file);
      },
    };
  }
  return list;
}

function numpyScalar(dtype: PickleValue, raw: PickleValue, file: string): PickleValue {
  if (!(dtype instanceof NumpyDtype)) throw bad(file, 'unsupported pickle content: numpy scalar without a dtype');
  if (!(raw instanceof Uint8Array)) return raw; // object scalars carry the value itself
  const values = decodeNumpy(dtype, raw, 1);
  return values ? values[0] : { dtype: dtype.str, bytes: raw };
}

/** Numeric numpy data -> numbers (bigint for 64-bit ints beyond 2^53), or null if not numeric. */
function decodeNumpy(dtype: NumpyDtype, raw: Uint8Array, count: number): (number | bigint | boolean)[] | null {
  const m = /^([fiub])(\d+)$/.exec(dtype.str.replace(/^[<>=|]/, ''));
  if (!m) return null;
  const kind = m[1];
  const size = Number(m[2]);
  if (raw.length < count * size) return null;
  const le = dtype.byteorder !== '>' && !dtype.str.startsWith('>');
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: (number | bigint | boolean)[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    let v: number | bigint | boolean;
    if (kind === 'b' && size === 1) v = raw[o] !== 0;
    else if (kind === 'f' && size === 8) v = dv.getFloat64(o, le);
    else if (kind === 'f' && size === 4) v = dv.getFloat32(o, le);
    else if (kind === 'f' && size === 2)
      v = new Float32Array(new Uint32Array([halfBits(dv.getUint16(o, le))]).buffer)[0];
    else if (kind === 'i' && size === 1) v = dv.getInt8(o);
    else if (kind === 'i' && size === 2) v = dv.getInt16(o, le);
    else if (kind === 'i' && size === 4) v = dv.getInt32(o, le);
    else if (kind === 'u' && size === 1) v = raw[o];
    else if (kind === 'u' && size === 2) v = dv.getUint16(o, le);
    else if (kind === 'u' && size === 4) v = dv.getUint32(o, le);
    else if (size === 8 && (kind === 'i' || kind === 'u')) {
      const b = kind === 'i' ? dv.getBigInt64(o, le) : dv.getBigUint64(o, le);
      v = b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    } else return null;
    out.push(v);
  }
  return out;
}

/** ndarray BUILD state: ([version,] shape, dtype, is_fortran, data). */
function fillNumpyArray(arr: NumpyArray, state: PickleValue, file: string): void {
  if (!Array.isArray(state)) throw bad(file, 'bad numpy array state');
  const s = state.length === 5 ? state.slice(1) : state;
  const [shape, dtype, fortran, data] = s;
  arr.shape = intList(shape, 'numpy array shape', file);
  arr.fortranOrder = fortran === true;
  if (!(dtype instanceof NumpyDtype)) throw bad(file, 'bad numpy array dtype');
  arr.dtype = dtype.str;
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (Array.isArray(data)) arr.data = [...data];
  else if (data instanceof Uint8Array) arr.data = (decodeNumpy(dtype, data, count) as number[] | null) ?? data;
  else throw bad(file, 'bad numpy array data');
}

/** IEEE half -> float bits, exact (subnormals, infinities and NaN payloads kept). */
export function halfBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  if (man === 0) return sign >>> 0;
  let e = 113;
  while (!(man & 0x400)) {
    man <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((man & 0x3ff) << 13)) >>> 0;
}
