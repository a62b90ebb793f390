// `npm test`: install what tests need, then run unit tests and end-to-end browser tests.
// Ends with one summary line "N passed, N failed, N skipped".
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, ensureSystemPackages, root, run } from './setup.js';

ensureNodeModules();
ensureSystemPackages();

const out = join(root, 'test-results');
mkdirSync(out, { recursive: true });
const suites = [
  ['unit', ['vitest', 'run', '-c', 'vitest.config.ts']],
  ['e2e', ['vitest', 'run', '-c', 'vitest.e2e.config.ts']],
];
const only = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
let crashed = false;
for (const [name, args] of suites) {
  if (only && only !== name) continue;
  const report = join(out, `${name}.json`);
  rmSync(report, { force: true });
  console.log(`\n=== voxseg ${name} tests ===`);
  const status = run('npx', [...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  if (!existsSync(report)) {
    console.error(`voxseg: the ${name} suite produced no report (exit ${status})`);
    crashed = true;
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  if (status !== 0 && r.numFailedTests === 0) crashed = true;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || crashed || passed === 0 ? 1 : 0);
