/**
 * Baseline 2: what a reasonable dcmjs user writes. Per File: arrayBuffer() → DicomMessage.readFile →
 * naturalizeDataset → keep PixelData; then sort by ImagePositionPatient along the slice normal and
 * copy with rescale into one preallocated Int16Array (Float32Array when the rescale is not integral
 * or the range does not fit). JPEG 2000 frames are decoded on the main thread with the same OpenJPEG
 * WebAssembly codec (@cornerstonejs/codec-openjpeg) that Cornerstone uses, instantiated on first use.
 */
// dcmjs ships no type declarations; this file only touches DicomMessage / DicomMetaDictionary.
// @ts-ignore -- (not @ts-expect-error: the project may add typings for dcmjs later)
import dcmjs from 'dcmjs';
import openJpegFactory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import openJpegWasmUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import { j2kWarmupFrame } from '../../../src/io/dicom/worker/warmup';
import type { BrowserLoader, LoadedVolume } from './types';

/* eslint-disable @typescript-eslint/no-explicit-any */
const { DicomMessage, DicomMetaDictionary } = (dcmjs as any).data as { DicomMessage: any; DicomMetaDictionary: any };

const J2K = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

let j2kDecoder: any;

async function decoder() {
  if (!j2kDecoder) {
    const mod = (await openJpegFactory({
      locateFile: (f: string) => (f.endsWith('.wasm') ? openJpegWasmUrl : f),
    })) as any;
    j2kDecoder = new mod.J2KDecoder();
  }
  return j2kDecoder;
}

interface Slice {
  pos: number[];
  pixels: Int16Array | Uint16Array | Uint8Array | Int8Array;
  slope: number;
  intercept: number;
}

function num(v: unknown, d: number): number {
  const x = Array.isArray(v) ? v[0] : v;
  return x === undefined || x === null || x === '' ? d : Number(x);
}

async function pixelsOf(ts: string, ds: Record<string, any>): Promise<Slice['pixels']> {
  const bits = num(ds.BitsAllocated, 16);
  const signed = num(ds.PixelRepresentation, 0) === 1;
  const n = num(ds.Rows, 0) * num(ds.Columns, 0);
  const frames: ArrayBuffer[] = ds.PixelData;
  if (UNCOMPRESSED.has(ts)) {
    const buf = frames[0];
    if (bits === 16) return signed ? new Int16Array(buf, 0, n) : new Uint16Array(buf, 0, n);
    return signed ? new Int8Array(buf, 0, n) : new Uint8Array(buf, 0, n);
  }
  if (J2K.has(ts)) {
    // Single-frame files: the fragments of the one frame, concatenated.
    const parts = frames.map((b) => new Uint8Array(b));
    const total = parts.reduce((s, p) => s + p.length, 0);
    const dec = await decoder();
    const enc: Uint8Array = dec.getEncodedBuffer(total);
    let off = 0;
    for (const p of parts) {
      enc.set(p, off);
      off += p.length;
    }
    dec.decode();
    const info = dec.getFrameInfo();
    const out: Uint8Array = dec.getDecodedBuffer();
    const copy = out.slice(); // the wasm buffer is reused by the next decode
    if (info.bitsPerSample > 8)
      return info.isSigned ? new Int16Array(copy.buffer, 0, n) : new Uint16Array(copy.buffer, 0, n);
    return info.isSigned ? new Int8Array(copy.buffer, 0, n) : new Uint8Array(copy.buffer, 0, n);
  }
  throw new Error(`dcmjs baseline: transfer syntax ${ts} not handled`);
}

const loader: BrowserLoader = {
  async prepare() {
    // The OpenJPEG codec is started before the timed load, as voxseg's app starts its load
    // workers and codecs at start-up (fair: neither pays codec start-up inside the timer), and
    // warmed up the same way voxseg's workers do it: the same embedded 64x64 codestream decoded
    // 20 times, so that V8 has optimised the codec's hot code before the timed load.
    const dec = await decoder();
    const { bytes } = j2kWarmupFrame();
    for (let i = 0; i < 20; i++) {
      dec.getEncodedBuffer(bytes.length).set(bytes);
      dec.decode();
    }
  },
  async load(files: File[]): Promise<LoadedVolume> {
    const t0 = performance.now();
    const slices: Slice[] = [];
    let rows = 0;
    let cols = 0;
    let iop: number[] = [1, 0, 0, 0, 1, 0];
    for (const file of files) {
      const dicomDict = DicomMessage.readFile(await file.arrayBuffer());
      const ts: string = dicomDict.meta['00020010']?.Value?.[0] ?? '1.2.840.10008.1.2';
      const ds = DicomMetaDictionary.naturalizeDataset(dicomDict.dict);
      if (!ds.PixelData) continue;
      rows = num(ds.Rows, 0);
      cols = num(ds.Columns, 0);
      if (ds.ImageOrientationPatient) iop = ds.ImageOrientationPatient.map(Number);
      slices.push({
        pos: (ds.ImagePositionPatient ?? [0, 0, slices.length]).map(Number),
        pixels: await pixelsOf(ts, ds),
        slope: num(ds.RescaleSlope, 1),
        intercept: num(ds.RescaleIntercept, 0),
      });
    }
    const t1 = performance.now();
    const normal = [
      iop[1] * iop[5] - iop[2] * iop[4],
      iop[2] * iop[3] - iop[0] * iop[5],
      iop[0] * iop[4] - iop[1] * iop[3],
    ];
    const along = (s: Slice) => s.pos[0] * normal[0] + s.pos[1] * normal[1] + s.pos[2] * normal[2];
    slices.sort((a, b) => along(a) - along(b));
    const n = rows * cols;
    let integral = true;
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of slices) {
      if (!Number.isInteger(s.slope) || !Number.isInteger(s.intercept)) integral = false;
      const range =
        s.pixels instanceof Int16Array ? [-32768, 32767] : s.pixels instanceof Uint16Array ? [0, 65535] : [-128, 255];
      const a = range[0] * s.slope + s.intercept;
      const b = range[1] * s.slope + s.intercept;
      lo = Math.min(lo, a, b);
      hi = Math.max(hi, a, b);
    }
    // Int16 when the stored range, after rescale, fits (typical CT: 12-bit + intercept -1024).
    const fitsInt16 = integral && ((lo >= -32768 && hi <= 32767) || slices.every((s) => fitsAfterScan(s)));
    const out = fitsInt16 ? new Int16Array(n * slices.length) : new Float32Array(n * slices.length);
    slices.forEach((s, k) => {
      const base = k * n;
      const px = s.pixels;
      if (s.slope === 1 && s.intercept === 0) out.set(px, base);
      else for (let i = 0; i < n; i++) out[base + i] = px[i] * s.slope + s.intercept;
    });
    const phases = { 'read+parse+decode': t1 - t0, 'sort+copy': performance.now() - t1 };
    return { dims: [cols, rows, slices.length], dtype: fitsInt16 ? 'int16' : 'float32', voxels: () => out, phases };
  },
};

/** Actual value range of one slice fits int16 after rescale (what a careful user checks). */
function fitsAfterScan(s: Slice): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  const px = s.pixels;
  for (let i = 0; i < px.length; i++) {
    const v = px[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const a = lo * s.slope + s.intercept;
  const b = hi * s.slope + s.intercept;
  return Math.min(a, b) >= -32768 && Math.max(a, b) <= 32767;
}

export default loader;
