/**
 * Sequential DCT JPEG with Huffman coding (SOF0 baseline / SOF1 extended, ISO 10918-1 processes
 * 1, 2 and 4), 8- or 12-bit samples: used for 12-bit "JPEG Extended" frames, which the bundled
 * libjpeg-turbo build (8-bit only) cannot decode. Written from the standard; the inverse DCT is
 * libjpeg's integer one (./jpeg-idct.ts) so results match dcmdjpeg.
 *
 * Decisions: progressive / arithmetic / hierarchical streams are refused; colour streams with
 * subsampled components are refused (libjpeg's "fancy" upsampling would not be reproduced, and a
 * different image must not pass silently); entropy data that ends before the last block (a
 * truncated frame) is an error, not zero-filled. Output: samples interleaved, component values as
 * coded (the caller converts YBR).
 */
import { VoxsegError } from '../../../core/errors';
import { BitReader, buildHuffman, jpegFail, type Huffman } from './jpeg-huffman';
import { idctBlock } from './jpeg-idct';

// Natural (row-major) index of the k-th coefficient in zig-zag order.
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47,
  55, 62, 63,
]);

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  data: Uint16Array;
  pred: number;
  dc?: Huffman;
  ac?: Huffman;
}

export interface DctImage {
  width: number;
  height: number;
  precision: number;
  components: number;
  /** Interleaved samples. */
  samples: Uint16Array;
}

const fail = jpegFail;

const extend = (v: number, t: number) => (t && v < 1 << (t - 1) ? v - (1 << t) + 1 : v);

function decodeBlock(r: BitReader, c: Component, q: Uint16Array, coef: Float64Array): void {
  coef.fill(0);
  const t = r.decode(c.dc!);
  c.pred += t ? extend(r.receive(t), t) : 0;
  coef[0] = c.pred * q[0];
  for (let k = 1; k < 64;) {
    const rs = r.decode(c.ac!);
    const s = rs & 15;
    const run = rs >> 4;
    if (s) {
      k += run;
      if (k > 63) throw fail('coefficient index out of range (damaged frame)');
      coef[ZIGZAG[k]] = extend(r.receive(s), s) * q[ZIGZAG[k]];
      k++;
    } else if (run === 15) k += 16;
    else break;
  }
}

