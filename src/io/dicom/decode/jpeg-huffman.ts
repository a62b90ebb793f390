/**
 * Huffman tables and the entropy-coded bit reader of sequential JPEG (ISO 10918-1 F.2.2), used by
 * ./jpeg-dct.ts. Byte stuffing (FF00) is undone; a marker ends the data: a few zero bits are fed
 * past it (the last byte's padding), more means the frame was cut short and is an error.
 */
import { VoxsegError } from '../../../core/errors';

export const jpegFail = (msg: string) => new VoxsegError('decode-failed', `JPEG frame: ${msg}`);
const fail = jpegFail;

export interface Huffman {
  /** Per code length 1..16: largest code (or -1), offset of its first value. */
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

export function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = k;
    mincode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    if (counts[l - 1]) maxcode[l] = code - 1;
    code <<= 1;
  }
  return { maxcode, valptr, mincode, values };
}

export class BitReader {
  private bits = 0;
  private count = 0;
  private padded = 0;
  constructor(
    private readonly d: Uint8Array,
    public pos: number,
  ) {}
  private fill(): void {
    const d = this.d;
    let byte = 0;
    if (this.pos < d.length && !(d[this.pos] === 0xff && d[this.pos + 1] !== 0)) {
      byte = d[this.pos++];
      if (byte === 0xff) this.pos++; // stuffed zero
    } else if (++this.padded > 4) {
      throw fail('the entropy-coded data ends before the last block: the frame is truncated or damaged');
    }
    this.bits = ((this.bits << 8) | byte) & 0xffffff;
    this.count += 8;
  }
  bit(): number {
    if (this.count === 0) this.fill();
    this.count--;
    return (this.bits >> this.count) & 1;
  }
  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }
  decode(h: Huffman): number {
    let code = this.bit();
    for (let l = 1; l <= 16; l++) {
      if (h.maxcode[l] >= 0 && code <= h.maxcode[l] && code >= h.mincode[l]) {
        return h.values[h.valptr[l] + code - h.mincode[l]];
      }
      code = (code << 1) | this.bit();
    }
    throw fail('invalid Huffman code in the entropy-coded data (damaged frame)');
  }
  /** Skip to the next RSTn marker (restart interval) and reset the bit buffer. */
  restart(): void {
    this.count = 0;
    this.padded = 0;
    const d = this.d;
    while (this.pos + 1 < d.length && !(d[this.pos] === 0xff && d[this.pos + 1] >= 0xd0 && d[this.pos + 1] <= 0xd7))
      this.pos++;
    if (this.pos + 1 >= d.length) throw fail('a restart marker is missing (the frame is truncated or damaged)');
    this.pos += 2;
  }
}
