/** Build a bench page with Vite and serve it with `vite preview` (COOP/COEP headers from its config), or only build it. */
import { build, createLogger, preview, type PreviewServer } from 'vite';

function quietLogger() {
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (msg, opts) => {
    // Codec glue imports fs/path only on its Node branch; Vite's note about it is noise here.
    if (msg.includes('externalized for browser compatibility')) return;
    warn(msg, opts);
  };
  return logger;
}

/** Build a bench page (its config's outDir) without serving it. */
export async function buildPage(configFile: string): Promise<void> {
  const t0 = performance.now();
  await build({ configFile, customLogger: quietLogger(), logLevel: 'warn' });
  console.log(`bench: built ${configFile} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export async function buildAndServe(configFile: string): Promise<{ url: string; close: () => Promise<void> }> {
  await buildPage(configFile);
  const server: PreviewServer = await preview({
    configFile,
    customLogger: quietLogger(),
    preview: { host: '127.0.0.1', port: 4799, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  return { url, close: () => server.close() };
}
