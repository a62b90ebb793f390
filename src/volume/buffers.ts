/**
 * Label buffers that workers can share. On a cross-origin isolated page `SharedArrayBuffer` is
 * available, and a label array allocated on one is posted to a worker without a copy: the page
 * and the worker see the same voxels (the mesh worker reads the live labels the editor writes).
 * Elsewhere (a page without COOP/COEP, Node, the CLI) labels live on a plain `ArrayBuffer` and
 * cross workers as transferables or copies, as before.
 *
 * Decisions: sharing is decided once per allocation by `canShareLabels()`, not per call site; a
 * shared array is an ordinary `Uint8Array`/`Uint16Array` to every reader, so the volume, mesh and
 * viewer code has one path with a branch only where buffers cross a worker boundary (`isShared`).
 * Nothing synchronises writers and readers: the page writes, then tells the worker which box
 * changed, and the worker reads after that message.
 */

export type LabelCtor = Uint8ArrayConstructor | Uint16ArrayConstructor;

/** Whether new label arrays go on shared memory here (a cross-origin isolated page or worker). */
export function canShareLabels(): boolean {
  return (
    typeof SharedArrayBuffer === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  );
}

/** Whether `a` lives on a SharedArrayBuffer. */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer;
}

/** `n` zero labels of type `ctor`, on shared memory when `share` (default: `canShareLabels()`). */
export function allocLabels(ctor: Uint8ArrayConstructor, n: number, share?: boolean): Uint8Array;
export function allocLabels(ctor: Uint16ArrayConstructor, n: number, share?: boolean): Uint16Array;
export function allocLabels(ctor: LabelCtor, n: number, share = canShareLabels()): Uint8Array | Uint16Array {
  if (!share) return new ctor(n);
  const buffer = new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT);
  return ctor === Uint8Array ? new Uint8Array(buffer) : new Uint16Array(buffer);
}

/** A copy of `labels`, on shared memory when `share` (default: `canShareLabels()`). */
export function copyLabels<T extends Uint8Array | Uint16Array>(labels: T, share = canShareLabels()): T {
  const out =
    labels instanceof Uint8Array
      ? allocLabels(Uint8Array, labels.length, share)
      : allocLabels(Uint16Array, labels.length, share);
  out.set(labels);
  return out as T;
}

/**
 * `labels` on shared memory: the array itself when it already is, or when sharing is off here
 * (`share` false); else a shared copy (the one copy a result makes when it is produced).
 */
export function shareLabels<T extends Uint8Array | Uint16Array>(labels: T, share = canShareLabels()): T {
  return !share || isShared(labels) ? labels : copyLabels(labels, true);
}
