/** Small deterministic PRNGs (pure JS; same results in browsers and Node). */

/** mulberry32: returns a function giving uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix integers into a 32-bit seed (used to derive independent streams, e.g. per slice). */
export function hashSeed(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0 || 0x9e3779b9;
}

/** Table of `size` standard-normal samples (Box-Muller), scaled by sigma. */
export function gaussianTable(seed: number, size: number, sigma: number): Float32Array {
  const rnd = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = 1 - rnd();
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u)) * sigma;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Helper bound to one stream: uniform in [lo, hi) and symmetric jitter 1 ± amount. */
export function sampler(seed: number) {
  const rnd = mulberry32(seed);
  return {
    rnd,
    range: (lo: number, hi: number) => lo + (hi - lo) * rnd(),
    jitter: (amount: number) => 1 + amount * (2 * rnd() - 1),
  };
}
