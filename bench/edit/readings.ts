/**
 * Readings of the edit bench taken from outside the page: memory after a full garbage collection
 * (DevTools `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage` of the page's main isolate,
 * and VmRSS of the renderer and GPU processes from /proc), and the number of pixels that differ
 * between two screenshots.
 */
import type { CDPSession } from 'playwright-core';
import { chromiumChildren, readMem } from '../lib/proc';
import { decodePng } from '../../tests/e2e/helpers/png';

export interface HeapSample {
  /** JS heap in use (V8 objects), bytes. */
  usedSize: number;
  /** Heap reserved. */
  totalSize: number;
  /** Off-heap memory V8 accounts for: ArrayBuffer backing stores (typed arrays' bytes), bytes; NaN when this Chromium does not report it. */
  backingStorageSize: number;
  /** Blink (embedder) heap in use, bytes; NaN when not reported. */
  embedderHeapUsedSize: number;
  /** VmRSS of the largest renderer process (the page's), bytes. */
  rendererRss: number;
  /** VmRSS of the GPU process (SwiftShader keeps textures there), bytes. */
  gpuRss: number;
}

/** JS memory the page holds: heap objects plus array buffers. */
export const heapBytes = (h: HeapSample): number =>
  h.usedSize + (Number.isFinite(h.backingStorageSize) ? h.backingStorageSize : 0);

export async function settleMemory(cdp: CDPSession, profile: string): Promise<HeapSample> {
  for (let i = 0; i < 2; i++) {
    await cdp.send('HeapProfiler.collectGarbage');
    await new Promise((r) => setTimeout(r, 200));
  }
  const u = (await cdp.send('Runtime.getHeapUsage')) as Record<string, number>;
  const rss = (type: string) => {
    const v = chromiumChildren(profile, type)
      .map((p) => readMem(p)?.rss ?? NaN)
      .filter(Number.isFinite);
    return v.length ? Math.max(...v) : NaN;
  };
  return {
    usedSize: u.usedSize,
    totalSize: u.totalSize,
    backingStorageSize: u.backingStorageSize ?? NaN,
    embedderHeapUsedSize: u.embedderHeapUsedSize ?? NaN,
    rendererRss: rss('renderer'),
    gpuRss: rss('gpu-process'),
  };
}

/** Pixels (of two same-sized PNG screenshots) whose RGB differs. */
export function screenshotDiff(a: Uint8Array, b: Uint8Array): number {
  const x = decodePng(a);
  const y = decodePng(b);
  if (x.width !== y.width || x.height !== y.height) return NaN;
  let n = 0;
  for (let i = 0; i < x.data.length; i += 4)
    if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2]) n++;
  return n;
}
