/**
 * The in-page probe of the edit bench, installed once the app is ready. Plain JavaScript in a
 * string (handed to `page.evaluate`), so nothing the TypeScript runner adds to functions can leak
 * into the page. It records, with `performance.now()`:
 * - `inputs`: each `pointermove` (capture phase on window, i.e. before any app or Cornerstone
 *   handler) while `rec` is on, and its `event.timeStamp` (when the browser received it);
 * - `handled`: the end of that input's synchronous handling, i.e. the bubble-phase `pointermove`
 *   and `mousemove` (the compatibility event Cornerstone's tools listen to, dispatched right after)
 *   listeners on window, which run after every handler on the view element and the document;
 * - `keys` / `wheels`: each `keydown` / `wheel` (capture phase on window);
 * - `draws`: each `__voxsegTest.onLabelsDrawn(view, time)` (Cornerstone's SEGMENTATION_RENDERED
 *   per 2D view);
 * - `images`: each CORNERSTONE_IMAGE_RENDERED of a view element (caught in the capture phase on
 *   window; Cornerstone does not re-draw the labels as such when only the slice changes);
 * - `tools` / `revisions`: changes of the edit panel's `data-tool` / `data-revision` attributes
 *   (a MutationObserver: the moment the DOM shows them).
 * and offers waits on those (each with a timeout, resolving null when it passes), and `quiet`:
 * a wait until the page draws frames at a steady rate again (after loading, the 3D view's first
 * software-rendered frames keep the page busy for many seconds).
 */

/** What the page returns for one stroke, step or switch (times in ms, performance.now()). */
export interface ProbeDraw {
  view: string;
  time: number;
}

export interface ProbeRecord {
  inputs: number[];
  stamps: number[];
  /** Per input: when its last bubble-phase `pointermove`/`mousemove` listener on window ran (null: none did). */
  handled: (number | null)[];
  draws: ProbeDraw[];
  images: ProbeDraw[];
}

declare global {
  interface Window {
    __editBench?: {
      rec: boolean;
      inputs: number[];
      stamps: number[];
      handled: (number | null)[];
      keys: number[];
      wheels: number[];
      draws: ProbeDraw[];
      images: ProbeDraw[];
      tools: { tool: string; time: number }[];
      revisions: { revision: number; time: number }[];
      reset(): void;
      take(): ProbeRecord;
      waitDraw(after: number, timeoutMs: number, view?: string): Promise<number | null>;
      waitImage(after: number, timeoutMs: number, view?: string): Promise<number | null>;
      waitTool(tool: string, after: number, timeoutMs: number): Promise<{ dom: number; frame: number } | null>;
      waitRevision(above: number, timeoutMs: number): Promise<number | null>;
      revision(): number;
      frame(): Promise<number>;
      quiet(gapMs: number, frames: number, timeoutMs: number): Promise<number | null>;
    };
    /** HistoryMemo instances caught by the bench's breakpoint (Cornerstone's DefaultHistoryMemo first). */
    __csHistoryMemos?: { undo(n?: number): void; undoAvailable: number; ring: unknown[]; size: number }[];
  }
}

