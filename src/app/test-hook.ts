/**
 * A read-only accessor for the end-to-end tests: `window.__voxsegTest.labels()` returns the label
 * map on screen as `{ dims, dtype, base64 }` (voxel bytes, little-endian, i fastest), or null.
 * It only reads what the page already holds and changes nothing.
 */
import type { Volume } from '../core/types';

export interface TestLabels {
  dims: [number, number, number];
  dtype: string;
  /** Title of the overlay, e.g. "True labels (demo phantom)". */
  title: string;
  base64: string;
}

export interface TestHook {
  labels(): TestLabels | null;
}

declare global {
  interface Window {
    __voxsegTest?: TestHook;
  }
}

function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 0x8000) parts.push(String.fromCharCode(...bytes.subarray(i, i + 0x8000)));
  return btoa(parts.join(''));
}

/** Install the hook; `read` gives the label map on screen and its title. Returns the uninstaller. */
export function installTestHook(read: () => { labels: Volume; title: string } | null): () => void {
  const hook: TestHook = {
    labels() {
      const shown = read();
      if (!shown) return null;
      const { header, voxels } = shown.labels;
      const bytes = new Uint8Array(voxels.buffer, voxels.byteOffset, voxels.byteLength);
      return { dims: [...header.dims], dtype: header.dtype, title: shown.title, base64: toBase64(bytes) };
    },
  };
  window.__voxsegTest = hook;
  return () => {
    if (window.__voxsegTest === hook) delete window.__voxsegTest;
  };
}
