// `npm run test:e2e`: the browser end-to-end tests (see vitest.e2e.config.ts).
import { spawnSync } from 'node:child_process';

const r = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.e2e.config.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
