// `npm test`: install what tests need, then run the checks and the test suites, cheapest first:
//   format        Prettier, every file as `npm run format` writes it (~30 s)
//   architecture  the import rules of the README (tests/unit/architecture.test.ts, ~10 s)
//   svelte-check  types of the .svelte and .ts sources, 0 errors (~1-2 min)
//   unit          the Vitest unit suite (the architecture test again among them)
//   reliability   generated hostile inputs through the CLI, each within time/memory limits
//                 (tests/reliability/main.ts; its cases count as tests below, ~3-5 min)
//   e2e           the built app in headless Chromium
// A failed check stops the run at once, naming the step and how to fix it; the suites run to the
// end. `node scripts/test.js STEP` runs one step. Ends with one summary line
// "N passed, N failed, N skipped" (tests of the suites; a failed check counts as one failure).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNodeModules, ensureSystemPackages, root, run } from './setup.js';

const checks = [
  {
    name: 'format',
    args: ['prettier', '--check', '.', '--log-level', 'warn', '--cache', '--cache-location', '.cache/prettier'],
    fix: 'files listed above are not formatted as Prettier writes them: run `npm run format` and commit the result',
  },
  {
    name: 'architecture',
    args: ['vitest', 'run', '-c', 'vitest.config.ts', 'tests/unit/architecture.test.ts'],
    fix: "an import listed above (file:line) breaks the layer rules of the README's Architecture section: move the code to a layer that may import it, or change the rule table in tests/unit/architecture.test.ts if the README changes",
  },
  {
    name: 'svelte-check',
    args: ['svelte-check', '--tsconfig', './tsconfig.json', '--threshold', 'error', '--output', 'human'],
    fix: 'type errors listed above: fix them (`npm run check` shows warnings too)',
  },
];
const suites = [
  ['unit', ['vitest', 'run', '-c', 'vitest.config.ts']],
  // not Vitest: writes its own report with the same count fields
  ['reliability', [process.execPath, 'bin/run-ts.js', 'tests/reliability/main.ts']],
  ['e2e', ['vitest', 'run', '-c', 'vitest.e2e.config.ts']],
];

const only = process.argv[2];
const known = [...checks.map((c) => c.name), ...suites.map(([name]) => name)];
if (only && !known.includes(only)) {
  console.error(`voxseg: no test step '${only}' (steps: ${known.join(', ')})`);
  process.exit(2);
}

ensureNodeModules();
ensureSystemPackages();

const times = [];
function timed(name, fn) {
  const t0 = performance.now();
  const result = fn();
  times.push(`${name} ${Math.round((performance.now() - t0) / 1000)} s`);
  return result;
}

function finish(passed, failed, skipped, crashed) {
  console.log(`\nvoxseg: step times: ${times.join(', ')}`);
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || crashed || passed === 0 ? 1 : 0);
}

for (const check of checks) {
  if (only && only !== check.name) continue;
  console.log(`\n=== voxseg check: ${check.name} ===`);
  const status = timed(check.name, () => run('npx', check.args));
  if (status !== 0) {
    console.error(`\nvoxseg: the ${check.name} check failed (exit ${status}); the remaining steps were not run.`);
    console.error(`voxseg: to fix: ${check.fix}.`);
    finish(0, 1, 0, true);
  }
  if (only) finish(1, 0, 0, false);
}

const out = join(root, 'test-results');
mkdirSync(out, { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;
let crashed = false;
for (const [name, args] of suites) {
  if (only && only !== name) continue;
  const report = join(out, `${name}.json`);
  rmSync(report, { force: true });
  console.log(`\n=== voxseg ${name} tests ===`);
  const status = timed(name, () =>
    args[0] === process.execPath
      ? run(args[0], [...args.slice(1), '--report', report])
      : run('npx', [...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]),
  );
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
finish(passed, failed, skipped, crashed);
