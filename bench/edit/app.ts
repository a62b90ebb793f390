/**
 * The app for the edit bench, built and served as the e2e tests do (`vite build` of the repository
 * with its own vite.config.ts, then `vite preview`, which adds the COOP/COEP headers), into
 * bench/out/edit-app (edit-app-unminified for CPU profiles) so that it never touches the e2e build. Also finds, in the built bundle, the
 * spot where Cornerstone3D constructs its `HistoryMemo` (the undo ring of its tools), so that the
 * page can be given a handle on it through the DevTools protocol (see `historyMemoBreakpoint`).
 * The bench's build adds one module to the page, `stock-brush.ts` (Cornerstone3D's stock
 * BrushTool for the stock path, which the shipped viewer does not carry), through a plugin that
 * puts its script tag into index.html; the app's own sources and config are used unchanged.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, createLogger, preview, type Plugin } from 'vite';
import { OUT, REPO } from '../loading/datasets';

/** The app build (minified, as shipped) and an unminified one for readable CPU profiles. */
export const appOut = (minify: boolean) => join(OUT, minify ? 'edit-app' : 'edit-app-unminified');

function quietLogger() {
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (msg, opts) => {
    // Codec glue imports fs/path only on its Node branch; chunk-size notes are not news here.
    if (
      msg.includes('externalized for browser compatibility') ||
      msg.includes('INEFFECTIVE_DYNAMIC_IMPORT') ||
      msg.includes('PLUGIN_TIMINGS') ||
      msg.includes('chunks are larger')
    )
      return;
    warn(msg, opts);
  };
  return logger;
}

/** Marks a page built by this bench (`--reuse-build` reuses only such a build). */
const BUILD_MARK = '<meta name="voxseg-bench" content="edit: e2e build + stock brush" />';

/** Adds the stock brush module (stock-brush.ts) to the page, after the app's own entry. */
function stockBrushEntry(): Plugin {
  return {
    name: 'voxseg-bench-stock-brush',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) =>
        html
          .replace('</head>', `  ${BUILD_MARK}\n  </head>`)
          .replace('</body>', '  <script type="module" src="/bench/edit/stock-brush.ts"></script>\n  </body>'),
    },
  };
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

/** Build the app (unless `reuse` and a build exists) and serve it on a free localhost port. */
export async function serveApp(reuse: boolean, minify = true): Promise<AppServer> {
  const t0 = performance.now();
  const configFile = join(REPO, 'vite.config.ts');
  const outDir = appOut(minify);
  const index = join(outDir, 'index.html');
  if (!(reuse && existsSync(index) && readFileSync(index, 'utf8').includes(BUILD_MARK))) {
    // Mode 'e2e': the build with the test hook (window.__voxsegTest) the bench drives.
    await build({
      root: REPO,
      configFile,
      mode: 'e2e',
      plugins: [stockBrushEntry()],
      customLogger: quietLogger(),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, minify },
    });
    console.log(`bench: built the app in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const server = await preview({
    root: REPO,
    configFile,
    customLogger: quietLogger(),
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 4798, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  return { url, close: () => server.close() };
}

/** Where to break (0-based line and column of the built file, as CDP counts them). */
export interface BreakpointSpot {
  urlRegex: string;
  lineNumber: number;
  columnNumber: number;
}

/**
 * The first statement of Cornerstone3D's `HistoryMemo` constructor in the built app's main-thread
 * chunks (`this.position=-1,this.redoAvailable=0,...`: property names survive minification).
 * A conditional breakpoint there whose condition stores `this` and returns false hands the page
 * the instance (`DefaultHistoryMemo`, created when the module loads) without ever pausing.
 * Null when the bundle does not contain it in the expected form.
 */
export function historyMemoBreakpoint(minify = true): BreakpointSpot | null {
  const dir = join(appOut(minify), 'assets');
  if (!existsSync(dir)) return null;
  const pattern = /constructor\([^)]*\)\s*\{\s*(this\.position\s*=\s*-1[,;]\s*this\.redoAvailable\s*=\s*0)/;
  for (const name of readdirSync(dir)) {
    // Workers (computeWorker etc.) bundle their own copy; only the page's chunks matter.
    if (!name.endsWith('.js') || /worker/i.test(name)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const m = pattern.exec(text);
    if (!m) continue;
    const at = m.index + m[0].length - m[1].length;
    const before = text.slice(0, at);
    const lineNumber = before.split('\n').length - 1;
    const columnNumber = at - (before.lastIndexOf('\n') + 1);
    return { urlRegex: `/assets/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, lineNumber, columnNumber };
  }
  return null;
}