/** Decode a whole sequential Huffman JPEG stream. */
export function decodeDctJpeg(d: Uint8Array): DctImage {
  if (d[0] !== 0xff || d[1] !== 0xd8) throw fail('no SOI marker');
  const quant: Uint16Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let hmax = 1;
  let vmax = 1;
  let restartInterval = 0;
  let scans = 0;
  let eoi = false;
  let i = 2;
  const coef = new Float64Array(64);
  while (i + 2 <= d.length) {
    if (d[i] !== 0xff) {
      if (d.subarray(i).every((b) => b === 0)) break; // trailing padding without EOI
      throw fail(`expected a marker at byte ${i}`);
    }
    const m = d[i + 1];
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0xd9) {
      eoi = true;
      break;
    }
    if (i + 4 > d.length) break;
    const len = (d[i + 2] << 8) | d[i + 3];
    const seg = d.subarray(i + 4, i + 2 + len);
    i += 2 + len;
    if (m === 0xdb) {
      for (let p = 0; p < seg.length;) {
        const pq = seg[p] >> 4;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++)
          table[ZIGZAG[k]] = pq ? (seg[p + 1 + 2 * k] << 8) | seg[p + 2 + 2 * k] : seg[p + 1 + k];
        quant[seg[p] & 15] = table;
        p += 1 + (pq ? 128 : 64);
      }
    } else if (m === 0xc4) {
      for (let p = 0; p < seg.length;) {
        const counts = seg.subarray(p + 1, p + 17);
        const n = counts.reduce((a, b) => a + b, 0);
        const h = buildHuffman(counts, seg.slice(p + 17, p + 17 + n));
        (seg[p] >> 4 ? acTables : dcTables)[seg[p] & 15] = h;
        p += 17 + n;
      }
    } else if (m === 0xdd) {
      restartInterval = (seg[0] << 8) | seg[1];
    } else if (m === 0xc0 || m === 0xc1) {
      precision = seg[0];
      height = (seg[1] << 8) | seg[2];
      width = (seg[3] << 8) | seg[4];
      if (precision !== 8 && precision !== 12) throw fail(`sample precision ${precision} is not 8 or 12`);
      if (!width || !height) throw fail('the frame header gives no image size (DNL is not supported)');
      comps = [];
      for (let c = 0; c < seg[5]; c++) {
        const b = 6 + 3 * c;
        comps.push({
          id: seg[b],
          h: seg[b + 1] >> 4,
          v: seg[b + 1] & 15,
          tq: seg[b + 2],
          blocksPerLine: 0,
          blocksPerColumn: 0,
          data: new Uint16Array(0),
          pred: 0,
        });
      }
      hmax = Math.max(...comps.map((c) => c.h));
      vmax = Math.max(...comps.map((c) => c.v));
      if (comps.length > 1 && comps.some((c) => c.h !== hmax || c.v !== vmax)) {
        throw new VoxsegError(
          'unsupported',
          'JPEG frame: colour components with chroma subsampling are not supported at this precision',
        );
      }
      const mcusX = Math.ceil(width / (8 * hmax));
      const mcusY = Math.ceil(height / (8 * vmax));
      for (const c of comps) {
        c.blocksPerLine = mcusX * c.h;
        c.blocksPerColumn = mcusY * c.v;
        c.data = new Uint16Array(c.blocksPerLine * c.blocksPerColumn * 64);
      }
    } else if (m >= 0xc2 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      throw new VoxsegError(
        'unsupported',
        `JPEG frame: SOF${m - 0xc0} (progressive, lossless, hierarchical or arithmetic-coded) is not supported here`,
      );
    } else if (m === 0xda) {
      if (!comps.length) throw fail('scan before the frame header');
      const scanComps = Array.from({ length: seg[0] }, (_, s) => {
        const c = comps.find((x) => x.id === seg[1 + 2 * s]);
        if (!c) throw fail(`scan names unknown component ${seg[1 + 2 * s]}`);
        c.dc = dcTables[seg[2 + 2 * s] >> 4];
        c.ac = acTables[seg[2 + 2 * s] & 15];
        if (!c.dc || !c.ac || !quant[c.tq]) throw fail('a Huffman or quantisation table is missing');
        c.pred = 0;
        return c;
      });
      i = decodeScan(d, i, scanComps, quant, precision, restartInterval, width, height, hmax, vmax, coef);
      scans++;
    }
  }
  if (!scans) throw fail('no scan (SOS) in the stream');
  if (!eoi) throw fail('the stream does not end with its EOI marker: the frame is truncated or damaged');
  const n = width * height;
  const samples = new Uint16Array(n * comps.length);
  comps.forEach((c, ci) => {
    const stride = c.blocksPerLine * 8;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) samples[(y * width + x) * comps.length + ci] = c.data[y * stride + x];
    }
  });
  return { width, height, precision, components: comps.length, samples };
}

function decodeScan(
  d: Uint8Array,
  start: number,
  sc: Component[],
  quant: Uint16Array[],
  precision: number,
  restartInterval: number,
  width: number,
  height: number,
  hmax: number,
  vmax: number,
  coef: Float64Array,
): number {
  const r = new BitReader(d, start);
  const block = (c: Component, row: number, col: number) => {
    decodeBlock(r, c, quant[c.tq], coef);
    const stride = c.blocksPerLine * 8;
    idctBlock(coef, precision, c.data, row * 8 * stride + col * 8, stride);
  };
  // Non-interleaved scan: one block per MCU, over the component's own (unpadded) block grid.
  const single = sc.length === 1;
  const c0 = sc[0];
  const mcusX = single ? Math.ceil(Math.ceil((width * c0.h) / hmax) / 8) : Math.ceil(width / (8 * hmax));
  const mcusY = single ? Math.ceil(Math.ceil((height * c0.v) / vmax) / 8) : Math.ceil(height / (8 * vmax));
  const total = mcusX * mcusY;
  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      r.restart();
      for (const c of sc) c.pred = 0;
    }
    const my = Math.floor(m / mcusX);
    const mx = m % mcusX;
    if (single) block(c0, my, mx);
    else
      for (const c of sc)
        for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(c, my * c.v + v, mx * c.h + h);
  }
  // Next marker after the entropy-coded data: a few bytes at most (the last byte's unused bits).
  let p = r.pos;
  while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1] !== 0 && !(d[p + 1] >= 0xd0 && d[p + 1] <= 0xd7))) p++;
  if (p - r.pos > 4)
    throw fail(`${p - r.pos} bytes of entropy-coded data are left after the last block: the frame is damaged`);
  return p;
}
