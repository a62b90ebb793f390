/**
 * Build the app once into .cache/e2e-dist and serve it with `vite preview` (COOP/COEP headers
 * come from vite.config.ts) on a free localhost port. Tests read the URL with `inject('baseUrl')`.
 * VOXSEG_E2E_REUSE_BUILD=1 skips the build when a previous one exists (for quick iteration).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';
import { freePort } from '../orthanc/orthanc';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const outDir = join(root, '.cache/e2e-dist');

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: PreviewServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const chromium = process.env.VOXSEG_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    // Every browser suite skips itself (see helpers/browser.ts); no need to build.
    project.provide('baseUrl', '');
    return;
  }
  const reuse = process.env.VOXSEG_E2E_REUSE_BUILD === '1' && existsSync(join(outDir, 'index.html'));
  if (!reuse) {
    // Mode 'e2e' installs the test hook (window.__voxsegTest), which production builds leave out.
    await build({ root, mode: 'e2e', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  }
  const port = await freePort();
  server = await preview({
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  project.provide('baseUrl', `http://127.0.0.1:${port}/`);
}

export async function teardown(): Promise<void> {
  await server?.close();
}
