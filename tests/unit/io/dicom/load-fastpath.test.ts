/**
 * The pure pieces of the loader's fast paths:
 * - writeGrey (one pass: BitsStored fix + MONOCHROME1 + rescale + int16 range check) against the
 *   slow path it replaces (decodeFrame's separate fix pass, then a per-voxel rescale), on
 *   randomised frames: 8/16-bit, signed/unsigned, every BitsStored, garbage above BitsStored,
 *   inversion, integer and fractional rescale, int16 and float32 output, MOSAIC-like regions;
 * - job planning (files -> slices), guided batches, worker count;
 * - cutting native frames out of an already read file without parsing it again.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, type DecodedPixels, type FrameInfo } from '../../../../src/io/dicom/decode/index';
import { writeGrey } from '../../../../src/io/dicom/greywrite';
import type { FrameRef } from '../../../../src/io/dicom/multiframe';
import { readHeader } from '../../../../src/io/dicom/parse';
import { openFrames } from '../../../../src/io/dicom/pixeldata';
import { batches, planJobs, workerCount } from '../../../../src/io/dicom/slicejobs';
import { memorySource } from '../../../../src/io/dicom/source';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import { createVolume } from '../../../../src/volume/volume';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The slow path: what the loader computed before (fixed values, then rescale per voxel). */
function slowWrite(
  out: Int16Array | Float32Array,
  base: number,
  nx: number,
  ny: number,
  srcWidth: number,
  srcOffset: number,
  px: DecodedPixels,
  slope: number,
  intercept: number,
  inv: number | undefined,
): boolean {
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      const sv = inv === undefined ? px[srcOffset + y * srcWidth + x] : inv - px[srcOffset + y * srcWidth + x];
      const v = sv * slope + intercept;
      if (out instanceof Int16Array && (v < -32768 || v > 32767)) return false;
      out[base + y * nx + x] = v;
    }
  return true;
}

describe('writeGrey = decodeFrame fix + per-voxel rescale', () => {
  it('randomised frames', async () => {
    const r = rng(42);
    let overflows = 0;
    for (let trial = 0; trial < 400; trial++) {
      const bits = r() < 0.5 ? 8 : 16;
      const bitsStored = 1 + Math.floor(r() * bits);
      const signed = r() < 0.5;
      const cols = 3 + Math.floor(r() * 9);
      const rows = 2 + Math.floor(r() * 6);
      const raw = new Uint8Array(rows * cols * (bits / 8)).map(() => Math.floor(r() * 256));
      const info: FrameInfo = {
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        rows,
        columns: cols,
        bitsAllocated: bits,
        bitsStored,
        pixelRepresentation: signed ? 1 : 0,
        samplesPerPixel: 1,
        planarConfiguration: 0,
        photometricInterpretation: 'MONOCHROME2',
      };
      const fixed = await decodeFrame(raw.slice(), info);
      const view =
        bits === 8
          ? signed
            ? new Int8Array(raw.buffer)
            : raw
          : signed
            ? new Int16Array(raw.buffer)
            : new Uint16Array(raw.buffer);
      const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
      const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
      const inv = r() < 0.3 ? lo + hi : undefined;
      const slope = [1, 1, 2, -1, 0.5, 3][Math.floor(r() * 6)];
      const intercept = [0, -1024, 7, 30000, -0.25][Math.floor(r() * 5)];
      // a region: whole frame, or a tile of it (MOSAIC)
      const tile = r() < 0.3;
      const nx = tile ? Math.max(1, cols - 2) : cols;
      const ny = tile ? Math.max(1, rows - 1) : rows;
      const srcOffset = tile ? cols + 1 : 0;
      for (const Out of [Int16Array, Float32Array]) {
        const base = 5;
        const expected = new Out(base + nx * ny + 3).fill(-7);
        const got = new Out(base + nx * ny + 3).fill(-7);
        const ok = slowWrite(expected, base, nx, ny, cols, srcOffset, fixed, slope, intercept, inv);
        const a = Math.min(slope * lo, slope * hi) + intercept;
        const b = Math.max(slope * lo, slope * hi) + intercept;
        const fits = Number.isInteger(slope) && Number.isInteger(intercept) && a >= -32768 && b <= 32767;
        const res = writeGrey(got, { base, nx, ny, srcWidth: cols, srcOffset }, view, {
          slope,
          intercept,
          inv,
          fix: { bitsStored, signed },
          check: !fits,
        });
        expect(res).toBe(ok);
        if (!ok) overflows++;
        if (ok) expect(Array.from(got)).toEqual(Array.from(expected));
        // already fixed values (what a codec returns) without `fix` give the same
        const again = new Out(base + nx * ny + 3).fill(-7);
        expect(
          writeGrey(again, { base, nx, ny, srcWidth: cols, srcOffset }, fixed, { slope, intercept, inv, check: true }),
        ).toBe(ok);
        if (ok) expect(Array.from(again)).toEqual(Array.from(expected));
      }
    }
    expect(overflows).toBeGreaterThan(10);
  });
});

