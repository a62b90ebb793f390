/**
 * A small, safe unpickler (Python pickle protocols 0–5) that only builds data: it never imports or
 * calls anything. Classes and functions named in the pickle (GLOBAL, STACK_GLOBAL, INST) resolve
 * only through an allow-list the caller passes, `"module.name" -> handler`; anything else is a
 * VoxsegError 'invalid-model' "unsupported pickle content: global os.system" naming the file.
 *
 * What Python values become:
 * - dict -> `Map` (insertion order kept, keys keep their type: optimizer state is keyed by ints,
 *   which a plain object would turn into strings and reorder);
 * - list -> array; tuple -> frozen array (`Object.isFrozen` tells them apart);
 * - str -> string; bytes / bytearray -> Uint8Array (a copy); None -> null; bool -> boolean;
 * - int -> number, or bigint when outside ±2^53; float -> number;
 * - set / frozenset -> Set;
 * - a global reference -> `PickleGlobal` (e.g. a storage class passed as an argument);
 * - whatever an allow-listed handler returns for REDUCE / NEWOBJ / NEWOBJ_EX / OBJ / INST.
 *
 * BUILD goes to the `build` handler of the global that created the object (a WeakMap remembers
 * which); an object without one is an error. Persistent ids (PERSID, BINPERSID) go to the
 * caller's `persistentLoad`. Not supported (clear errors): the extension registry (EXT1/2/4) and
 * out-of-band buffers (NEXT_BUFFER).
 *
 * Bounds: the machine is a loop over an explicit stack (no recursion, so deep nesting cannot
 * overflow the JS stack); every length is checked against the buffer before anything is read or
 * allocated, so a truncated pickle is a 'truncated' error, never a huge allocation.
 */
import { VoxsegError } from '../../core/errors';

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | readonly PickleValue[]
  | Map<PickleValue, PickleValue>
  | Set<PickleValue>
  | PickleGlobal
  | object;

/** An allow-listed global as a value (e.g. `torch.FloatStorage`, `numpy.ndarray`). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly handler: PickleGlobalHandler,
  ) {}

  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface PickleGlobalHandler {
  /** REDUCE / NEWOBJ / OBJ / INST with this global as the callable: the positional arguments. */
  call?: (args: readonly PickleValue[], kwargs?: Map<PickleValue, PickleValue>) => PickleValue;
  /** BUILD on an object `call` returned: apply `state`; a non-undefined result replaces the object. */
  build?: (obj: PickleValue, state: PickleValue) => PickleValue | void;
}

/** "module.name" -> handler (a bare function is a `call`). */
export type PickleAllowList = Record<string, PickleGlobalHandler | ((args: readonly PickleValue[]) => PickleValue)>;

