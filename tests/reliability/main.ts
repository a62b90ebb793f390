/**
 * The reliability suite: `npm run test:reliability` (or the `reliability` step of `npm test`).
 * Generates the corpus into a temporary folder (nothing of it is committed: fixtures, seeded
 * byte damage, bombs, hostile manifests, pipes, contradicting headers, SEG oddities), runs each
 * case as a `voxseg VERB ...` child process two at a time with a time limit (20 s unless the
 * case says otherwise) and a memory ceiling (2 GiB; the CLI's own VOXSEG_MEMORY_CEILING is set to three quarters of it), judges it (check.ts), prints the summary
 * and writes test-results/reliability.json. Exit 1 when a case fails.
 *
 *   node bin/run-ts.js tests/reliability/main.ts [--filter REGEX] [--jobs N] [--keep]
 *                                                [--report FILE] [--list]
 *
 * --filter (or VOXSEG_RELIABILITY_FILTER) runs the cases whose id matches, e.g. '^bomb/';
 * --keep keeps the generated corpus (and failing cases' folders are always kept until the end).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostileCases } from './cases-hostile';
import { codecCases } from './cases-codecs';
import { manifestCases, pipeCases } from './cases-paths';
import { fuzzCases } from './cases-fuzz';
import { headerCases } from './cases-headers';
import { segCases } from './cases-seg';
import { writeCases } from './cases-write';
import { judge, listFiles } from './check';
import { makeBase } from './fixtures';
import { summarize, writeReport } from './report';
import { selfTest } from './selftest';
import { runCli } from './spawn';
import type { Case, CaseResult } from './types';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const filterText = opt('--filter') ?? process.env.VOXSEG_RELIABILITY_FILTER;
const filter = filterText ? new RegExp(filterText) : undefined;
const jobs = Number(opt('--jobs') ?? 2);
const reportPath = resolve(opt('--report') ?? join(repo, 'test-results', 'reliability.json'));
const MEMORY_MB = 2048;
const sharedRoot = process.env.VOXSEG_SHARED_DATA ?? resolve(repo, '../shared/data');

async function runOne(c: Case, root: string): Promise<CaseResult> {
  const base: CaseResult = {
    id: c.id,
    verb: c.verb,
    group: c.group,
    status: 'skipped',
    exit: null,
    signal: null,
    seconds: 0,
    cpuSeconds: 0,
    rssMb: 0,
    problems: [],
    details: [],
    issueClass: c.issueClass,
    area: c.area,
    debatable: c.debatable,
    skip: c.skip,
    stderr: '',
  };
  if (c.skip) return base;
  const dir = join(root, 'cases', c.id.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  try {
    await c.setup?.(dir);
  } catch (err) {
    return { ...base, status: 'failed', problems: ['setup'], details: [`setup: ${(err as Error).message}`] };
  }
  const args = [c.verb, ...c.args(dir)];
  if (c.previous && c.outputs?.[0]) {
    mkdirSync(dirname(join(dir, c.outputs[0])), { recursive: true });
    writeFileSync(join(dir, c.outputs[0]), c.previous);
  }
  const before = listFiles(dir);
  const limitS = c.timeoutSeconds ?? 20;
  const r = await runCli(repo, args, dir, {
    timeoutSeconds: limitS,
    memoryMb: MEMORY_MB,
    fileLimitKiB: c.fileLimitKiB,
  });
  const { problems, details } = judge(c, dir, args, before, r, limitS);
  if (!argv.includes('--keep') && problems.length === 0) rmSync(dir, { recursive: true, force: true });
  return {
    ...base,
    status: problems.length ? 'failed' : 'passed',
    exit: r.exit,
    signal: r.signal,
    seconds: Math.round(r.seconds * 100) / 100,
    cpuSeconds: Math.round(r.cpuSeconds * 100) / 100,
    rssMb: Math.round(r.rssMb),
    problems,
    details,
    stderr: r.stderr.trim().split('\n').slice(-4).join('\n').slice(0, 600),
  };
}

/** A failure of the run itself (fixtures, harness), reported as one failed case. */
function fixtureFailure(id: string, detail: string): CaseResult {
  return {
    id,
    verb: 'info',
    group: 'harness',
    status: 'failed',
    exit: null,
    signal: null,
    seconds: 0,
    cpuSeconds: 0,
    rssMb: 0,
    problems: ['setup'],
    details: [detail],
    stderr: '',
  };
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'voxseg-reliability-'));
  try {
    const shared = existsSync(sharedRoot) ? sharedRoot : undefined;
    if (!shared) console.log(`reliability: reference data ${sharedRoot} not found: its cases are skipped`);
    let b;
    try {
      b = makeBase(repo, join(root, 'base'));
    } catch (err) {
      // nothing can run: one failure, with the reason, in the report test.js reads
      console.error(`reliability: could not generate the fixtures: ${(err as Error).message}`);
      const failed = fixtureFailure('fixtures', (err as Error).message);
      writeReport(reportPath, [failed], (performance.now() - t0) / 1000);
      return 1;
    }
    let cases = [
      ...fuzzCases(b, shared),
      ...hostileCases(b),
      ...manifestCases(b),
      ...pipeCases(b),
      ...headerCases(b),
      ...codecCases(),
      ...segCases(b),
      ...writeCases(b),
    ];
    const ids = new Set<string>();
    for (const c of cases) {
      if (ids.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
      ids.add(c.id);
    }
    if (filter) cases = cases.filter((c) => filter.test(c.id));
    if (argv.includes('--list')) {
      for (const c of cases) console.log(`${c.id}\t${c.verb}\t${c.issueClass ?? ''}`);
      return 0;
    }
    console.log(`reliability: ${cases.length} cases, ${jobs} at a time (fixtures in ${root})`);
    const harness = selfTest(root);
    if (harness.length) {
      console.error(`reliability: the harness fails its own checks:\n  ${harness.join('\n  ')}`);
      const failed = { ...fixtureFailure('harness/self-test', harness.join('; ')) };
      writeReport(reportPath, [failed], (performance.now() - t0) / 1000);
      return 1;
    }
    const results: CaseResult[] = new Array(cases.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        results[i] = await runOne(cases[i], root);
        done++;
        const r = results[i];
        if (r.status === 'failed') console.log(`  FAIL ${r.id}: ${r.details.join('; ').slice(0, 300)}`);
        if (done % 50 === 0) console.log(`reliability: ${done}/${cases.length} done`);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
    const seconds = (performance.now() - t0) / 1000;
    console.log('\n' + summarize(results, seconds));
    writeReport(reportPath, results, seconds);
    console.log(`reliability: report written to ${reportPath}`);
    return results.some((r) => r.status === 'failed') ? 1 : 0;
  } finally {
    if (!argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
  }
}

process.exitCode = await main();