describe('job planning', () => {
  const ref = (file: number, frame = 0) => ({ file, frame, slope: 1, intercept: 0, split: {} }) as FrameRef;

  it('groups slices by file, keeps empty slots, files in volume order', () => {
    const plan = planJobs([ref(1), null, ref(0, 1), ref(0, 0), ref(2), null]);
    expect(plan.jobs.map((j) => [j.file, j.slices.map((s) => s.k)])).toEqual([
      [1, [0]],
      [0, [2, 3]],
      [2, [4]],
    ]);
    expect(plan.empty).toEqual([1, 5]);
    expect(plan.total).toBe(4);
  });

  it('guided batches cover every item once, shrink towards the end, respect the caps', () => {
    for (const [n, slots, maxItems, maxWeight, minItems] of [
      [500, 4, 32, 16, 1],
      [20, 4, 32, Infinity, 1],
      [20, 4, 64, Infinity, 8],
      [1, 4, 32, 16, 1],
      [7, 1, 2, Infinity, 1],
    ]) {
      const weights = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.5 : 0.6));
      const b = batches(weights, slots, maxItems, maxWeight, minItems);
      expect(b[0][0]).toBe(0);
      expect(b[b.length - 1][1]).toBe(n);
      b.forEach(([s, e], i) => {
        expect(e).toBeGreaterThan(s);
        if (i) expect(s).toBe(b[i - 1][1]);
        expect(e - s).toBeLessThanOrEqual(Math.max(1, maxItems));
        const w = weights.slice(s, e).reduce((x, y) => x + y, 0);
        if (e - s > 1) expect(w).toBeLessThanOrEqual(maxWeight);
      });
      if (n >= 20) expect(b[b.length - 1][1] - b[b.length - 1][0]).toBeLessThanOrEqual(Math.max(minItems, 1));
    }
    expect(batches([], 2, 8, 8)).toEqual([]);
  });

  it('worker count: one per core, 2..4, never more than the files', () => {
    expect(workerCount(1, 100)).toBe(2);
    expect(workerCount(2, 100)).toBe(2);
    expect(workerCount(16, 100)).toBe(4);
    expect(workerCount(undefined, 100)).toBe(2);
    expect(workerCount(8, 1)).toBe(1);
  });
});

describe('native frames from bytes already read', () => {
  const files = writeDicomSeries(
    createVolume({ dims: [7, 5, 3], spacing: [1, 1, 1], voxels: new Int16Array(105).map((_, i) => i * 11 - 500) }),
  );

  it('cut out without a parse, equal to the parsed path; a moved Pixel Data element is re-parsed', async () => {
    for (const f of files) {
      const src = memorySource(f.name, f.bytes);
      const { header } = await readHeader(src);
      const parsed = await openFrames(src, header);
      const quick = await openFrames(src, header, f.bytes);
      expect(Array.from(await quick.frame(0))).toEqual(Array.from(await parsed.frame(0)));
      // scanned header says the pixel data starts 2 bytes later: the check fails, the file is parsed
      const moved = { ...header, pixelData: { ...header.pixelData!, offset: header.pixelData!.offset + 2 } };
      expect(Array.from(await (await openFrames(src, moved, f.bytes)).frame(0))).toEqual(
        Array.from(await parsed.frame(0)),
      );
    }
  });

  it('readHeader uses the bytes it is given and reads the file only when they are not enough', async () => {
    const f = files[0];
    let reads = 0;
    const src = {
      ...memorySource(f.name, f.bytes),
      slice: async (a: number, b?: number) => (reads++, f.bytes.subarray(a, b)),
    };
    const a = await readHeader(src, f.bytes.subarray(0, 4096));
    expect(reads).toBe(0);
    const b = await readHeader(src, f.bytes.subarray(0, 200));
    expect(reads).toBeGreaterThan(0);
    expect(b.header).toEqual(a.header);
  });
});