export interface UnpickleOptions {
  /** Named in every error. */
  file: string;
  globals: PickleAllowList;
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

export function isTuple(v: unknown): v is readonly PickleValue[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

const MARK_ERR = 'mark not found';
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Unpickle one object from `data` (up to its STOP opcode). */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): PickleValue {
  const { file } = opts;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = data.length;
  let pos = 0;
  let stack: PickleValue[] = [];
  const metastack: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();
  const creators = new WeakMap<object, PickleGlobal>();
  let opPos = 0;

  const fail = (msg: string, code: 'invalid-model' | 'truncated' | 'unsupported' = 'invalid-model'): VoxsegError =>
    new VoxsegError(code, `${msg} (pickle offset ${opPos})`, { file });
  const need = (k: number): void => {
    if (k > n - pos) throw fail(`pickle is truncated: needs ${k} more bytes, ${n - pos} left`, 'truncated');
  };
  const byte = (): number => {
    need(1);
    return data[pos++];
  };
  const bytes = (k: number): Uint8Array => {
    need(k);
    const out = data.subarray(pos, pos + k);
    pos += k;
    return out;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const lo = view.getUint32(pos, true);
    const hi = view.getUint32(pos + 4, true);
    pos += 8;
    // Anything this large cannot fit the buffer; `need` will reject it.
    return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail('pickle is truncated: unterminated text argument', 'truncated');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  // Not `stack.push(...)`: an argument that pops a mark reassigns `stack` after the receiver is read.
  const push = (v: PickleValue): void => {
    stack.push(v);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) throw fail('pickle stack underflow');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) throw fail('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw fail(MARK_ERR);
    stack = prev;
    return items;
  };
  const resolve = (module: string, name: string): PickleGlobal => {
    const key = `${module}.${name}`;
    const h = Object.prototype.hasOwnProperty.call(opts.globals, key) ? opts.globals[key] : undefined;
    if (!h) throw new VoxsegError('invalid-model', `unsupported pickle content: global ${key}`, { file });
    return new PickleGlobal(module, name, typeof h === 'function' ? { call: h } : h);
  };
  const call = (fn: PickleValue, args: PickleValue, kwargs?: PickleValue): PickleValue => {
    if (!(fn instanceof PickleGlobal)) throw fail(`unsupported pickle content: call of a ${describe(fn)}`);
    if (!fn.handler.call)
      throw new VoxsegError('invalid-model', `unsupported pickle content: call of ${fn.fullName}`, { file });
    if (!Array.isArray(args)) throw fail(`arguments of ${fn.fullName} are not a tuple`);
    if (kwargs !== undefined && kwargs !== null && !(kwargs instanceof Map))
      throw fail(`keyword arguments of ${fn.fullName} are not a dict`);
    const out = fn.handler.call(args, kwargs && kwargs.size > 0 ? kwargs : undefined);
    if (out !== null && typeof out === 'object') creators.set(out, fn);
    return out;
  };
  const persistent = (pid: PickleValue): PickleValue => {
    if (!opts.persistentLoad) throw fail('unsupported pickle content: persistent id without a loader');
    return opts.persistentLoad(pid);
  };
  const setItems = (d: PickleValue, items: PickleValue[]): void => {
    if (!(d instanceof Map)) throw fail(`unsupported pickle content: SETITEM on a ${describe(d)}`);
    if (items.length % 2) throw fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const appendItems = (l: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(l) || Object.isFrozen(l)) throw fail(`unsupported pickle content: APPEND on a ${describe(l)}`);
    for (const it of items) l.push(it);
  };
  const memoGet = (k: number): PickleValue => {
    if (!memo.has(k)) throw fail(`pickle memo key ${k} is missing`);
    return memo.get(k)!;
  };
  const memoPut = (k: number): void => {
    memo.set(k, top());
  };
  const tuple = (items: PickleValue[]): readonly PickleValue[] => Object.freeze(items);

  for (;;) {
    opPos = pos;
    if (pos >= n) throw fail('pickle is truncated: no STOP opcode', 'truncated');
    const op = data[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const v = byte();
        if (v > 5) throw fail(`pickle protocol ${v} is not supported`, 'unsupported');
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; the data follows inline.
        if (u64() > n - pos) throw fail('pickle is truncated: frame runs past the end', 'truncated');
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // --- constants and numbers
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(byte());
        break;
      case 0x4d: // BININT2
        need(2);
        push(view.getUint16(pos, true));
        pos += 2;
        break;
      case 0x8a: // LONG1
        push(decodeLong(bytes(byte())));
        break;
      case 0x8b: {
        // LONG4
        const k = i32();
        if (k < 0) throw fail('negative LONG4 length');
        push(decodeLong(bytes(k)));
        break;
      }
      case 0x49: {
        // INT (text); protocol 0 writes booleans as I01 / I00
        const s = line();
        if (s === '01') push(true);
        else if (s === '00') push(false);
        else push(parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (text)
        push(parseIntText(line().replace(/L$/, ''), fail));
        break;
      case 0x46: {
        // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s.trim())) throw fail(`bad float ${JSON.stringify(s)}`);
        push(v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      // --- strings and bytes
      case 0x58: // BINUNICODE
        push(utf8.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8.decode(bytes(byte())));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8.decode(bytes(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        push(decodeRawUnicodeEscape(line()));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str) -> string, byte per char
        const k = i32();
        if (k < 0) throw fail('negative BINSTRING length');
        push(latin1.decode(bytes(k)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(latin1.decode(bytes(byte())));
        break;
      case 0x53: // STRING (quoted repr text)
        push(unquote(line(), fail));
        break;
      case 0x42: // BINBYTES
        push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(byte()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(bytes(u64()).slice());
        break;
      // --- containers
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map<PickleValue, PickleValue>();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        push(tuple([]));
        break;
      case 0x74: // TUPLE
        push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail(`unsupported pickle content: ADDITEMS on a ${describe(s)}`);
        for (const it of items) s.add(it);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      // --- memo
      case 0x70: // PUT (text)
        memoPut(parseIntText(line(), fail) as number);
        break;
      case 0x71: // BINPUT
        memoPut(byte());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x67: // GET (text)
        push(memoGet(parseIntText(line(), fail) as number));
        break;
      case 0x68: // BINGET
        push(memoGet(byte()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      // --- globals and object construction (allow-list only)
      case 0x63: {
        // GLOBAL
        const module = line();
        push(resolve(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        push(resolve(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        push(call(cls, args, kwargs));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        if (items.length === 0) throw fail('OBJ without a class');
        push(call(items[0], tuple(items.slice(1))));
        break;
      }
      case 0x69: {
        // INST
        const module = line();
        const cls = resolve(module, line());
        push(call(cls, tuple(popMark())));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        const creator = obj !== null && typeof obj === 'object' ? creators.get(obj) : undefined;
        if (!creator?.handler.build) {
          throw new VoxsegError(
            'invalid-model',
            `unsupported pickle content: BUILD on ${creator ? creator.fullName : `a ${describe(obj)}`}`,
            { file },
          );
        }
        const out = creator.handler.build(obj, state);
        if (out !== undefined) {
          stack[stack.length - 1] = out;
          if (out !== null && typeof out === 'object') creators.set(out, creator);
        }
        break;
      }
      // --- persistent ids
      case 0x50: // PERSID
        push(persistent(line()));
        break;
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        throw fail('unsupported pickle content: extension registry codes (EXT1/EXT2/EXT4)', 'unsupported');
      case 0x97:
      case 0x98:
        throw fail('unsupported pickle content: out-of-band buffers (protocol 5)', 'unsupported');
      default:
        throw fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** Python's little-endian two's-complement long (LONG1 / LONG4 payload). */
export function decodeLong(b: Uint8Array): number | bigint {
  const k = b.length;
  if (k === 0) return 0;
  if (k <= 6) {
    let v = 0;
    for (let i = k - 1; i >= 0; i--) v = v * 256 + b[i];
    if (b[k - 1] & 0x80) v -= 2 ** (8 * k);
    return v;
  }
  let v = 0n;
  for (let i = k - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[k - 1] & 0x80) v -= 1n << BigInt(8 * k);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, fail: (m: string) => Error): number | bigint {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw fail(`bad integer ${JSON.stringify(s)}`);
  const v = BigInt(t);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Protocol 0 UNICODE argument: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(parseInt(a ?? b!, 16)),
  );
}

/** Protocol 0 STRING argument: a Python repr in single or double quotes (simple escapes). */
function unquote(s: string, fail: (m: string) => Error): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) throw fail('bad STRING argument');
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : (simple[e] ?? `\\${e}`),
  );
}

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (v instanceof PickleGlobal) return v.fullName;
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}