export const PROBE = String.raw`(() => {
  if (window.__editBench) return;
  const s = {
    rec: false, inputs: [], stamps: [], handled: [], keys: [], wheels: [], draws: [], images: [], tools: [], revisions: [], waiters: [],
  };
  const now = () => performance.now();
  const check = () => {
    for (const w of s.waiters.slice()) {
      const v = w.test();
      if (v !== undefined && v !== null) { s.waiters.splice(s.waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(v); }
    }
  };
  const wait = (test, timeoutMs) => new Promise((resolve) => {
    const v = test();
    if (v !== undefined && v !== null) return resolve(v);
    const w = { test, resolve };
    w.timer = setTimeout(() => { s.waiters.splice(s.waiters.indexOf(w), 1); resolve(null); }, timeoutMs);
    s.waiters.push(w);
  });
  addEventListener('pointermove', (e) => { if (s.rec) { s.inputs.push(now()); s.stamps.push(e.timeStamp); s.handled.push(null); } }, { capture: true });
  const handled = () => { if (s.rec && s.inputs.length) s.handled[s.inputs.length - 1] = now(); };
  addEventListener('pointermove', handled);
  addEventListener('mousemove', handled);
  addEventListener('keydown', () => { s.keys.push(now()); }, { capture: true });
  addEventListener('wheel', () => { s.wheels.push(now()); }, { capture: true });
  window.__voxsegTest.onLabelsDrawn((view, time) => { s.draws.push({ view, time }); check(); });
  addEventListener('CORNERSTONE_IMAGE_RENDERED', (e) => {
    const id = e.target instanceof Element ? e.target.closest('[data-testid^="view-"]')?.getAttribute('data-testid') : null;
    if (id) { s.images.push({ view: id.slice(5), time: now() }); check(); }
  }, { capture: true });
  const panel = () => document.querySelector('[data-testid="edit-panel"]');
  new MutationObserver((records) => {
    const t = now();
    for (const r of records) {
      const el = r.target;
      if (el.getAttribute('data-testid') !== 'edit-panel') continue;
      if (r.attributeName === 'data-tool') s.tools.push({ tool: el.getAttribute('data-tool'), time: t });
      if (r.attributeName === 'data-revision') s.revisions.push({ revision: Number(el.getAttribute('data-revision')), time: t });
    }
    check();
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-tool', 'data-revision'] });
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(now())));
  window.__editBench = {
    get rec() { return s.rec; },
    set rec(v) { s.rec = v; },
    get inputs() { return s.inputs; },
    get stamps() { return s.stamps; },
    get handled() { return s.handled; },
    get keys() { return s.keys; },
    get wheels() { return s.wheels; },
    get draws() { return s.draws; },
    get images() { return s.images; },
    get tools() { return s.tools; },
    get revisions() { return s.revisions; },
    reset() { s.inputs = []; s.stamps = []; s.handled = []; s.keys = []; s.wheels = []; s.draws = []; s.images = []; s.tools = []; s.revisions = []; },
    take() { const r = { inputs: s.inputs, stamps: s.stamps, handled: s.handled, draws: s.draws, images: s.images }; s.inputs = []; s.stamps = []; s.handled = []; s.draws = []; s.images = []; return r; },
    waitDraw(after, timeoutMs, view = 'axial') {
      return wait(() => { const d = s.draws.find((x) => x.view === view && x.time >= after); return d ? d.time : null; }, timeoutMs);
    },
    waitImage(after, timeoutMs, view = 'axial') {
      return wait(() => { const d = s.images.find((x) => x.view === view && x.time >= after); return d ? d.time : null; }, timeoutMs);
    },
    waitTool(tool, after, timeoutMs) {
      const dom = wait(() => { const x = s.tools.find((y) => y.tool === tool && y.time >= after); return x ? x.time : null; }, timeoutMs);
      return dom.then((t) => (t === null ? null : frame().then((f) => ({ dom: t, frame: f }))));
    },
    waitRevision(above, timeoutMs) {
      return wait(() => { const x = s.revisions.find((y) => y.revision > above); return x ? x.time : null; }, timeoutMs);
    },
    revision() { return Number(panel()?.getAttribute('data-revision') ?? -1); },
    frame,
    quiet(gapMs, frames, timeoutMs) {
      const t0 = now();
      return new Promise((resolve) => {
        let last = t0, run = 0;
        function tick(t) {
          run = t - last < gapMs ? run + 1 : 0;
          last = t;
          if (run >= frames) resolve(t - t0);
          else if (t - t0 > timeoutMs) resolve(null);
          else requestAnimationFrame(tick);
        }
        requestAnimationFrame(tick);
      });
    },
  };
})()`;
