/**
 * Minimal protobuf wire format (proto3/proto2 compatible), enough for ONNX: varints (int32/int64
 * as plain or two's-complement 64-bit), length-delimited fields (bytes, strings, messages, packed
 * repeated), fixed32/float and fixed64/double. No schema, no dependency.
 *
 * Decoding errors are ProtobufError with `kind` 'truncated' (a field runs past the end) or
 * 'malformed' (bad wire type or varint); callers turn them into user-facing errors.
 */

/** Wire types. */
export const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

export class ProtobufError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed',
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ProtobufError';
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();
const TWO_32 = 4294967296;

// ---------------------------------------------------------------------------------------------
// Encoder

/**
 * Appends fields to a list of chunks; nested messages are written by a child writer whose chunks
 * are spliced in (no copy of large payloads until `finish`).
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private size = 0;

  get length(): number {
    return this.size + this.scratch.length;
  }

  private flush(): void {
    if (!this.scratch.length) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.size += this.scratch.length;
    this.scratch = [];
  }

  private rawVarint(v: number | bigint): void {
    let n = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v;
    if (typeof n === 'number') {
      if (!Number.isInteger(n)) throw new RangeError(`varint must be an integer, got ${n}`);
      if (n < 0) n = BigInt.asUintN(64, BigInt(n));
      else {
        while (n >= 0x80) {
          this.scratch.push((n % 128) | 0x80);
          n = Math.floor(n / 128);
        }
        this.scratch.push(n);
        return;
      }
    }
    let b = n as bigint;
    while (b >= 0x80n) {
      this.scratch.push(Number(b & 0x7fn) | 0x80);
      b >>= 7n;
    }
    this.scratch.push(Number(b));
  }

  private tag(field: number, wire: Wire): void {
    this.rawVarint(field * 8 + wire);
  }

  private rawBytes(bytes: Uint8Array): void {
    if (bytes.length < 64) {
      for (let i = 0; i < bytes.length; i++) this.scratch.push(bytes[i]);
      return;
    }
    this.flush();
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** int32 / int64 / uint / enum / bool field (negative numbers as 10-byte two's complement). */
  varint(field: number, value: number | bigint | boolean): this {
    this.tag(field, Wire.Varint);
    this.rawVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    return this;
  }

  /** sint32 / sint64 (zig-zag). */
  sint(field: number, value: number): this {
    const z = BigInt(value) >= 0n ? BigInt(value) * 2n : -BigInt(value) * 2n - 1n;
    return this.varint(field, z);
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.tag(field, Wire.Fixed32);
    this.rawBytes(b);
    return this;
  }

  fixed32(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.tag(field, Wire.Fixed32);
    this.rawBytes(b);
    return this;
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    this.tag(field, Wire.Fixed64);
    this.rawBytes(b);
    return this;
  }

  fixed64(field: number, value: number | bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    this.tag(field, Wire.Fixed64);
    this.rawBytes(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, Wire.Bytes);
    this.rawVarint(value.length);
    this.rawBytes(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** Fields already encoded elsewhere (e.g. copied from a parsed message), appended as they are. */
  raw(bytes: Uint8Array): this {
    this.rawBytes(bytes);
    return this;
  }

  /** Embedded message written by `build` into a child writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter();
    build(child);
    child.flush();
    this.tag(field, Wire.Bytes);
    this.rawVarint(child.size);
    this.flush();
    this.chunks.push(...child.chunks);
    this.size += child.size;
    return this;
  }

  /** Packed repeated varints (int32/int64 arrays). Writes nothing for an empty array. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    if (!values.length) return this;
    const child = new ProtoWriter();
    for (let i = 0; i < values.length; i++) child.rawVarint(values[i]);
    return this.bytes(field, child.finish());
  }

  /** Packed repeated floats. Writes nothing for an empty array. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (!values.length) return this;
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    return this.bytes(field, b);
  }

  /** Packed repeated doubles. Writes nothing for an empty array. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (!values.length) return this;
    const b = new Uint8Array(values.length * 8);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat64(i * 8, values[i], true);
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoder

/** Reads fields from `buf[start, end)`. */
export class ProtoReader {
  pos: number;
  readonly end: number;
  private view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end)
      throw new ProtobufError(
        'truncated',
        `${what} needs ${n} bytes but only ${this.end - this.pos} are left`,
        this.pos,
      );
  }

  /** Next field tag as [field number, wire type]. */
  tag(): [number, Wire] {
    const at = this.pos;
    const t = this.varint();
    const wire = t % 8;
    const field = Math.floor(t / 8);
    if (field < 1) throw new ProtobufError('malformed', `invalid field number 0`, at);
    if (wire === Wire.StartGroup || wire === Wire.EndGroup || wire > 5)
      throw new ProtobufError('malformed', `unsupported wire type ${wire} (field ${field})`, at);
    return [field, wire as Wire];
  }

  /** Unsigned varint as a number (exact up to 2^53; larger values lose precision). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated', 'varint runs past the end', this.pos);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtobufError('malformed', 'varint longer than 10 bytes', this.pos);
  }

  /** Varint as a signed 64-bit value (int32/int64 fields; negatives are 10-byte varints). */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (v < 2 ** 53) return v;
    // Re-read exactly with BigInt for the two's-complement case.
    this.pos = start;
    let big = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf[this.pos++];
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, big));
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float(): number {
    this.need(4, 'float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(): number {
    this.need(8, 'fixed64');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length-delimited payload as a view into the buffer (no copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    this.need(len, 'length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8Decoder.decode(this.bytes());
  }

  /** Reader over an embedded message. */
  message(): ProtoReader {
    const len = this.varint();
    this.need(len, 'embedded message');
    const r = new ProtoReader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  /** Repeated int32/int64 field, packed (wire 2) or not (wire 0); appends to `out`. */
  repeatedInt64(wire: Wire, out: number[]): number[] {
    if (wire === Wire.Varint) {
      out.push(this.int64());
      return out;
    }
    this.expect(wire, Wire.Bytes, 'packed varints');
    const r = this.message();
    while (!r.done) out.push(r.int64());
    return out;
  }

  /** Repeated float field, packed or not; appends to `out`. */
  repeatedFloat(wire: Wire, out: number[]): number[] {
    if (wire === Wire.Fixed32) {
      out.push(this.float());
      return out;
    }
    this.expect(wire, Wire.Bytes, 'packed floats');
    const r = this.message();
    if ((r.end - r.pos) % 4)
      throw new ProtobufError('malformed', 'packed float field length is not a multiple of 4', r.pos);
    while (!r.done) out.push(r.float());
    return out;
  }

  /** Repeated double field, packed or not; appends to `out`. */
  repeatedDouble(wire: Wire, out: number[]): number[] {
    if (wire === Wire.Fixed64) {
      out.push(this.double());
      return out;
    }
    this.expect(wire, Wire.Bytes, 'packed doubles');
    const r = this.message();
    if ((r.end - r.pos) % 8)
      throw new ProtobufError('malformed', 'packed double field length is not a multiple of 8', r.pos);
    while (!r.done) out.push(r.double());
    return out;
  }

  /** Throw unless the field has the wire type the schema says. */
  expect(wire: Wire, want: Wire, what: string): void {
    if (wire !== want) throw new ProtobufError('malformed', `${what}: wire type ${wire}, expected ${want}`, this.pos);
  }

  /** Skip a field's value. */
  skip(wire: Wire): void {
    switch (wire) {
      case Wire.Varint:
        this.varint();
        return;
      case Wire.Fixed64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case Wire.Fixed32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      case Wire.Bytes: {
        const len = this.varint();
        this.need(len, 'length-delimited field');
        this.pos += len;
        return;
      }
      default:
        throw new ProtobufError('malformed', `unsupported wire type ${wire}`, this.pos);
    }
  }
}
