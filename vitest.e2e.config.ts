import { defineConfig } from 'vitest/config';

/**
 * Browser end-to-end tests: `tests/e2e/global-setup.ts` builds the app once and serves it with
 * `vite preview`; each test file drives Debian's Chromium (WebGL2 via SwiftShader) with
 * playwright-core. One fork, files one after another: a software-rendered browser is heavy.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
