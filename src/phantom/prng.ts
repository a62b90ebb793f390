/** Small deterministic PRNGs (pure JS; same results in browsers and Node). */
export { hashSeed } from '../core/hash';

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
