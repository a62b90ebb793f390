/** Growable typed-array storage for the edit algorithms (amortised doubling, no per-item allocation). */
type Growable = Uint32Array | Int32Array | Float64Array;

/** `a` itself when it holds `need` items, else a copy at least twice as large. */
export function grown<T extends Growable>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}
