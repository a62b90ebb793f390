/**
 * What ships: `npm run build` / `npm start` build the app in production mode, and that bundle
 * must not carry the test hook (`window.__voxsegTest` reads label voxels out of the page). The
 * same build in mode 'e2e' (what these tests and the benchmarks serve) must carry it, which
 * also shows the search below finds the name when it is there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/browser';

function filesWith(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/\.(js|mjs|html)$/.test(e.name)) continue;
    const path = join(e.parentPath, e.name);
    if (readFileSync(path, 'utf8').includes(needle)) out.push(path.slice(dir.length + 1));
  }
  return out;
}

async function buildApp(mode: 'production' | 'e2e'): Promise<string> {
  const outDir = join(repoRoot, `.cache/build-check-${mode}`);
  await build({ root: repoRoot, mode, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}

describe('production build', () => {
  it('has no test hook; the e2e build has it', async () => {
    const prod = await buildApp('production');
    expect(readdirSync(join(prod, 'assets')).some((f) => f.endsWith('.js'))).toBe(true);
    expect(filesWith(prod, '__voxsegTest')).toEqual([]);
    const e2e = await buildApp('e2e');
    expect(filesWith(e2e, '__voxsegTest').length).toBeGreaterThan(0);
  });
});
