import { describe, expect, it } from 'vitest';
import { meanStd, normalizeIntensity, quantiles } from '../../../src/inference/normalize';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Two-pass float64 mean and population std of `xs`. */
function stats(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}

/** numpy.quantile(xs, q) with the default 'linear' method. */
function npQuantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const k = Math.floor(h);
  return k + 1 < s.length ? s[k] + (h - k) * (s[k + 1] - s[k]) : s[k];
}

function expectClose(got: Float32Array, want: number[], digits = 5): void {
  expect(got).toBeInstanceOf(Float32Array);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], digits);
}

/** A head-like image: 60% background zeros, tissue around 400 +- 100, a few bright outliers. */
function mrLike(n: number, seed = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.6) return 0;
    if (u > 0.995) return 3000 + r() * 1000;
    return Math.round(400 + (r() + r() + r() - 1.5) * 200);
  });
}

describe('normalizeIntensity', () => {
  it("'none' copies to float32", () => {
    const v = Int16Array.from([-5, 0, 7, 32767]);
    const out = normalizeIntensity(v, { kind: 'none' });
    expect(Array.from(out)).toEqual([-5, 0, 7, 32767]);
  });

  it("'ct' clips then subtracts the mean and divides by the std", () => {
    const v = Int16Array.from([-1024, -200, -100, 0, 40, 300, 1500, 3000]);
    const spec = { kind: 'ct' as const, clip: [-100, 1200] as [number, number], mean: 80.5, std: 150.25 };
    const want = Array.from(v, (x) => (Math.min(1200, Math.max(-100, x)) - 80.5) / 150.25);
    expectClose(normalizeIntensity(v, spec), want, 6);
  });

  it("'zscore' over all voxels", () => {
    const v = mrLike(5000);
    const { mean, std } = stats(Array.from(v));
    expectClose(
      normalizeIntensity(v, { kind: 'zscore' }),
      Array.from(v, (x) => (x - mean) / std),
    );
  });

  it("'zscore' foreground: stats over voxels > threshold, the background normalized with them too", () => {
    const v = mrLike(5000, 2);
    for (const threshold of [0, 350]) {
      const { mean, std } = stats(Array.from(v).filter((x) => x > threshold));
      const out = normalizeIntensity(v, { kind: 'zscore', foreground: true, threshold });
      expectClose(
        out,
        Array.from(v, (x) => (x - mean) / std),
      );
      const bg = v.indexOf(0);
      expect(out[bg]).toBeCloseTo(-mean / std, 5); // background not left at 0
    }
    // no voxel above the threshold: statistics of the whole image
    const all = stats(Array.from(v));
    expectClose(
      normalizeIntensity(v, { kind: 'zscore', foreground: true, threshold: 1e9 }),
      Array.from(v, (x) => (x - all.mean) / all.std),
    );
  });

  it('mean/std keep their precision on a large offset (float64, shifted sums)', () => {
    const r = rng(3);
    const xs = Array.from({ length: 100000 }, () => 1e6 + r());
    const dev = stats(xs.map((x) => x - 1e6)); // exact differences: an accurate reference
    const ref = { mean: 1e6 + dev.mean, std: dev.std };
    const s = meanStd(Float64Array.from(xs), -Infinity);
    expect(s.count).toBe(100000);
    expect(Math.abs(s.mean - ref.mean)).toBeLessThan(1e-9);
    expect(Math.abs(s.std / ref.std - 1)).toBeLessThan(1e-9);
  });

  it("'minmax' maps min..max to 0..1; a constant volume gives zeros", () => {
    const v = Float32Array.from([-3, 1, 5, 0.5]);
    expectClose(normalizeIntensity(v, { kind: 'minmax' }), [0, 0.5, 1, 3.5 / 8], 6);
    const flat = normalizeIntensity(new Uint8Array(10).fill(9), { kind: 'minmax' });
    expect(Array.from(flat)).toEqual(new Array(10).fill(0));
  });

  it("a constant volume under 'zscore' and 'quantile' gives zeros, not NaN", () => {
    const flat = new Float32Array(100).fill(42);
    for (const spec of [{ kind: 'zscore' as const }, { kind: 'quantile' as const, lower: 0.01, upper: 0.99 }])
      expect(Array.from(normalizeIntensity(flat, spec))).toEqual(new Array(100).fill(0));
  });

  it("'quantile' clips to numpy-linear quantiles then maps to 0..1 (float input: selection)", () => {
    const v = mrLike(20001, 4).map((x, i) => x + (i % 7) * 0.1);
    const xs = Array.from(v);
    const [lo, hi] = [npQuantile(xs, 0.005), npQuantile(xs, 0.995)];
    expect(hi).toBeGreaterThan(lo);
    const got = quantiles(v, 0.005, 0.995);
    expect(got[0]).toBeCloseTo(lo, 9);
    expect(got[1]).toBeCloseTo(hi, 9);
    expectClose(
      normalizeIntensity(v, { kind: 'quantile', lower: 0.005, upper: 0.995 }),
      xs.map((x) => (Math.min(hi, Math.max(lo, x)) - lo) / (hi - lo)),
    );
    // brainchop's rule: the same scaling without clipping.
    expectClose(
      normalizeIntensity(v, { kind: 'quantile', lower: 0.005, upper: 0.995, clip: false }),
      xs.map((x) => (x - lo) / (hi - lo)),
    );
  });

  it("'quantile' on 8/16-bit integers (counting) and on plain arrays matches the reference", () => {
    const r = rng(5);
    const i16 = Int16Array.from({ length: 9999 }, () => Math.round((r() - 0.3) * 4000));
    const u8 = Uint8Array.from({ length: 4096 }, () => Math.floor(r() * r() * 256));
    const plain = Array.from({ length: 777 }, () => r() * 10 - 5);
    for (const v of [i16, u8, plain]) {
      const xs = Array.from(v as ArrayLike<number>);
      for (const [a, b] of [
        [0, 1],
        [0.01, 0.99],
        [0.25, 0.75],
        [0.5, 0.5000001],
      ]) {
        const got = quantiles(v, a, b);
        expect(got[0]).toBeCloseTo(npQuantile(xs, a), 9);
        expect(got[1]).toBeCloseTo(npQuantile(xs, b), 9);
      }
    }
  });

  it("'quantile' matches numpy on many random small arrays and quantile pairs", () => {
    const r = rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(r() * 60);
      const levels = 1 + Math.floor(r() * 20);
      const xs = Array.from({ length: n }, () => Math.floor(r() * levels) * 1.5 - 4);
      const a = r();
      const b = a + r() * (1 - a);
      const got = quantiles(Float32Array.from(xs), a, b);
      expect(got[0]).toBeCloseTo(npQuantile(xs, a), 9);
      expect(got[1]).toBeCloseTo(npQuantile(xs, b), 9);
    }
  });

  it("'quantile' on heavily repeated values (mostly zeros) selects correctly", () => {
    const r = rng(6);
    const v = Float32Array.from({ length: 50000 }, () => (r() < 0.8 ? 0 : Math.floor(r() * 5)));
    const xs = Array.from(v);
    for (const q of [0.1, 0.79, 0.8, 0.85, 0.95, 0.999]) expect(quantiles(v, q, 1)[0]).toBe(npQuantile(xs, q));
  });

  it('NaN voxels are ignored by the statistics and written as 0', () => {
    const v = Float32Array.from([1, NaN, 3, 5]);
    expectClose(normalizeIntensity(v, { kind: 'minmax' }), [0, 0, 0.5, 1]);
    const z = normalizeIntensity(v, { kind: 'zscore' });
    const { mean, std } = stats([1, 3, 5]);
    expectClose(z, [(1 - mean) / std, 0, (3 - mean) / std, (5 - mean) / std]);
    expect(quantiles(v, 0, 1)).toEqual([1, 5]);
  });

  it('normalizes in place into the input buffer with the same result, NaN to 0', () => {
    const src = Float32Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? NaN : Math.sin(i) * 300 + 40));
    for (const spec of [
      { kind: 'ct' as const, clip: [-100, 200] as [number, number], mean: 10, std: 50 },
      { kind: 'zscore' as const, foreground: true, threshold: 0 },
      { kind: 'minmax' as const },
      { kind: 'quantile' as const, lower: 0.1, upper: 0.9 },
    ]) {
      const expected = normalizeIntensity(src, spec);
      const buf = src.slice();
      expect(normalizeIntensity(buf, spec, buf)).toBe(buf);
      expect(Array.from(buf)).toEqual(Array.from(expected));
    }
  });
});
