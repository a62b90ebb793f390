/**
 * A read-only accessor for the end-to-end tests and the benchmarks: `window.__voxsegTest.labels()`
 * returns the open study's first label layer as `{ dims, dtype, base64 }` (voxel bytes,
 * little-endian, i fastest), or null; `volume()` the same for the image on screen. It only reads
 * what the page already holds and changes nothing. Installed only in test builds (Vite mode
 * `e2e`): `installInTestBuilds` is a constant no-op in any other build, so the bundler drops the
 * hook (the mode test lives here, in plain TypeScript, because a Svelte component compiled in dev
 * mode wraps `===` in a helper the bundler cannot fold).
 */
import type { Volume } from '../core/types';

export interface TestLabels {
  dims: [number, number, number];
  dtype: string;
  /** Title of the overlay, e.g. "True labels (demo phantom)". */
  title: string;
  base64: string;
}

/** The editor's state, for checking edits without reading the whole label map. */
export interface TestEditState {
  revision: number;
  tool: string;
  active: number | null;
  segments: {
    value: number;
    name: string;
    layer: number;
    locked: boolean;
    visible: boolean;
    review?: string;
    algorithm: string;
  }[];
  /** Voxels per value, counted afresh over every layer (independent of the editor's own counts). */
  counts: Record<number, number>;
  /** FNV-1a hash of the layer bytes, per layer. */
  hashes: number[];
  undo: string | null;
  redo: string | null;
  historyBytes: number;
}

/** The image the viewer shows. */
export interface TestVolume {
  dims: [number, number, number];
  dtype: string;
  description: string;
  base64: string;
}

export interface TestHook {
  labels(): TestLabels | null;
  volume(): TestVolume | null;
  edit(): TestEditState | null;
  /** Calls `cb` each time a 2D view draws the label overlay; returns the unsubscriber. */
  onLabelsDrawn(cb: (view: string, time: number) => void): () => void;
  /** A 2D view's slice: shown index/total, InstanceNumber shown, camera focal point and normal (LPS). */
  slice(view: 'axial' | 'sagittal' | 'coronal'): TestSlice | null;
}

export interface TestSlice {
  index: number;
  total: number;
  instance?: number;
  focalPoint: [number, number, number];
  normal: [number, number, number];
}

/** What the hook reads of the viewer. */
export interface ViewerSource {
  readonly current?: Volume;
  events: { on(name: 'labelsDrawn', cb: (e: { view: string; time: number }) => void): () => void };
  sliceAt?(view: 'axial' | 'sagittal' | 'coronal'): TestSlice | undefined;
}

/** What the hook reads of the editor (its segment list and tool settings). */
export interface EditSource {
  list: {
    seg: {
      layers: readonly Volume[];
      segments: readonly {
        value: number;
        name: string;
        layer?: number;
        locked: boolean;
        visible: boolean;
        review?: string;
        algorithm: string;
      }[];
    } | null;
    revision: number;
    active: number | null;
    undoLabel: string | null;
    redoLabel: string | null;
    historyBytes: number;
  };
  tools: { tool: string };
}

function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
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

/** Install the hook; `read` gives the first label layer of the open study and its title. Returns the uninstaller. */
export function installTestHook(
  read: () => { labels: Volume; title: string } | null,
  editor?: EditSource,
  viewer?: () => ViewerSource | null,
): () => void {
  const hook: TestHook = {
    slice(view) {
      const s = viewer?.()?.sliceAt?.(view);
      return s
        ? { index: s.index, total: s.total, instance: s.instance, focalPoint: s.focalPoint, normal: s.normal }
        : null;
    },
    onLabelsDrawn(cb) {
      const v = viewer?.();
      return v ? v.events.on('labelsDrawn', (e) => cb(e.view, e.time)) : () => undefined;
    },
    edit() {
      const list = editor?.list;
      const seg = list?.seg;
      if (!editor || !list || !seg) return null;
      const counts: Record<number, number> = {};
      for (const l of seg.layers)
        for (let i = 0; i < l.voxels.length; i++) counts[l.voxels[i]] = (counts[l.voxels[i]] ?? 0) + 1;
      return {
        revision: list.revision,
        tool: editor.tools.tool,
        active: list.active,
        segments: seg.segments.map((s) => ({
          value: s.value,
          name: s.name,
          layer: s.layer ?? 0,
          locked: s.locked,
          visible: s.visible,
          review: s.review,
          algorithm: s.algorithm,
        })),
        counts,
        hashes: seg.layers.map((l) => fnv(new Uint8Array(l.voxels.buffer, l.voxels.byteOffset, l.voxels.byteLength))),
        undo: list.undoLabel,
        redo: list.redoLabel,
        historyBytes: list.historyBytes,
      };
    },
    volume() {
      const v = viewer?.()?.current;
      if (!v) return null;
      const bytes = new Uint8Array(v.voxels.buffer, v.voxels.byteOffset, v.voxels.byteLength);
      return {
        dims: [...v.header.dims],
        dtype: v.header.dtype,
        description: v.header.metadata.seriesDescription ?? '',
        base64: toBase64(bytes),
      };
    },
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

/** `installTestHook` in a test build (Vite mode `e2e`); elsewhere nothing, and the hook is not in the bundle. */
export function installInTestBuilds(...args: Parameters<typeof installTestHook>): () => void {
  return import.meta.env.MODE === 'e2e' ? installTestHook(...args) : () => undefined;
}
